/// A failed Redis operation: what kind of failure, the server (`host:port`, never a password),
/// the command (name and first key) when one was running, and the details.
public struct RedisError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Kind: String, Sendable, Equatable {
        /// The `redis://` URL cannot be parsed.
        case invalidURL = "invalid URL"
        /// No TCP connection (refused, unreachable, name not resolved).
        case connect = "cannot connect"
        /// The connect or command timeout passed without progress.
        case timeout = "timed out"
        /// The server closed the connection (or it broke) before replying.
        case connectionClosed = "connection closed"
        /// AUTH was refused (wrong user or password), or the server wants one and none was given.
        case authentication = "authentication failed"
        /// The server replied with an error to a command.
        case reply = "error reply"
        /// The bytes received are not RESP2.
        case protocolViolation = "protocol violation"
        /// The server's configuration makes exactly-once unsafe (an `allkeys-*` eviction policy).
        case unsafeConfiguration = "unsafe configuration"
    }

    public let kind: Kind
    public let server: String
    public let command: String?
    public let message: String

    public init(_ kind: Kind, server: String, command: String? = nil, message: String) {
        self.kind = kind
        self.server = server
        self.command = command
        self.message = message
    }

    /// True when the same operation may succeed later on a new connection: the server was
    /// unreachable, slow, restarting, or loading its data. Replies such as WRONGTYPE are not.
    public var isRetryable: Bool {
        switch kind {
        case .connect, .timeout, .connectionClosed: true
        case .reply: ["LOADING", "BUSY", "TRYAGAIN", "MASTERDOWN"].contains(errorCode)
        case .invalidURL, .authentication, .protocolViolation, .unsafeConfiguration: false
        }
    }

    /// The first word of an error reply (`WRONGTYPE`, `ERR`, `WRONGPASS`), if this is one.
    public var errorCode: String? {
        guard kind == .reply || kind == .authentication else { return nil }
        return message.split(separator: " ", maxSplits: 1).first.map(String.init)
    }

    /// True if this error means the connection can no longer be used.
    var breaksConnection: Bool {
        switch kind {
        case .connect, .timeout, .connectionClosed, .protocolViolation, .authentication: true
        case .invalidURL, .reply, .unsafeConfiguration: false
        }
    }

    public var description: String {
        var text = "redis \(server): \(kind.rawValue)"
        if let command { text += " in \(command)" }
        return text + ": \(message)"
    }
}
