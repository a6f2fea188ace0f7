// PostgresValue: a query parameter. Parameters go to the server in text format with type
// "unknown", so the server types them from context (`$1::bigint[]` where it cannot).

public import SluiceDocument

/// A parameter of a query, with literal conformances: `[1, "a", nil, true, 2.5]`.
public enum PostgresValue: Sendable {
    case null
    case bool(Bool)
    case int(Int64)
    case double(Double)
    case text(String)
    /// bytea, sent as `\x` followed by hexadecimal.
    case bytes([UInt8])
    /// Sent as JSON text (for json and jsonb parameters).
    case json(JSONValue)
    /// An array literal (`{1,2,NULL}`), elements quoted; nested arrays for more dimensions.
    case array([PostgresValue])

    /// The text the server receives, or nil for SQL NULL.
    public func textRepresentation() throws(PostgresValueError) -> String? {
        switch self {
        case .null: return nil
        case .bool(let value): return value ? "t" : "f"
        case .int(let value): return String(value)
        case .double(let value): return PostgresValue.text(of: value)
        case .text(let value):
            // Text parameters travel as C strings, and PostgreSQL text cannot hold NUL anyway.
            guard !value.utf8.contains(0) else { throw PostgresValueError("a text parameter contains a NUL character") }
            return value
        case .bytes(let bytes): return "\\x" + PostgresValue.hex(bytes)
        case .json(let value): return String(decoding: value.jsonBytes, as: UTF8.self)
        case .array(let elements):
            var output = ""
            try PostgresValue.appendArrayLiteral(elements, to: &output)
            return output
        }
    }

    /// The server's spelling of a double: shortest round-trip digits, and `Infinity`/`NaN`.
    static func text(of value: Double) -> String {
        if value.isNaN { return "NaN" }
        if value.isInfinite { return value < 0 ? "-Infinity" : "Infinity" }
        return value.description
    }

    static func hex(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var output = [UInt8]()
        output.reserveCapacity(bytes.count * 2)
        for byte in bytes {
            output.append(digits[Int(byte >> 4)])
            output.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: output, as: UTF8.self)
    }

    private static func appendArrayLiteral(_ elements: [PostgresValue], to output: inout String) throws(PostgresValueError) {
        output += "{"
        for (index, element) in elements.enumerated() {
            if index > 0 { output += "," }
            if case .array(let inner) = element {
                try appendArrayLiteral(inner, to: &output)
                continue
            }
            guard let text = try element.textRepresentation() else {
                output += "NULL"
                continue
            }
            output += "\""
            for character in text.unicodeScalars {
                if character == "\"" || character == "\\" { output += "\\" }
                output.unicodeScalars.append(character)
            }
            output += "\""
        }
        output += "}"
    }
}

/// A parameter that cannot be sent.
public struct PostgresValueError: Error, Sendable, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}

extension PostgresValue: ExpressibleByNilLiteral, ExpressibleByBooleanLiteral, ExpressibleByIntegerLiteral,
    ExpressibleByFloatLiteral, ExpressibleByStringLiteral, ExpressibleByArrayLiteral {
    public init(nilLiteral: ()) { self = .null }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(integerLiteral value: Int64) { self = .int(value) }
    public init(floatLiteral value: Double) { self = .double(value) }
    public init(stringLiteral value: String) { self = .text(value) }
    public init(arrayLiteral elements: PostgresValue...) { self = .array(elements) }
}
