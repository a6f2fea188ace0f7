import Dispatch
import Synchronization

/// A journal: an append-only byte log with atomic, serialized appends and concurrent readers.
///
/// Offsets:
/// - `writtenEnd`: bytes written to the spool (not necessarily durable);
/// - `durableEnd`: bytes known fdatasync'ed;
/// - `committedEnd` (`head`): bytes readable. Under `always` and group commit it is
///   `durableEnd`; under `none` it is `writtenEnd`. It only moves at append boundaries, so no
///   reader ever sees part of an append, and (except under `none`) never a byte a crash could
///   take back.
///
/// Concurrency: appends hold `appendLock` for their write (serialized, in order); everything
/// readers consult lives in `state`, held only briefly. Lock order: `appendLock`, then `state`,
/// then a spool's own lock. Continuations are resumed outside the locks. Blocking work runs off
/// the cooperative pool: group-commit fdatasyncs on the journal's dispatch queue, sealing on its
/// own low-priority thread (`BackgroundWorker`).
public final class Journal: Sendable {
    /// The largest append, in bytes. 64 MiB: an append is buffered whole by its caller and
    /// written as one spool record; this bounds that memory and a reader's largest chunk.
    public static let appendBytesMax = 64 << 20
    /// Bytes of rolled spools waiting for their seal beyond which appends wait (backpressure).
    /// 1 GiB: sealing (compression) runs beside appends, so a burst of up to ~1 GiB is taken at
    /// disk speed while sealing catches up; sustained appends are held to the sealing rate, and
    /// unsealed spools never take more than this much extra disk.
    static let sealBacklogBytesMaxDefault: Int64 = 1 << 30
    /// This journal's backlog limit (tests lower it).
    let sealBacklogBytesMax: Int64

    public let name: JournalName
    /// The journal's `@journal` directory.
    public let directory: String
    public let spec: JournalSpec
    public let isReadOnly: Bool
    /// What opening the journal found and repaired.
    public let recoveryReport: RecoveryReport
    let fileSystem: any FileSystem
    let store: any FragmentStore
    let clock: any JournalClock
    private let lock: (any FileLock)?
    /// The committed head for other processes (appending journals, unless the policy is `none`).
    let watermark: CommittedWatermark?
    /// Serializes appends, rolls and close.
    let appendLock = Mutex<Void>(())
    let state: Mutex<State>
    let syncQueue: DispatchQueue
    /// Seals rolled spools, one at a time, at low CPU priority (writable journals only).
    let sealer: BackgroundWorker?

    struct State {
        var activeSpool: Spool?
        /// Rolled spools not yet sealed, ascending.
        var rolledSpools: [Spool] = []
        var index: FragmentIndex
        var writtenEnd: Int64
        var durableEnd: Int64
        var committedEnd: Int64
        var appendWaiters: [(end: Int64, continuation: CheckedContinuation<Void, any Error>)] = []
        var headWaiters: [UInt64: (offset: Int64, continuation: CheckedContinuation<Void, Never>)] = [:]
        var backlogWaiters: [CheckedContinuation<Void, Never>] = []
        var nextWaiterID: UInt64 = 0
        var syncRunning = false
        var failure: JournalError?
        var sealFailure: JournalError?
        var closed = false

        /// Bytes of rolled spools waiting for their seal.
        var sealBacklogBytes: Int64 { rolledSpools.reduce(0) { $0 + $1.lengthBytes } }
    }

    init(name: JournalName, directory: String, spec: JournalSpec, isReadOnly: Bool, recoveryReport: RecoveryReport,
         fileSystem: any FileSystem, store: any FragmentStore, clock: any JournalClock, lock: (any FileLock)?,
         activeSpool: Spool?, rolledSpools: [Spool], index: FragmentIndex, head: Int64,
         watermark: CommittedWatermark?, sealBacklogBytesMax: Int64 = Journal.sealBacklogBytesMaxDefault) {
        self.watermark = watermark
        self.sealBacklogBytesMax = sealBacklogBytesMax
        self.name = name
        self.directory = directory
        self.spec = spec
        self.isReadOnly = isReadOnly
        self.recoveryReport = recoveryReport
        self.fileSystem = fileSystem
        self.store = store
        self.clock = clock
        self.lock = lock
        var initial = State(activeSpool: activeSpool, index: index, writtenEnd: head, durableEnd: head, committedEnd: head)
        initial.rolledSpools = rolledSpools
        self.state = Mutex(initial)
        self.syncQueue = DispatchQueue(label: "sluice.journal.sync")
        self.sealer = isReadOnly ? nil : BackgroundWorker(name: "sluice seal " + name.rawValue)
        if !isReadOnly {
            for spool in rolledSpools { enqueueSeal(spool) }
        }
    }

    /// The committed head: the offset the next append will begin at, once everything written
    /// has committed. Reads below it never block.
    public var head: Int64 { state.withLock { $0.committedEnd } }

    /// The lowest readable offset (earlier ones were pruned), or the head when nothing is held.
    public var firstOffset: Int64 {
        state.withLock { state in
            state.index.begin ?? state.rolledSpools.first?.begin ?? state.activeSpool?.begin ?? state.committedEnd
        }
    }

    /// The sealed fragments, oldest first.
    public var fragments: [SealedFragment] { state.withLock { $0.index.fragments } }

    /// The spools not yet sealed (rolled ones first, then the active one), as
    /// `(path, begin, end)` with `end` clipped to the committed head.
    public var spools: [(path: String, begin: Int64, end: Int64)] {
        state.withLock { state in
            (state.rolledSpools + (state.activeSpool.map { [$0] } ?? [])).map {
                ($0.path, $0.begin, min($0.end, state.committedEnd))
            }
        }
    }

    /// Set when sealing failed; appends then fail once the seal backlog is full.
    public var sealFailure: JournalError? { state.withLock { $0.sealFailure } }

    // MARK: - Sealing

    /// Rolls the spool if it holds anything, then waits until every rolled spool is sealed.
    /// Throws the seal's error when sealing failed.
    public func seal() async throws {
        guard !isReadOnly else { throw JournalError.readOnly(name: name.rawValue, operation: "seal") }
        try appendLock.withLock { _ in
            try checkOpen()
            if let spool = state.withLock({ $0.activeSpool }), spool.lengthBytes > 0 { try roll(spool) }
        }
        await sealer?.barrier()
        if let failure = state.withLock({ $0.sealFailure }) { throw failure }
    }

    /// Closes the spool of `old` and starts a new one at its end; the old one is sealed in the
    /// background. Caller holds `appendLock`.
    func roll(_ old: Spool) throws {
        if spec.fsyncPolicy != .none {
            try failOnError { try old.file.synchronizeData() }
            publishDurable(through: old.end)
        }
        let new = try Spool.create(in: directory, begin: old.end, fileSystem: fileSystem)
        if spec.fsyncPolicy != .none { try fileSystem.synchronizeDirectory(atPath: directory) }
        state.withLock { state in
            state.activeSpool = new
            state.rolledSpools.append(old)
        }
        enqueueSeal(old)
    }

    func enqueueSeal(_ spool: Spool) {
        sealer?.async { [self] in sealRolled(spool) }
    }

    /// Runs on `sealer`.
    private func sealRolled(_ spool: Spool) {
        do {
            let fragment = try Sealer.seal(spool, codec: spec.codec, store: store)
            let waiters = state.withLock { state in
                state.index.insert(fragment)
                state.rolledSpools.removeAll { $0 === spool }
                defer { state.backlogWaiters = [] }
                return state.backlogWaiters
            }
            try? fileSystem.removeFile(atPath: spool.path)
            for waiter in waiters { waiter.resume() }
            if spec.retentionBytes > 0 || spec.retentionAgeSeconds > 0 { _ = try? prune() }
        } catch {
            let failure = error as? JournalError ?? .journalFailed(name: name.rawValue, reason: "\(error)")
            let waiters = state.withLock { state in
                if state.sealFailure == nil { state.sealFailure = failure }  // the first cause is the telling one
                defer { state.backlogWaiters = [] }
                return state.backlogWaiters
            }
            for waiter in waiters { waiter.resume() }
        }
    }

    /// Waits while the seal backlog is full. Throws the seal failure if sealing failed.
    func waitForSealBacklog() async throws {
        while true {
            let full = state.withLock { state -> Bool in
                state.sealFailure == nil && state.sealBacklogBytes >= sealBacklogBytesMax
            }
            if !full { break }
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let wait = state.withLock { state -> Bool in
                    guard state.sealFailure == nil, state.sealBacklogBytes >= sealBacklogBytesMax else { return false }
                    state.backlogWaiters.append(continuation)
                    return true
                }
                if !wait { continuation.resume() }
            }
        }
        if let failure = state.withLock({ state in state.sealBacklogBytes >= sealBacklogBytesMax ? state.sealFailure : nil }) {
            throw failure
        }
    }

    // MARK: - Retention

    /// Drops the sealed fragments retention selects (`Retention`) and returns them. The
    /// arguments override the spec's retention for this call.
    @discardableResult
    public func prune(retentionBytes: Int64? = nil, retentionAgeSeconds: Int64? = nil) throws -> [SealedFragment] {
        guard !isReadOnly else { throw JournalError.readOnly(name: name.rawValue, operation: "prune") }
        var policy = spec
        if let retentionBytes { policy.retentionBytes = retentionBytes }
        if let retentionAgeSeconds { policy.retentionAgeSeconds = retentionAgeSeconds }
        try policy.validate()
        let (fragments, head) = state.withLock { ($0.index.fragments, $0.committedEnd) }
        let victims = Retention.fragmentsToDrop(fragments, head: head, spec: policy,
                                                nowNanoseconds: clock.wallClockNanoseconds())
        for fragment in victims {
            // Out of the index first: a reader that already opened the file keeps reading it.
            state.withLock { _ = $0.index.remove(fragment) }
            try store.remove(fragment)
        }
        return victims
    }

    // MARK: - Close

    /// Makes everything written durable, stops appends, ends blocking reads at the head, waits
    /// for background seals and releases the journal's lock. Reads of committed bytes keep
    /// working on this object afterwards.
    public func close() async {
        let alreadyClosed = appendLock.withLock { _ in
            state.withLock { state -> Bool in
                defer { state.closed = true }
                return state.closed
            }
        }
        if alreadyClosed { return }
        if !isReadOnly {
            let (spool, target) = state.withLock { ($0.activeSpool, $0.writtenEnd) }
            if let spool, (try? spool.file.synchronizeData()) != nil { publishDurable(through: target) }
            await barrier(syncQueue)
            await sealer?.barrier()
            sealer?.stop()
        }
        let waiters = state.withLock { state in
            defer { state.headWaiters = [:]; state.backlogWaiters = [] }
            return (state.headWaiters.values.map(\.continuation), state.backlogWaiters)
        }
        for waiter in waiters.0 { waiter.resume() }
        for waiter in waiters.1 { waiter.resume() }
        lock?.unlock()
    }

    var isClosed: Bool { state.withLock { $0.closed } }

    func checkOpen() throws {
        let (closed, failure) = state.withLock { ($0.closed, $0.failure) }
        if closed { throw JournalError.journalClosed(name: name.rawValue) }
        if let failure { throw failure }
    }

    /// Waits until everything queued on `queue` so far has run.
    func barrier(_ queue: DispatchQueue) async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            queue.async { continuation.resume() }
        }
    }
}
