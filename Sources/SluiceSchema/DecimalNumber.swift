// DecimalNumber: a number as `significand × 10^exponent`, exact for integers and for the
// shortest decimal form of a double, so `multipleOf` answers as a person reading the JSON
// would (`0.0075` is a multiple of `0.0001`, which binary floating point gets wrong).
import SluiceDocument

struct DecimalNumber: Sendable, Hashable {
    /// Signed significand, without trailing zeros moved into the exponent.
    var significand: Int128
    var exponent: Int

    /// The exact decimal of a JSON number: integers as they are; doubles by their shortest
    /// round-trip digits (Swift's `description`, the digits the serializer writes).
    init?(_ number: JSONNumber) {
        switch number {
        case .int(let value):
            self.init(significand: Int128(value), exponent: 0)
        case .uint(let value):
            self.init(significand: Int128(value), exponent: 0)
        case .double(let value):
            guard value.isFinite else { return nil }
            guard let parsed = DecimalNumber(shortestDigitsOf: value) else { return nil }
            self = parsed
        }
    }

    init(significand: Int128, exponent: Int) {
        var significand = significand
        var exponent = exponent
        while significand != 0 && significand % 10 == 0 {
            significand /= 10
            exponent += 1
        }
        if significand == 0 { exponent = 0 }
        self.significand = significand
        self.exponent = exponent
    }

    /// Parses `Double.description`: `-`?, digits, `.`digits?, (`e`[+-]digits)?.
    private init?(shortestDigitsOf value: Double) {
        var significand: Int128 = 0
        var exponent = 0
        var negative = false
        var afterPoint = false
        var digits = 0
        var iterator = value.description.utf8.makeIterator()
        while let byte = iterator.next() {
            switch byte {
            case UInt8(ascii: "-"): negative = true
            case UInt8(ascii: "0")...UInt8(ascii: "9"):
                digits += 1
                guard digits <= 36 else { return nil }
                significand = significand * 10 + Int128(byte - UInt8(ascii: "0"))
                if afterPoint { exponent -= 1 }
            case UInt8(ascii: "."): afterPoint = true
            case UInt8(ascii: "e"), UInt8(ascii: "E"):
                var text = ""
                while let next = iterator.next() { text.unicodeScalars.append(Unicode.Scalar(next)) }
                guard let power = Int(text) else { return nil }
                exponent += power
            default: return nil
            }
        }
        self.init(significand: negative ? -significand : significand, exponent: exponent)
    }

    /// True when `self` is an integer multiple of `divisor` (which is not zero); nil when the
    /// exact check would overflow (the caller falls back to floating point).
    func isMultiple(of divisor: DecimalNumber) -> Bool? {
        guard divisor.significand != 0 else { return nil }
        if significand == 0 { return true }
        let common = min(exponent, divisor.exponent)
        guard let dividend = DecimalNumber.scale(significand, by: exponent - common),
              let scaledDivisor = DecimalNumber.scale(divisor.significand, by: divisor.exponent - common)
        else { return nil }
        return dividend % scaledDivisor == 0
    }

    /// `value × 10^power`, or nil on overflow.
    private static func scale(_ value: Int128, by power: Int) -> Int128? {
        guard power >= 0 else { return nil }
        var result = value
        for _ in 0..<power {
            let (product, overflow) = result.multipliedReportingOverflow(by: 10)
            if overflow { return nil }
            result = product
        }
        return result
    }
}

enum NumberChecks {
    /// `multipleOf`: exact for integers and decimals; beyond what Int128 holds, the quotient in
    /// floating point must be a finite integer.
    static func isMultiple(_ value: JSONNumber, of divisor: Divisor) -> Bool {
        switch (value, divisor.value) {
        case (.int(let a), .int(let b)): return b == -1 || a % b == 0
        case (.uint(let a), .int(let b)) where b > 0: return a % UInt64(b) == 0
        case (.int(let a), .uint(let b)): return a == 0 || (a > 0 && UInt64(a) % b == 0) || (a < 0 && a.magnitude % b == 0)
        case (.uint(let a), .uint(let b)): return a % b == 0
        default: break
        }
        if let decimal = divisor.decimal, let dividend = DecimalNumber(value),
           let exact = dividend.isMultiple(of: decimal) {
            return exact
        }
        let quotient = value.doubleValue / divisor.value.doubleValue
        return quotient.isFinite && quotient.rounded(.towardZero) == quotient
    }
}
