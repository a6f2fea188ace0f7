import Foundation
import Logging
import SluiceCatalog
import SluiceCollection
import SluiceCombine
import SluiceReduce
import SluiceSchema
import SluiceDocument
import SluiceTask

/// What a materialization commits in its target with the data: where each binding's reader
/// resumes. (Opaque to the target: JSON bytes.)
struct MaterializationCheckpoint: Codable, Equatable {
    var readers: [String: CollectionCheckpoint] = [:]
    /// The `backfill` counter each binding (by reader name) was read under; absent means 0
    /// (checkpoints written before the counter was recorded).
    var backfills: [String: Int]? = nil
}

/// Runs one materialization (docs/runtime.md): each transaction reads committed documents of
/// every binding, combines them by key, and for standard updates loads the stored documents
/// of those keys and reduces into them (full reduction: a tombstone deletes the row); delta
/// updates store the combined documents. The target stores everything and the checkpoint in
/// one fenced transaction, so nothing is applied twice after a restart.
final class MaterializationTask {
    let definition: MaterializationDefinition
    let bindings: [MaterializationBindingSpec]
    let connector: any MaterializationConnector
    let context: TaskContext
    let bounds: TransactionBounds
    let status: TaskStatus
    let idleWaitSeconds: Double
    let stopRequested: @Sendable () -> Bool
    /// The sum of the heads of the task's sources (the engine's idle detection compares it).
    var headSum: @Sendable () -> Int64 = { 0 }

    init(definition: MaterializationDefinition, bindings: [MaterializationBindingSpec], connector: any MaterializationConnector,
         context: TaskContext, bounds: TransactionBounds, status: TaskStatus, idleWaitSeconds: Double = 0.25,
         stopRequested: @escaping @Sendable () -> Bool) {
        self.definition = definition
        self.bindings = bindings
        self.connector = connector
        self.context = context
        self.bounds = bounds
        self.status = status
        self.idleWaitSeconds = idleWaitSeconds
        self.stopRequested = stopRequested
    }

    /// The reader checkpoint key of a binding: its position and source, so reordering
    /// bindings does not mix their offsets.
    static func readerName(_ binding: MaterializationBindingSpec) -> String {
        "\(binding.index):\(binding.collection.name)"
    }

    func run() async throws {
        let session = try await connector.open(endpoint: definition.endpoint, bindings: bindings, context: context)
        do {
            try await loop(session)
        } catch {
            await session.close()
            throw error
        }
        await session.close()
    }

    private func loop(_ session: any MaterializationSession) async throws {
        var checkpoint = MaterializationCheckpoint()
        if let bytes = session.checkpoint, !bytes.isEmpty {
            checkpoint = try JSONDecoder().decode(MaterializationCheckpoint.self, from: Data(bytes))
        }
        var readers: [CollectionReader] = []
        for binding in bindings {
            let name = Self.readerName(binding)
            var start = checkpoint.readers[name] ?? [:]
            let readUnder = checkpoint.backfills?[name] ?? 0
            if binding.backfill != readUnder, !start.isEmpty {
                // The binding's backfill counter was bumped: the connector rebuilt its target at
                // open, and the binding is read again from the collection's start.
                context.logger.notice("binding backfill: reading the collection again from its start", metadata: [
                    "task": "\(definition.name)", "binding": "\(binding.index)", "collection": "\(binding.collection.name)",
                    "backfill": "\(readUnder) → \(binding.backfill)",
                ])
                start = [:]
            }
            readers.append(try CollectionReader(collection: binding.collection, registry: context.registry, selector: binding.selector,
                                                checkpoint: start))
        }
        let backfills = Dictionary(uniqueKeysWithValues: bindings.map { (Self.readerName($0), $0.backfill) })
        context.logger.info("materialization started", metadata: ["task": "\(definition.name)"])

        // The previous transaction's store runs while this one reads and combines: a
        // transaction's loads (which must see every earlier store) wait for it, and nothing
        // counts as caught up, and the task does not end, while it is in flight.
        var pending: Task<Void, any Error>?
        do {
            while !stopRequested() {
                try await transaction(session, readers: readers, backfills: backfills, pending: &pending)
            }
            try await pending?.value
        } catch {
            _ = try? await pending?.value
            throw error
        }
    }

    /// One transaction: read and combine each binding, load and reduce (standard updates), then
    /// start the store of everything with the checkpoint (left in `pending`).
    private func transaction(_ session: any MaterializationSession, readers: [CollectionReader], backfills: [String: Int],
                             pending: inout Task<Void, any Error>?) async throws {
        let started = context.wallClockNanoseconds()
        // Sources' heads before reading: if this read finds nothing, the task is caught up to them.
        let headsBefore = headSum()
        var read = 0
        var entries: [Int: [StoreEntry]] = [:]
        for (position, binding) in bindings.enumerated() where read < bounds.maxDocuments {
            let collection = binding.collection
            let mode: ReductionMode = binding.deltaUpdates ? .partial : .full
            var combiner = Combiner(configuration: CombinerConfiguration(key: collection.key, mode: mode,
                                                                          memoryBudgetBytes: bounds.combinerBudgetBytes),
                                    validator: collection.readSchema.validator())
            // The keys to load: a document whose add grew the combiner's key count has a new
            // key. After a spill (which empties the table) keys may repeat; they are made unique
            // when sorted below.
            var keys: [[UInt8]] = []
            var packed: [UInt8] = []
            var failure: (any Error)?
            let count = try await readers[position].read(limit: bounds.maxDocuments - read) { committed in
                guard failure == nil else { return }
                let document = DocumentMeta.removingUUID(committed.document)
                let (keysBefore, spillsBefore) = (combiner.keyCount, combiner.statistics.spills)
                do {
                    try combiner.add(document)
                } catch {
                    failure = TaskError.connector(task: definition.name,
                                                  message: "binding \(binding.index) (\(collection.name)), \(committed.journal) offset \(committed.begin): \(error)")
                    return
                }
                if mode == .full, combiner.keyCount > keysBefore || combiner.statistics.spills != spillsBefore {
                    packed.removeAll(keepingCapacity: true)
                    collection.key.pack(document, into: &packed)
                    keys.append(packed)
                }
            }
            if let failure { throw failure }
            read += count
            guard count > 0 else { continue }
            // Loads (and the runtime's idea of what is stored) must follow the previous store.
            try await pending?.value
            pending = nil
            var existing = Set<[UInt8]>()
            if mode == .full {
                var loadKeys: [LoadKey] = []
                loadKeys.reserveCapacity(keys.count)
                keys.sort { $0.lexicographicallyPrecedes($1) }
                for (index, key) in keys.enumerated() where index == 0 || key != keys[index - 1] {
                    loadKeys.append(LoadKey(packed: key, values: try PackedKey.unpack(key).map(\.jsonValue)))
                }
                for stored in try await session.load(binding: binding.index, keys: loadKeys) {
                    packed.removeAll(keepingCapacity: true)
                    collection.key.pack(stored, into: &packed)
                    existing.insert(packed)
                    // A front's annotations only matter when two fronts of a key reduce, and
                    // each key is loaded once: the stored document is not validated again here
                    // (the drained reduction of it is).
                    try combiner.add(stored, annotations: ReduceAnnotations(entryCount: stored.entryCount), front: true)
                }
            }
            var drainer = try combiner.drain()
            var out: [StoreEntry] = []
            while let drained = try drainer.next() {
                let values = collection.key.extract(drained.document)
                out.append(StoreEntry(key: LoadKey(packed: drained.packedKey, values: values), document: drained.document,
                                      isDeleted: drained.isDeleted, existed: existing.contains(drained.packedKey)))
            }
            entries[binding.index] = out
        }
        if read == 0 {
            try await pending?.value
            pending = nil
            let heads = headsBefore
            status.update {
                $0.caughtUp = true
                $0.caughtUpHeads = heads
                $0.lagBytes = 0
            }
            _ = try await ReaderWaitPoint.waitAny(readers.map { try $0.waitPoint() }, timeoutSeconds: idleWaitSeconds)
            return
        }
        var next = MaterializationCheckpoint(backfills: backfills)
        for (binding, reader) in zip(bindings, readers) { next.readers[Self.readerName(binding)] = reader.checkpoint() }
        let checkpoint = Array(try JSONEncoder().encode(next))
        try await pending?.value  // a binding without documents this time did not wait above
        let lag = (try? readers.reduce((Int64(0), Int64(0))) { sum, reader in
            let one = try reader.lag()
            return (sum.0 + one.behindBytes, sum.1 + one.totalBytes)
        }) ?? (0, 0)
        status.update {
            $0.lagBytes = lag.0
            $0.sourceBytes = lag.1
        }
        let (status, context, written) = (self.status, self.context, entries.values.reduce(0) { $0 + $1.count })
        let target = SessionReference(session)
        let stored = entries
        pending = Task {
            try await target.session.store(stored, checkpoint: checkpoint)
            status.committed(read: read, written: written, bytes: 0, seconds: Double(context.wallClockNanoseconds() - started) / 1e9)
        }
    }
}

/// A session handed to the task that stores a transaction. Unchecked Sendable: while that store
/// runs, the materialization loop makes no other call on the session (it awaits the store
/// before its next load, store, or close).
private struct SessionReference: @unchecked Sendable {
    let session: any MaterializationSession

    init(_ session: any MaterializationSession) { self.session = session }
}
