import Foundation
import Logging
import SluiceCatalog
import SluiceCollection
import SluiceDocument
import SluiceSQLite
import SluiceTask
import Synchronization

/// Runs one derivation (docs/runtime.md, docs/derivations.md): its `shards` run side by side
/// (each a `DerivationShard` with its own database, readers and publisher, in its own child
/// task, so shards use several cores), each a loop of transactions whose state tables, read
/// checkpoints, held documents and ACK intents commit together.
final class DerivationTask: Sendable {
    let derived: CollectionSpec
    let definition: DerivationDefinition
    let transforms: [TransformSpec]
    /// One connector per shard start (connectors hold per-database state).
    let makeConnector: @Sendable () throws -> any DerivationConnector
    let context: TaskContext
    let bounds: TransactionBounds
    let status: TaskStatus
    let stopRequested: @Sendable () -> Bool
    /// The sum of the heads of the task's sources (the engine's idle detection compares it).
    let headSum: @Sendable () -> Int64
    /// How long an idle shard waits for its sources before checking for a stop.
    let idleWaitSeconds: Double
    /// Per shard, the sources' heads when it last found nothing to do (nil while busy).
    private let caughtUp: Mutex<[Int64?]>
    /// Each shard's lag after its last transaction: (bytes behind, source bytes).
    private let lags = Mutex<[Int: (Int64, Int64)]>([:])

    init(derived: CollectionSpec, definition: DerivationDefinition, transforms: [TransformSpec],
         makeConnector: @escaping @Sendable () throws -> any DerivationConnector, context: TaskContext, bounds: TransactionBounds,
         status: TaskStatus, idleWaitSeconds: Double = 0.25, headSum: @escaping @Sendable () -> Int64 = { 0 },
         stopRequested: @escaping @Sendable () -> Bool) {
        self.derived = derived
        self.definition = definition
        self.transforms = transforms
        self.makeConnector = makeConnector
        self.context = context
        self.bounds = bounds
        self.status = status
        self.idleWaitSeconds = idleWaitSeconds
        self.headSum = headSum
        self.stopRequested = stopRequested
        self.caughtUp = Mutex(Array(repeating: nil, count: max(1, definition.shards)))
    }

    /// The database file of a shard: `<data>/derivations/<name>/shard-NN.db`.
    static func databasePath(dataDirectory: String, derivation: String, shard: Int = 0) -> String {
        dataDirectory + "/derivations/" + derivation + "/shard-" + (shard < 10 ? "0" : "") + String(shard) + ".db"
    }

    func run() async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            for shard in 0..<max(1, definition.shards) {
                group.addTask { try await self.runShard(shard) }
            }
            // The first shard to fail fails the task (`waitForAll` would wait for the others,
            // which never end by themselves); leaving the group cancels the rest.
            while try await group.next() != nil {}
        }
    }

    private func runShard(_ index: Int) async throws {
        let shard = try await DerivationShard(derived: derived, definition: definition, transforms: transforms, shard: index,
                                              makeConnector: makeConnector, context: context,
                                              combinerBudgetBytes: bounds.combinerBudgetBytes)
        defer { shard.close() }
        // A failing shard fails the task: the group cancels the other shards, which stop at
        // their next transaction boundary (the engine restarts the task from the checkpoints).
        while !stopRequested(), !Task.isCancelled {
            let started = context.wallClockNanoseconds()
            // Sources' heads before reading: if this read finds nothing, the shard is caught up to them.
            let headsBefore = headSum()
            switch try await shard.transaction(maxDocuments: bounds.maxDocuments) {
            case .committed(let read, _, let written):
                markBusy(index)
                let lag = shard.lag()
                lags.withLock { $0[index] = lag }
                // Every shard reads all of the sources (its key range of them): the slowest shard's lag.
                let total = lags.withLock { $0.values.reduce((Int64(0), Int64(0))) { (max($0.0, $1.0), max($0.1, $1.1)) } }
                status.update {
                    $0.lagBytes = total.0
                    $0.sourceBytes = total.1
                }
                status.committed(read: read, written: written, bytes: 0,
                                 seconds: Double(context.wallClockNanoseconds() &- started) / 1e9)
            case .idle(let nextDue):
                markCaughtUp(index, heads: headsBefore)
                var timeout = idleWaitSeconds
                if let nextDue {
                    let now = context.wallClockNanoseconds()
                    timeout = min(timeout, nextDue > now ? Double(nextDue - now) / 1e9 : 0)
                }
                if timeout > 0 { _ = try await ReaderWaitPoint.waitAny(try shard.waitPoints(), timeoutSeconds: timeout) }
            }
        }
    }

    private func markBusy(_ shard: Int) {
        caughtUp.withLock { $0[shard] = nil }
    }

    /// The task is caught up when every shard last found nothing at the same heads.
    private func markCaughtUp(_ shard: Int, heads: Int64) {
        let all = caughtUp.withLock { states -> Int64? in
            states[shard] = heads
            guard let first = states[0], states.allSatisfy({ $0 == first }) else { return nil }
            return first
        }
        if let all {
            status.update {
                $0.caughtUp = true
                $0.caughtUpHeads = all
                $0.lagBytes = 0
            }
        }
    }
}
