/// Writes commands in RESP2's request form: an array of bulk strings,
/// `*<count>\r\n` then `$<length>\r\n<bytes>\r\n` per argument.
public enum RESPEncoder {
    /// Appends `command`'s bytes to `buffer`.
    public static func append(_ command: RedisCommand, to buffer: inout [UInt8]) {
        appendHeader(UInt8(ascii: "*"), command.arguments.count, to: &buffer)
        for argument in command.arguments {
            appendHeader(UInt8(ascii: "$"), argument.count, to: &buffer)
            buffer.append(contentsOf: argument)
            buffer.append(0x0D)
            buffer.append(0x0A)
        }
    }

    /// Appends a reply's bytes (used by tests to build server replies, and for round trips).
    public static func append(_ value: RESPValue, to buffer: inout [UInt8]) {
        switch value {
        case .simpleString(let text): appendLine(UInt8(ascii: "+"), text, to: &buffer)
        case .error(let message): appendLine(UInt8(ascii: "-"), message, to: &buffer)
        case .integer(let integer): appendLine(UInt8(ascii: ":"), String(integer), to: &buffer)
        case .bulkString(let bytes):
            appendHeader(UInt8(ascii: "$"), bytes.count, to: &buffer)
            buffer.append(contentsOf: bytes)
            buffer.append(contentsOf: [0x0D, 0x0A])
        case .array(let elements):
            appendHeader(UInt8(ascii: "*"), elements.count, to: &buffer)
            for element in elements { append(element, to: &buffer) }
        case .null: appendLine(UInt8(ascii: "$"), "-1", to: &buffer)
        }
    }

    /// The bytes of one command.
    public static func encode(_ command: RedisCommand) -> [UInt8] {
        var buffer: [UInt8] = []
        append(command, to: &buffer)
        return buffer
    }

    private static func appendHeader(_ marker: UInt8, _ count: Int, to buffer: inout [UInt8]) {
        appendLine(marker, String(count), to: &buffer)
    }

    private static func appendLine(_ marker: UInt8, _ text: String, to buffer: inout [UInt8]) {
        precondition(!text.utf8.contains(0x0D) && !text.utf8.contains(0x0A), "a RESP line holds no CR or LF")
        buffer.append(marker)
        buffer.append(contentsOf: text.utf8)
        buffer.append(0x0D)
        buffer.append(0x0A)
    }
}
