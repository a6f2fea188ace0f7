// Numbers for JSONParser: exact 64-bit integers, correctly rounded doubles.
//
// Integers (no fraction, no exponent) that fit Int64 are stored as Int64; non-negative ones
// above Int64.max that fit UInt64 as UInt64; larger ones become doubles. `-0` is the double
// -0.0 (as serde_json parses it). Other numbers are doubles: exact by Clinger's fast path when
// the decimal significand fits 2^53 and the power of ten is at most 22 (both operands are then
// exact and IEEE division or multiplication rounds once, correctly); otherwise the standard
// library's `Double(_: String)` (C `strtod` in the C locale, correctly rounded). A number
// beyond the range of a double is an error.

extension JSONParser {
    /// Exact powers of ten as doubles, 10^0 ... 10^22.
    static let exactPowersOfTen: [Double] = [
        1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16,
        1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
    ]

    /// Decimal digits accumulated into a UInt64 significand before the rest are only counted.
    /// 19 digits always fit (10^19 - 1 < 2^64).
    static let significandDigitsMax = 19

    /// Exponents beyond this are clamped while scanning (the value is then 0 or out of range
    /// anyway); bounds the arithmetic.
    static let exponentClamp = 100_000

    @inline(__always)
    static func isDigit(_ byte: UInt8) -> Bool { byte &- UInt8(ascii: "0") < 10 }

    static func parseNumber(_ base: UnsafePointer<UInt8>, _ end: Int, _ start: Int, _ writer: inout TapeWriter,
                            _ input: UnsafeRawBufferPointer) throws(JSONParseError) -> Int {
        var p = start
        let negative = base[p] == UInt8(ascii: "-")
        if negative { p += 1 }
        guard p < end, isDigit(base[p]) else {
            throw p < end ? JSONParseError(.unexpectedByte(found: base[p], expected: "a digit"), at: p, in: input)
                : JSONParseError(.unexpectedEnd(expected: "a digit"), at: p, in: input)
        }
        var significand: UInt64 = 0
        var digits = 0  // significant digits accumulated
        var dropped = false  // digits beyond `significandDigitsMax` (non-zero or not)
        var exponent = 0  // power of ten to apply to `significand`

        if base[p] == UInt8(ascii: "0") {
            p += 1
            if p < end && isDigit(base[p]) {
                throw JSONParseError(.unexpectedByte(found: base[p], expected: "'.', 'e' or the end of the number (no leading zeros)"), at: p, in: input)
            }
        } else {
            while p < end && isDigit(base[p]) {
                if digits < significandDigitsMax {
                    significand = significand &* 10 &+ UInt64(base[p] &- UInt8(ascii: "0"))
                    digits += 1
                } else {
                    dropped = true
                    exponent += 1
                }
                p += 1
            }
        }
        var isInteger = true
        if p < end && base[p] == UInt8(ascii: ".") {
            isInteger = false
            p += 1
            guard p < end, isDigit(base[p]) else {
                throw p < end ? JSONParseError(.unexpectedByte(found: base[p], expected: "a digit after '.'"), at: p, in: input)
                    : JSONParseError(.unexpectedEnd(expected: "a digit after '.'"), at: p, in: input)
            }
            while p < end && isDigit(base[p]) {
                if digits < significandDigitsMax {
                    significand = significand &* 10 &+ UInt64(base[p] &- UInt8(ascii: "0"))
                    if significand != 0 { digits += 1 }  // leading zeros of 0.000123 are not significant
                    exponent -= 1
                } else {
                    dropped = true
                }
                p += 1
            }
        }
        if p < end && (base[p] | 0x20) == UInt8(ascii: "e") {
            isInteger = false
            p += 1
            var exponentNegative = false
            if p < end && (base[p] == UInt8(ascii: "+") || base[p] == UInt8(ascii: "-")) {
                exponentNegative = base[p] == UInt8(ascii: "-")
                p += 1
            }
            guard p < end, isDigit(base[p]) else {
                throw p < end ? JSONParseError(.unexpectedByte(found: base[p], expected: "a digit in the exponent"), at: p, in: input)
                    : JSONParseError(.unexpectedEnd(expected: "a digit in the exponent"), at: p, in: input)
            }
            var written = 0
            while p < end && isDigit(base[p]) {
                if written < exponentClamp { written = written * 10 + Int(base[p] &- UInt8(ascii: "0")) }
                p += 1
            }
            exponent += exponentNegative ? -written : written
        }

        if isInteger && !dropped {
            // Exact integer: at most 19 digits, so `significand` holds it.
            if !negative {
                writer.append(significand <= UInt64(Int64.max)
                    ? TapeEntry(tag: .int, count: 0, payload: significand)
                    : TapeEntry(tag: .uint, count: 0, payload: significand))
                return p
            }
            if significand != 0 && significand <= UInt64(Int64.max) + 1 {
                let value = significand == UInt64(Int64.max) + 1 ? Int64.min : -Int64(significand)
                writer.append(TapeEntry(tag: .int, count: 0, payload: UInt64(bitPattern: value)))
                return p
            }
            // -0 and integers below Int64.min are doubles.
        } else if isInteger && !negative && digits == significandDigitsMax && exponent == 1 {
            // Twenty digits: may still fit UInt64.
            let last = UInt64(base[p - 1] &- UInt8(ascii: "0"))
            let (times10, overflow1) = significand.multipliedReportingOverflow(by: 10)
            let (sum, overflow2) = times10.addingReportingOverflow(last)
            if !overflow1 && !overflow2 {
                writer.append(TapeEntry(tag: .uint, count: 0, payload: sum))
                return p
            }
        }

        var value: Double
        if !dropped && significand <= 1 << 53 && exponent >= -22 && exponent <= 22 {
            value = Double(significand)
            value = exponent < 0 ? value / exactPowersOfTen[-exponent] : value * exactPowersOfTen[exponent]
            if negative { value = -value }
        } else {
            value = slowDouble(UnsafeRawBufferPointer(start: base + start, count: p - start))
        }
        guard value.isFinite else { throw JSONParseError(.numberOutOfRange, at: start, in: input) }
        writer.append(TapeEntry(tag: .double, count: 0, payload: value.bitPattern))
        return p
    }

    /// Correctly rounded conversion of valid JSON number text (the rare path).
    @inline(never)
    static func slowDouble(_ text: UnsafeRawBufferPointer) -> Double {
        let string = String(decoding: text, as: UTF8.self)
        return Double(string) ?? .nan
    }
}
