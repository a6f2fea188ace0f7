import Foundation
import Logging
import SluiceCatalog
import SluiceCollection
import SluiceDocument
import SluiceMessage
import SluiceSQLite
import SluiceTask

/// What a derivation commits in its own database with its state tables: where each transform's
/// reader resumes, and the ACK intents of the transaction.
struct DerivationCheckpoint: Codable, Equatable {
    var readers: [String: CollectionCheckpoint] = [:]
    var ackIntents: [AckIntent] = []
}

/// Runs one derivation (docs/runtime.md): source documents read committed, applied by the
/// connector inside an SQLite transaction on the derivation's database, outputs combined and
/// published; the state tables, the read checkpoints and the ACK intents commit together.
final class DerivationTask {
    let derived: CollectionSpec
    let definition: DerivationDefinition
    let transforms: [TransformSpec]
    let connector: any DerivationConnector
    let context: TaskContext
    let bounds: TransactionBounds
    let status: TaskStatus
    let stopRequested: @Sendable () -> Bool
    /// The sum of the heads of the task's sources (the engine's idle detection compares it).
    var headSum: @Sendable () -> Int64 = { 0 }
    /// How long an idle derivation waits for its sources before checking for a stop.
    let idleWaitSeconds: Double

    init(derived: CollectionSpec, definition: DerivationDefinition, transforms: [TransformSpec], connector: any DerivationConnector,
         context: TaskContext, bounds: TransactionBounds, status: TaskStatus, idleWaitSeconds: Double = 0.25,
         stopRequested: @escaping @Sendable () -> Bool) {
        self.derived = derived
        self.definition = definition
        self.transforms = transforms
        self.connector = connector
        self.context = context
        self.bounds = bounds
        self.status = status
        self.idleWaitSeconds = idleWaitSeconds
        self.stopRequested = stopRequested
    }

    /// The derivation's database file.
    static func databasePath(dataDirectory: String, derivation: String, shard: Int = 0) -> String {
        dataDirectory + "/derivations/" + derivation + "/shard-" + (shard < 10 ? "0" : "") + String(shard) + ".db"
    }

    func run() async throws {
        let path = Self.databasePath(dataDirectory: context.dataDirectory, derivation: derived.name)
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        let database = try SQLiteDatabase(path: path, synchronous: .full)
        try SQLiteMigrations.apply([
            "CREATE TABLE sluice_checkpoint (id INTEGER PRIMARY KEY CHECK (id = 1), checkpoint TEXT NOT NULL)",
        ], to: database, table: "sluice_runtime_migrations")
        try connector.open(database: database, derivation: derived, transforms: transforms, context: context)
        defer { connector.close() }

        // Recovery.
        var checkpoint = DerivationCheckpoint()
        if case .text(let json)? = try database.rows("SELECT checkpoint FROM sluice_checkpoint WHERE id = 1").first?.first {
            checkpoint = try JSONDecoder().decode(DerivationCheckpoint.self, from: Data(json.utf8))
        }
        try await TransactionPublisher.acknowledge(checkpoint.ackIntents, registry: context.registry)
        // Higher priority transforms read first; equal priorities in catalog order.
        let order = transforms.sorted { ($0.definition.priority, -$0.index) > ($1.definition.priority, -$1.index) }
        var readers: [(TransformSpec, CollectionReader)] = []
        for transform in order {
            readers.append((transform, try CollectionReader(collection: transform.source, registry: context.registry,
                                                            selector: transform.selector,
                                                            checkpoint: checkpoint.readers[transform.name] ?? [:])))
        }
        let publisher = TransactionPublisher(registry: context.registry, combinerBudgetBytes: bounds.combinerBudgetBytes,
                                             wallClockNanoseconds: context.wallClockNanoseconds)
        let save = try database.prepare("""
            INSERT INTO sluice_checkpoint (id, checkpoint) VALUES (1, ?)
            ON CONFLICT (id) DO UPDATE SET checkpoint = excluded.checkpoint
            """)
        context.logger.info("derivation started", metadata: ["task": "\(derived.name)", "producer": "\(publisher.producer)"])

        while !stopRequested() {
            let started = context.wallClockNanoseconds()
            // Sources' heads before reading: if this read finds nothing, the task is caught up to them.
            let headsBefore = headSum()
            try database.execute("BEGIN IMMEDIATE")
            var read = 0
            var written = 0
            do {
                for (transform, reader) in readers where read < bounds.maxDocuments {
                    read += try await reader.read(limit: bounds.maxDocuments - read) { committed in
                        try connector.apply(transform: transform.index, document: committed.document) { output in
                            try publisher.add(output, to: derived)
                            written += 1
                        }
                    }
                }
                if read == 0 {
                    try database.execute("ROLLBACK")
                    let heads = headsBefore
                    status.update {
                        $0.caughtUp = true
                        $0.caughtUpHeads = heads
                        $0.lagBytes = 0
                    }
                    _ = try await ReaderWaitPoint.waitAny(readers.map { try $0.1.waitPoint() }, timeoutSeconds: idleWaitSeconds)
                    continue
                }
                let intents = try await publisher.publish()
                var next = DerivationCheckpoint(ackIntents: intents)
                for (transform, reader) in readers { next.readers[transform.name] = reader.checkpoint() }
                try save.run([.text(String(decoding: try JSONEncoder().encode(next), as: UTF8.self))])
                try database.execute("COMMIT")
                try await TransactionPublisher.acknowledge(intents, registry: context.registry)
            } catch {
                // Readers moved in memory past what is committed: the task restarts from the
                // checkpoint (the engine does that on any error).
                if database.isInTransaction { try? database.execute("ROLLBACK") }
                publisher.abandon()
                throw error
            }
            let lag = (try? readers.map { $0.1 }.reduce((Int64(0), Int64(0))) { sum, reader in
                let one = try reader.lag()
                return (sum.0 + one.behindBytes, sum.1 + one.totalBytes)
            }) ?? (0, 0)
            status.update {
                $0.lagBytes = lag.0
                $0.sourceBytes = lag.1
            }
            status.committed(read: read, written: written, bytes: 0,
                             seconds: Double(context.wallClockNanoseconds() - started) / 1e9)
        }
    }
}
