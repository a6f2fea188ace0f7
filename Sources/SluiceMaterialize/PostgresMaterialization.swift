// PostgresMaterialization: `postgres: {dsn, schema?}`. Each binding is a PostgresTable (the key
// as primary key, projected fields as typed columns, the document as jsonb); a store COPYs each
// binding's rows into a temporary stage table and applies them with one MERGE, inside the same
// transaction that updates the fenced checkpoint row (PostgresCheckpointStore). Loads COPY the
// keys into a temporary key table and join it with the target.
public import SluiceCatalog
import SluiceDocument
import SluicePostgres
public import SluiceTask

/// The `postgres` materialization connector.
public struct PostgresMaterialization: MaterializationConnector {
    public init() {}

    /// The PostgreSQL type of a field.
    static func columnType(_ type: MaterializedFieldType) -> PostgresColumnType {
        switch type {
        case .string: return .text
        case .integer: return .bigint
        case .number: return .doublePrecision
        case .boolean: return .boolean
        case .json: return .jsonb
        }
    }

    /// The target table of a binding (schema: the resource's, else the endpoint's).
    static func table(_ binding: MaterializationBindingSpec, defaultSchema: String, task: String) throws -> PostgresTable {
        guard case .table(let name, let schema, let delta) = binding.resource else {
            throw TaskError.configuration(task: task, message: "binding \(binding.index): expected a {table} resource")
        }
        let plan = try FieldPlan(binding: binding, task: task)
        let columns = plan.fields.map {
            PostgresColumn($0.name, columnType($0.type), location: $0.pointer, isKey: $0.isKey)
        }
        return PostgresTable(name: PostgresTableName(schema: schema ?? defaultSchema, table: name), columns: columns,
                             documentColumn: FieldPlan.documentField, deltaUpdates: delta)
    }

    public func open(endpoint: MaterializationEndpoint, bindings: [MaterializationBindingSpec],
                     context: TaskContext) async throws -> any MaterializationSession {
        let task = context.taskName
        guard case .postgres(let dsn, let schema) = endpoint else {
            throw TaskError.configuration(task: task, message: "the postgres connector needs a postgres endpoint")
        }
        var tables: [Int: PostgresTable] = [:]
        for binding in bindings { tables[binding.index] = try Self.table(binding, defaultSchema: schema, task: task) }
        let configuration: PostgresConfiguration
        do {
            configuration = try PostgresConfiguration(dsn: dsn.value)
        } catch {
            throw TaskError.configuration(task: task, message: "\(error)")
        }
        let connection: PostgresConnection
        do {
            connection = try await PostgresConnection.connect(configuration)
        } catch {
            throw TaskError.connector(task: task, message: "\(error)")
        }
        let checkpoints = PostgresCheckpointStore(schema: schema)
        let metadata = PostgresTableName(schema: schema, table: "sluice_bindings").quoted
        let (specs, planned) = (bindings, tables)
        do {
            let fence = try await connection.perform { connection in
                try connection.transaction { connection in
                    try connection.execute("""
                        CREATE TABLE IF NOT EXISTS \(metadata) (
                          materialization text NOT NULL, target text NOT NULL, backfill bigint NOT NULL,
                          PRIMARY KEY (materialization, target))
                        """)
                    for binding in specs {
                        guard let table = planned[binding.index] else { continue }
                        let recorded = try connection.query("SELECT backfill FROM \(metadata) WHERE materialization = $1 AND target = $2",
                                                            [.text(task), .text(table.name.description)])
                        let builtFor = recorded.rowCount > 0 ? try recorded.rows[0][0].int64() ?? 0 : 0
                        if builtFor != Int64(binding.backfill) {
                            context.logger.notice("backfill: rebuilding the table", metadata: [
                                "table": "\(table.name)", "backfill": "\(builtFor) → \(binding.backfill)",
                            ])
                            try connection.execute("DROP TABLE IF EXISTS \(table.name.quoted)")
                        }
                        let added = try table.createOrMigrate(on: connection)
                        if !added.isEmpty {
                            context.logger.notice("columns added", metadata: ["table": "\(table.name)", "columns": "\(added)"])
                        }
                        try connection.execute("""
                            INSERT INTO \(metadata) (materialization, target, backfill) VALUES ($1, $2, $3)
                            ON CONFLICT (materialization, target) DO UPDATE SET backfill = excluded.backfill
                            """, [.text(task), .text(table.name.description), .int(Int64(binding.backfill))])
                    }
                }
                return try checkpoints.open(materialization: task, on: connection)
            }
            return PostgresMaterializationSession(connection: connection, tables: tables, fence: fence, checkpoints: checkpoints,
                                                  context: context)
        } catch {
            connection.close()
            throw Self.failure(error, task: task, doing: "opening the materialization")
        }
    }

    /// Maps an error to the runtime's: a lost fence stops the task, data and schema problems
    /// cannot be fixed by retrying, everything else (connections, timeouts) is retried.
    static func failure(_ error: any Error, task: String, doing: String) -> TaskError {
        if let error = error as? TaskError { return error }
        guard let error = error as? PostgresError else { return .connector(task: task, message: "postgres: \(doing): \(error)") }
        switch error.kind {
        case .fenced: return .fencedOff(task: task, detail: error.description)
        case .data: return .configuration(task: task, message: "\(doing): \(error)")
        default: return .connector(task: task, message: "\(doing): \(error)")
        }
    }
}

/// An open PostgreSQL materialization: one connection and this instance's fence.
///
/// Unchecked Sendable: immutable after init; the connection serializes its own calls (and the
/// runtime makes one call at a time).
final class PostgresMaterializationSession: MaterializationSession, @unchecked Sendable {
    let connection: PostgresConnection
    let tables: [Int: PostgresTable]
    let fence: PostgresFence
    let checkpoints: PostgresCheckpointStore
    let context: TaskContext

    init(connection: PostgresConnection, tables: [Int: PostgresTable], fence: PostgresFence, checkpoints: PostgresCheckpointStore,
         context: TaskContext) {
        self.connection = connection
        self.tables = tables
        self.fence = fence
        self.checkpoints = checkpoints
        self.context = context
    }

    var checkpoint: [UInt8]? { fence.checkpoint }

    func load(binding: Int, keys: [LoadKey]) async throws -> [Document] {
        guard let table = tables[binding], !keys.isEmpty else { return [] }
        // The key table reads each key column at its position in an array of the key's values.
        var keyTable = table
        var position = 0
        for index in keyTable.columns.indices where keyTable.columns[index].isKey {
            keyTable.columns[index].location = JSONPointer(names: [String(position)])
            position += 1
        }
        let loader = keyTable
        let task = context.taskName
        do {
            return try await connection.perform { connection in
                let documents = try keys.map { try Document(JSONValue.array($0.values)) }
                var loaded: [Document] = []
                loaded.reserveCapacity(keys.count)
                try loader.load(keysOf: documents, on: connection) { loaded.append($0) }
                return loaded
            }
        } catch {
            throw PostgresMaterialization.failure(error, task: task, doing: "loading \(keys.count) keys of \(table.name)")
        }
    }

    func store(_ entries: [Int: [StoreEntry]], checkpoint: [UInt8]) async throws {
        let (tables, fence, checkpoints, task) = (self.tables, self.fence, self.checkpoints, context.taskName)
        do {
            try await connection.perform { connection in
                try connection.transaction { connection in
                    // The fence first: it fails fast and takes the row lock early.
                    try checkpoints.commit(checkpoint, fence: fence, on: connection)
                    for (binding, rows) in entries.sorted(by: { $0.key < $1.key }) {
                        guard let table = tables[binding], !rows.isEmpty else { continue }
                        try table.store(rows.lazy.map { $0.isDeleted ? .delete($0.document) : .upsert($0.document) }, on: connection)
                    }
                }
            }
        } catch {
            throw PostgresMaterialization.failure(error, task: task, doing: "storing a transaction")
        }
    }

    func close() async { connection.close() }
}
