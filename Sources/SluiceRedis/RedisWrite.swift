/// One field of a hash value.
public struct RedisHashField: Sendable, Equatable {
    public var name: [UInt8]
    public var value: [UInt8]

    public init(name: [UInt8], value: [UInt8]) {
        self.name = name
        self.value = value
    }

    public init(_ name: String, _ value: String) {
        self.init(name: Array(name.utf8), value: Array(value.utf8))
    }
}

/// A change to one key, as a materialization writes it inside a checkpoint transaction. Each
/// write replaces the whole value, so applying it twice leaves the same state, and uses only
/// commands that cannot fail at run time inside MULTI (Redis does not roll back a transaction
/// whose command fails while EXEC runs): SET overwrites any type, and a hash is deleted before
/// HSET so HSET never meets a key of another type.
public enum RedisWrite: Sendable, Equatable {
    /// `SET key value [PX ttl]`: a string value (a JSON document), with an optional time to live.
    case set(key: [UInt8], value: [UInt8], timeToLive: Duration? = nil)
    /// `DEL key`, `HSET key field value …`, `[PEXPIRE key ttl]`: a hash replacing the previous
    /// one. With no fields it is a delete (Redis has no empty hashes).
    case hash(key: [UInt8], fields: [RedisHashField], timeToLive: Duration? = nil)
    /// `DEL key`: a deleted document (a tombstone).
    case delete(key: [UInt8])

    /// The commands that apply this write, in order.
    public var commands: [RedisCommand] {
        switch self {
        case .set(let key, let value, let timeToLive):
            if let timeToLive {
                return [RedisCommand("SET", key, value, "PX", Self.milliseconds(timeToLive))]
            }
            return [RedisCommand("SET", key, value)]
        case .hash(let key, let fields, let timeToLive):
            guard !fields.isEmpty else { return [RedisCommand("DEL", key)] }
            var arguments: [any RedisArgument] = [key]
            arguments.reserveCapacity(1 + 2 * fields.count)
            for field in fields {
                arguments.append(field.name)
                arguments.append(field.value)
            }
            var commands = [RedisCommand("DEL", key), RedisCommand("HSET", arguments: arguments)]
            if let timeToLive { commands.append(RedisCommand("PEXPIRE", key, Self.milliseconds(timeToLive))) }
            return commands
        case .delete(let key):
            return [RedisCommand("DEL", key)]
        }
    }

    /// The key this write changes.
    public var key: [UInt8] {
        switch self {
        case .set(let key, _, _), .hash(let key, _, _), .delete(let key): key
        }
    }

    /// A time to live in whole milliseconds, rounded up (PX and PEXPIRE take milliseconds; a
    /// positive TTL never becomes 0, which Redis rejects).
    static func milliseconds(_ duration: Duration) -> Int64 {
        precondition(duration > .zero, "a time to live must be positive, not \(duration)")
        let (seconds, attoseconds) = duration.components
        return seconds * 1000 + (attoseconds + 999_999_999_999_999) / 1_000_000_000_000_000
    }
}
