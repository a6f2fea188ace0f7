#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Making appends durable, and publishing them to readers.
///
/// Group commit (the default policy): an append writes its record, then asks for a sync. When
/// no fdatasync is running, one starts on the journal's sync queue at once (or after
/// `groupCommitDelayMicroseconds`, cut short once `groupCommitBytesMax` bytes wait); it covers
/// everything written before it started. Appends written while it runs wait for the next one,
/// which then covers them all: concurrent appends share fdatasyncs, and an idle disk adds no
/// waiting. `always` syncs inline in each append; `none` publishes on write.
///
/// A failed fdatasync fails the journal (`JournalError.journalFailed`): after such a failure
/// the kernel may have dropped the dirty pages, so retrying cannot prove durability.
extension Journal {
    /// `always`: fdatasync the active spool now and publish what it covered.
    func synchronizeNow() throws {
        let (spool, target, durable) = state.withLock { ($0.activeSpool!, $0.writtenEnd, $0.durableEnd) }
        guard target > durable else { return }
        try failOnError { try spool.file.synchronizeData() }
        publishDurable(through: target)
    }

    /// Group commit: make sure a sync loop runs.
    func requestGroupSync() {
        let start = state.withLock { state -> Bool in
            if state.syncRunning { return false }
            state.syncRunning = true
            return true
        }
        if start { syncQueue.async { [self] in groupSyncLoop() } }
    }

    /// Runs on `syncQueue` until nothing written is unsynced.
    private func groupSyncLoop() {
        while true {
            if spec.groupCommitDelayMicroseconds > 0 { gatherForDelay() }
            let next = state.withLock { state -> (Spool, Int64)? in
                guard state.failure == nil, state.writtenEnd > state.durableEnd, let spool = state.activeSpool else {
                    state.syncRunning = false
                    return nil
                }
                return (spool, state.writtenEnd)
            }
            guard let (spool, target) = next else { return }
            do {
                try failOnError { try spool.file.synchronizeData() }
            } catch {
                state.withLock { $0.syncRunning = false }
                return
            }
            publishDurable(through: target)
        }
    }

    /// Sleeps up to the group-commit delay, returning early once enough bytes wait.
    private func gatherForDelay() {
        let deadline = ContinuousClock.now + .microseconds(spec.groupCommitDelayMicroseconds)
        let pollMicroseconds: Int64 = 50  // granularity of the wait; far below any useful delay
        while ContinuousClock.now < deadline {
            let unsynced = state.withLock { $0.writtenEnd - $0.durableEnd }
            if unsynced >= spec.groupCommitBytesMax { return }
            usleep(UInt32(min(pollMicroseconds, spec.groupCommitDelayMicroseconds)))
        }
    }

    /// Records that everything before `target` is durable; under `always` and group commit it
    /// becomes committed (readable), and waiting appends and readers are resumed.
    func publishDurable(through target: Int64) {
        let (appenders, readers, committed) = state.withLock {
            state -> ([CheckedContinuation<Void, any Error>], [CheckedContinuation<Void, Never>], Int64?) in
            guard target > state.durableEnd else { return ([], [], nil) }
            state.durableEnd = target
            if spec.fsyncPolicy != .none { state.committedEnd = max(state.committedEnd, target) }
            var resumed: [CheckedContinuation<Void, any Error>] = []
            let committed = state.committedEnd
            state.appendWaiters.removeAll { waiter in
                guard waiter.end <= committed else { return false }
                resumed.append(waiter.continuation)
                return true
            }
            return (resumed, Self.takeHeadWaiters(&state), committed)
        }
        if let committed, spec.fsyncPolicy != .none { watermark?.publish(committed) }
        for appender in appenders { appender.resume() }
        for reader in readers { reader.resume() }
    }

    /// Removes and returns the blocked readers the committed head has moved past.
    static func takeHeadWaiters(_ state: inout State) -> [CheckedContinuation<Void, Never>] {
        guard !state.headWaiters.isEmpty else { return [] }
        var woken: [CheckedContinuation<Void, Never>] = []
        for (id, waiter) in state.headWaiters where waiter.offset < state.committedEnd {
            woken.append(waiter.continuation)
            state.headWaiters[id] = nil
        }
        return woken
    }

    /// Runs `body`; on error fails the journal and rethrows.
    func failOnError(_ body: () throws -> Void) throws {
        do {
            try body()
        } catch {
            let journalError = error as? JournalError ?? .journalFailed(name: name.rawValue, reason: "\(error)")
            fail(journalError)
            throw journalError
        }
    }

    /// Puts the journal in the failed state and fails every waiting append.
    func fail(_ error: JournalError) {
        let waiters = state.withLock { state -> [CheckedContinuation<Void, any Error>] in
            if state.failure == nil { state.failure = .journalFailed(name: name.rawValue, reason: error.description) }
            defer { state.appendWaiters = [] }
            return state.appendWaiters.map(\.continuation)
        }
        let failure = state.withLock { $0.failure! }
        for waiter in waiters { waiter.resume(throwing: failure) }
    }
}
