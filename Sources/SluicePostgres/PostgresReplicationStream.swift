// PostgresReplicationStream: a logical replication connection (`replication=database`): create
// a slot with an exported snapshot, START_REPLICATION from an LSN, read the stream's CopyData
// (XLogData and keepalives) with deadlines, and send standby status updates that confirm
// (flush) only the LSN the caller says is committed.

import Foundation

/// A message of the replication stream.
public enum PostgresReplicationMessage: Sendable {
    /// WAL data: `start` is the LSN of the record the payload decodes (for pgoutput changes, the
    /// change's LSN), `serverEnd` the server's current end of WAL.
    case data(start: PostgresLSN, serverEnd: PostgresLSN, payload: [UInt8])
    /// The server is alive and has sent everything before `serverEnd`.
    case keepalive(serverEnd: PostgresLSN)
}

/// The slot a `createSlot` made, and the snapshot that sees the database exactly at its start.
public struct PostgresReplicationSlot: Sendable {
    public var name: String
    /// Changes committed after this LSN stream from the slot; the snapshot sees everything before.
    public var consistentPoint: PostgresLSN
    /// Import with `SET TRANSACTION SNAPSHOT` while this stream stays idle.
    public var snapshotName: String?
}

/// A logical replication connection.
public final class PostgresReplicationStream: @unchecked Sendable {
    // Safety: the mutable progress fields below are used by one consumer at a time (the stream
    // is a single reader); the connection locks its own state.
    public let connection: PostgresConnection
    /// Highest LSN received (reported as "written").
    public private(set) var receivedLSN = PostgresLSN.zero
    /// Highest LSN confirmed by the caller (reported as "flushed": the slot advances to it).
    public private(set) var confirmedLSN = PostgresLSN.zero
    private var lastStatusSent = ContinuousClock.now
    private var isStreaming = false

    /// A status update at least this often while streaming, well inside the server's
    /// `wal_sender_timeout` (60 s by default), so an idle stream is not cut.
    public static let statusIntervalMax: Duration = .seconds(10)

    /// Opens a replication connection with `configuration` (its `replication` flag is set here).
    public init(_ configuration: PostgresConfiguration) throws(PostgresError) {
        var configuration = configuration
        configuration.replication = true
        connection = try PostgresConnection(configuration)
    }

    /// Slot and publication names are plain identifiers here (letters, digits, `_`), so they need
    /// no quoting in replication commands and cannot inject any.
    public static func isValidName(_ name: String) -> Bool {
        !name.isEmpty && name.utf8.count <= 63 && name.utf8.allSatisfy { byte in
            (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z")) || (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9"))
                || byte == UInt8(ascii: "_")
        }
    }

    /// CREATE_REPLICATION_SLOT … LOGICAL pgoutput, exporting a snapshot when asked. The
    /// snapshot stays valid until this connection runs another command or closes.
    public func createSlot(_ name: String, exportSnapshot: Bool, temporary: Bool = false,
                           timeout: Duration = .seconds(60)) throws(PostgresError) -> PostgresReplicationSlot {
        precondition(PostgresReplicationStream.isValidName(name), "slot names are [a-z0-9_]{1,63}: \(name)")
        let sql = "CREATE_REPLICATION_SLOT \(name)\(temporary ? " TEMPORARY" : "") LOGICAL pgoutput (SNAPSHOT '\(exportSnapshot ? "export" : "nothing")')"
        let result = try connection.simpleQuery(sql, timeout: timeout)
        guard result.rowCount == 1, let point = result.rows[0]["consistent_point"].string.flatMap({ PostgresLSN($0) }) else {
            throw PostgresError(.protocolViolation, "CREATE_REPLICATION_SLOT returned no consistent point", endpoint: connection.endpoint, sql: sql)
        }
        return PostgresReplicationSlot(name: name, consistentPoint: point, snapshotName: result.rows[0]["snapshot_name"].string)
    }

    /// START_REPLICATION of `slot` from `lsn` with pgoutput (protocol 1) for `publication`.
    /// The server starts from the slot's confirmed LSN if that is later. A slot still held by a
    /// vanished consumer (SQLSTATE 55006) is retried until `slotBusyWait` passes.
    public func start(slot: String, publication: String, from lsn: PostgresLSN,
                      slotBusyWait: Duration = .seconds(15)) throws(PostgresError) {
        precondition(PostgresReplicationStream.isValidName(slot) && PostgresReplicationStream.isValidName(publication),
                     "slot and publication names are [a-z0-9_]{1,63}")
        let sql = "START_REPLICATION SLOT \(slot) LOGICAL \(lsn) (proto_version '1', publication_names '\(publication)')"
        let deadline = ContinuousClock.now + slotBusyWait
        while true {
            do {
                try connection.startCopyBoth(sql, timeout: .seconds(30))
                break
            } catch where error.sqlState == "55006" && ContinuousClock.now < deadline {
                Thread.sleep(forTimeInterval: 0.1)
            }
        }
        isStreaming = true
        confirmedLSN = max(confirmedLSN, lsn)
        receivedLSN = max(receivedLSN, lsn)
        lastStatusSent = .now
    }

    /// The next message, or nil if none arrived within `timeout`. Answers keepalives that ask
    /// for a reply, and sends a status update when `statusIntervalMax` has passed.
    public func next(timeout: Duration) throws(PostgresError) -> PostgresReplicationMessage? {
        precondition(isStreaming, "PostgresReplicationStream.next before start")
        let deadline = ContinuousClock.now + timeout
        while true {
            if ContinuousClock.now - lastStatusSent >= PostgresReplicationStream.statusIntervalMax {
                try sendStatus(replyRequested: false)
            }
            let waitUntil = min(deadline, lastStatusSent + PostgresReplicationStream.statusIntervalMax)
            guard let bytes = try connection.receiveCopyData(deadline: waitUntil) else {
                if ContinuousClock.now >= deadline { return nil }
                continue
            }
            var reader = PgOutputReader(bytes: bytes)
            do {
                switch try reader.byte() {
                case UInt8(ascii: "w"):
                    let start = PostgresLSN(try reader.uint64())
                    let end = PostgresLSN(try reader.uint64())
                    _ = try reader.uint64()  // server clock
                    receivedLSN = max(receivedLSN, start)
                    return .data(start: start, serverEnd: end, payload: Array(bytes[reader.offset...]))
                case UInt8(ascii: "k"):
                    let end = PostgresLSN(try reader.uint64())
                    _ = try reader.uint64()
                    if try reader.byte() == 1 { try sendStatus(replyRequested: false) }
                    return .keepalive(serverEnd: end)
                case let tag:
                    throw PostgresError(.protocolViolation, "unknown replication message \(tag)", endpoint: connection.endpoint)
                }
            } catch let error as PgOutputDecodingError {
                throw PostgresError(.protocolViolation, error.description, endpoint: connection.endpoint)
            } catch let error as PostgresError {
                throw error
            } catch {
                throw PostgresError(.protocolViolation, "\(error)", endpoint: connection.endpoint)
            }
        }
    }

    /// Confirms that everything through `lsn` is durably committed by the caller: the slot may
    /// advance to it (sent at once). Never moves backwards.
    public func confirm(_ lsn: PostgresLSN) throws(PostgresError) {
        guard lsn > confirmedLSN else { return }
        confirmedLSN = lsn
        if isStreaming { try sendStatus(replyRequested: false) }
    }

    /// Standby status update: written = received, flushed = applied = confirmed.
    private func sendStatus(replyRequested: Bool) throws(PostgresError) {
        var message: [UInt8] = [UInt8(ascii: "r")]
        message.reserveCapacity(34)
        let written = max(receivedLSN, confirmedLSN)
        let now = Int64(Date().timeIntervalSince1970 * 1_000_000) - PgOutputMessage.postgresEpochMicroseconds
        for value in [written.value, confirmedLSN.value, confirmedLSN.value, UInt64(bitPattern: now)] {
            for shift in stride(from: 56, through: 0, by: -8) { message.append(UInt8(truncatingIfNeeded: value >> UInt64(shift))) }
        }
        message.append(replyRequested ? 1 : 0)
        try connection.sendCopyBothData(message, deadline: .now + .seconds(10))
        lastStatusSent = .now
    }

    /// Closes the connection without a final status update (what the server sees when a
    /// consumer dies).
    public func close() { connection.close() }
}
