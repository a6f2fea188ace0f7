// PostgresTextDecoder: a value's text form (as query results and pgoutput send it) decoded into
// a JSON value of a `DocumentBuilder`, per `PostgresJSONMapping`. Works on the bytes libpq or the
// replication stream hands over; allocates only for numbers, base64 and JSON it must parse.
//
// The session settings of `PostgresConfiguration` (DateStyle=ISO, TimeZone=UTC,
// IntervalStyle=iso_8601, bytea_output=hex, extra_float_digits=1) fix the text forms this
// decoder expects.

public import SluiceDocument

/// A value whose text does not have the form its type promises.
public struct PostgresDecodingError: Error, Sendable, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}

/// Decodes text-format values into JSON. Holds a JSON parser for json/jsonb values and scratch
/// buffers; reuse one per stream.
public struct PostgresTextDecoder {
    private var parser = JSONParser()
    private var scratch: [UInt8] = []

    public init() {}

    /// Appends `text` (a value's text form, not NULL) as the next value of `builder`.
    public mutating func append(_ text: UnsafeRawBufferPointer, as mapping: PostgresJSONMapping,
                                to builder: inout DocumentBuilder) throws(PostgresDecodingError) {
        switch mapping {
        case .boolean:
            guard text.count == 1, text[0] == UInt8(ascii: "t") || text[0] == UInt8(ascii: "f") else {
                throw PostgresDecodingError("not a boolean: \(Self.string(text))")
            }
            builder.bool(text[0] == UInt8(ascii: "t"))
        case .integer:
            guard let value = Self.parseInt64(text) else {
                if let value = UInt64(Self.string(text)) { builder.uint(value); return }
                throw PostgresDecodingError("not an integer: \(Self.string(text))")
            }
            builder.int(value)
        case .float:
            let string = Self.string(text)
            if string == "NaN" || string == "Infinity" || string == "-Infinity" {
                builder.string(string)
            } else if let value = Double(string), value.isFinite {
                builder.double(value)
            } else {
                throw PostgresDecodingError("not a float: \(string)")
            }
        case .numeric:
            try Self.appendNumeric(Self.string(text), to: &builder)
        case .timestamp:
            builder.string(Self.rfc3339(timestamp: text, withZone: false))
        case .timestampWithTimeZone:
            builder.string(Self.rfc3339(timestamp: text, withZone: true))
        case .json:
            do {
                let document = try parser.parse(text)
                builder.copy(document.root)
            } catch {
                // `json` keeps text as written, which may repeat a key (legal in PostgreSQL,
                // an error under SEMANTICS §1): carry such a value as its text.
                builder.string(utf8: text)
            }
        case .bytea:
            builder.string(try Self.base64(ofHexBytea: text))
        case .text:
            builder.string(utf8: text)
        case .array(let element, let delimiter):
            var index = 0
            // An array with lower bounds other than 1 is prefixed: `[0:2]={1,2,3}`.
            if text.first == UInt8(ascii: "[") {
                guard let equals = text.firstIndex(of: UInt8(ascii: "=")) else {
                    throw PostgresDecodingError("not an array literal: \(Self.string(text))")
                }
                index = equals + 1
            }
            try appendArray(text, at: &index, element: element, delimiter: delimiter, to: &builder)
            guard index == text.count else { throw PostgresDecodingError("text after an array literal: \(Self.string(text))") }
        }
    }

    // MARK: - Arrays

    /// Parses `{…}` at `index` (nested arrays recursively), elements decoded by `element`.
    private mutating func appendArray(_ text: UnsafeRawBufferPointer, at index: inout Int, element: PostgresJSONMapping,
                                      delimiter: UInt8, to builder: inout DocumentBuilder) throws(PostgresDecodingError) {
        guard index < text.count, text[index] == UInt8(ascii: "{") else {
            throw PostgresDecodingError("not an array literal: \(Self.string(text))")
        }
        index += 1
        builder.beginArray()
        if index < text.count, text[index] == UInt8(ascii: "}") {
            index += 1
            builder.endArray()
            return
        }
        while true {
            guard index < text.count else { throw PostgresDecodingError("unterminated array literal: \(Self.string(text))") }
            if text[index] == UInt8(ascii: "{") {
                try appendArray(text, at: &index, element: element, delimiter: delimiter, to: &builder)
            } else if text[index] == UInt8(ascii: "\"") {
                index += 1
                scratch.removeAll(keepingCapacity: true)
                while true {
                    guard index < text.count else { throw PostgresDecodingError("unterminated quoted array element: \(Self.string(text))") }
                    let byte = text[index]
                    index += 1
                    if byte == UInt8(ascii: "\"") { break }
                    if byte == UInt8(ascii: "\\") {
                        guard index < text.count else { throw PostgresDecodingError("dangling escape in array literal") }
                        scratch.append(text[index])
                        index += 1
                    } else {
                        scratch.append(byte)
                    }
                }
                try appendScratch(as: element, to: &builder)
            } else {
                let start = index
                while index < text.count, text[index] != delimiter, text[index] != UInt8(ascii: "}") { index += 1 }
                let slice = UnsafeRawBufferPointer(rebasing: text[start..<index])
                if slice.count == 4, Self.string(slice).uppercased() == "NULL" {
                    builder.null()
                } else {
                    scratch.removeAll(keepingCapacity: true)
                    scratch.append(contentsOf: slice)
                    try appendScratch(as: element, to: &builder)
                }
            }
            guard index < text.count else { throw PostgresDecodingError("unterminated array literal: \(Self.string(text))") }
            if text[index] == delimiter {
                index += 1
            } else if text[index] == UInt8(ascii: "}") {
                index += 1
                builder.endArray()
                return
            } else {
                throw PostgresDecodingError("unexpected byte in array literal: \(Self.string(text))")
            }
        }
    }

    private mutating func appendScratch(as element: PostgresJSONMapping, to builder: inout DocumentBuilder) throws(PostgresDecodingError) {
        let bytes = scratch
        // Safety: `bytes` is a local copy that outlives the closure; nothing escapes it.
        let result: Result<Void, PostgresDecodingError> = bytes.withUnsafeBytes { buffer in
            do throws(PostgresDecodingError) {
                try append(buffer, as: element, to: &builder)
                return .success(())
            } catch {
                return .failure(error)
            }
        }
        try result.get()
    }

    // MARK: - Scalars

    static func string(_ bytes: UnsafeRawBufferPointer) -> String { String(decoding: bytes, as: UTF8.self) }

    static func parseInt64(_ text: UnsafeRawBufferPointer) -> Int64? {
        guard !text.isEmpty, text.count <= 20 else { return nil }
        var index = 0
        let negative = text[0] == UInt8(ascii: "-")
        if negative || text[0] == UInt8(ascii: "+") { index = 1 }
        guard index < text.count else { return nil }
        var value: Int64 = 0
        while index < text.count {
            let digit = text[index] &- UInt8(ascii: "0")
            guard digit < 10 else { return nil }
            let (times, overflowTimes) = value.multipliedReportingOverflow(by: 10)
            let (sum, overflowSum) = negative ? times.subtractingReportingOverflow(Int64(digit)) : times.addingReportingOverflow(Int64(digit))
            guard !overflowTimes, !overflowSum else { return nil }
            value = sum
            index += 1
        }
        return value
    }

    /// numeric: exact where JSON can be (docs/postgres.md).
    static func appendNumeric(_ text: String, to builder: inout DocumentBuilder) throws(PostgresDecodingError) {
        if text == "NaN" || text == "Infinity" || text == "-Infinity" {
            builder.string(text)
            return
        }
        guard let decimal = Decimal10(text) else { throw PostgresDecodingError("not a numeric: \(text)") }
        if decimal.isIntegral {
            if let value = Int64(decimal.integerText) { builder.int(value); return }
            if let value = UInt64(decimal.integerText) { builder.uint(value); return }
            builder.string(text)
            return
        }
        if let value = Double(text), value.isFinite, Decimal10(value.description) == decimal {
            builder.double(value)
        } else {
            builder.string(text)
        }
    }

    /// `2024-01-02 03:04:05.5` → `2024-01-02T03:04:05.5Z`; `…+00` → `…Z`; `…+05:30` kept; `+05`
    /// → `+05:00`. Values RFC 3339 cannot hold (`infinity`, years BC) are kept as the server
    /// wrote them.
    static func rfc3339(timestamp text: UnsafeRawBufferPointer, withZone: Bool) -> String {
        var bytes = Array(text)
        guard bytes.count >= 19, bytes[10] == UInt8(ascii: " "), !bytes.contains(UInt8(ascii: "B")) else {
            return String(decoding: bytes, as: UTF8.self)
        }
        bytes[10] = UInt8(ascii: "T")
        if !withZone {
            bytes.append(UInt8(ascii: "Z"))
            return String(decoding: bytes, as: UTF8.self)
        }
        // The offset starts at the last '+' or '-' after the time.
        guard let sign = bytes[19...].lastIndex(where: { $0 == UInt8(ascii: "+") || $0 == UInt8(ascii: "-") }) else {
            return String(decoding: bytes, as: UTF8.self)
        }
        let offset = bytes[(sign + 1)...]
        if offset.allSatisfy({ $0 == UInt8(ascii: "0") || $0 == UInt8(ascii: ":") }) {
            bytes.removeSubrange(sign...)
            bytes.append(UInt8(ascii: "Z"))
        } else if offset.count == 2 {
            bytes.append(contentsOf: Array(":00".utf8))
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// bytea's hex text (`\x0a0b`) → base64.
    static func base64(ofHexBytea text: UnsafeRawBufferPointer) throws(PostgresDecodingError) -> String {
        guard text.count >= 2, text[0] == UInt8(ascii: "\\"), text[1] == UInt8(ascii: "x"), text.count % 2 == 0 else {
            throw PostgresDecodingError("not bytea hex text (bytea_output=hex): \(string(text).prefix(40))")
        }
        var bytes = [UInt8]()
        bytes.reserveCapacity((text.count - 2) / 2)
        var index = 2
        while index < text.count {
            guard let high = hexValue(text[index]), let low = hexValue(text[index + 1]) else {
                throw PostgresDecodingError("not a hex digit in bytea at byte \(index)")
            }
            bytes.append(high << 4 | low)
            index += 2
        }
        return Base64.encode(bytes)
    }

    static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}

/// A decimal number as sign, significant digits and exponent (value = 0.digits × 10^exponent),
/// so two spellings of one value compare equal (`12.50` and `1.25e1`).
struct Decimal10: Equatable {
    var negative: Bool
    /// Without leading or trailing zeros; empty for zero.
    var digits: [UInt8]
    var exponent: Int

    init?(_ text: String) {
        var bytes = Substring(text).utf8[...]
        negative = bytes.first == UInt8(ascii: "-")
        if negative || bytes.first == UInt8(ascii: "+") { bytes = bytes.dropFirst() }
        var mantissa: [UInt8] = []
        var pointPosition: Int?
        var exponentPart = 0
        var sawDigit = false
        while let byte = bytes.first {
            if byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") {
                mantissa.append(byte - UInt8(ascii: "0"))
                sawDigit = true
            } else if byte == UInt8(ascii: "."), pointPosition == nil {
                pointPosition = mantissa.count
            } else if byte == UInt8(ascii: "e") || byte == UInt8(ascii: "E") {
                guard let value = Int(String(Substring(bytes.dropFirst()))) else { return nil }
                exponentPart = value
                bytes = bytes[bytes.endIndex...]
                break
            } else {
                return nil
            }
            bytes = bytes.dropFirst()
        }
        guard sawDigit else { return nil }
        var exponent = (pointPosition ?? mantissa.count) + exponentPart
        var start = 0
        while start < mantissa.count, mantissa[start] == 0 { start += 1; exponent -= 1 }
        var end = mantissa.count
        while end > start, mantissa[end - 1] == 0 { end -= 1 }
        digits = Array(mantissa[start..<end])
        self.exponent = digits.isEmpty ? 0 : exponent
        if digits.isEmpty { negative = false }
    }

    /// True when there is no fractional part.
    var isIntegral: Bool { digits.isEmpty || exponent >= digits.count }

    /// The integer's decimal text (only for integral values of modest size).
    var integerText: String {
        if digits.isEmpty { return "0" }
        guard exponent <= 40 else { return "overflow" }
        var text = negative ? "-" : ""
        for digit in digits { text.append(Character(Unicode.Scalar(digit + UInt8(ascii: "0")))) }
        text += String(repeating: "0", count: exponent - digits.count)
        return text
    }
}

/// RFC 4648 base64 with padding.
enum Base64 {
    static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

    static func encode(_ bytes: [UInt8]) -> String {
        var output = [UInt8]()
        output.reserveCapacity((bytes.count + 2) / 3 * 4)
        var index = 0
        while index + 3 <= bytes.count {
            let value = UInt32(bytes[index]) << 16 | UInt32(bytes[index + 1]) << 8 | UInt32(bytes[index + 2])
            output.append(alphabet[Int(value >> 18 & 63)])
            output.append(alphabet[Int(value >> 12 & 63)])
            output.append(alphabet[Int(value >> 6 & 63)])
            output.append(alphabet[Int(value & 63)])
            index += 3
        }
        let rest = bytes.count - index
        if rest > 0 {
            let value = UInt32(bytes[index]) << 16 | (rest == 2 ? UInt32(bytes[index + 1]) << 8 : 0)
            output.append(alphabet[Int(value >> 18 & 63)])
            output.append(alphabet[Int(value >> 12 & 63)])
            output.append(rest == 2 ? alphabet[Int(value >> 6 & 63)] : UInt8(ascii: "="))
            output.append(UInt8(ascii: "="))
        }
        return String(decoding: output, as: UTF8.self)
    }
}
