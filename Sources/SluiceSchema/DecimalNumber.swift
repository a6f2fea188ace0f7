// DecimalNumber: a number as `significand × 10^exponent`, exact for integers and for the
// shortest decimal form of a double, so `multipleOf` answers as a person reading the JSON
// would (`0.0075` is a multiple of `0.0001`, which binary floating point gets wrong).
import SluiceDocument

struct DecimalNumber: Sendable, Hashable {
    /// Signed significand, with trailing zeros moved into the exponent.
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

    /// True when `self` is an integer multiple of `divisor` (which is not zero), exactly:
    /// with `self = a·10^p` and `divisor = b·10^q`, `a·10^(p−q)` must be divisible by `b`
    /// (computed modulo `b`, so `1e308` against `0.5` needs no huge numbers). Nil only when
    /// `b` does not fit the modular arithmetic (never for a double's 17 digits).
    func isMultiple(of divisor: DecimalNumber) -> Bool? {
        guard divisor.significand != 0 else { return nil }
        if significand == 0 { return true }
        let b = divisor.significand.magnitude
        guard b <= UInt128(UInt64.max) else { return nil }
        let a = significand.magnitude
        let shift = exponent - divisor.exponent
        if shift >= 0 {
            // (a mod b) · (10^shift mod b) mod b
            var result = a % b
            var base = UInt128(10) % b
            var power = shift
            var factor: UInt128 = 1 % b
            while power > 0 {
                if power & 1 == 1 { factor = factor * base % b }
                base = base * base % b
                power >>= 1
            }
            result = result * factor % b
            return result == 0
        }
        // a must be divisible by b·10^(−shift): first by 10^(−shift), then by b.
        var remaining = a
        for _ in 0..<(-shift) {
            guard remaining % 10 == 0 else { return false }
            remaining /= 10
        }
        return remaining % b == 0
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
