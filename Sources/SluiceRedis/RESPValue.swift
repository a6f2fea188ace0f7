/// A RESP2 reply from Redis. Bulk strings are bytes (Redis values are binary-safe); the nil bulk
/// string (`$-1`) and the nil array (`*-1`) both decode to `.null`.
public enum RESPValue: Sendable, Equatable, CustomStringConvertible {
    /// `+OK`: a status line.
    case simpleString(String)
    /// `-ERR message`: an error reply, the whole line (its first word is the error code).
    case error(String)
    /// `:42`.
    case integer(Int64)
    /// `$3\r\nabc`: binary-safe bytes.
    case bulkString([UInt8])
    /// `*2\r\n…`: nested replies.
    case array([RESPValue])
    /// `$-1` or `*-1`: no value (a missing key, or EXEC aborted by WATCH).
    case null

    /// The bytes of a bulk or simple string; nil for other kinds.
    public var bytes: [UInt8]? {
        switch self {
        case .bulkString(let bytes): bytes
        case .simpleString(let text): Array(text.utf8)
        default: nil
        }
    }

    /// The text of a bulk or simple string decoded as UTF-8 (invalid bytes replaced).
    public var string: String? { bytes.map { String(decoding: $0, as: UTF8.self) } }

    /// The value of an integer reply, or of a string reply holding a decimal integer (GET of a
    /// counter).
    public var integer: Int64? {
        switch self {
        case .integer(let value): value
        case .bulkString, .simpleString: string.flatMap { Int64($0) }
        default: nil
        }
    }

    /// The elements of an array reply.
    public var array: [RESPValue]? {
        if case .array(let elements) = self { return elements }
        return nil
    }

    public var isNull: Bool { self == .null }

    /// The error line, if this is an error reply.
    public var errorMessage: String? {
        if case .error(let message) = self { return message }
        return nil
    }

    public var description: String {
        switch self {
        case .simpleString(let text): "+\(text)"
        case .error(let message): "-\(message)"
        case .integer(let value): ":\(value)"
        case .bulkString(let bytes): RESPValue.printable(bytes, limit: 64)
        case .array(let elements): "[" + elements.map(\.description).joined(separator: ", ") + "]"
        case .null: "(nil)"
        }
    }

    /// Bytes shown as a quoted string, non-printable bytes as `\xHH`, cut after `limit` bytes.
    static func printable(_ bytes: some Collection<UInt8>, limit: Int) -> String {
        var text = "\""
        for byte in bytes.prefix(limit) {
            switch byte {
            case 0x20...0x7E where byte != 0x22 && byte != 0x5C: text.unicodeScalars.append(Unicode.Scalar(byte))
            default: text += "\\x" + String(byte, radix: 16, uppercase: false).leftPadded(to: 2)
            }
        }
        if bytes.count > limit { text += "…" }
        return text + "\""
    }
}

extension String {
    func leftPadded(to width: Int, with pad: Character = "0") -> String {
        count >= width ? self : String(repeating: pad, count: width - count) + self
    }
}
