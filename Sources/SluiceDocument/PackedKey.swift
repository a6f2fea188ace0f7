// PackedKey: keys as bytes in the FoundationDB tuple encoding (docs/document.md, "Packed
// keys"), so that comparing packed bytes with memcmp orders them like the tuples.
//
//     null           0x00
//     bytes          0x01, the bytes with 0x00 escaped as 0x00 0xFF, then 0x00
//     string         0x02, the UTF-8 escaped the same way, then 0x00
//     integer        0x14 for zero; 0x14+n then n big-endian bytes for a positive value of n
//                    minimal bytes (n ≤ 8, so 0x15–0x1C); 0x14-n then the one's complement of
//                    the magnitude's n bytes for a negative one (0x0C–0x13)
//     double         0x21, then the 8 big-endian bytes of the IEEE bits with the sign bit
//                    flipped (non-negative) or all bits flipped (negative)
//     false / true   0x26 / 0x27
//
// Byte order is tuple order: by type code, then by value within a type (integers by value,
// doubles by their total order with -0.0 before 0.0), a prefix first. This differs from the
// semantic order across types (strings sort before integers here): packed keys are for
// storage and routing, the semantic order for reductions.
//
// JSON values become tuple elements like this: integers by value (a UInt64 above Int64.max is
// a positive 8-byte integer, 0x1C); a double that is integral and fits Int64 or UInt64 packs
// as that integer (so `20` and `20.0`, which are semantically equal, pack alike; -0.0 packs
// as 0); other doubles as doubles; arrays and objects as bytes holding their canonical JSON.
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One element of a tuple.
public enum TupleElement: Sendable {
    case null
    case bytes([UInt8])
    case string(String)
    case int(Int64)
    case uint(UInt64)
    case double(Double)
    case bool(Bool)

    /// The type code that leads the element's encoding (for integers, of its class).
    var typeRank: Int {
        switch self {
        case .null: 0x00
        case .bytes: 0x01
        case .string: 0x02
        case .int, .uint: 0x14
        case .double: 0x21
        case .bool(let value): value ? 0x27 : 0x26
        }
    }

    /// The element a JSON value packs as (see the module comment).
    public init(_ node: Node) {
        switch node.kind {
        case .null: self = .null
        case .boolean: self = .bool(node.bool!)
        case .number: self = TupleElement(number: node.number!)
        case .string: self = .string(node.string!)
        case .array, .object: self = .bytes(node.jsonBytes)
        }
    }

    public init(_ value: JSONValue) {
        switch value {
        case .null: self = .null
        case .bool(let value): self = .bool(value)
        case .int, .uint, .double: self = TupleElement(number: value.number!)
        case .string(let value): self = .string(value)
        case .array, .object: self = .bytes(value.jsonBytes)
        }
    }

    init(number: JSONNumber) {
        switch number.exactInteger ?? number {
        case .int(let value): self = .int(value)
        case .uint(let value): self = value <= UInt64(Int64.max) ? .int(Int64(value)) : .uint(value)
        case .double(let value): self = .double(value)
        }
    }

    /// The JSON value of this element (`bytes` become the JSON they hold, or a string of
    /// their hex digits if they are not JSON).
    public var jsonValue: JSONValue {
        switch self {
        case .null: return .null
        case .bool(let value): return .bool(value)
        case .int(let value): return .int(value)
        case .uint(let value): return JSONValue(JSONNumber(value))
        case .double(let value): return .double(value)
        case .string(let value): return .string(value)
        case .bytes(let bytes):
            if let document = try? Document(parsing: bytes) { return document.jsonValue }
            return .string(bytes.map { String($0, radix: 16) }.joined())
        }
    }
}

extension TupleElement: Equatable, Hashable, Comparable {
    /// Tuple order, the order of the packed bytes.
    public static func compare(_ left: TupleElement, _ right: TupleElement) -> Int {
        let rankLeft = left.typeRank
        let rankRight = right.typeRank
        if rankLeft != rankRight { return rankLeft < rankRight ? -1 : 1 }
        switch (left, right) {
        case (.bytes(let a), .bytes(let b)):
            return a.lexicographicallyPrecedes(b) ? -1 : (a == b ? 0 : 1)
        case (.string(let a), .string(let b)):
            return compareUTF8(a, b)
        case (.double(let a), .double(let b)):
            let x = PackedKey.orderedBits(a)
            let y = PackedKey.orderedBits(b)
            return x < y ? -1 : (x > y ? 1 : 0)
        case (.int, _), (.uint, _):
            return JSONNumber.compare(left.integer!, right.integer!)
        default:
            return 0  // null, or booleans of the same value
        }
    }

    var integer: JSONNumber? {
        switch self {
        case .int(let value): .int(value)
        case .uint(let value): JSONNumber(value)
        default: nil
        }
    }

    public static func == (left: TupleElement, right: TupleElement) -> Bool { compare(left, right) == 0 }
    public static func < (left: TupleElement, right: TupleElement) -> Bool { compare(left, right) < 0 }

    public func hash(into hasher: inout Hasher) {
        var bytes: [UInt8] = []
        PackedKey.append(self, to: &bytes)
        hasher.combine(bytes)
    }
}

/// Packs and unpacks tuples.
public enum PackedKey {
    static let nullCode: UInt8 = 0x00
    static let bytesCode: UInt8 = 0x01
    static let stringCode: UInt8 = 0x02
    static let zeroCode: UInt8 = 0x14
    static let doubleCode: UInt8 = 0x21
    static let falseCode: UInt8 = 0x26
    static let trueCode: UInt8 = 0x27

    /// The packed tuple.
    public static func pack(_ elements: [TupleElement]) -> [UInt8] {
        var output: [UInt8] = []
        for element in elements { append(element, to: &output) }
        return output
    }

    /// Appends one element.
    public static func append(_ element: TupleElement, to output: inout [UInt8]) {
        switch element {
        case .null: output.append(nullCode)
        case .bool(let value): output.append(value ? trueCode : falseCode)
        case .int(let value): appendInteger(magnitude: value.magnitude, negative: value < 0, to: &output)
        case .uint(let value): appendInteger(magnitude: value, negative: false, to: &output)
        case .double(let value): appendDouble(value, to: &output)
        case .string(let value):
            var value = value
            value.withUTF8 { appendEscaped(code: stringCode, UnsafeRawBufferPointer($0), to: &output) }
        case .bytes(let bytes):
            bytes.withUnsafeBytes { appendEscaped(code: bytesCode, $0, to: &output) }
        }
    }

    /// Appends a JSON value as one element, without allocating for scalars.
    public static func append(_ node: Node, to output: inout [UInt8]) {
        switch node.kind {
        case .null: output.append(nullCode)
        case .boolean: output.append(node.bool! ? trueCode : falseCode)
        case .number: append(TupleElement(number: node.number!), to: &output)
        case .string: node.withUTF8 { appendEscaped(code: stringCode, $0, to: &output) }
        case .array, .object:
            node.jsonBytes.withUnsafeBytes { appendEscaped(code: bytesCode, $0, to: &output) }
        }
    }

    /// Appends a heap JSON value as one element.
    public static func append(_ value: JSONValue, to output: inout [UInt8]) {
        append(TupleElement(value), to: &output)
    }

    static func appendInteger(magnitude: UInt64, negative: Bool, to output: inout [UInt8]) {
        if magnitude == 0 {
            output.append(zeroCode)
            return
        }
        let length = (64 - magnitude.leadingZeroBitCount + 7) / 8
        if negative {
            output.append(zeroCode - UInt8(length))
            let mask: UInt64 = length == 8 ? .max : (1 << (8 * UInt64(length))) - 1
            appendBigEndian(~magnitude & mask, length: length, to: &output)
        } else {
            output.append(zeroCode + UInt8(length))
            appendBigEndian(magnitude, length: length, to: &output)
        }
    }

    @inline(__always)
    static func appendBigEndian(_ value: UInt64, length: Int, to output: inout [UInt8]) {
        for index in stride(from: length - 1, through: 0, by: -1) {
            output.append(UInt8(truncatingIfNeeded: value >> (8 * UInt64(index))))
        }
    }

    /// The double's bits, transformed so unsigned order is the total order of doubles.
    @inline(__always)
    static func orderedBits(_ value: Double) -> UInt64 {
        let bits = value.bitPattern
        return bits & (1 << 63) != 0 ? ~bits : bits ^ (1 << 63)
    }

    static func appendDouble(_ value: Double, to output: inout [UInt8]) {
        output.append(doubleCode)
        appendBigEndian(orderedBits(value), length: 8, to: &output)
    }

    static func appendEscaped(code: UInt8, _ bytes: UnsafeRawBufferPointer, to output: inout [UInt8]) {
        output.append(code)
        var runStart = 0
        guard let base = bytes.baseAddress else {
            output.append(0x00)
            return
        }
        // Safety: memchr reads only inside `bytes`.
        while runStart < bytes.count, let found = memchr(base + runStart, 0, bytes.count - runStart) {
            let index = UnsafeRawPointer(found) - base
            output.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[runStart...index]))
            output.append(0xFF)
            runStart = index + 1
        }
        output.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[runStart...]))
        output.append(0x00)
    }

    // MARK: - Unpacking

    /// The elements of a packed tuple. Strict: rejects unknown codes, truncation, integers not
    /// in minimal length, and strings that are not UTF-8.
    public static func unpack(_ bytes: [UInt8]) throws(PackedKeyError) -> [TupleElement] {
        var elements: [TupleElement] = []
        var p = 0
        func fail(_ message: String, _ offset: Int) -> PackedKeyError { PackedKeyError(offset: offset, message: message) }
        while p < bytes.count {
            let code = bytes[p]
            let start = p
            p += 1
            switch code {
            case nullCode:
                elements.append(.null)
            case bytesCode, stringCode:
                var content: [UInt8] = []
                while true {
                    guard p < bytes.count else { throw fail("unterminated \(code == stringCode ? "string" : "bytes")", start) }
                    let byte = bytes[p]
                    p += 1
                    if byte == 0 {
                        if p < bytes.count && bytes[p] == 0xFF {
                            content.append(0)
                            p += 1
                            continue
                        }
                        break
                    }
                    content.append(byte)
                }
                if code == bytesCode {
                    elements.append(.bytes(content))
                } else {
                    guard content.withUnsafeBytes({ isValidUTF8($0) }) else { throw fail("string is not UTF-8", start) }
                    elements.append(.string(String(decoding: content, as: UTF8.self)))
                }
            case 0x0C...0x1C:
                let length = abs(Int(code) - Int(zeroCode))
                guard p + length <= bytes.count else { throw fail("truncated integer", start) }
                var value: UInt64 = 0
                for index in 0..<length { value = value << 8 | UInt64(bytes[p + index]) }
                p += length
                if code == zeroCode {
                    elements.append(.int(0))
                } else if code > zeroCode {
                    guard (64 - value.leadingZeroBitCount + 7) / 8 == length else { throw fail("integer not in minimal length", start) }
                    elements.append(value <= UInt64(Int64.max) ? .int(Int64(value)) : .uint(value))
                } else {
                    let mask: UInt64 = length == 8 ? .max : (1 << (8 * UInt64(length))) - 1
                    let magnitude = ~value & mask
                    guard magnitude != 0, (64 - magnitude.leadingZeroBitCount + 7) / 8 == length else {
                        throw fail("integer not in minimal length", start)
                    }
                    guard magnitude <= UInt64(Int64.max) + 1 else { throw fail("negative integer below Int64.min", start) }
                    elements.append(.int(magnitude == UInt64(Int64.max) + 1 ? .min : -Int64(magnitude)))
                }
            case doubleCode:
                guard p + 8 <= bytes.count else { throw fail("truncated double", start) }
                var bits: UInt64 = 0
                for index in 0..<8 { bits = bits << 8 | UInt64(bytes[p + index]) }
                p += 8
                bits = bits & (1 << 63) != 0 ? bits ^ (1 << 63) : ~bits
                elements.append(.double(Double(bitPattern: bits)))
            case falseCode:
                elements.append(.bool(false))
            case trueCode:
                elements.append(.bool(true))
            default:
                throw fail("unknown type code 0x\(String(code, radix: 16))", start)
            }
        }
        return elements
    }
}

/// A packed tuple that cannot be unpacked, and where.
public struct PackedKeyError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Offset of the element's type code.
    public let offset: Int
    public let message: String

    public var description: String { "packed key byte \(offset): \(message)" }
}
