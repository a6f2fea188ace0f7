// JSONNumber: an exact JSON number and its exact order across representations.

/// A JSON number as parsed: an integer that fits in Int64, an integer above Int64.max that
/// fits in UInt64, or a finite Double. Comparison and equality are by exact value across
/// representations (`20 == 20.0`, `2^63 == 9.223372036854775808e18`, `-1 < 2^63`).
public enum JSONNumber: Sendable {
    case int(Int64)
    case uint(UInt64)
    case double(Double)

    /// The canonical form: `.uint` only above Int64.max.
    @inlinable
    public init(_ value: UInt64) {
        self = value <= UInt64(Int64.max) ? .int(Int64(value)) : .uint(value)
    }

    /// The value as a Double (rounded to nearest for integers above 2^53).
    @inlinable
    public var doubleValue: Double {
        switch self {
        case .int(let value): Double(value)
        case .uint(let value): Double(value)
        case .double(let value): value
        }
    }

    /// True for `.int` and `.uint` (not for integral doubles).
    public var isInteger: Bool {
        if case .double = self { return false }
        return true
    }

    /// Compares two numbers by exact value: -1, 0 or 1.
    public static func compare(_ left: JSONNumber, _ right: JSONNumber) -> Int {
        switch (left, right) {
        case (.int(let a), .int(let b)): return a < b ? -1 : (a > b ? 1 : 0)
        case (.uint(let a), .uint(let b)): return a < b ? -1 : (a > b ? 1 : 0)
        case (.double(let a), .double(let b)): return a < b ? -1 : (a > b ? 1 : 0)
        case (.int(let a), .uint(let b)): return compareIntUInt(a, b)
        case (.uint(let a), .int(let b)): return -compareIntUInt(b, a)
        case (.double(let a), .int(let b)): return compareDoubleInt(a, b)
        case (.int(let a), .double(let b)): return -compareDoubleInt(b, a)
        case (.double(let a), .uint(let b)): return compareDoubleUInt(a, b)
        case (.uint(let a), .double(let b)): return -compareDoubleUInt(b, a)
        }
    }

    static func compareIntUInt(_ a: Int64, _ b: UInt64) -> Int {
        if a < 0 { return -1 }
        let a = UInt64(a)
        return a < b ? -1 : (a > b ? 1 : 0)
    }

    /// 2^63 and 2^64 as doubles (exactly representable).
    static let twoToThe63: Double = 9_223_372_036_854_775_808.0
    static let twoToThe64: Double = 18_446_744_073_709_551_616.0

    /// Exact comparison of a finite double with an Int64.
    static func compareDoubleInt(_ a: Double, _ b: Int64) -> Int {
        if a < -twoToThe63 { return -1 }
        if a >= twoToThe63 { return 1 }
        let floor = a.rounded(.down)  // in [-2^63, 2^63): converts exactly
        let whole = Int64(floor)
        if whole != b { return whole < b ? -1 : 1 }
        return a > floor ? 1 : 0
    }

    /// Exact comparison of a finite double with a UInt64.
    static func compareDoubleUInt(_ a: Double, _ b: UInt64) -> Int {
        if a < 0 { return -1 }
        if a >= twoToThe64 { return 1 }
        let floor = a.rounded(.down)  // in [0, 2^64): converts exactly
        let whole = UInt64(floor)
        if whole != b { return whole < b ? -1 : 1 }
        return a > floor ? 1 : 0
    }

    /// The integer this number equals exactly, if any: integral doubles in range convert
    /// (-0.0 to 0). Used by hashing and key packing so equal numbers behave alike.
    public var exactInteger: JSONNumber? {
        switch self {
        case .int: return self
        case .uint(let value): return JSONNumber(value)
        case .double(let value):
            guard value.rounded(.towardZero) == value else { return nil }
            if value >= -JSONNumber.twoToThe63 && value < JSONNumber.twoToThe63 { return .int(Int64(value)) }
            if value >= 0 && value < JSONNumber.twoToThe64 { return .uint(UInt64(value)) }
            return nil
        }
    }
}

extension JSONNumber {
    /// The exact sum, or nil when it overflows: integers add exactly (Int64 and UInt64 mixed),
    /// the result an integer while it fits Int64 or UInt64 (SEMANTICS.md §3: integer overflow
    /// is an error, not a wrap); with a double involved, the sum is a double, nil if not finite.
    public func adding(_ other: JSONNumber) -> JSONNumber? {
        switch (self.wide, other.wide) {
        case (let a?, let b?):
            return JSONNumber(exactly: a + b)
        default:
            let sum = doubleValue + other.doubleValue
            return sum.isFinite ? .double(sum) : nil
        }
    }

    /// The exact product, or nil when it overflows (as `adding`).
    public func multiplied(by other: JSONNumber) -> JSONNumber? {
        switch (self.wide, other.wide) {
        case (let a?, let b?):
            let (product, overflow) = a.multipliedReportingOverflow(by: b)
            return overflow ? nil : JSONNumber(exactly: product)
        default:
            let product = doubleValue * other.doubleValue
            return product.isFinite ? .double(product) : nil
        }
    }

    /// The negation, or nil when it does not fit (-UInt64.max).
    public var negated: JSONNumber? {
        switch self {
        case .double(let value): return .double(-value)
        default: return JSONNumber(exactly: -wide!)
        }
    }

    /// An integer as Int128 (nil for doubles).
    var wide: Int128? {
        switch self {
        case .int(let value): Int128(value)
        case .uint(let value): Int128(value)
        case .double: nil
        }
    }

    /// The canonical number for an exact integer, if it fits Int64 or UInt64.
    init?(exactly value: Int128) {
        if let small = Int64(exactly: value) {
            self = .int(small)
        } else if let large = UInt64(exactly: value) {
            self = .uint(large)
        } else {
            return nil
        }
    }
}

extension JSONNumber: Comparable, Hashable {
    public static func == (left: JSONNumber, right: JSONNumber) -> Bool { compare(left, right) == 0 }
    public static func < (left: JSONNumber, right: JSONNumber) -> Bool { compare(left, right) < 0 }

    /// Equal numbers hash alike: integers (and integral doubles) by integer value.
    public func hash(into hasher: inout Hasher) {
        switch exactInteger {
        case .int(let value)?: hasher.combine(0 as UInt8); hasher.combine(value)
        case .uint(let value)?: hasher.combine(1 as UInt8); hasher.combine(value)
        default: hasher.combine(2 as UInt8); hasher.combine(doubleValue.bitPattern)
        }
    }
}

extension JSONNumber: CustomStringConvertible {
    /// As JSON (the serializer's canonical form).
    public var description: String {
        var bytes: [UInt8] = []
        JSONSerializer.appendNumber(self, to: &bytes)
        return String(decoding: bytes, as: UTF8.self)
    }
}
