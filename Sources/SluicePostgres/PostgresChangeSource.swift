// PostgresChangeSource: the CDC capture's reader. For a list of tables it backfills (from the
// slot's exported snapshot, chunked by primary key, resumable after the last committed key), then
// streams changes from a logical replication slot (pgoutput) as documents with `_meta`, with a
// boundary at the end of each backfill chunk and each source transaction. The caller commits the
// documents before a boundary together with the boundary's position, then calls `confirm` with
// its LSN: only then may the slot advance (docs/postgres.md, "Change source").

public import SluiceDocument
import Foundation

/// What the change source reads and where its slot and publication are.
public struct PostgresChangeSourceConfiguration: Sendable {
    public var connection: PostgresConfiguration
    public var tables: [PostgresTableName]
    /// Replication slot name ([a-z0-9_]).
    public var slot: String
    /// Publication name ([a-z0-9_]); created (or extended) to hold the tables.
    public var publication: String
    /// Rows per backfill query and per backfill boundary: large enough to amortize a round
    /// trip, small enough to keep a chunk's documents a few MiB (1…1,000,000).
    public var backfillChunkRows = 5_000

    public init(connection: PostgresConfiguration, tables: [PostgresTableName], slot: String = "sluice",
                publication: String = "sluice") {
        self.connection = connection
        self.tables = tables
        self.slot = slot
        self.publication = publication
    }
}

/// An item of the change stream.
public enum PostgresChangeEvent: Sendable {
    /// A row as a document (`_meta/op`, `_meta/source`, `_meta/before`); it belongs to the next
    /// boundary.
    case document(Document)
    /// The end of a unit to commit atomically with the documents since the previous boundary.
    case boundary(PostgresChangeBoundary)
}

/// The end of a backfill chunk, of a source transaction, or a heartbeat (no documents; lets the
/// slot advance past WAL that carried no captured changes).
public struct PostgresChangeBoundary: Sendable {
    public enum Kind: Sendable, Equatable {
        case backfillChunk(PostgresTableName)
        case transaction(xid: UInt32, commitLSN: PostgresLSN)
        case heartbeat
    }

    public var kind: Kind
    /// Commit this with the documents; hand it back to `PostgresChangeSource` to resume.
    public var position: PostgresCapturePosition
    /// After committing, pass this to `confirm` (nil during the backfill).
    public var confirmLSN: PostgresLSN?
}

/// Reads documents from PostgreSQL tables: backfill, then changes. One consumer at a time.
public final class PostgresChangeSource: @unchecked Sendable {
    // Safety: used by one consumer at a time (like an iterator); no state is shared.
    public let configuration: PostgresChangeSourceConfiguration
    /// The captured tables, checked (primary key or REPLICA IDENTITY FULL).
    public private(set) var tables: [PostgresTableName: PostgresCaptureTable] = [:]
    /// The position after the last event returned.
    public private(set) var position: PostgresCapturePosition

    private let metadata: PostgresConnection
    private let stream: PostgresReplicationStream
    private var registry = PostgresTypeRegistry()
    private var decoder = PostgresTextDecoder()
    private var builder = DocumentBuilder()
    private var pending: [PostgresChangeEvent] = []
    private var pendingIndex = 0

    // Backfill state.
    private var backfill: PostgresConnection?
    private var backfillCursorOpen = false
    // Streaming state.
    private var isStreaming = false
    /// Transactions whose commit LSN is below this were committed before the restart.
    private let resumeFloor: PostgresLSN
    private var relations: [UInt32: PgOutputRelation] = [:]
    private var transaction: (xid: UInt32, commitMicroseconds: Int64, skip: Bool)?

    /// Opens the source. Without a `position` it starts over: makes sure the publication holds
    /// the tables, (re)creates the slot with an exported snapshot, and backfills from that
    /// snapshot. With one, it checks the slot still exists, finishes any backfill (from a fresh
    /// snapshot), and streams from `position.lsn`.
    public init(_ configuration: PostgresChangeSourceConfiguration, resumingFrom resume: PostgresCapturePosition?) throws(PostgresError) {
        precondition(PostgresReplicationStream.isValidName(configuration.slot), "slot names are [a-z0-9_]{1,63}")
        precondition(PostgresReplicationStream.isValidName(configuration.publication), "publication names are [a-z0-9_]{1,63}")
        precondition((1...1_000_000).contains(configuration.backfillChunkRows), "backfillChunkRows is 1…1,000,000")
        precondition(!configuration.tables.isEmpty, "a change source needs at least one table")
        self.configuration = configuration
        metadata = try PostgresConnection(configuration.connection)
        for name in configuration.tables {
            tables[name] = try PostgresCaptureTable.load(name, on: metadata)
        }
        try registry.resolve(tables.values.flatMap { $0.columns.map(\.typeOID) }, on: metadata)
        try PostgresChangeSource.ensurePublication(configuration.publication, tables: configuration.tables.sorted(), on: metadata)
        stream = try PostgresReplicationStream(configuration.connection)

        let slotLSN = try metadata.query("SELECT confirmed_flush_lsn FROM pg_catalog.pg_replication_slots WHERE slot_name = $1",
                                         [.text(configuration.slot)])
        if var resume {
            guard slotLSN.rowCount == 1 else {
                throw PostgresError(.data, "replication slot \(configuration.slot) is gone: its changes cannot be resumed; "
                                    + "start the capture over (from no position) to backfill again", endpoint: metadata.endpoint)
            }
            // Tables no longer listed are forgotten; newly listed ones are backfilled.
            let listed = Set(configuration.tables.map(\.description))
            resume.tables = resume.tables.filter { listed.contains($0.key) }
            for name in configuration.tables where resume.tables[name.description] == nil {
                resume.tables[name.description] = .init()
            }
            position = resume
            resumeFloor = resume.lsn
            if !resume.isBackfillComplete {
                // The exported snapshot died with the old run: a fresh one reads the rest. The
                // stream replays every change since `lsn`, so the reduced result converges.
                let connection = try PostgresConnection(configuration.connection)
                try connection.simpleQuery("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
                backfill = connection
            }
        } else {
            if slotLSN.rowCount == 1 {
                // Nothing was committed from the old slot (no position): start it over.
                try metadata.query("SELECT pg_catalog.pg_drop_replication_slot($1)", [.text(configuration.slot)])
            }
            let slot = try stream.createSlot(configuration.slot, exportSnapshot: true)
            let connection = try PostgresConnection(configuration.connection)
            try connection.simpleQuery("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
            if let snapshot = slot.snapshotName {
                try connection.query("SET TRANSACTION SNAPSHOT '\(snapshot.replacingOccurrences(of: "'", with: "''"))'")
            }
            backfill = connection
            position = PostgresCapturePosition(
                lsn: slot.consistentPoint,
                tables: Dictionary(uniqueKeysWithValues: configuration.tables.map { ($0.description, .init()) }))
            resumeFloor = slot.consistentPoint
        }
        if backfill == nil { try startStreaming() }
    }

    /// Creates the publication for `tables`, or adds the ones it lacks (before the slot exists,
    /// so the slot's first change already sees it).
    static func ensurePublication(_ name: String, tables: [PostgresTableName], on connection: PostgresConnection) throws(PostgresError) {
        let found = try connection.query("SELECT puballtables FROM pg_catalog.pg_publication WHERE pubname = $1", [.text(name)])
        let list = tables.map(\.quoted).joined(separator: ", ")
        if found.rowCount == 0 {
            try connection.execute("CREATE PUBLICATION \(name) FOR TABLE \(list) WITH (publish = 'insert, update, delete')")
            return
        }
        if (try? found.rows[0][0].bool()) == true { return }
        let published = try connection.query("SELECT schemaname, tablename FROM pg_catalog.pg_publication_tables WHERE pubname = $1",
                                             [.text(name)])
        let present = Set(published.rows.map { PostgresTableName(schema: $0[0].string ?? "", table: $0[1].string ?? "") })
        let missing = tables.filter { !present.contains($0) }
        if !missing.isEmpty {
            try connection.execute("ALTER PUBLICATION \(name) ADD TABLE \(missing.map(\.quoted).joined(separator: ", "))")
        }
    }

    /// The next event, or nil if nothing arrived within `timeout` (streaming only; the backfill
    /// always has a next event until it is done).
    public func next(timeout: Duration) throws(PostgresError) -> PostgresChangeEvent? {
        if pendingIndex < pending.count {
            defer { pendingIndex += 1 }
            return pending[pendingIndex]
        }
        pending.removeAll(keepingCapacity: true)
        pendingIndex = 0
        if backfill != nil {
            try backfillChunk()
        } else {
            try readStream(timeout: timeout)
        }
        guard pendingIndex < pending.count else { return nil }
        defer { pendingIndex += 1 }
        return pending[pendingIndex]
    }

    /// Confirms that everything through `lsn` (a boundary's `confirmLSN`) is committed: the slot
    /// may advance to it.
    public func confirm(_ lsn: PostgresLSN) throws(PostgresError) {
        precondition(lsn <= position.lsn, "confirm(\(lsn)) beyond the last boundary delivered (\(position.lsn))")
        try stream.confirm(lsn)
    }

    /// Closes every connection without confirming anything more.
    public func close() {
        backfill?.close()
        stream.close()
        metadata.close()
    }

    deinit { close() }

    // MARK: - Backfill

    private func backfillChunk() throws(PostgresError) {
        guard let connection = backfill else { return }
        guard let name = configuration.tables.first(where: { position.tables[$0.description]?.complete != true }) else {
            try finishBackfill()
            return
        }
        let table = tables[name]!
        var progress = position.tables[name.description] ?? .init()
        let limit = configuration.backfillChunkRows
        let columns = table.columns.map { PostgresIdentifier.quote($0.name) }.joined(separator: ", ")
        let result: PostgresResult
        if table.primaryKey.isEmpty {
            // No key to order by: a cursor over the snapshot (a restart reads the table again).
            if !backfillCursorOpen {
                try connection.simpleQuery("DECLARE sluice_backfill NO SCROLL CURSOR FOR SELECT \(columns) FROM \(name.quoted)")
                backfillCursorOpen = true
            }
            result = try connection.simpleQuery("FETCH \(limit) FROM sluice_backfill")
        } else {
            let keys = table.primaryKey.map { PostgresIdentifier.quote($0) }
            var sql = "SELECT \(columns) FROM \(name.quoted)"
            var parameters: [PostgresValue] = []
            if let after = progress.resumeAfter, after.count == keys.count {
                let types = table.primaryKey.map { key in table.columns.first { $0.name == key }?.typeName ?? "text" }
                let placeholders = types.enumerated().map { "$\($0.offset + 1)::\($0.element)" }
                sql += " WHERE (\(keys.joined(separator: ", "))) > (\(placeholders.joined(separator: ", ")))"
                parameters = after.map { .text($0) }
            }
            sql += " ORDER BY \(keys.joined(separator: ", ")) LIMIT \(limit)"
            result = try connection.query(sql, parameters)
        }
        for row in result.rows {
            builder.reset()
            builder.beginObject()
            for (index, column) in table.columns.enumerated() {
                builder.property(column.name)
                do {
                    try row[index].append(to: &builder, decoder: &decoder, mapping: registry.mapping(column.typeOID))
                } catch {
                    throw PostgresError(.data, "\(name): \(error.description)", endpoint: connection.endpoint)
                }
            }
            try appendMeta(op: "c", table: name, lsn: nil, before: nil)
            builder.endObject()
            pending.append(.document(try finishDocument(name)))
        }
        if result.rowCount < limit {
            progress = .init(complete: true, resumeAfter: nil)
            if backfillCursorOpen {
                try connection.simpleQuery("CLOSE sluice_backfill")
                backfillCursorOpen = false
            }
        } else if !table.primaryKey.isEmpty, let last = result.rows.last {
            progress.resumeAfter = table.primaryKey.map { key in last[key].string ?? "" }
        }
        position.tables[name.description] = progress
        pending.append(.boundary(PostgresChangeBoundary(kind: .backfillChunk(name), position: position, confirmLSN: nil)))
        if position.isBackfillComplete { try finishBackfill() }
    }

    private func finishBackfill() throws(PostgresError) {
        if let backfill {
            try backfill.simpleQuery("COMMIT")
            backfill.close()
        }
        backfill = nil
        try startStreaming()
    }

    private func startStreaming() throws(PostgresError) {
        guard !isStreaming else { return }
        try stream.start(slot: configuration.slot, publication: configuration.publication, from: position.lsn)
        isStreaming = true
    }

    // MARK: - Streaming

    private func readStream(timeout: Duration) throws(PostgresError) {
        let deadline = ContinuousClock.now + timeout
        while pending.isEmpty {
            let remaining = deadline - .now
            guard remaining > .zero, let message = try stream.next(timeout: remaining) else { return }
            switch message {
            case .keepalive(let serverEnd):
                // Between transactions, everything before `serverEnd` has been sent: a
                // heartbeat lets the caller move the slot past WAL with nothing captured.
                if transaction == nil, serverEnd > position.lsn {
                    position.lsn = serverEnd
                    pending.append(.boundary(PostgresChangeBoundary(kind: .heartbeat, position: position, confirmLSN: serverEnd)))
                }
            case .data(let start, _, let payload):
                try handle(payload, at: start)
            }
        }
    }

    private func handle(_ payload: [UInt8], at lsn: PostgresLSN) throws(PostgresError) {
        let message: PgOutputMessage
        do {
            message = try PgOutputMessage.decode(payload)
        } catch {
            throw PostgresError(.protocolViolation, "\(error.description) at \(lsn)", endpoint: metadata.endpoint)
        }
        switch message {
        case .begin(let finalLSN, let commitMicroseconds, let xid):
            transaction = (xid, commitMicroseconds, finalLSN < resumeFloor)
        case .commit(let commitLSN, let endLSN, _):
            guard let current = transaction else {
                throw PostgresError(.protocolViolation, "commit without begin at \(lsn)", endpoint: metadata.endpoint)
            }
            transaction = nil
            if current.skip { return }
            position.lsn = max(position.lsn, endLSN)
            pending.append(.boundary(PostgresChangeBoundary(kind: .transaction(xid: current.xid, commitLSN: commitLSN),
                                                            position: position, confirmLSN: endLSN)))
        case .relation(let relation):
            relations[relation.id] = relation
            let unknown = relation.columns.map(\.typeOID).filter { !registry.knows($0) }
            if !unknown.isEmpty { try registry.resolve(unknown, on: metadata) }
        case .insert(let id, let new):
            guard let (relation, table) = try captured(id, lsn: lsn) else { return }
            try emitRow(relation, table, values: new, fallback: nil, payload: payload, op: "c", lsn: lsn, before: nil)
        case .update(let id, let oldKind, let old, let new):
            guard let (relation, table) = try captured(id, lsn: lsn) else { return }
            let before = oldKind == UInt8(ascii: "O") ? old : nil
            if oldKind != 0, !sameKey(relation, table, old, new, payload) {
                // The key changed: the old key's document goes away, the new one is created.
                try emitDeletion(relation, table, old: old, full: before != nil, payload: payload, lsn: lsn)
                try emitRow(relation, table, values: new, fallback: before, payload: payload, op: "c", lsn: lsn, before: nil)
            } else {
                try emitRow(relation, table, values: new, fallback: before, payload: payload, op: "u", lsn: lsn, before: before)
            }
        case .delete(let id, let oldKind, let old):
            guard let (relation, table) = try captured(id, lsn: lsn) else { return }
            try emitDeletion(relation, table, old: old, full: oldKind == UInt8(ascii: "O"), payload: payload, lsn: lsn)
        case .other:
            break
        }
    }

    /// The relation and captured table of a change, or nil for tables this source does not
    /// capture (a shared publication) and for transactions already committed before a restart.
    private func captured(_ id: UInt32, lsn: PostgresLSN) throws(PostgresError) -> (PgOutputRelation, PostgresCaptureTable)? {
        guard let relation = relations[id] else {
            throw PostgresError(.protocolViolation, "change for relation \(id) before its description at \(lsn)", endpoint: metadata.endpoint)
        }
        if transaction?.skip ?? false { return nil }
        guard let table = tables[PostgresTableName(schema: relation.schema, table: relation.name)] else { return nil }
        return (relation, table)
    }

    private func sameKey(_ relation: PgOutputRelation, _ table: PostgresCaptureTable, _ old: [PgOutputValue],
                         _ new: [PgOutputValue], _ payload: [UInt8]) -> Bool {
        for key in table.keyColumns {
            guard let index = relation.columns.firstIndex(where: { $0.name == key }), index < old.count, index < new.count else { continue }
            switch (old[index], new[index]) {
            case (.text(let left), .text(let right)):
                if payload[left] != payload[right] { return false }
            case (.null, .null), (.unchanged, _), (_, .unchanged):
                continue
            default:
                return false
            }
        }
        return true
    }

    private func emitRow(_ relation: PgOutputRelation, _ table: PostgresCaptureTable, values: [PgOutputValue],
                         fallback: [PgOutputValue]?, payload: [UInt8], op: String, lsn: PostgresLSN,
                         before: [PgOutputValue]?) throws(PostgresError) {
        builder.reset()  // after an earlier failure it may hold a partial document
        builder.beginObject()
        for (index, column) in relation.columns.enumerated() where index < values.count {
            var value = values[index]
            if value == .unchanged, let fallback, index < fallback.count { value = fallback[index] }
            // An unchanged TOASTed value without a full old row is unknown: left out.
            if value == .unchanged { continue }
            builder.property(column.name)
            try appendValue(value, column, payload: payload, table: table.name)
        }
        try appendMeta(op: op, table: table.name, lsn: lsn, before: before.map { ($0, relation, payload) })
        builder.endObject()
        pending.append(.document(try finishDocument(table.name)))
    }

    private func emitDeletion(_ relation: PgOutputRelation, _ table: PostgresCaptureTable, old: [PgOutputValue], full: Bool,
                              payload: [UInt8], lsn: PostgresLSN) throws(PostgresError) {
        builder.reset()
        builder.beginObject()
        for key in table.keyColumns {
            guard let index = relation.columns.firstIndex(where: { $0.name == key }), index < old.count else { continue }
            builder.property(key)
            try appendValue(old[index], relation.columns[index], payload: payload, table: table.name)
        }
        try appendMeta(op: "d", table: table.name, lsn: lsn, before: full ? (old, relation, payload) : nil)
        builder.endObject()
        pending.append(.document(try finishDocument(table.name)))
    }

    private func appendValue(_ value: PgOutputValue, _ column: PgOutputRelation.Column, payload: [UInt8],
                             table: PostgresTableName) throws(PostgresError) {
        switch value {
        case .null, .unchanged:
            builder.null()
        case .text(let range):
            let mapping = registry.mapping(column.typeOID)
            let outcome: Result<Void, PostgresDecodingError> = payload.withUnsafeBytes { buffer in
                do throws(PostgresDecodingError) {
                    // Safety: `range` lies inside the payload (checked when decoded).
                    try decoder.append(UnsafeRawBufferPointer(rebasing: buffer[range]), as: mapping, to: &builder)
                    return .success(())
                } catch {
                    return .failure(error)
                }
            }
            if case .failure(let error) = outcome {
                throw PostgresError(.data, "\(table).\(column.name): \(error.description)", endpoint: metadata.endpoint)
            }
        }
    }

    /// `_meta: {op, source: {schema, table, lsn?, txid?, ts_ms?, snapshot?}, before?}`.
    private func appendMeta(op: String, table: PostgresTableName, lsn: PostgresLSN?,
                            before: ([PgOutputValue], PgOutputRelation, [UInt8])?) throws(PostgresError) {
        builder.property("_meta")
        builder.beginObject()
        builder.property("op")
        builder.string(op)
        builder.property("source")
        builder.beginObject()
        builder.property("schema")
        builder.string(table.schema)
        builder.property("table")
        builder.string(table.table)
        if let lsn, let transaction {
            builder.property("lsn")
            builder.string(lsn.description)
            builder.property("txid")
            builder.int(Int64(transaction.xid))
            builder.property("ts_ms")
            builder.int((transaction.commitMicroseconds + PgOutputMessage.postgresEpochMicroseconds) / 1000)
        } else {
            builder.property("snapshot")
            builder.bool(true)
        }
        builder.endObject()
        if let (values, relation, payload) = before {
            builder.property("before")
            builder.beginObject()
            for (index, column) in relation.columns.enumerated() where index < values.count && values[index] != .unchanged {
                builder.property(column.name)
                try appendValue(values[index], column, payload: payload, table: PostgresTableName(schema: relation.schema, table: relation.name))
            }
            builder.endObject()
        }
        builder.endObject()
    }

    private func finishDocument(_ table: PostgresTableName) throws(PostgresError) -> Document {
        do {
            return try builder.finish()
        } catch {
            throw PostgresError(.data, "\(table): \(error)", endpoint: metadata.endpoint)
        }
    }
}
