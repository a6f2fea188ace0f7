// JSONParseError: why and where a parse failed.

/// A parse failure: what was wrong, and where (0-based byte offset; 1-based line and column,
/// the column counted in bytes).
public struct JSONParseError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Reason: Sendable, Equatable {
        /// The input ended where `expected` should have followed.
        case unexpectedEnd(expected: String)
        /// `found` is where `expected` should have been.
        case unexpectedByte(found: UInt8, expected: String)
        /// A string holds bytes that are not UTF-8 (overlong, surrogate, above U+10FFFF, truncated).
        case invalidUTF8
        /// A backslash escape other than `\" \\ \/ \b \f \n \r \t \uXXXX`.
        case invalidEscape
        /// A `\u` escape of a UTF-16 surrogate without its pair.
        case loneSurrogate
        /// A control character (below U+0020) inside a string, which must be escaped.
        case controlCharacterInString
        /// A number too large for a double.
        case numberOutOfRange
        /// A property name that appears twice in one object.
        case duplicateProperty(String)
        /// Containers nested deeper than the limit.
        case depthExceeded(limit: Int)
        /// The input starts with a UTF-8 byte order mark, which RFC 8259 forbids in JSON texts
        /// exchanged between systems.
        case byteOrderMark

        public var message: String {
            switch self {
            case .unexpectedEnd(let expected): "unexpected end of input, expected \(expected)"
            case .unexpectedByte(let found, let expected): "expected \(expected), found \(JSONParseError.show(found))"
            case .invalidUTF8: "invalid UTF-8 in a string"
            case .invalidEscape: "invalid escape sequence in a string"
            case .loneSurrogate: "unpaired UTF-16 surrogate in a \\u escape"
            case .controlCharacterInString: "unescaped control character in a string"
            case .numberOutOfRange: "number out of range of a double"
            case .duplicateProperty(let name): "duplicate property \"\(name)\""
            case .depthExceeded(let limit): "nesting deeper than \(limit) arrays and objects"
            case .byteOrderMark: "a byte order mark is not allowed before a JSON value"
            }
        }
    }

    public let reason: Reason
    /// Byte offset (0-based) of the fault in the input.
    public let offset: Int
    /// Line (1-based) of the fault; lines end at `\n`.
    public let line: Int
    /// Column (1-based, in bytes) of the fault within its line.
    public let column: Int

    public init(reason: Reason, offset: Int, line: Int, column: Int) {
        self.reason = reason
        self.offset = offset
        self.line = line
        self.column = column
    }

    /// Locates `offset` in `input` (counts lines; only ever done on the error path).
    init(_ reason: Reason, at offset: Int, in input: UnsafeRawBufferPointer) {
        var line = 1
        var lineStart = 0
        for index in 0..<Swift.min(offset, input.count) where input[index] == 0x0A {
            line += 1
            lineStart = index + 1
        }
        self.init(reason: reason, offset: offset, line: line, column: offset - lineStart + 1)
    }

    public var description: String { "line \(line), column \(column) (byte \(offset)): \(reason.message)" }

    static func show(_ byte: UInt8) -> String {
        if byte >= 0x21 && byte < 0x7F { return "'\(Character(Unicode.Scalar(byte)))'" }
        let hex = String(byte, radix: 16, uppercase: true)
        return "byte 0x" + (hex.count == 1 ? "0" + hex : hex)
    }
}
