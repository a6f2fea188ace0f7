/// A value that can be sent as one argument of a Redis command (a bulk string).
public protocol RedisArgument {
    var redisArgumentBytes: [UInt8] { get }
}

extension String: RedisArgument { public var redisArgumentBytes: [UInt8] { Array(utf8) } }
extension Substring: RedisArgument { public var redisArgumentBytes: [UInt8] { Array(utf8) } }
extension Array: RedisArgument where Element == UInt8 { public var redisArgumentBytes: [UInt8] { self } }
extension Int: RedisArgument { public var redisArgumentBytes: [UInt8] { Array(String(self).utf8) } }
extension Int64: RedisArgument { public var redisArgumentBytes: [UInt8] { Array(String(self).utf8) } }

/// One Redis command: its name and arguments, each sent as a bulk string.
public struct RedisCommand: Sendable, Equatable, CustomStringConvertible {
    /// All arguments; the first is the command name.
    public let arguments: [[UInt8]]

    public init(_ name: String, _ arguments: any RedisArgument...) {
        self.init(name, arguments: arguments)
    }

    public init(_ name: String, arguments: [any RedisArgument]) {
        precondition(!name.isEmpty, "a Redis command needs a name")
        self.arguments = [Array(name.utf8)] + arguments.map(\.redisArgumentBytes)
    }

    /// The command name in upper case (`SET`).
    public var name: String { String(decoding: arguments[0], as: UTF8.self).uppercased() }

    /// Commands whose first argument is a secret (AUTH password or user, HELLO's AUTH).
    private static let commandsWithSecretArguments: Set<String> = ["AUTH", "HELLO", "MIGRATE", "CONFIG"]

    /// The name and, unless it could be a secret, the first argument (usually the key), cut to
    /// 64 bytes: how errors name the command.
    public var description: String {
        let name = self.name
        guard arguments.count > 1, !Self.commandsWithSecretArguments.contains(name) else { return name }
        return name + " " + RESPValue.printable(arguments[1], limit: 64)
    }
}
