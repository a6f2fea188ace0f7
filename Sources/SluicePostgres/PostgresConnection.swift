// PostgresConnection: one libpq connection, driven through libpq's nonblocking API so that every
// wait is a poll(2) on the socket with a deadline: a server that is down, unreachable or silent
// yields an error within the configured time instead of a hang (docs/decisions.md, "libpq
// without blocking calls").
//
// The synchronous methods block the calling thread for at most their deadline. Async callers
// use `perform`, which runs a body on the connection's own serial dispatch queue, so a waiting
// connection never occupies a thread of Swift's cooperative pool.

import CLibPQ
import Dispatch
import Foundation
import Glibc
import Synchronization

/// One connection to PostgreSQL (ordinary, or logical replication when the configuration asks).
///
/// Used by one task at a time; the internal lock makes concurrent use safe (calls take turns),
/// not meaningful (transactions interleave). After `.timeout` or `.connectionLost` the
/// connection is closed for good: make a new one.
public final class PostgresConnection: @unchecked Sendable {
    // Safety: `handle` and `closedReason` are read and written only while `lock` is held; every
    // libpq call on `handle` happens inside `lock.withLock`.
    private let lock = Mutex(())
    private var handle: OpaquePointer?
    private var closedReason: String?
    public let configuration: PostgresConfiguration
    /// `host:port/database` of the server (the password never appears).
    public let endpoint: String
    /// The server process serving this connection (`pg_backend_pid()`).
    public let backendPID: Int32
    private let queue: DispatchQueue

    /// Connects, waiting at most `configuration.connectTimeout`.
    public init(_ configuration: PostgresConfiguration) throws(PostgresError) {
        self.configuration = configuration
        let parameters = configuration.connectParameters
        let keywords = parameters.map { strdup($0.0) }
        let values = parameters.map { strdup($0.1) }
        defer {
            keywords.forEach { free($0) }
            values.forEach { free($0) }
        }
        let connection: OpaquePointer? = (keywords.map { UnsafePointer($0) } + [nil]).withUnsafeBufferPointer { keywordPointers in
            (values.map { UnsafePointer($0) } + [nil]).withUnsafeBufferPointer { valuePointers in
                // Safety: both arrays are NUL-terminated and outlive the call; libpq copies them.
                PQconnectStartParams(keywordPointers.baseAddress, valuePointers.baseAddress, 1)
            }
        }
        guard let connection else {
            throw PostgresError(.connection, "out of memory starting a connection", endpoint: configuration.endpoint)
        }
        do throws(PostgresError) {
            try PostgresConnection.finishConnecting(connection, configuration: configuration)
        } catch {
            PQfinish(connection)
            throw error
        }
        // Notices (NOTICE: … already exists, skipping) are of no use here and would go to stderr.
        PQsetNoticeProcessor(connection, { _, _ in }, nil)
        PQsetnonblocking(connection, 1)
        handle = connection
        let host = PQhost(connection).map { String(cString: $0) } ?? "?"
        let port = PQport(connection).map { String(cString: $0) } ?? "?"
        let database = PQdb(connection).map { String(cString: $0) } ?? "?"
        endpoint = "\(host.hasPrefix("/") ? "[\(host)]" : host):\(port)/\(database)"
        backendPID = PQbackendPID(connection)
        queue = DispatchQueue(label: "sluice.postgres.\(endpoint)")
    }

    private static func finishConnecting(_ connection: OpaquePointer, configuration: PostgresConfiguration) throws(PostgresError) {
        let endpoint = configuration.endpoint
        if PQstatus(connection) == CONNECTION_BAD {
            throw PostgresError(.connection, cleanMessage(PQerrorMessage(connection)), endpoint: endpoint)
        }
        let deadline = ContinuousClock.now + configuration.connectTimeout
        var waitFor = PGRES_POLLING_WRITING
        while true {
            switch waitFor {
            case PGRES_POLLING_OK:
                return
            case PGRES_POLLING_FAILED:
                throw PostgresError(.connection, cleanMessage(PQerrorMessage(connection)), endpoint: endpoint)
            default:
                let ready = try waitSocket(PQsocket(connection), read: waitFor == PGRES_POLLING_READING,
                                           write: waitFor == PGRES_POLLING_WRITING, deadline: deadline)
                guard ready.readable || ready.writable else {
                    throw PostgresError(.timeout, "no connection within \(configuration.connectTimeout)", endpoint: endpoint)
                }
                waitFor = PQconnectPoll(connection)
            }
        }
    }

    deinit { if let handle { PQfinish(handle) } }

    /// Closes the connection. Later calls fail with `.connectionLost`.
    public func close() {
        lock.withLock { _ in abandonLocked("closed by the caller") }
    }

    /// False once closed, broken or timed out.
    public var isOpen: Bool { lock.withLock { _ in handle != nil && PQstatus(handle) == CONNECTION_OK } }

    /// `PQTRANS_INTRANS`/`PQTRANS_INERROR`: inside a transaction block.
    public var isInTransaction: Bool {
        lock.withLock { _ in
            guard let handle else { return false }
            let status = PQtransactionStatus(handle)
            return status == PQTRANS_INTRANS || status == PQTRANS_INERROR
        }
    }

    // MARK: - Statements

    /// Runs one statement with parameters (`$1`, `$2`, … in text format) and returns its rows.
    /// `timeout` bounds the wait for the answer (default: the statement timeout plus grace).
    @discardableResult
    public func query(_ sql: String, _ parameters: [PostgresValue] = [], timeout: Duration? = nil) throws(PostgresError) -> PostgresResult {
        var texts: [String?] = []
        texts.reserveCapacity(parameters.count)
        for (index, parameter) in parameters.enumerated() {
            do {
                texts.append(try parameter.textRepresentation())
            } catch {
                throw PostgresError(.data, "parameter $\(index + 1): \(error.description)", endpoint: endpoint, sql: sql)
            }
        }
        let pointers = texts.map { $0.map { strdup($0) } ?? nil }
        defer { pointers.forEach { free($0) } }
        return try lock.withLock { _ throws(PostgresError) in
            let connection = try liveHandle(sql: sql)
            let sent = pointers.map { UnsafePointer($0) }.withUnsafeBufferPointer { values in
                // Safety: the C strings live until the deferred free, after the send copied them.
                PQsendQueryParams(connection, sql, Int32(values.count), nil, values.baseAddress, nil, nil, 0)
            }
            guard sent == 1 else { throw failureLocked(sql: sql) }
            let deadline = deadline(for: timeout)
            try flushLocked(deadline: deadline, sql: sql)
            switch try collectLocked(deadline: deadline, sql: sql) {
            case .done(let result): return result
            case .copy: throw unexpectedCopyLocked(sql: sql)
            }
        }
    }

    /// Runs one statement and returns the rows it touched.
    @discardableResult
    public func execute(_ sql: String, _ parameters: [PostgresValue] = [], timeout: Duration? = nil) throws(PostgresError) -> Int {
        try query(sql, parameters, timeout: timeout).affectedRowCount
    }

    /// Runs one or more statements separated by semicolons, without parameters (the simple
    /// query protocol; also the only one replication connections accept). Returns the last
    /// statement's result.
    @discardableResult
    public func simpleQuery(_ sql: String, timeout: Duration? = nil) throws(PostgresError) -> PostgresResult {
        try lock.withLock { _ throws(PostgresError) in
            let connection = try liveHandle(sql: sql)
            guard PQsendQuery(connection, sql) == 1 else { throw failureLocked(sql: sql) }
            let deadline = deadline(for: timeout)
            try flushLocked(deadline: deadline, sql: sql)
            switch try collectLocked(deadline: deadline, sql: sql) {
            case .done(let result): return result
            case .copy: throw unexpectedCopyLocked(sql: sql)
            }
        }
    }

    /// Runs `body` in a transaction: `BEGIN` (with `mode`, e.g. `ISOLATION LEVEL REPEATABLE
    /// READ`), then `COMMIT`, or `ROLLBACK` if `body` throws (the error is rethrown).
    @discardableResult
    public func transaction<Result>(_ mode: String = "", _ body: (PostgresConnection) throws -> Result) throws -> Result {
        precondition(!isInTransaction, "PostgresConnection.transaction: already in a transaction")
        try simpleQuery(mode.isEmpty ? "BEGIN" : "BEGIN \(mode)")
        do {
            let result = try body(self)
            try simpleQuery("COMMIT")
            return result
        } catch {
            if isOpen { _ = try? simpleQuery("ROLLBACK") }
            throw error
        }
    }

    /// Runs `body` on this connection's own serial dispatch queue: a blocking wait inside never
    /// holds a thread of the cooperative pool.
    public func perform<Result: Sendable>(_ body: @escaping @Sendable (PostgresConnection) throws -> Result) async throws -> Result {
        try await withCheckedThrowingContinuation { continuation in
            queue.async { continuation.resume(with: Swift.Result { try body(self) }) }
        }
    }

    /// Connects on a dispatch queue (not the cooperative pool).
    public static func connect(_ configuration: PostgresConfiguration) async throws -> PostgresConnection {
        try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async {
                continuation.resume(with: Swift.Result { try PostgresConnection(configuration) })
            }
        }
    }

    // MARK: - COPY FROM STDIN

    /// Runs `COPY … FROM STDIN` (`sql`), lets `produce` send the data, ends the copy, and returns
    /// the row count. If `produce` throws, the copy is aborted (the statement fails) and the
    /// error is rethrown. `timeout` bounds each wait on the server.
    @discardableResult
    public func copyIn(_ sql: String, timeout: Duration? = nil, _ produce: (PostgresCopyIn) throws -> Void) throws -> Int {
        try lock.withLock { _ throws(PostgresError) in
            let connection = try liveHandle(sql: sql)
            guard PQsendQuery(connection, sql) == 1 else { throw failureLocked(sql: sql) }
            let deadline = deadline(for: timeout)
            try flushLocked(deadline: deadline, sql: sql)
            switch try collectLocked(deadline: deadline, sql: sql) {
            case .copy(PGRES_COPY_IN): return
            case .copy, .done: throw PostgresError(.protocolViolation, "not a COPY FROM STDIN statement", endpoint: endpoint, sql: sql)
            }
        }
        let copy = PostgresCopyIn(connection: self, sql: sql, timeout: timeout)
        do {
            try produce(copy)
        } catch {
            _ = try? finishCopy(sql: sql, timeout: timeout, failure: "aborted by the producer: \(error)")
            throw error
        }
        return try finishCopy(sql: sql, timeout: timeout, failure: nil)
    }

    /// Sends COPY data (from `PostgresCopyIn`).
    func sendCopyData(_ bytes: UnsafeRawBufferPointer, sql: String, timeout: Duration?) throws(PostgresError) {
        guard !bytes.isEmpty else { return }
        try lock.withLock { _ throws(PostgresError) in
            let connection = try liveHandle(sql: sql)
            let deadline = deadline(for: timeout)
            while true {
                // Safety: libpq copies the bytes into its output buffer before returning 1.
                let status = PQputCopyData(connection, bytes.baseAddress!.assumingMemoryBound(to: CChar.self), Int32(bytes.count))
                if status == 1 { break }
                if status < 0 { throw failureLocked(sql: sql) }
                try waitLocked(read: false, write: true, deadline: deadline, sql: sql)
            }
            try flushLocked(deadline: deadline, sql: sql)
        }
    }

    private func finishCopy(sql: String, timeout: Duration?, failure: String?) throws(PostgresError) -> Int {
        try lock.withLock { _ throws(PostgresError) in
            let connection = try liveHandle(sql: sql)
            let deadline = deadline(for: timeout)
            while true {
                let status = PQputCopyEnd(connection, failure)
                if status == 1 { break }
                if status < 0 { throw failureLocked(sql: sql) }
                try waitLocked(read: false, write: true, deadline: deadline, sql: sql)
            }
            try flushLocked(deadline: deadline, sql: sql)
            switch try collectLocked(deadline: deadline, sql: sql) {
            case .done(let result): return result.affectedRowCount
            case .copy: throw unexpectedCopyLocked(sql: sql)
            }
        }
    }

    // MARK: - Replication streams (COPY BOTH)

    /// Sends a replication command that switches to COPY BOTH (`START_REPLICATION`).
    func startCopyBoth(_ sql: String, timeout: Duration?) throws(PostgresError) {
        try lock.withLock { _ throws(PostgresError) in
            let connection = try liveHandle(sql: sql)
            guard PQsendQuery(connection, sql) == 1 else { throw failureLocked(sql: sql) }
            let deadline = deadline(for: timeout)
            try flushLocked(deadline: deadline, sql: sql)
            switch try collectLocked(deadline: deadline, sql: sql) {
            case .copy(PGRES_COPY_BOTH): return
            case .copy, .done: throw PostgresError(.protocolViolation, "the server did not start streaming", endpoint: endpoint, sql: sql)
            }
        }
    }

    /// The next CopyData message of a COPY BOTH stream, or nil if none came before `deadline`.
    func receiveCopyData(deadline: ContinuousClock.Instant) throws(PostgresError) -> [UInt8]? {
        try lock.withLock { _ throws(PostgresError) -> [UInt8]? in
            let connection = try liveHandle(sql: nil)
            while true {
                var buffer: UnsafeMutablePointer<CChar>?
                let length = PQgetCopyData(connection, &buffer, 1)
                if length > 0, let buffer {
                    // Safety: libpq allocated `length` bytes at `buffer`; copied, then freed.
                    let bytes = Array(UnsafeRawBufferPointer(start: buffer, count: Int(length)))
                    PQfreemem(buffer)
                    return bytes
                }
                if length == -1 {
                    // The server ended the stream; its final result says why.
                    let outcome = try collectLocked(deadline: deadline, sql: nil)
                    if case .done = outcome {
                        abandonLocked("the server ended the replication stream")
                        throw PostgresError(.connectionLost, "the server ended the replication stream", endpoint: endpoint)
                    }
                    throw unexpectedCopyLocked(sql: nil)
                }
                if length == -2 { throw failureLocked(sql: nil) }
                // Nothing buffered: wait for the socket, then read what arrived.
                let socket = PQsocket(connection)
                let ready = try PostgresConnection.waitSocket(socket, read: true, write: false, deadline: deadline)
                if !ready.readable { return nil }
                guard PQconsumeInput(connection) == 1 else { throw failureLocked(sql: nil) }
            }
        }
    }

    /// Sends one CopyData message on a COPY BOTH stream and flushes it.
    func sendCopyBothData(_ bytes: [UInt8], deadline: ContinuousClock.Instant) throws(PostgresError) {
        try lock.withLock { _ throws(PostgresError) in
            let connection = try liveHandle(sql: nil)
            while true {
                let status = bytes.withUnsafeBytes { buffer in
                    // Safety: libpq copies the bytes before returning.
                    PQputCopyData(connection, buffer.baseAddress!.assumingMemoryBound(to: CChar.self), Int32(buffer.count))
                }
                if status == 1 { break }
                if status < 0 { throw failureLocked(sql: nil) }
                try waitLocked(read: false, write: true, deadline: deadline, sql: nil)
            }
            try flushLocked(deadline: deadline, sql: nil)
        }
    }

    // MARK: - Waiting (lock held)

    private enum Outcome {
        case done(PostgresResult)
        case copy(ExecStatusType)
    }

    private func deadline(for timeout: Duration?) -> ContinuousClock.Instant {
        if let timeout { return .now + timeout }
        let statement = configuration.statementTimeout
        if statement == .zero { return .now + .seconds(365 * 24 * 3600) }
        return .now + statement + configuration.unresponsiveGrace
    }

    private func liveHandle(sql: String?) throws(PostgresError) -> OpaquePointer {
        guard let handle else {
            throw PostgresError(.connectionLost, "the connection is closed (\(closedReason ?? "closed"))", endpoint: endpoint, sql: sql)
        }
        return handle
    }

    /// Writes libpq's output buffer out, reading input meanwhile (the server may be sending).
    private func flushLocked(deadline: ContinuousClock.Instant, sql: String?) throws(PostgresError) {
        let connection = try liveHandle(sql: sql)
        while true {
            let status = PQflush(connection)
            if status == 0 { return }
            if status < 0 { throw failureLocked(sql: sql) }
            let ready = try waitLocked(read: true, write: true, deadline: deadline, sql: sql)
            if ready.readable, PQconsumeInput(connection) != 1 { throw failureLocked(sql: sql) }
        }
    }

    /// Reads results until libpq has none left (or COPY begins); the first error wins.
    private func collectLocked(deadline: ContinuousClock.Instant, sql: String?) throws(PostgresError) -> Outcome {
        guard let connection = handle else { throw PostgresError(.connectionLost, "the connection is closed", endpoint: endpoint, sql: sql) }
        var last: PostgresResult?
        var firstError: PostgresError?
        while true {
            while PQisBusy(connection) == 1 {
                try waitLocked(read: true, write: false, deadline: deadline, sql: sql)
                guard PQconsumeInput(connection) == 1 else { throw failureLocked(sql: sql) }
            }
            guard let result = PQgetResult(connection) else { break }
            let status = PQresultStatus(result)
            switch status {
            case PGRES_COMMAND_OK, PGRES_TUPLES_OK, PGRES_EMPTY_QUERY:
                last = PostgresResult(handle: result)
            case PGRES_COPY_IN, PGRES_COPY_OUT, PGRES_COPY_BOTH:
                PQclear(result)
                if let firstError { throw firstError }
                return .copy(status)
            default:
                if firstError == nil { firstError = errorLocked(from: result, sql: sql) }
                PQclear(result)
            }
        }
        if let firstError {
            if PQstatus(connection) == CONNECTION_BAD { abandonLocked(firstError.message) }
            throw firstError
        }
        return .done(last ?? PostgresResult())
    }

    /// Waits for the socket; past the deadline the connection is closed and `.timeout` thrown.
    @discardableResult
    private func waitLocked(read: Bool, write: Bool, deadline: ContinuousClock.Instant, sql: String?) throws(PostgresError) -> (readable: Bool, writable: Bool) {
        guard let connection = handle else { throw PostgresError(.connectionLost, "the connection is closed", endpoint: endpoint, sql: sql) }
        let ready = try PostgresConnection.waitSocket(PQsocket(connection), read: read, write: write, deadline: deadline)
        if !ready.readable && !ready.writable {
            abandonLocked("no answer before the deadline")
            throw PostgresError(.timeout, "no answer from the server before the deadline; the connection was closed",
                                endpoint: endpoint, sql: sql)
        }
        return ready
    }

    /// poll(2) on `socket` until ready or `deadline`; (false, false) on timeout.
    static func waitSocket(_ socket: Int32, read: Bool, write: Bool, deadline: ContinuousClock.Instant) throws(PostgresError) -> (readable: Bool, writable: Bool) {
        guard socket >= 0 else { return (true, true) }  // libpq reports the failure on its next call
        var descriptor = pollfd(fd: socket, events: Int16((read ? POLLIN : 0) | (write ? POLLOUT : 0)), revents: 0)
        while true {
            let remaining = deadline - .now
            if remaining <= .zero { return (false, false) }
            let milliseconds = Int32(min(PostgresConfiguration.milliseconds(remaining) + 1, Int64(Int32.max)))
            let status = poll(&descriptor, 1, milliseconds)
            if status > 0 {
                // Errors and hang-ups count as readable: libpq's next read reports them.
                let failed = descriptor.revents & Int16(POLLERR | POLLHUP | POLLNVAL) != 0
                return (descriptor.revents & Int16(POLLIN) != 0 || failed, descriptor.revents & Int16(POLLOUT) != 0 || failed)
            }
            if status == 0 { continue }
            if errno != EINTR { return (true, true) }
        }
    }

    // MARK: - Errors (lock held)

    private func errorLocked(from result: OpaquePointer, sql: String?) -> PostgresError {
        func field(_ code: Character) -> String? {
            PQresultErrorField(result, Int32(code.asciiValue!)).map { String(cString: $0) }
        }
        let sqlState = field("C")
        let message = field("M") ?? PostgresConnection.cleanMessage(PQresultErrorMessage(result))
        let broken = handle.map { PQstatus($0) == CONNECTION_BAD } ?? true
        return PostgresError(sqlState == nil && broken ? .connectionLost : .server, message, endpoint: endpoint, sql: sql,
                             sqlState: sqlState, detail: field("D"), hint: field("H"), position: field("P").flatMap { Int($0) })
    }

    /// The connection's last error; closes it if libpq says it is broken.
    private func failureLocked(sql: String?) -> PostgresError {
        let message = handle.map { PostgresConnection.cleanMessage(PQerrorMessage($0)) } ?? "the connection is closed"
        let broken = handle.map { PQstatus($0) == CONNECTION_BAD } ?? true
        if broken { abandonLocked(message) }
        return PostgresError(broken ? .connectionLost : .server, message.isEmpty ? "the connection failed" : message,
                             endpoint: endpoint, sql: sql)
    }

    private func unexpectedCopyLocked(sql: String?) -> PostgresError {
        abandonLocked("unexpected COPY")
        return PostgresError(.protocolViolation, "the statement started a COPY this call does not handle; the connection was closed",
                             endpoint: endpoint, sql: sql)
    }

    private func abandonLocked(_ reason: String) {
        if let handle { PQfinish(handle) }
        handle = nil
        if closedReason == nil { closedReason = reason }
    }

    static func cleanMessage(_ pointer: UnsafeMutablePointer<CChar>?) -> String {
        guard let pointer else { return "" }
        return String(cString: pointer).trimmingTrailingNewlines
            .split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }.joined(separator: " ")
    }
}

/// The data side of a running `COPY … FROM STDIN`, handed to the producer of `copyIn`.
public final class PostgresCopyIn {
    let connection: PostgresConnection
    let sql: String
    let timeout: Duration?

    init(connection: PostgresConnection, sql: String, timeout: Duration?) {
        self.connection = connection
        self.sql = sql
        self.timeout = timeout
    }

    /// Sends raw COPY data (whole rows or not: the server reassembles).
    public func send(_ bytes: UnsafeRawBufferPointer) throws(PostgresError) {
        try connection.sendCopyData(bytes, sql: sql, timeout: timeout)
    }

    /// Sends the rows in `text` and empties it for reuse.
    public func send(_ text: inout PostgresCopyText) throws(PostgresError) {
        let outcome: Result<Void, PostgresError> = text.bytes.withUnsafeBytes { buffer in
            do throws(PostgresError) {
                try send(buffer)
                return .success(())
            } catch {
                return .failure(error)
            }
        }
        try outcome.get()
        text.removeAll()
    }
}
