// PostgresCDCCapture: the `postgres-cdc` capture connector (docs/captures.md). It drives
// SluicePostgres's `PostgresChangeSource` (docs/postgres.md): a backfill of the bound tables
// (snapshot, chunked by primary key), then changes from a logical replication slot (pgoutput).
// Documents carry `_meta/op` (c, u, d), `_meta/source` (schema, table, lsn, txid, ts_ms) and
// the row. The source's boundaries (backfill chunks, source transactions) become checkpoints;
// consecutive boundaries are coalesced while more changes are already waiting, and the slot is
// confirmed only in `committed(state:)`, after the documents and the position are durable.
//
// The change source is synchronous and blocks on its sockets: every call to it runs on the
// session's own serial dispatch queue, never on the cooperative pool.
import Dispatch
import Foundation
import Logging
public import SluiceCatalog
public import SluiceDocument
import SluicePostgres
public import SluiceTask

/// The `postgres-cdc` capture connector.
public struct PostgresCDCCapture: CaptureConnector {
    public init() {}

    public func open(endpoint: CaptureEndpoint, bindings: [CaptureBindingSpec], state: JSONValue?,
                     context: TaskContext) async throws -> any CaptureSession {
        let task = context.taskName
        guard case .postgresCDC(let settings) = endpoint else {
            throw TaskError.configuration(task: task, message: "the postgres-cdc connector cannot run a \(endpoint.connectorName) endpoint")
        }
        var tables: [PostgresTableName] = []
        var bindingOfTable: [PostgresTableName: Int] = [:]
        for (position, binding) in bindings.enumerated() {
            guard case .postgresCDC(let table) = binding.resource else {
                throw TaskError.configuration(task: task, message: "bindings[\(binding.index)]: not a postgres-cdc resource")
            }
            let name = PostgresTableName(parsing: table)
            guard bindingOfTable[name] == nil else {
                throw TaskError.configuration(task: task, message: "bindings[\(binding.index)].resource.table: \(name) is bound twice")
            }
            bindingOfTable[name] = position
            tables.append(name)
        }
        guard !tables.isEmpty else { throw TaskError.configuration(task: task, message: "the capture has no enabled bindings") }

        var configuration: PostgresChangeSourceConfiguration
        do {
            configuration = PostgresChangeSourceConfiguration(connection: try PostgresConfiguration(dsn: settings.dsn.value),
                                                              tables: tables)
        } catch {
            throw TaskError.configuration(task: task, message: "dsn: \(error.description)")
        }
        // Slots are the cluster's, publications the database's: the default name is the
        // capture's in this database.
        let database = String(configuration.connection.endpoint.split(separator: "/").last ?? "")
        configuration.slot = settings.slot ?? PostgresCDCCapture.defaultName(task: task, database: database)
        configuration.publication = settings.publication ?? configuration.slot
        for (field, name) in [("slot", configuration.slot), ("publication", configuration.publication)]
        where !PostgresReplicationStream.isValidName(name) {
            throw TaskError.configuration(task: task, message: "\(field) \"\(name)\" is not a PostgreSQL name Sluice uses ([a-z0-9_], 1–63 characters)")
        }
        if let rows = settings.backfillChunkRows { configuration.backfillChunkRows = rows }

        let checkpoint = try PostgresCDCCheckpoint(state, task: task)
        var resume = checkpoint.position
        // A binding whose backfill counter changed is captured again from a fresh snapshot:
        // forgetting its progress makes the change source treat it as newly listed.
        var counters: [String: Int] = [:]
        for (position, binding) in bindings.enumerated() {
            let table = tables[position].description
            counters[table] = binding.backfill
            if resume != nil, (checkpoint.backfill[table] ?? 0) != binding.backfill {
                resume?.tables[table] = nil
                context.logger.info("backfilling a table again (its backfill counter changed)",
                                    metadata: ["table": "\(table)", "backfill": "\(binding.backfill)"])
            }
        }
        let queue = DispatchQueue(label: "sluice.postgres-cdc.\(task)")
        let (sourceConfiguration, resumePosition) = (configuration, resume)
        let opened = try await PostgresCDCSession.onQueue(queue, task: task) { () throws(PostgresError) -> PostgresCDCOpening in
            let source = try PostgresChangeSource(sourceConfiguration, resumingFrom: resumePosition)
            // Where the server's WAL is now: the capture is caught up once its stream reached it.
            let probe = try PostgresConnection(sourceConfiguration.connection)
            defer { probe.close() }
            let insert = try probe.query("SELECT pg_catalog.pg_current_wal_insert_lsn()::text")
            let target = insert.rows.first?[0].string.flatMap { PostgresLSN($0) } ?? .zero
            return PostgresCDCOpening(source: source, caughtUpTarget: target)
        }
        for (position, binding) in bindings.enumerated() {
            guard let table = opened.source.tables[tables[position]] else { continue }
            PostgresCDCCapture.warnAboutKey(binding, table: table, logger: context.logger)
        }
        context.logger.info("postgres-cdc capture opened", metadata: [
            "slot": "\(configuration.slot)", "publication": "\(configuration.publication)",
            "position": "\(opened.source.position.lsn)", "backfill_complete": "\(opened.source.position.isBackfillComplete)",
            "resumed": "\(resume != nil)",
        ])
        return PostgresCDCSession(source: opened.source, queue: queue, bindingOfTable: bindingOfTable, backfillCounters: counters,
                                  caughtUpTarget: opened.caughtUpTarget, context: context)
    }

    /// The slot (and publication) of a capture without one configured: `sluice_` and the task
    /// name in `[a-z0-9_]`, then a hash of the exact name and the database, so each capture of
    /// each database has its own slot (slots are shared by the whole cluster).
    public static func defaultName(task: String, database: String) -> String {
        var hash: UInt32 = 2_166_136_261  // FNV-1a, 32 bits
        for byte in task.utf8 + [0] + database.utf8 {
            hash ^= UInt32(byte)
            hash = hash &* 16_777_619
        }
        var readable = ""
        for character in task.lowercased().unicodeScalars {
            let allowed = (character >= "a" && character <= "z") || (character >= "0" && character <= "9")
            readable.append(allowed ? Character(character) : "_")
        }
        let suffix = "_" + String(hash, radix: 16).leftPadded(to: 8)
        return "sluice_" + String(readable.prefix(63 - 7 - suffix.count)) + suffix
    }

    /// A collection keyed on other locations than the table's key cannot take deletions (they
    /// carry only the key columns): warned, not refused (the key is the collection's to choose).
    static func warnAboutKey(_ binding: CaptureBindingSpec, table: PostgresCaptureTable, logger: Logger) {
        let collectionKey = binding.collection.key.pointers.map(\.description)
        let tableKey = table.keyColumns.map { JSONPointer(names: [$0]).description }
        if collectionKey != tableKey {
            logger.warning("the collection's key is not the table's key: deletions, which carry only the table's key, may not reduce as intended",
                           metadata: ["table": "\(table.name)", "collection": "\(binding.collection.name)",
                                      "collection_key": "\(collectionKey)", "table_key": "\(tableKey)"])
        }
    }
}

extension PostgresError {
    /// Configuration and data errors (a bad DSN, a table that cannot be captured, a slot that
    /// is gone) and some server errors cannot be retried away; the rest (connections,
    /// timeouts, a slot still held by a consumer that just died) can.
    func taskError(task: String) -> TaskError {
        switch kind {
        case .configuration, .data:
            return .configuration(task: task, message: description)
        case .server where sqlState == "55000" || sqlState?.hasPrefix("42") == true:
            // Object not in prerequisite state (wal_level is not logical, a slot of another
            // database), or a missing object or privilege: retrying cannot help.
            return .configuration(task: task, message: description)
        default:
            return .connector(task: task, message: description)
        }
    }
}

/// What opening a change source yields (made on the session's queue).
struct PostgresCDCOpening: @unchecked Sendable {
    // Safety: handed once from the queue that made it to the session, which then uses the
    // source only on that queue.
    let source: PostgresChangeSource
    let caughtUpTarget: PostgresLSN
}

/// The checkpoint of a postgres-cdc capture: `{"position": {lsn, tables}, "backfill": {table: counter}}`.
struct PostgresCDCCheckpoint {
    var position: PostgresCapturePosition?
    var backfill: [String: Int] = [:]

    init(_ state: JSONValue?, task: String) throws(TaskError) {
        guard let state, case .object = state else { return }
        do {
            if let position = state["position"] {
                self.position = try JSONDecoder().decode(PostgresCapturePosition.self, from: Data(position.description.utf8))
            }
            if let counters = state["backfill"] {
                backfill = try JSONDecoder().decode([String: Int].self, from: Data(counters.description.utf8))
            }
        } catch {
            throw TaskError.configuration(task: task, message: "the committed postgres-cdc checkpoint cannot be read: \(error)")
        }
    }

    static func state(_ position: PostgresCapturePosition, backfill: [String: Int]) -> JSONValue {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        // Safety of the force-unwraps: these types always encode to valid JSON.
        let positionJSON = try! JSONValue(parsing: String(decoding: try! encoder.encode(position), as: UTF8.self))
        let counters = JSONObject(backfill.map { ($0.key, JSONValue.int(Int64($0.value))) })
        return ["position": positionJSON, "backfill": .object(counters)]
    }
}

extension String {
    fileprivate func leftPadded(to count: Int) -> String {
        self.count >= count ? self : String(repeating: "0", count: count - self.count) + self
    }
}
