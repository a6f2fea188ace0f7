/// Exactly-once commits into Redis for one materialization (and key range), SEMANTICS.md §6
/// carried over to Redis:
///
/// - The **fence key** (`<prefix>fence:<materialization>:<begin>-<end>`, a counter) is
///   incremented by every `open()`. The value returned is the session's fence; any session
///   holding a smaller one is fenced off from then on.
/// - The **checkpoint key** (`<prefix>checkpoint:<materialization>:<begin>-<end>`, a hash)
///   holds `fence` (the fence of the session that committed last) and `checkpoint` (its
///   checkpoint bytes, opaque here).
/// - `commit` WATCHes the fence key, reads it, and gives up (`.fencedOff`) if it no longer
///   holds the session's fence. Otherwise it sends MULTI, the data writes, the checkpoint HSET
///   and EXEC in one pipeline. If another `open()` incremented the fence after the WATCH, EXEC
///   returns nil and nothing is applied: `.fencedOff` again. Data and checkpoint thus change
///   together or not at all, and only for the newest session.
///
/// After a crash, the new session's `open()` returns the checkpoint that committed with the
/// data, so reading resumes exactly after it. If a commit's reply is lost (the connection broke
/// after EXEC was sent), `commit` throws: the caller must reopen, and the checkpoint read then
/// tells whether that transaction applied.
///
/// Requirements on the server (docs/redis.md): a single Redis node (MULTI across cluster slots
/// is not possible), and an eviction policy that cannot evict keys without a TTL (`noeviction`
/// or a `volatile-*` policy): `open()` refuses `allkeys-*` policies when CONFIG is allowed.
public struct RedisCheckpointStore: Sendable {
    public let client: RedisClient
    public let materialization: String
    public let keyBegin: UInt32
    public let keyEnd: UInt32
    public let fenceKey: String
    public let checkpointKey: String

    public init(client: RedisClient, materialization: String, keyBegin: UInt32 = 0, keyEnd: UInt32 = .max,
                keyPrefix: String = "sluice:") {
        precondition(!materialization.isEmpty, "a materialization needs a name")
        precondition(keyBegin <= keyEnd, "key range \(keyBegin)...\(keyEnd) is empty")
        self.client = client
        self.materialization = materialization
        self.keyBegin = keyBegin
        self.keyEnd = keyEnd
        let range = Self.hex(keyBegin) + "-" + Self.hex(keyEnd)
        fenceKey = "\(keyPrefix)fence:\(materialization):\(range)"
        checkpointKey = "\(keyPrefix)checkpoint:\(materialization):\(range)"
    }

    /// Takes over the materialization: increments the fence (fencing off every older session)
    /// and reads the last committed checkpoint. Throws `.unsafeConfiguration` if the server
    /// may evict keys without a TTL.
    public func open() async throws -> RedisCheckpointSession {
        let fenceKey = self.fenceKey, checkpointKey = self.checkpointKey, address = client.endpoint.address
        let (fence, committedFence, checkpoint) = try await client.withConnection { connection in
            // CONFIG may be disabled (managed services): then the check is skipped.
            let policy = try connection.pipeline([RedisCommand("CONFIG", "GET", "maxmemory-policy")])[0]
            if let pair = policy.array, pair.count == 2, let value = pair[1].string, value.hasPrefix("allkeys-") {
                throw RedisError(.unsafeConfiguration, server: address, command: "CONFIG GET maxmemory-policy",
                                 message: "maxmemory-policy is \(value): Redis may evict the fence and checkpoint keys, "
                                     + "which breaks exactly-once; use noeviction or a volatile-* policy")
            }
            let increment = RedisCommand("INCR", fenceKey)
            let read = RedisCommand("HMGET", checkpointKey, "fence", "checkpoint")
            let replies = try connection.pipeline([increment, read])
            if let message = replies[0].errorMessage { throw RedisConnection.replyError(message, server: address, command: increment) }
            if let message = replies[1].errorMessage { throw RedisConnection.replyError(message, server: address, command: read) }
            guard case .integer(let fence) = replies[0], let fields = replies[1].array, fields.count == 2 else {
                throw RedisError(.protocolViolation, server: address, command: increment.description,
                                 message: "unexpected replies \(replies)")
            }
            let committedFence: Int64? = fields[0].isNull ? nil : fields[0].integer
            if !fields[0].isNull, committedFence == nil {
                throw RedisError(.reply, server: address, command: read.description,
                                 message: "the checkpoint's fence field is not an integer: \(fields[0])")
            }
            return (fence, committedFence, fields[1].isNull ? nil : fields[1].bytes)
        }
        return RedisCheckpointSession(store: self, fence: fence, checkpoint: checkpoint, committedFence: committedFence)
    }

    static func hex(_ value: UInt32) -> String { String(value, radix: 16).leftPadded(to: 8) }
}

/// What a commit did: applied everything, or nothing because a newer session holds the fence.
public enum RedisCommitOutcome: Sendable, Equatable {
    case committed
    /// A newer session opened (its fence is `currentFence`); this session must stop.
    case fencedOff(currentFence: Int64?)
}

/// An open materialization session: its fence and the checkpoint it resumes from. Commits
/// apply only while no newer session has opened.
public struct RedisCheckpointSession: Sendable {
    public let store: RedisCheckpointStore
    /// This session's fence (the fence key's value after this session's INCR).
    public let fence: Int64
    /// The checkpoint committed last, nil if none ever was.
    public let checkpoint: [UInt8]?
    /// The fence of the session that committed `checkpoint`.
    public let committedFence: Int64?

    /// Applies `writes` and records `checkpoint`, atomically, if this session still holds the
    /// fence. Throws on I/O errors (the outcome is then unknown: reopen and read the
    /// checkpoint) and on error replies (nothing applied, the command named).
    public func commit(_ writes: [RedisWrite], checkpoint: [UInt8]) async throws -> RedisCommitOutcome {
        try await commit(writes, checkpoint: checkpoint, afterFenceCheck: nil)
    }

    /// `commit`, with a hook that runs (on the client's queue) between the fence check and the
    /// transaction: tests open a newer session there to reach the EXEC-returns-nil path.
    func commit(_ writes: [RedisWrite], checkpoint: [UInt8],
                afterFenceCheck: (@Sendable () throws -> Void)?) async throws -> RedisCommitOutcome {
        let fenceKey = store.fenceKey, checkpointKey = store.checkpointKey, fence = self.fence
        let address = store.client.endpoint.address
        var transaction = [RedisCommand("MULTI")]
        for write in writes { transaction.append(contentsOf: write.commands) }
        transaction.append(RedisCommand("HSET", checkpointKey, "fence", fence, "checkpoint", checkpoint))
        transaction.append(RedisCommand("EXEC"))
        let commands = transaction

        return try await store.client.withConnection { connection in
            let watch = RedisCommand("WATCH", fenceKey)
            let read = RedisCommand("GET", fenceKey)
            let guardReplies = try connection.pipeline([watch, read])
            if let message = guardReplies[0].errorMessage { throw RedisConnection.replyError(message, server: address, command: watch) }
            let current = guardReplies[1].integer
            guard current == fence else {
                try connection.execute(RedisCommand("UNWATCH"))
                return .fencedOff(currentFence: current)
            }
            try afterFenceCheck?()

            let replies = try connection.pipeline(commands)
            // A command refused while queueing (syntax, OOM) makes EXEC discard everything.
            for (command, reply) in zip(commands, replies).dropLast() {
                if let message = reply.errorMessage {
                    throw RedisConnection.replyError(message + " (transaction discarded)", server: address, command: command)
                }
            }
            switch replies[replies.count - 1] {
            case .null:
                // The fence key changed after WATCH: a newer session opened.
                let now = try connection.execute(RedisCommand("GET", fenceKey)).integer
                return .fencedOff(currentFence: now)
            case .array(let results):
                let queued = Array(commands.dropFirst().dropLast())
                guard results.count == queued.count else {
                    throw RedisError(.protocolViolation, server: address, command: "EXEC",
                                     message: "\(results.count) results for \(queued.count) queued commands")
                }
                for (command, result) in zip(queued, results) {
                    if let message = result.errorMessage {
                        throw RedisConnection.replyError(message + " (inside EXEC: the other commands were applied)",
                                                         server: address, command: command)
                    }
                }
                return .committed
            case .error(let message):
                throw RedisConnection.replyError(message, server: address, command: RedisCommand("EXEC"))
            case let other:
                throw RedisError(.protocolViolation, server: address, command: "EXEC", message: "unexpected reply \(other)")
            }
        }
    }
}
