import Dispatch

/// The async face of a Redis connection, safe to share between tasks.
///
/// Threading: each client owns a serial `DispatchQueue`. Every call hops onto it, runs the
/// blocking socket work there (bounded by `RedisOptions`' timeouts) and resumes the caller's
/// task with the result, so Swift's cooperative pool never waits on a socket. Calls from many
/// tasks run one after another, in arrival order, on the one connection.
///
/// The connection is opened on first use (or by `connect()`). An error that breaks it (I/O,
/// timeout, protocol, authentication) closes it and the next call opens a new one; retrying
/// with backoff is the caller's decision (`RedisError.isRetryable`). A cancelled task still
/// waits for the call it started: a blocking socket call cannot be interrupted, only timed out.
public final class RedisClient: Sendable {
    public let endpoint: RedisEndpoint
    public let options: RedisOptions
    private let queue: DispatchQueue
    private let slot = ConnectionSlot()

    public init(endpoint: RedisEndpoint, options: RedisOptions = RedisOptions()) {
        self.endpoint = endpoint
        self.options = options
        queue = DispatchQueue(label: "sluice.redis.\(endpoint.address)")
    }

    /// A client for a `redis://[user:password@]host:port/db` URL.
    public convenience init(url: String, options: RedisOptions = RedisOptions()) throws {
        self.init(endpoint: try RedisEndpoint(url: url), options: options)
    }

    /// Opens the connection now (connect, AUTH, SELECT, PING), so a wrong address or password
    /// is reported here rather than at the first command.
    public func connect() async throws {
        try await withConnection { _ in () }
    }

    /// Runs `body` with the open connection, on the client's queue. Use it for a sequence that
    /// must share one connection (WATCH … EXEC). `body` must not keep the connection.
    public func withConnection<Result: Sendable>(_ body: @escaping @Sendable (RedisConnection) throws -> Result) async throws -> Result {
        let slot = self.slot, endpoint = self.endpoint, options = self.options
        return try await withCheckedThrowingContinuation { continuation in
            queue.async {
                continuation.resume(with: slot.run(endpoint: endpoint, options: options, body))
            }
        }
    }

    /// Sends one command; an error reply throws, naming the command.
    @discardableResult
    public func execute(_ command: RedisCommand) async throws -> RESPValue {
        try await withConnection { try $0.execute(command) }
    }

    /// Sends `commands` as one pipeline; error replies come back as `.error` values.
    public func pipeline(_ commands: [RedisCommand]) async throws -> [RESPValue] {
        try await withConnection { try $0.pipeline(commands) }
    }

    /// The values of `keys` (nil for a missing key or a key that is not a string), read with
    /// MGET in batches of `keysPerCommandMax`, all batches in one pipeline.
    public func values(forKeys keys: [[UInt8]]) async throws -> [[UInt8]?] {
        guard !keys.isEmpty else { return [] }
        var commands: [RedisCommand] = []
        var start = 0
        while start < keys.count {
            let end = min(start + Self.keysPerCommandMax, keys.count)
            commands.append(RedisCommand("MGET", arguments: Array(keys[start..<end])))
            start = end
        }
        let replies = try await pipeline(commands)
        var values: [[UInt8]?] = []
        values.reserveCapacity(keys.count)
        for (command, reply) in zip(commands, replies) {
            if let message = reply.errorMessage {
                throw RedisConnection.replyError(message, server: endpoint.address, command: command)
            }
            guard let elements = reply.array, elements.count == command.arguments.count - 1 else {
                throw RedisError(.protocolViolation, server: endpoint.address, command: command.description,
                                 message: "MGET replied \(reply) for \(command.arguments.count - 1) keys")
            }
            values.append(contentsOf: elements.map { $0.isNull ? nil : $0.bytes })
        }
        return values
    }

    /// 1,000 keys per MGET: large enough that round trips vanish in a pipeline, small enough
    /// that one command never holds the server (single-threaded) for long.
    public static let keysPerCommandMax = 1_000

    /// Closes the connection (the next call reopens it).
    public func close() async {
        let slot = self.slot
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            queue.async {
                slot.close()
                continuation.resume()
            }
        }
    }
}

/// The client's connection, touched only on the client's serial queue.
private final class ConnectionSlot: @unchecked Sendable {
    // Safety: every access to `connection` happens inside a block on the owning client's serial
    // queue, so accesses never overlap.
    private var connection: RedisConnection?

    func run<Value>(endpoint: RedisEndpoint, options: RedisOptions,
                    _ body: (RedisConnection) throws -> Value) -> Result<Value, any Error> {
        do {
            if connection == nil || connection?.isOpen == false {
                connection = nil
                connection = try RedisConnection(endpoint: endpoint, options: options)
            }
            return .success(try body(connection!))
        } catch {
            if let redisError = error as? RedisError, redisError.breaksConnection {
                connection?.close()
                connection = nil
            }
            return .failure(error)
        }
    }

    func close() {
        connection?.close()
        connection = nil
    }
}
