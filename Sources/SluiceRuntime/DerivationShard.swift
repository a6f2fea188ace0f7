import Foundation
import Logging
import SluiceCatalog
import SluiceCollection
import SluiceDerive
import SluiceDocument
import SluiceMessage
import SluiceSQLite
import SluiceTask

/// What a derivation shard commits in its database with its state tables: where each
/// transform's reader resumes, the ACK intents of the transaction, and the `backfill` counter
/// each transform's reader last started over for.
struct DerivationCheckpoint: Codable, Equatable {
    /// By transform name.
    var readers: [String: CollectionCheckpoint] = [:]
    var ackIntents: [AckIntent] = []
    /// By transform name; a missing entry is 0.
    var backfills: [String: Int] = [:]

    init() {}

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        readers = try container.decodeIfPresent([String: CollectionCheckpoint].self, forKey: .readers) ?? [:]
        ackIntents = try container.decodeIfPresent([AckIntent].self, forKey: .ackIntents) ?? []
        backfills = try container.decodeIfPresent([String: Int].self, forKey: .backfills) ?? [:]
    }
}

/// What one transaction of a shard did.
enum ShardTransactionOutcome: Equatable {
    /// Committed: source documents read (including those filtered out or held for their read
    /// delay), documents applied (read now or released from the delay table), documents published.
    case committed(read: Int, applied: Int, written: Int)
    /// Nothing was ready: the sources are at their heads and no held document is due.
    /// `nextDueNanoseconds`: when the earliest held document becomes due (engine clock).
    case idle(nextDueNanoseconds: UInt64?)
}

/// A source document a transform failed on, with where it was read.
public struct DerivationApplyError: Error, CustomStringConvertible {
    public let derivation: String
    public let transform: String
    /// `journal@offset` of the source document.
    public let position: String
    public let underlying: any Error

    public var description: String {
        let detail = (underlying as? DerivationError).map { error -> String in
            (error.place.map { "\($0): " } ?? "") + error.message
        } ?? "\(underlying)"
        return "derivation \(derivation), transform \(transform), source document \(position): \(detail)"
    }
}

/// One shard of a derivation (docs/derivations.md): its own database (state tables,
/// checkpoint, held documents), its readers over every transform's source, its connector and
/// its publisher. Transactions run one at a time:
///
/// 1. `BEGIN IMMEDIATE` on the shard's database;
/// 2. held documents (`readDelay`) whose time has come are applied, oldest due first;
/// 3. sources are read by priority (higher first; equal priorities merged by publication
///    time), up to the transaction's document bound; each document is skipped if outside the
///    transform's `notBefore`/`notAfter` or owned by another shard, held if not yet due,
///    else applied by the connector, whose outputs the publisher validates and combines;
/// 4. the outputs are published (CONTINUE), the checkpoint with the ACK intents saved, and the
///    database committed: state, checkpoint and held documents together;
/// 5. the ACK intents are appended.
final class DerivationShard {
    let derived: CollectionSpec
    let definition: DerivationDefinition
    let shard: Int
    let shardCount: Int
    let context: TaskContext
    let database: SQLiteDatabase
    let connector: any DerivationConnector
    let publisher: TransactionPublisher
    private(set) var checkpoint: DerivationCheckpoint
    private let sources: [TransformSource]
    /// Groups of `sources` indices by descending priority.
    private let priorityGroups: [[Int]]
    private let saveCheckpoint: SQLiteStatement
    private let insertHeld: SQLiteStatement
    private let selectDue: SQLiteStatement
    private let deleteHeld: SQLiteStatement
    private var parser = JSONParser()
    private var keyScratch: [UInt8] = []
    private var lineScratch: [UInt8] = []

    /// A transform's source as the shard reads it.
    final class TransformSource {
        let spec: TransformSpec
        let reader: CollectionReader
        let delayNanoseconds: UInt64
        let notBeforeNanoseconds: UInt64?
        let notAfterNanoseconds: UInt64?
        /// The shuffle key (or the source's key for `shuffle: any`), for routing to shards.
        let shuffleKey: KeyExtractor
        /// Rows of the held-documents table for this transform.
        var held: Int

        init(spec: TransformSpec, reader: CollectionReader, held: Int) throws {
            self.spec = spec
            self.reader = reader
            self.held = held
            delayNanoseconds = UInt64((max(0, spec.definition.readDelaySeconds) * 1e9).rounded())
            notBeforeNanoseconds = try spec.definition.source.notBefore.map { try Self.unixNanoseconds($0, spec.name) }
            notAfterNanoseconds = try spec.definition.source.notAfter.map { try Self.unixNanoseconds($0, spec.name) }
            switch spec.definition.shuffle {
            case .any: shuffleKey = spec.source.key
            case .key(let pointers): shuffleKey = KeyExtractor(pointers: try pointers.map { try JSONPointer(parsing: $0.pointer) })
            }
        }

        static func unixNanoseconds(_ text: String, _ transform: String) throws -> UInt64 {
            guard let nanoseconds = RFC3339.unixNanoseconds(text) else {
                throw TaskError.configuration(task: transform, message: "\(text) is not an RFC 3339 time")
            }
            return nanoseconds
        }
    }

    /// The runtime's tables in every shard's database (before the connector's own migrations).
    static let runtimeMigrations = [
        "CREATE TABLE sluice_checkpoint (id INTEGER PRIMARY KEY CHECK (id = 1), checkpoint TEXT NOT NULL)",
        """
        CREATE TABLE sluice_delayed (sequence INTEGER PRIMARY KEY, transform TEXT NOT NULL, due INTEGER NOT NULL,
            journal TEXT NOT NULL, offset INTEGER NOT NULL, document TEXT NOT NULL);
        CREATE INDEX sluice_delayed_due ON sluice_delayed (due, sequence);
        CREATE TABLE sluice_shard (id INTEGER PRIMARY KEY CHECK (id = 1), shard INTEGER NOT NULL, shards INTEGER NOT NULL);
        """,
    ]

    /// Opens the shard: its database and tables, the connector, recovery (the last ACK
    /// intents appended again), backfills, readers and a fresh publisher.
    init(derived: CollectionSpec, definition: DerivationDefinition, transforms: [TransformSpec], shard: Int,
         makeConnector: () throws -> any DerivationConnector, context: TaskContext, combinerBudgetBytes: Int) async throws {
        self.derived = derived
        self.definition = definition
        self.shard = shard
        self.shardCount = max(1, definition.shards)
        self.context = context
        let path = DerivationTask.databasePath(dataDirectory: context.dataDirectory, derivation: derived.name, shard: shard)
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        database = try SQLiteDatabase(path: path, synchronous: .full)
        try SQLiteMigrations.apply(Self.runtimeMigrations, to: database, table: "sluice_runtime_migrations")
        try Self.checkShardCount(database, shard: shard, shards: shardCount, derivation: derived.name)

        connector = try makeConnector()
        try connector.open(database: database, derivation: derived, transforms: transforms, context: context)

        // Recovery: the last committed checkpoint; its ACK intents again, before anything else.
        var checkpoint = DerivationCheckpoint()
        if case .text(let json)? = try database.rows("SELECT checkpoint FROM sluice_checkpoint WHERE id = 1").first?.first {
            do {
                checkpoint = try JSONDecoder().decode(DerivationCheckpoint.self, from: Data(json.utf8))
            } catch {
                throw TaskError.configuration(task: context.taskName, message: "\(path): the checkpoint cannot be read: \(error)")
            }
        }
        try await TransactionPublisher.acknowledge(checkpoint.ackIntents, registry: context.registry)

        saveCheckpoint = try database.prepare("""
            INSERT INTO sluice_checkpoint (id, checkpoint) VALUES (1, ?)
            ON CONFLICT (id) DO UPDATE SET checkpoint = excluded.checkpoint
            """)
        insertHeld = try database.prepare(
            "INSERT INTO sluice_delayed (transform, due, journal, offset, document) VALUES (?, ?, ?, ?, ?)")
        selectDue = try database.prepare(
            "SELECT sequence, transform, journal, offset, document FROM sluice_delayed WHERE due <= ? ORDER BY due, sequence LIMIT ?")
        deleteHeld = try database.prepare("DELETE FROM sluice_delayed WHERE sequence = ?")

        // Backfills: a transform whose counter changed reads its source again from the start;
        // what it held for its read delay is dropped (it will be read again).
        var restarted: [String] = []
        for transform in transforms {
            let committed = checkpoint.backfills[transform.name] ?? 0
            guard transform.definition.backfill != committed else { continue }
            if checkpoint.readers[transform.name] != nil { restarted.append(transform.name) }
            checkpoint.readers[transform.name] = nil
            checkpoint.backfills[transform.name] = transform.definition.backfill
        }
        let names = Set(transforms.map(\.name))
        for name in checkpoint.readers.keys where !names.contains(name) { checkpoint.readers[name] = nil }
        for name in checkpoint.backfills.keys where !names.contains(name) { checkpoint.backfills[name] = nil }
        if !restarted.isEmpty {
            let (database, save, json) = (database, saveCheckpoint, try Self.encode(checkpoint))
            try database.transaction {
                for name in restarted { try database.prepare("DELETE FROM sluice_delayed WHERE transform = ?").run([.text(name)]) }
                try save.run([.text(json)])
            }
            context.logger.info("backfilling", metadata: ["task": "\(derived.name)", "shard": "\(shard)",
                                                          "transforms": "\(restarted.joined(separator: ","))"])
        }
        self.checkpoint = checkpoint

        var held: [String: Int] = [:]
        for row in try database.rows("SELECT transform, count(*) FROM sluice_delayed GROUP BY transform") {
            if case .text(let name) = row[0], case .integer(let count) = row[1] { held[name] = Int(count) }
        }
        var sources: [TransformSource] = []
        for transform in transforms {
            let reader = try CollectionReader(collection: transform.source, registry: context.registry, selector: transform.selector,
                                              checkpoint: checkpoint.readers[transform.name] ?? [:])
            sources.append(try TransformSource(spec: transform, reader: reader, held: held[transform.name] ?? 0))
        }
        self.sources = sources
        // Higher priority first; equal priorities together, in catalog order.
        let priorities = Set(transforms.map(\.definition.priority)).sorted(by: >)
        priorityGroups = priorities.map { priority in sources.indices.filter { sources[$0].spec.definition.priority == priority } }
        publisher = TransactionPublisher(registry: context.registry, combinerBudgetBytes: combinerBudgetBytes,
                                         wallClockNanoseconds: context.wallClockNanoseconds)
        context.logger.info("derivation shard started", metadata: [
            "task": "\(derived.name)", "shard": "\(shard)", "producer": "\(publisher.producer)",
        ])
    }

    /// A shard's database was made for a number of shards: its state tables hold the keys of
    /// its range of that split. Another count would route keys to shards without their state.
    private static func checkShardCount(_ database: SQLiteDatabase, shard: Int, shards: Int, derivation: String) throws {
        let rows = try database.rows("SELECT shard, shards FROM sluice_shard WHERE id = 1")
        guard let row = rows.first else {
            try database.prepare("INSERT INTO sluice_shard (id, shard, shards) VALUES (1, ?, ?)")
                .run([.integer(Int64(shard)), .integer(Int64(shards))])
            return
        }
        guard case .integer(let madeFor) = row[0], case .integer(let madeOf) = row[1] else {
            throw TaskError.configuration(task: derivation, message: "\(database.path): sluice_shard holds no shard numbers")
        }
        if madeFor != Int64(shard) || madeOf != Int64(shards) {
            throw TaskError.configuration(task: derivation, message: """
                the catalog gives \(shards) shard\(shards == 1 ? "" : "s"), but \(database.path) was made for shard \(madeFor) of \(madeOf); \
                each shard's state tables hold the keys of its range, so the shard count cannot change under existing state \
                (create a new derivation, or remove its folder under derivations/ to rebuild it from its sources)
                """)
        }
    }

    private static func encode(_ checkpoint: DerivationCheckpoint) throws -> String {
        String(decoding: try JSONEncoder().encode(checkpoint), as: UTF8.self)
    }

    func close() { connector.close() }

    /// Where every reader is, to wait on when idle.
    func waitPoints() throws -> [ReaderWaitPoint] { try sources.map { try $0.reader.waitPoint() } }

    /// Bytes of the sources not yet read, and the sources' total bytes (for `TaskStatus.lagBytes`).
    func lag() -> (behind: Int64, total: Int64) {
        (try? sources.reduce((Int64(0), Int64(0))) { sum, source in
            let one = try source.reader.lag()
            return (sum.0 + one.behindBytes, sum.1 + one.totalBytes)
        }) ?? (0, 0)
    }

    /// The earliest due time of a held document, if any.
    func nextDueNanoseconds() throws -> UInt64? {
        guard sources.contains(where: { $0.held > 0 }) else { return nil }
        if case .integer(let due)? = try database.rows("SELECT min(due) FROM sluice_delayed").first?.first { return UInt64(max(0, due)) }
        return nil
    }

    // MARK: - The transaction

    /// Runs one transaction reading at most `maxDocuments` source documents (and releasing at
    /// most as many held ones).
    func transaction(maxDocuments: Int) async throws -> ShardTransactionOutcome {
        let now = context.wallClockNanoseconds()
        try database.execute("BEGIN IMMEDIATE")
        var read = 0
        var applied = 0
        var written = 0
        do {
            let publish: (Document) throws -> Void = { [publisher, derived] output in
                try publisher.add(output, to: derived)
                written += 1
            }
            // One budget for released and read documents.
            applied += try releaseDue(now: now, limit: maxDocuments, publish)
            let budget = maxDocuments - applied
            for group in priorityGroups where read < budget {
                if group.count == 1 {
                    let source = sources[group[0]]
                    read += try await source.reader.read(limit: budget - read) { committed in
                        if try self.admit(source, committed, now: now) {
                            try self.apply(source, committed.document, position: "\(committed.journal)@\(committed.begin)", publish)
                            applied += 1
                        }
                    }
                } else {
                    // Equal priorities: what each source has now, merged by publication time.
                    var batch: [(clock: UInt64, order: Int, committed: CommittedDocument)] = []
                    let share = max(1, (budget - read) / group.count)
                    for (order, index) in group.enumerated() {
                        read += try await sources[index].reader.read(limit: share) { committed in
                            batch.append((committed.uuid.clock.rawValue, order, committed))
                        }
                    }
                    batch.sort { ($0.clock, $0.order) < ($1.clock, $1.order) }
                    for item in batch {
                        let source = sources[group[item.order]]
                        if try admit(source, item.committed, now: now) {
                            try apply(source, item.committed.document, position: "\(item.committed.journal)@\(item.committed.begin)", publish)
                            applied += 1
                        }
                    }
                }
            }
            // Documents held just now behind earlier held ones may be due already.
            if budget - read > 0 {
                applied += try releaseDue(now: now, limit: budget - read, publish)
            }
            if read == 0 && applied == 0 {
                try database.execute("ROLLBACK")
                return .idle(nextDueNanoseconds: try nextDueNanoseconds())
            }
            let intents = try await publisher.publish()
            var next = checkpoint
            next.ackIntents = intents
            for source in sources { next.readers[source.spec.name] = source.reader.checkpoint() }
            try saveCheckpoint.run([.text(try Self.encode(next))])
            try database.execute("COMMIT")
            checkpoint = next
            try await TransactionPublisher.acknowledge(intents, registry: context.registry)
            return .committed(read: read, applied: applied, written: written)
        } catch {
            // Readers moved in memory past what is committed, and held-document counts may be
            // off: the shard must be opened again from its checkpoint (the engine restarts the
            // task on any error).
            if database.isInTransaction { try? database.execute("ROLLBACK") }
            publisher.abandon()
            throw error
        }
    }

    /// Decides what happens to a document read from a source: false if it is skipped (outside
    /// `notBefore`/`notAfter`, another shard's) or held for its read delay; true if it is to be
    /// applied now.
    private func admit(_ source: TransformSource, _ committed: CommittedDocument, now: UInt64) throws -> Bool {
        let published = committed.uuid == .zero ? 0 : committed.uuid.clock.unixNanoseconds
        if let notBefore = source.notBeforeNanoseconds, published < notBefore { return false }
        if let notAfter = source.notAfterNanoseconds, published > notAfter { return false }
        if shardCount > 1 {
            keyScratch.removeAll(keepingCapacity: true)
            source.shuffleKey.pack(committed.document, into: &keyScratch)
            if ShuffleRouting.shard(ofPackedKey: keyScratch, shards: shardCount) != shard { return false }
        }
        if source.delayNanoseconds > 0 {
            let due = published &+ source.delayNanoseconds
            if due > now || source.held > 0 {
                lineScratch.removeAll(keepingCapacity: true)
                JSONSerializer.append(committed.document, to: &lineScratch)
                try insertHeld.run([.text(source.spec.name), .integer(Int64(clamping: due)), .text(committed.journal.rawValue),
                                    .integer(committed.begin), .text(String(decoding: lineScratch, as: UTF8.self))])
                source.held += 1
                return false
            }
        }
        return true
    }

    /// Applies held documents due by `now`, oldest due first.
    private func releaseDue(now: UInt64, limit: Int, _ publish: (Document) throws -> Void) throws -> Int {
        guard sources.contains(where: { $0.held > 0 }) else { return 0 }
        var due: [(sequence: Int64, transform: String, position: String, document: String)] = []
        try selectDue.bind([.integer(Int64(clamping: now)), .integer(Int64(limit))])
        defer { selectDue.reset() }
        while try selectDue.step() {
            guard case .integer(let sequence) = selectDue.value(at: 0), case .text(let transform) = selectDue.value(at: 1),
                  case .text(let journal) = selectDue.value(at: 2), case .integer(let offset) = selectDue.value(at: 3),
                  case .text(let document) = selectDue.value(at: 4)
            else { continue }
            due.append((sequence, transform, "\(journal)@\(offset)", document))
        }
        selectDue.reset()
        var applied = 0
        for item in due {
            if let source = sources.first(where: { $0.spec.name == item.transform }) {
                let document = try parser.parse(Array(item.document.utf8))
                try apply(source, document, position: item.position, publish)
                source.held -= 1
                applied += 1
            }
            try deleteHeld.run([.integer(item.sequence)])
        }
        return applied
    }

    private func apply(_ source: TransformSource, _ document: Document, position: String, _ publish: (Document) throws -> Void) throws {
        do {
            try connector.apply(transform: source.spec.index, document: document, publish: publish)
        } catch let error as TaskError {
            throw error
        } catch {
            throw DerivationApplyError(derivation: derived.name, transform: source.spec.name, position: position, underlying: error)
        }
    }
}

/// RFC 3339 times (`2024-01-01T00:00:00Z`, `…T00:00:00.5+02:00`) as Unix nanoseconds.
enum RFC3339 {
    static func unixNanoseconds(_ text: String) -> UInt64? {
        let upper = text.uppercased()
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        var date = formatter.date(from: upper)
        if date == nil {
            formatter.formatOptions = [.withInternetDateTime]
            date = formatter.date(from: upper)
        }
        guard let date, date.timeIntervalSince1970 >= 0 else { return nil }
        return UInt64((date.timeIntervalSince1970 * 1e9).rounded())
    }
}
