// PostgresCDCSession: a running postgres-cdc capture. `next` pulls from the change source on the
// session's queue: documents are routed to their table's binding, and a boundary becomes a
// checkpoint once nothing more is immediately waiting (so a burst of small source transactions
// commits as one), or once a transaction has grown large. Heartbeats (no documents) are
// committed at most every `heartbeatCommitSeconds`, which is enough to let the slot release
// WAL. `committed(state:)` confirms the committed position's LSN: only then may the slot
// advance.
import Dispatch
import Foundation
import Logging
import SluiceDocument
import SluicePostgres
import SluiceTask
import Synchronization

final class PostgresCDCSession: CaptureSession, @unchecked Sendable {
    // Safety: `source` and the pull state below (`pendingBoundary`, `documentsSinceCheckpoint`,
    // `lastCheckpointNanoseconds`, `reachedTarget`, `silentSince`, `yielded`) are touched only
    // by closures run on `queue`, one at a time; `ready`/`readyIndex` only by `next`, which the
    // runtime calls from one task at a time. `caughtUp` is atomic.
    private let source: PostgresChangeSource
    private let queue: DispatchQueue
    private let bindingOfTable: [PostgresTableName: Int]
    private let backfillCounters: [String: Int]
    private let caughtUpTarget: PostgresLSN
    private let context: TaskContext

    private var pendingBoundary: PostgresChangeBoundary?
    private var documentsSinceCheckpoint = 0
    private var lastCheckpointNanoseconds: UInt64
    private var reachedTarget = false
    private var silentSince: ContinuousClock.Instant?
    /// Checkpoints yielded and not yet committed, in order, with the LSN each lets the slot confirm.
    private var yielded: [(state: JSONValue, confirm: PostgresLSN?)] = []
    private let caughtUp = Atomic<Bool>(false)

    private var ready: [CaptureEvent] = []
    private var readyIndex = 0

    /// Documents per `.documents` event.
    static let batchDocumentsMax = 1_000
    /// Documents one pull hands over before returning to the runtime (bounds the memory of a
    /// pull; the runtime combines as it goes).
    static let pullDocumentsMax = 10_000
    /// A boundary is committed even while more changes wait once this many documents are
    /// uncommitted: bounds a transaction when changes stream without pause.
    static let checkpointDocumentsMax = 20_000
    /// How long a pull waits for more right after a boundary: long enough to see what the
    /// socket already holds, short enough not to delay a commit.
    static let drainWait: Duration = .milliseconds(2)
    /// Longest single wait on the stream, so the pull checks its deadline.
    static let pollSlice: Duration = .milliseconds(100)
    /// Heartbeats (WAL without captured changes) are committed at most this often (seconds): a
    /// commit and a slot confirmation each.
    static let heartbeatCommitSeconds = 10.0
    /// With the backfill done and the stream silent this long, the capture counts as caught up
    /// even if no keepalive reached the WAL position seen at open (the server reports positions
    /// only when it has something to say).
    static let caughtUpSilence: Duration = .seconds(3)

    init(source: PostgresChangeSource, queue: DispatchQueue, bindingOfTable: [PostgresTableName: Int],
         backfillCounters: [String: Int], caughtUpTarget: PostgresLSN, context: TaskContext) {
        self.source = source
        self.queue = queue
        self.bindingOfTable = bindingOfTable
        self.backfillCounters = backfillCounters
        self.caughtUpTarget = caughtUpTarget
        self.context = context
        self.lastCheckpointNanoseconds = context.wallClockNanoseconds()
    }

    var isCaughtUp: Bool { caughtUp.load(ordering: .acquiring) }

    func next(deadlineNanoseconds: UInt64) async throws -> CaptureEvent {
        if readyIndex < ready.count { return takeReady() }
        let now = context.wallClockNanoseconds()
        let remaining = deadlineNanoseconds > now ? deadlineNanoseconds - now : 0
        let deadline = ContinuousClock.now + .nanoseconds(Int64(min(remaining, UInt64(Int64.max))))
        let events = try await PostgresCDCSession.onQueue(queue, task: context.taskName) { () throws(PostgresError) -> [CaptureEvent] in
            try self.pull(until: deadline)
        }
        guard !events.isEmpty else { return .idle }
        ready = events
        readyIndex = 0
        return takeReady()
    }

    private func takeReady() -> CaptureEvent {
        let event = ready[readyIndex]
        readyIndex += 1
        if readyIndex == ready.count {
            ready.removeAll(keepingCapacity: true)
            readyIndex = 0
        }
        return event
    }

    /// On `queue`: reads from the source until there is something to hand over and nothing more
    /// is waiting, or `pullDocumentsMax`, or the deadline.
    private func pull(until deadline: ContinuousClock.Instant) throws(PostgresError) -> [CaptureEvent] {
        var events: [CaptureEvent] = []
        var batch: [Document] = []
        var batchBinding = -1
        var documents = 0
        func flush() {
            guard !batch.isEmpty else { return }
            events.append(.documents(binding: batchBinding, batch))
            batch.removeAll(keepingCapacity: true)
        }
        func checkpoint(_ boundary: PostgresChangeBoundary) {
            flush()
            let state = PostgresCDCCheckpoint.state(boundary.position, backfill: backfillCounters)
            events.append(.checkpoint(state))
            yielded.append((state, boundary.confirmLSN))
            documentsSinceCheckpoint = 0
            pendingBoundary = nil
            lastCheckpointNanoseconds = context.wallClockNanoseconds()
        }
        pulling: while true {
            let now = ContinuousClock.now
            let wait = pendingBoundary != nil ? PostgresCDCSession.drainWait
                                              : max(.milliseconds(1), min(deadline - now, PostgresCDCSession.pollSlice))
            guard let event = try source.next(timeout: wait) else {
                if let boundary = pendingBoundary {
                    // Nothing more is waiting: commit what the latest boundary covers. A bare
                    // heartbeat (nothing uncommitted before it) waits its turn.
                    if boundary.kind != .heartbeat || documentsSinceCheckpoint > 0 || heartbeatIsDue() {
                        checkpoint(boundary)
                    } else {
                        pendingBoundary = nil
                    }
                }
                noteSilence()
                if !events.isEmpty || !batch.isEmpty || ContinuousClock.now >= deadline { break pulling }
                continue
            }
            silentSince = nil
            switch event {
            case .document(let document):
                if let boundary = pendingBoundary {
                    // More changes follow: the boundary is superseded by a later one, unless
                    // what it covers has grown large.
                    if documentsSinceCheckpoint >= PostgresCDCSession.checkpointDocumentsMax {
                        checkpoint(boundary)
                    } else {
                        pendingBoundary = nil
                    }
                }
                let binding = try self.binding(of: document)
                if binding != batchBinding {
                    flush()
                    batchBinding = binding
                }
                batch.append(document)
                documents += 1
                documentsSinceCheckpoint += 1
                if batch.count >= PostgresCDCSession.batchDocumentsMax { flush() }
                if documents >= PostgresCDCSession.pullDocumentsMax { break pulling }
            case .boundary(let boundary):
                pendingBoundary = boundary
                if documentsSinceCheckpoint >= PostgresCDCSession.checkpointDocumentsMax { checkpoint(boundary) }
            }
            if ContinuousClock.now >= deadline, let boundary = pendingBoundary {
                checkpoint(boundary)
                break pulling
            }
        }
        flush()
        noteProgress()
        return events
    }

    private func heartbeatIsDue() -> Bool {
        Double(context.wallClockNanoseconds() &- lastCheckpointNanoseconds) / 1e9 >= PostgresCDCSession.heartbeatCommitSeconds
    }

    /// The binding of a document's table (`_meta/source/schema` and `table`).
    private func binding(of document: Document) throws(PostgresError) -> Int {
        let origin = document["_meta"]?["source"]
        guard let schema = origin?["schema"]?.string, let table = origin?["table"]?.string,
              let binding = bindingOfTable[PostgresTableName(schema: schema, table: table)] else {
            throw PostgresError(.protocolViolation, "a change document of no captured table: \(document)", endpoint: source.configuration.connection.endpoint)
        }
        return binding
    }

    private func noteSilence() {
        if silentSince == nil { silentSince = .now }
        noteProgress()
    }

    /// Caught up: the backfill is done and the stream reached the WAL position seen at open
    /// (or has been silent for `caughtUpSilence`). Stays true once reached.
    private func noteProgress() {
        guard !reachedTarget, source.position.isBackfillComplete else { return }
        if source.position.lsn >= caughtUpTarget {
            reachedTarget = true
        } else if let silentSince, ContinuousClock.now - silentSince >= PostgresCDCSession.caughtUpSilence {
            reachedTarget = true
            context.logger.debug("caught up by silence", metadata: ["position": "\(source.position.lsn)", "target": "\(caughtUpTarget)"])
        }
        if reachedTarget { caughtUp.store(true, ordering: .releasing) }
    }

    func committed(state: JSONValue) async {
        do {
            try await PostgresCDCSession.onQueue(queue, task: context.taskName) { () throws(PostgresError) in
                guard let index = self.yielded.firstIndex(where: { $0.state == state }) else { return }
                let confirm = self.yielded[...index].compactMap(\.confirm).max()
                self.yielded.removeFirst(index + 1)
                if let confirm { try self.source.confirm(confirm) }
            }
        } catch {
            // The next confirmation covers this one; the stream reconnects after a failure.
            context.logger.warning("confirming the slot's position failed", metadata: ["error": "\(error)"])
        }
    }

    func abandoned(error: any Error) async {
        try? await PostgresCDCSession.onQueue(queue, task: context.taskName) { () throws(PostgresError) in
            self.yielded.removeAll()
            self.pendingBoundary = nil
        }
    }

    func close() async {
        try? await PostgresCDCSession.onQueue(queue, task: context.taskName) { () throws(PostgresError) in self.source.close() }
    }

    /// Runs `body` on `queue` (blocking calls never hold a thread of the cooperative pool),
    /// turning a PostgreSQL error into the task error it calls for.
    static func onQueue<Result: Sendable>(_ queue: DispatchQueue, task: String,
                                          _ body: @escaping @Sendable () throws(PostgresError) -> Result) async throws -> Result {
        try await withCheckedThrowingContinuation { continuation in
            queue.async {
                let result = Swift.Result { () throws(PostgresError) -> Result in try body() }
                switch result {
                case .success(let value): continuation.resume(returning: value)
                case .failure(let error): continuation.resume(throwing: error.taskError(task: task))
                }
            }
        }
    }
}
