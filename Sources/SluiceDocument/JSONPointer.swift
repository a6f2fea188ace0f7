// JSONPointer: RFC 6901 JSON pointers (`/customer/name`, `/tags/0`, `/a~1b` for the name
// `a/b`, `/m~0n` for `m~n`). Resolved by `Node[pointer]` and `JSONValue[pointer:]`; created
// on write by `JSONValue.set(_:at:)`.

/// A JSON pointer: a list of reference tokens. The empty pointer `""` is the whole value.
public struct JSONPointer: Sendable, Hashable {
    /// One reference token: a property name, which is also an array index when it is a
    /// canonical non-negative decimal (`0`, `17`, not `01`), or `-` (past the array's end).
    public struct Token: Sendable, Hashable {
        /// The unescaped token (`a/b` for `a~1b`).
        public let name: String
        /// The token as an array index, when it is one.
        public let index: Int?

        public init(_ name: String) {
            self.name = name
            self.index = Token.parseIndex(name)
        }

        /// True for `-`, which names the element after an array's last.
        public var isNextIndex: Bool { name == "-" }

        static func parseIndex(_ name: String) -> Int? {
            let utf8 = name.utf8
            guard let first = utf8.first, first >= 0x30, first <= 0x39 else { return nil }
            if first == 0x30 { return utf8.count == 1 ? 0 : nil }
            guard utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else { return nil }
            return Int(name)  // nil on overflow
        }
    }

    public let tokens: [Token]

    /// When creating on write, how far past an array's end an index may point (elements).
    /// Limits the nulls one pointer can make an array grow by; larger gaps are an error.
    public static let createPaddingElementsMax = 65_536

    /// The pointer to the whole value.
    public static let root = JSONPointer(tokens: [])

    public init(tokens: [Token]) { self.tokens = tokens }

    /// From unescaped tokens: `JSONPointer(names: ["a/b", "0"])` is `/a~1b/0`.
    public init(names: [String]) { self.tokens = names.map(Token.init) }

    /// Parses RFC 6901 text: empty, or `/`-separated tokens with `~0` for `~` and `~1` for `/`.
    public init(parsing text: String) throws(JSONPointerError) {
        if text.isEmpty {
            tokens = []
            return
        }
        guard text.utf8.first == UInt8(ascii: "/") else {
            throw JSONPointerError(pointer: text, message: "a JSON pointer must be empty or start with /")
        }
        var tokens: [Token] = []
        var current: [UInt8] = []
        var iterator = text.utf8.dropFirst().makeIterator()
        while let byte = iterator.next() {
            switch byte {
            case UInt8(ascii: "/"):
                tokens.append(Token(String(decoding: current, as: UTF8.self)))
                current.removeAll(keepingCapacity: true)
            case UInt8(ascii: "~"):
                switch iterator.next() {
                case UInt8(ascii: "0"): current.append(UInt8(ascii: "~"))
                case UInt8(ascii: "1"): current.append(UInt8(ascii: "/"))
                default: throw JSONPointerError(pointer: text, message: "~ must be followed by 0 or 1")
                }
            default:
                current.append(byte)
            }
        }
        tokens.append(Token(String(decoding: current, as: UTF8.self)))
        self.tokens = tokens
    }

    /// The pointer with `token` appended.
    public func appending(_ name: String) -> JSONPointer { JSONPointer(tokens: tokens + [Token(name)]) }
    public func appending(index: Int) -> JSONPointer { appending(String(index)) }
}

extension JSONPointer: CustomStringConvertible, ExpressibleByStringLiteral {
    /// The RFC 6901 text, with `~` and `/` escaped.
    public var description: String {
        var text = ""
        for token in tokens {
            text += "/"
            for character in token.name.unicodeScalars {
                switch character {
                case "~": text += "~0"
                case "/": text += "~1"
                default: text.unicodeScalars.append(character)
                }
            }
        }
        return text
    }

    /// A literal pointer must be valid: an invalid one is a programming error.
    public init(stringLiteral value: String) {
        do {
            try self.init(parsing: value)
        } catch {
            preconditionFailure("invalid JSON pointer literal \(value): \(error.message)")
        }
    }
}

/// A JSON pointer that is malformed or cannot be followed.
public struct JSONPointerError: Error, Sendable, Equatable, CustomStringConvertible {
    public let pointer: String
    public let message: String

    public var description: String { "JSON pointer \(pointer): \(message)" }
}
