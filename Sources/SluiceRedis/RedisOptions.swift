/// Timeouts and limits of a Redis connection.
public struct RedisOptions: Sendable {
    /// How long connecting (TCP, AUTH, SELECT, PING) may take: 5 s by default. Long enough for a
    /// loaded server across a network, short enough that a down server is reported promptly.
    public var connectTimeout: Duration = .seconds(5)
    /// The longest wait without progress (no byte sent or received) during a command or
    /// pipeline: 30 s by default. It is an inactivity limit, so a large transaction that keeps
    /// moving bytes is not cut, while a hung server is detected.
    public var commandTimeout: Duration = .seconds(30)
    /// Limits on replies (bulk length, array length, nesting).
    public var replyLimits = RESPDecoder.Limits()

    public init(connectTimeout: Duration = .seconds(5), commandTimeout: Duration = .seconds(30)) {
        precondition(connectTimeout > .zero && commandTimeout > .zero, "timeouts must be positive")
        self.connectTimeout = connectTimeout
        self.commandTimeout = commandTimeout
    }
}
