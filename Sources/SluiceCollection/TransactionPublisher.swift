import Foundation
public import SluiceCombine
public import SluiceDocument
import SluiceJournal
public import SluiceMessage
import SluiceSchema

/// The write side of a task's transaction across collections (docs/collections.md, "Write
/// path"): documents are validated and combined by key (partial reduction) per collection;
/// `publish` drains the combiners, stamps each document with a CONTINUE UUID, appends them to
/// their partition journals, and returns the ACK intents. The caller commits its checkpoint
/// with the intents, then `acknowledge`s them.
///
/// One publisher per task session: its producer id is fresh (docs/messages.md, rule 1), and a
/// task appends ACKs before the next transaction's documents (rule 2).
public final class TransactionPublisher {
    public let registry: JournalRegistry
    public var producer: ProducerID { publisher.producer }
    private var publisher: Publisher
    private let wallClockNanoseconds: @Sendable () -> UInt64
    private var combiners: [String: PendingCollection] = [:]
    private var order: [String] = []
    /// Memory budget of each collection's combiner in a transaction.
    public var combinerBudgetBytes: Int
    /// Appends of one journal are cut at this size: large enough to amortize a commit, small
    /// enough to pipeline (the journal accepts up to 64 MiB per append).
    public static let appendBytesTarget = 4 << 20

    private final class PendingCollection {
        let spec: CollectionSpec
        var combiner: Combiner?
        var validator: SchemaValidator
        var documents = 0

        init(spec: CollectionSpec, budget: Int) {
            self.spec = spec
            self.validator = spec.writeSchema.validator()
            self.combiner = Combiner(configuration: CombinerConfiguration(key: spec.key, mode: .partial, memoryBudgetBytes: budget),
                                     validator: spec.writeSchema.validator())
        }
    }

    public init(registry: JournalRegistry, producer: ProducerID = .random(),
                combinerBudgetBytes: Int = CombinerConfiguration.memoryBudgetBytesDefault,
                wallClockNanoseconds: @escaping @Sendable () -> UInt64 = TransactionPublisher.systemNanoseconds) {
        self.registry = registry
        self.wallClockNanoseconds = wallClockNanoseconds
        self.publisher = Publisher(producer: producer, clock: MessageClock(unixNanoseconds: wallClockNanoseconds()))
        self.combinerBudgetBytes = combinerBudgetBytes
    }

    /// Unix time now, in nanoseconds.
    public static let systemNanoseconds: @Sendable () -> UInt64 = {
        UInt64(Date().timeIntervalSince1970 * 1_000_000_000)
    }

    /// Documents added since the last publish.
    public var pendingDocuments: Int { combiners.values.reduce(0) { $0 + $1.documents } }

    /// Validates `document` against the collection's write schema and combines it by key.
    /// On error nothing of the document is kept; the caller decides whether the transaction
    /// continues (`abandon()` discards it).
    public func add(_ document: Document, to collection: CollectionSpec) throws(CollectionError) {
        let pending: PendingCollection
        if let existing = combiners[collection.name] {
            pending = existing
        } else {
            pending = PendingCollection(spec: collection, budget: combinerBudgetBytes)
            combiners[collection.name] = pending
            order.append(collection.name)
        }
        pending.documents += 1
        guard document.root.kind == .object else {
            throw .invalidDocument(collection: collection.name, position: pending.documents,
                                   reason: "a collection document must be a JSON object, not \(document.root.kind)")
        }
        let annotations: ReduceAnnotations
        do {
            annotations = try pending.validator.validate(document)
        } catch {
            throw .invalidDocument(collection: collection.name, position: pending.documents, reason: error.description)
        }
        do {
            try pending.combiner!.add(document, annotations: annotations)
        } catch {
            throw .combine(collection: collection.name, reason: error.description)
        }
    }

    /// Drops everything added since the last publish.
    public func abandon() {
        combiners = [:]
        order = []
    }

    /// Appends the transaction's combined documents (CONTINUE) to their journals, waits until
    /// every append is durable, and returns the ACK intents to commit with the checkpoint.
    /// An empty transaction returns no intents.
    public func publish() async throws -> [AckIntent] {
        publisher.updateClock(unixNanoseconds: wallClockNanoseconds())
        var buffers: [JournalName: [UInt8]] = [:]
        var pendingAppends: [PendingAppend] = []
        var journals: [JournalName: Journal] = [:]
        var journalNames: [String: JournalName] = [:]
        let names = order
        let pendingCollections = combiners
        abandon()
        for name in names {
            let pending = pendingCollections[name]!
            var drainer = try pending.combiner.take()!.drain()
            while let drained = try drainer.next() {
                let journalName = try PartitionNames.journal(of: drained.document, in: pending.spec, cache: &journalNames)
                if journals[journalName] == nil {
                    journals[journalName] = try registry.journal(journalName, createWith: pending.spec.journalSpec)
                }
                let uuid = publisher.continueUUID(journal: journalName.rawValue)
                Framing.appendLine(drained.document, uuid: uuid, to: &buffers[journalName, default: []])
                if buffers[journalName]!.count >= Self.appendBytesTarget {
                    pendingAppends.append(try await journals[journalName]!.write(buffers.removeValue(forKey: journalName)!))
                }
            }
        }
        for (journalName, bytes) in buffers where !bytes.isEmpty {
            pendingAppends.append(try await journals[journalName]!.write(bytes))
        }
        for append in pendingAppends { try await append.committed() }
        return publisher.acknowledgements()
    }

    /// Appends the ACK of each intent to its journal and waits until they are durable. Used
    /// after a checkpoint commits, and again on recovery with the last committed intents.
    public static func acknowledge(_ intents: [AckIntent], registry: JournalRegistry) async throws {
        var pendingAppends: [PendingAppend] = []
        for intent in intents {
            let name = try JournalName(intent.journal)
            guard let journal = try registry.existingJournal(name) else {
                throw JournalError.journalNotFound(name: intent.journal, dataDirectory: registry.dataDirectory.path)
            }
            var line: [UInt8] = []
            Framing.appendAcknowledgement(uuid: intent.uuid, to: &line)
            pendingAppends.append(try await journal.write(line))
        }
        for append in pendingAppends { try await append.committed() }
    }
}
