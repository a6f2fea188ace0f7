// SQLiteMaterialization: the embedded default target (`sqlite: {path}`). One database file in
// WAL mode holds the bindings' tables, `sluice_checkpoints` (SEMANTICS.md §6) and
// `sluice_bindings` (the backfill counter each table was built for). Each store is one SQLite
// transaction: the fenced checkpoint update first, then every row. Loads join a temporary key
// table with the target table.
import Foundation
import SluiceDocument
public import SluiceSQLite
public import SluiceTask
public import SluiceCatalog

/// The `sqlite` materialization connector.
public struct SQLiteMaterialization: MaterializationConnector {
    /// `synchronous=NORMAL` under WAL: a commit survives a process crash (kill -9); power loss
    /// may lose the last commits, but data and checkpoint together, so exactly-once holds.
    public var synchronous: SQLiteSynchronous = .normal
    /// SQLite's page cache per connection: 256 MiB holds a table of ~300k standard-workload
    /// rows (SQLite's default is 2 MiB, which rereads pages at every transaction). Taken only as
    /// pages are used.
    public static let cacheBytesMax = 256 << 20
    /// Memory-mapped reads up to 1 GiB: pages outside the cache are read without a copy per
    /// `pread` (address space, not memory; SQLite's default is 0).
    public static let mmapBytesMax = 1 << 30
    /// Checkpoint the WAL into the database once it holds 64 MiB (16,384 pages of 4 KiB; the
    /// default is 1,000 pages): a page updated by several transactions in a row is copied to
    /// the database once, and each checkpoint's fsync is amortized over more commits.
    public static let walCheckpointPages = 16_384

    public init() {}

    public func open(endpoint: MaterializationEndpoint, bindings: [MaterializationBindingSpec],
                     context: TaskContext) async throws -> any MaterializationSession {
        guard case .sqlite(let path) = endpoint else {
            throw TaskError.configuration(task: context.taskName, message: "the sqlite connector needs a sqlite endpoint")
        }
        var tables: [Int: SQLiteTargetTable] = [:]
        for binding in bindings {
            guard case .table(let name, _, let delta) = binding.resource else {
                throw TaskError.configuration(task: context.taskName, message: "binding \(binding.index): expected a {table} resource")
            }
            tables[binding.index] = SQLiteTargetTable(name: name, plan: try FieldPlan(binding: binding, task: context.taskName),
                                                      deltaUpdates: delta)
        }
        let queue = BlockingQueue(label: "sqlite")
        let synchronous = self.synchronous
        let specs = bindings
        let planned = tables
        let session = try await queue.run {
            try SQLiteMaterializationSession.open(path: path, synchronous: synchronous, tables: planned, bindings: specs,
                                                  context: context, queue: queue)
        }
        return session
    }
}

/// An open SQLite materialization: the connection, prepared statements and this instance's fence.
///
/// Unchecked Sendable: the runtime calls one method at a time, and every use of the connection
/// and statements happens on `queue` (serial).
final class SQLiteMaterializationSession: MaterializationSession, @unchecked Sendable {
    static let keyEnd = Int64(UInt32.max)

    let database: SQLiteDatabase
    let context: TaskContext
    let queue: BlockingQueue
    let tables: [Int: SQLiteTargetTable]
    let fence: Int64
    let checkpoint: [UInt8]?
    private let commitCheckpoint: SQLiteStatement
    private var statements: [Int: (store: SQLiteStatement, delete: SQLiteStatement?, loadInsert: SQLiteStatement?,
                                    loadSelect: SQLiteStatement?, loadClear: SQLiteStatement?)] = [:]

    private init(database: SQLiteDatabase, context: TaskContext, queue: BlockingQueue, tables: [Int: SQLiteTargetTable],
                 fence: Int64, checkpoint: [UInt8]?) throws {
        self.database = database
        self.context = context
        self.queue = queue
        self.tables = tables
        self.fence = fence
        self.checkpoint = checkpoint
        commitCheckpoint = try database.prepare("""
            UPDATE sluice_checkpoints SET checkpoint = ?1
            WHERE materialization = ?2 AND key_begin = 0 AND key_end = ?3 AND fence = ?4
            """)
        for (index, table) in tables {
            var loads: (SQLiteStatement, SQLiteStatement, SQLiteStatement)?
            if !table.deltaUpdates {
                try database.execute(table.createLoadTableStatement)
                loads = (try database.prepare(table.loadInsertStatement), try database.prepare(table.loadSelectStatement),
                         try database.prepare(table.loadClearStatement))
            }
            statements[index] = (try database.prepare(table.storeStatement),
                                 table.deltaUpdates ? nil : try database.prepare(table.deleteStatement),
                                 loads?.0, loads?.1, loads?.2)
        }
    }

    /// Opens the database, creates or migrates each table (rebuilding those whose backfill
    /// counter changed), and claims the fence; all in one transaction.
    static func open(path: String, synchronous: SQLiteSynchronous, tables: [Int: SQLiteTargetTable],
                     bindings: [MaterializationBindingSpec], context: TaskContext, queue: BlockingQueue) throws -> SQLiteMaterializationSession {
        let task = context.taskName
        let database: SQLiteDatabase
        do {
            try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            database = try SQLiteDatabase(path: path, synchronous: synchronous)
            try database.execute("PRAGMA temp_store=MEMORY; PRAGMA cache_size=-\(SQLiteMaterialization.cacheBytesMax / 1024); "
                                 + "PRAGMA mmap_size=\(SQLiteMaterialization.mmapBytesMax); "
                                 + "PRAGMA wal_autocheckpoint=\(SQLiteMaterialization.walCheckpointPages)")
        } catch {
            throw TaskError.connector(task: task, message: "sqlite \(path): cannot open: \(error)")
        }
        var fence: Int64 = 0
        var checkpoint: [UInt8]?
        do {
            try database.transaction {
                try database.execute("""
                    CREATE TABLE IF NOT EXISTS sluice_checkpoints (
                      materialization TEXT NOT NULL, key_begin INTEGER NOT NULL, key_end INTEGER NOT NULL,
                      fence INTEGER NOT NULL, checkpoint BLOB,
                      PRIMARY KEY (materialization, key_begin, key_end));
                    CREATE TABLE IF NOT EXISTS sluice_bindings (
                      materialization TEXT NOT NULL, target TEXT NOT NULL, backfill INTEGER NOT NULL,
                      PRIMARY KEY (materialization, target));
                    """)
                for binding in bindings {
                    guard let table = tables[binding.index] else { continue }
                    let recorded = try database.rows("SELECT backfill FROM sluice_bindings WHERE materialization = ?1 AND target = ?2",
                                                     [.text(task), .text(table.name)])
                    let builtFor: Int64 = if case .integer(let value)? = recorded.first?.first { value } else { 0 }
                    if builtFor != Int64(binding.backfill) {
                        context.logger.notice("backfill: rebuilding the table", metadata: [
                            "table": "\(table.name)", "backfill": "\(builtFor) → \(binding.backfill)",
                        ])
                        try database.execute("DROP TABLE IF EXISTS \(table.quotedName)")
                    }
                    do {
                        let added = try table.createOrMigrate(on: database)
                        if !added.isEmpty {
                            context.logger.notice("columns added", metadata: ["table": "\(table.name)", "columns": "\(added)"])
                        }
                    } catch let refused as SQLiteTargetTable.SchemaChangeRefused {
                        throw TaskError.configuration(
                            task: task, message: "sqlite \(path): table \(table.name) is incompatible with binding \(binding.index) ("
                                + "\(binding.collection.name)): " + refused.problems.joined(separator: "; ")
                                + "; bump the binding's backfill counter to rebuild it")
                    }
                    _ = try database.rows("""
                        INSERT INTO sluice_bindings (materialization, target, backfill) VALUES (?1, ?2, ?3)
                        ON CONFLICT (materialization, target) DO UPDATE SET backfill = excluded.backfill
                        """, [.text(task), .text(table.name), .integer(Int64(binding.backfill))])
                }
                let claimed = try database.rows("""
                    INSERT INTO sluice_checkpoints (materialization, key_begin, key_end, fence, checkpoint)
                    VALUES (?1, 0, ?2, 1, NULL)
                    ON CONFLICT (materialization, key_begin, key_end) DO UPDATE SET fence = fence + 1
                    RETURNING fence, checkpoint
                    """, [.text(task), .integer(keyEnd)])
                guard let row = claimed.first, case .integer(let value) = row[0] else {
                    throw TaskError.connector(task: task, message: "sqlite \(path): claiming the checkpoint row returned nothing")
                }
                fence = value
                if case .blob(let bytes) = row[1] { checkpoint = bytes }
            }
            return try SQLiteMaterializationSession(database: database, context: context, queue: queue, tables: tables,
                                                    fence: fence, checkpoint: checkpoint)
        } catch let error as TaskError {
            throw error
        } catch {
            throw TaskError.connector(task: task, message: "sqlite \(path): opening the materialization: \(error)")
        }
    }

    func load(binding: Int, keys: [LoadKey]) async throws -> [Document] {
        guard !keys.isEmpty else { return [] }
        return try await queue.run { try self.loadNow(binding: binding, keys: keys) }
    }

    private func loadNow(binding: Int, keys: [LoadKey]) throws -> [Document] {
        guard let table = tables[binding], let statements = statements[binding], let insert = statements.loadInsert,
              let select = statements.loadSelect, let clear = statements.loadClear else {
            preconditionFailure("load of binding \(binding), which has no standard-updates table")
        }
        var documents: [Document] = []
        documents.reserveCapacity(keys.count)
        var parser = JSONParser()
        do {
            try database.execute("BEGIN")
            defer { if database.isInTransaction { try? database.execute("ROLLBACK") } }
            try clear.run()
            for key in keys {
                for (position, value) in key.values.enumerated() {
                    try SQLiteTargetTable.bind(value, to: insert, at: position + 1)
                }
                try insert.run()
            }
            defer { select.reset() }
            while try select.step() {
                let document = try select.withBytes(at: 0) { bytes in try parser.parse(bytes) }
                documents.append(document)
            }
            select.reset()
            try clear.run()
            try database.execute("COMMIT")
        } catch {
            throw TaskError.connector(task: context.taskName,
                                      message: "sqlite \(database.path): loading \(keys.count) keys of table \(table.name): \(error)")
        }
        return documents
    }

    func store(_ entries: [Int: [StoreEntry]], checkpoint: [UInt8]) async throws {
        try await queue.run { try self.storeNow(entries, checkpoint: checkpoint) }
    }

    private func storeNow(_ entries: [Int: [StoreEntry]], checkpoint: [UInt8]) throws {
        let task = context.taskName
        var scratch: [UInt8] = []
        var document: [UInt8] = []
        do {
            try database.execute("BEGIN IMMEDIATE")
            defer { if database.isInTransaction { try? database.execute("ROLLBACK") } }
            try commitCheckpoint.bind(checkpoint, at: 1)
            try commitCheckpoint.bind(task, at: 2)
            try commitCheckpoint.bind(Self.keyEnd, at: 3)
            try commitCheckpoint.bind(fence, at: 4)
            try commitCheckpoint.run()
            guard database.changes == 1 else {
                throw TaskError.fencedOff(task: task, detail: "sqlite \(database.path): fence \(fence) is no longer current")
            }
            for (binding, rows) in entries.sorted(by: { $0.key < $1.key }) {
                guard let table = tables[binding], let statements = statements[binding] else { continue }
                let fields = table.plan.fields
                for entry in rows {
                    let root = entry.document.root
                    if entry.isDeleted, let delete = statements.delete {
                        for (position, value) in entry.key.values.enumerated() {
                            try SQLiteTargetTable.bind(value, to: delete, at: position + 1)
                        }
                        try delete.run()
                        continue
                    }
                    let store = statements.store
                    for (position, field) in fields.enumerated() {
                        if field.isKey, position < entry.key.values.count {
                            try SQLiteTargetTable.bind(entry.key.values[position], to: store, at: position + 1)
                        } else {
                            try SQLiteTargetTable.bind(root[field.pointer], to: store, at: position + 1, scratch: &scratch)
                        }
                    }
                    document.removeAll(keepingCapacity: true)
                    JSONSerializer.append(entry.document, to: &document)
                    try document.withUnsafeBytes { try store.bindText($0, at: fields.count + 1) }
                    try store.run()
                }
            }
            try database.execute("COMMIT")
        } catch let error as TaskError {
            throw error
        } catch {
            throw TaskError.connector(task: task, message: "sqlite \(database.path): storing a transaction: \(error)")
        }
    }

    func close() async {}
}
