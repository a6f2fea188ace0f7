/// An append that is written but may not be committed yet (see `Journal.write`).
public struct PendingAppend: Sendable {
    /// The offsets the append occupies.
    public let range: Range<Int64>
    let journal: Journal

    /// Waits until the append is committed (durable under the journal's policy, and readable).
    /// Throws when the journal failed (an fdatasync error) before that.
    public func committed() async throws {
        try await journal.waitForCommit(through: range.upperBound)
    }
}

extension Journal {
    /// Appends `bytes` atomically and returns their `[begin, end)` once committed: durable
    /// under the fsync policy and readable.
    ///
    /// With `expectedOffset`, the append fails with `unexpectedOffset` unless it would begin
    /// there (the head as of every earlier append). Appends of more than `appendBytesMax` bytes
    /// fail with `appendTooLarge`. An empty append writes nothing and returns an empty range.
    @discardableResult
    public func append(_ bytes: [UInt8], expectedOffset: Int64? = nil) async throws -> Range<Int64> {
        let pending = try await write(bytes, expectedOffset: expectedOffset)
        try await pending.committed()
        return pending.range
    }

    /// Writes `bytes` as the next append and returns without waiting for the commit, so one
    /// producer can keep several appends in flight (they commit in order) and still learn when
    /// each is durable through `PendingAppend.committed()`. Waits first when the seal backlog is
    /// full. Appends from one task are written in the order of the calls.
    public func write(_ bytes: [UInt8], expectedOffset: Int64? = nil) async throws -> PendingAppend {
        try await write(bytes[...], expectedOffset: expectedOffset)
    }

    /// As `write(_:expectedOffset:)`, for a slice.
    public func write(_ bytes: ArraySlice<UInt8>, expectedOffset: Int64? = nil) async throws -> PendingAppend {
        guard !isReadOnly else { throw JournalError.readOnly(name: name.rawValue, operation: "append") }
        guard bytes.count <= Self.appendBytesMax else {
            throw JournalError.appendTooLarge(bytes: bytes.count, limit: Self.appendBytesMax)
        }
        try await waitForSealBacklog()
        let range = try bytes.withUnsafeBytes { try writeRecord($0, expectedOffset: expectedOffset) }
        if !range.isEmpty {
            switch spec.fsyncPolicy {
            case .always: try synchronizeNow()
            case .groupCommit: requestGroupSync()
            case .none: break
            }
        }
        return PendingAppend(range: range, journal: self)
    }

    /// Writes one spool record under the append lock. Rolls the spool first when it is full
    /// or a flush-interval boundary has passed.
    private func writeRecord(_ payload: UnsafeRawBufferPointer, expectedOffset: Int64?) throws -> Range<Int64> {
        try appendLock.withLock { _ in
            try checkOpen()
            let (spool, writtenEnd, durableEnd) = state.withLock { ($0.activeSpool!, $0.writtenEnd, $0.durableEnd) }
            if let expectedOffset, expectedOffset != writtenEnd {
                throw JournalError.unexpectedOffset(expected: expectedOffset, head: writtenEnd)
            }
            if payload.isEmpty { return writtenEnd ..< writtenEnd }
            let now = clock.wallClockNanoseconds()
            var target = spool
            if spool.lengthBytes >= spec.fragmentLengthBytes || flushBoundaryPassed(spool, nowNanoseconds: now) {
                try roll(spool)
                target = state.withLock { $0.activeSpool! }
            }
            let range: Range<Int64>
            do {
                range = try target.append(payload, syncedThrough: durableEnd, nowNanoseconds: now)
            } catch SpoolWriteFailure.recovered(let error) {
                throw error
            } catch SpoolWriteFailure.unrecoverable(let error) {
                fail(error)
                throw error
            }
            let readers = state.withLock { state -> [CheckedContinuation<Void, Never>] in
                state.writtenEnd = range.upperBound
                guard spec.fsyncPolicy == .none else { return [] }
                state.committedEnd = range.upperBound
                return Self.takeHeadWaiters(&state)
            }
            for reader in readers { reader.resume() }
            return range
        }
    }

    /// True when a flush interval is set and a UTC-aligned boundary lies between the spool's
    /// first append and now.
    private func flushBoundaryPassed(_ spool: Spool, nowNanoseconds: Int64) -> Bool {
        guard spec.flushIntervalSeconds > 0, let first = spool.firstAppendNanoseconds else { return false }
        let interval = spec.flushIntervalSeconds * 1_000_000_000
        return nowNanoseconds / interval > first / interval
    }

    /// Waits until `committedEnd >= end`.
    func waitForCommit(through end: Int64) async throws {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            let outcome = state.withLock { state -> Result<Bool, JournalError> in
                if state.committedEnd >= end { return .success(true) }
                if let failure = state.failure { return .failure(failure) }
                state.appendWaiters.append((end, continuation))
                return .success(false)
            }
            switch outcome {
            case .success(true): continuation.resume()
            case .success(false): break
            case .failure(let failure): continuation.resume(throwing: failure)
            }
        }
    }
}
