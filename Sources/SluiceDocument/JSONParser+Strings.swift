// Strings for JSONParser: unescape and validate UTF-8 in one pass, eight bytes at a time
// while the bytes are plain ASCII.

extension JSONParser {
    /// Bytes with the high bit set in every lane.
    private static let highBits: UInt64 = 0x8080_8080_8080_8080
    private static let lowBits: UInt64 = 0x0101_0101_0101_0101

    /// A mask with the high bit set in the lane of each byte of `word` (little-endian) that is
    /// a quote, a backslash, a control character or non-ASCII. Borrows may also set lanes
    /// *above* a flagged one, never below, so the lowest set lane is exact.
    @inline(__always)
    static func attentionMask(_ word: UInt64) -> UInt64 {
        let quote = word ^ (lowBits &* 0x22)
        let backslash = word ^ (lowBits &* 0x5C)
        let hasQuote = (quote &- lowBits) & ~quote
        let hasBackslash = (backslash &- lowBits) & ~backslash
        let hasControl = (word &- lowBits &* 0x20) & ~word
        return (hasQuote | hasBackslash | hasControl | word) & highBits
    }

    /// Like `attentionMask`, but ASCII-only: non-ASCII bytes are not flagged (the serializer
    /// copies UTF-8 through).
    @inline(__always)
    static func escapeMask(_ word: UInt64) -> UInt64 {
        let quote = word ^ (lowBits &* 0x22)
        let backslash = word ^ (lowBits &* 0x5C)
        let hasQuote = (quote &- lowBits) & ~quote
        let hasBackslash = (backslash &- lowBits) & ~backslash
        let hasControl = (word &- lowBits &* 0x20) & ~word
        return (hasQuote | hasBackslash | hasControl) & ~word & highBits
    }

    /// Parses the string whose opening quote is at `start`, appends its string entry, and
    /// returns the offset after the closing quote. The writer's string area has room for
    /// every remaining input byte (reserved by `run`) plus `TapeWriter.stringSlackBytes`.
    static func parseString(_ base: UnsafePointer<UInt8>, _ end: Int, _ start: Int, _ writer: inout TapeWriter,
                            _ input: UnsafeRawBufferPointer) throws(JSONParseError) -> Int {
        var p = start + 1
        let first = writer.strings + writer.stringCount
        var out = first
        while true {
            // Safety: 8-byte loads stay before `end`; 8-byte stores stay inside the reserved
            // area because output never runs ahead of input.
            while p + 8 <= end {
                let word = UInt64(littleEndian: UnsafeRawPointer(base + p).loadUnaligned(as: UInt64.self))
                UnsafeMutableRawPointer(out).storeBytes(of: word.littleEndian, as: UInt64.self)
                let mask = attentionMask(word)
                if mask != 0 {
                    // Keep the plain bytes before the first flagged one; handle that one below.
                    let plain = mask.trailingZeroBitCount >> 3
                    p += plain
                    out += plain
                    break
                }
                p += 8
                out += 8
            }
            guard p < end else { throw JSONParseError(.unexpectedEnd(expected: "'\"' to close the string"), at: p, in: input) }
            let byte = base[p]
            if byte == UInt8(ascii: "\"") { break }
            if byte == UInt8(ascii: "\\") {
                let (next, written) = try parseEscape(base, end, p, out, input)
                p = next
                out += written
                continue
            }
            if byte < 0x20 { throw JSONParseError(.controlCharacterInString, at: p, in: input) }
            if byte < 0x80 {
                out.pointee = byte
                out += 1
                p += 1
                continue
            }
            let length = utf8SequenceLength(base, end, p)
            guard length > 0 else { throw JSONParseError(.invalidUTF8, at: p, in: input) }
            for index in 0..<length { out[index] = base[p + index] }
            out += length
            p += length
        }
        let count = out - first
        writer.append(TapeEntry(tag: .string, count: count, payload: UInt64(writer.stringCount)))
        writer.stringCount += count
        return p + 1
    }

    /// The length (2–4) of the valid UTF-8 sequence of a non-ASCII lead byte at `p`, or 0 if
    /// it is invalid (RFC 3629: no overlong forms, no surrogates, nothing above U+10FFFF).
    @inline(__always)
    static func utf8SequenceLength(_ base: UnsafePointer<UInt8>, _ end: Int, _ p: Int) -> Int {
        let lead = base[p]
        @inline(__always) func continuation(_ offset: Int, _ low: UInt8 = 0x80, _ high: UInt8 = 0xBF) -> Bool {
            p + offset < end && base[p + offset] >= low && base[p + offset] <= high
        }
        switch lead {
        case 0xC2...0xDF:
            return continuation(1) ? 2 : 0
        case 0xE0:
            return continuation(1, 0xA0) && continuation(2) ? 3 : 0
        case 0xE1...0xEC, 0xEE...0xEF:
            return continuation(1) && continuation(2) ? 3 : 0
        case 0xED:
            return continuation(1, 0x80, 0x9F) && continuation(2) ? 3 : 0
        case 0xF0:
            return continuation(1, 0x90) && continuation(2) && continuation(3) ? 4 : 0
        case 0xF1...0xF3:
            return continuation(1) && continuation(2) && continuation(3) ? 4 : 0
        case 0xF4:
            return continuation(1, 0x80, 0x8F) && continuation(2) && continuation(3) ? 4 : 0
        default:
            return 0
        }
    }

    /// Parses the escape whose backslash is at `start`, writes its UTF-8 at `out`, and returns
    /// the offset after it and the bytes written.
    @inline(never)
    static func parseEscape(_ base: UnsafePointer<UInt8>, _ end: Int, _ start: Int, _ out: UnsafeMutablePointer<UInt8>,
                            _ input: UnsafeRawBufferPointer) throws(JSONParseError) -> (next: Int, written: Int) {
        guard start + 1 < end else {
            throw JSONParseError(.unexpectedEnd(expected: "an escape sequence"), at: start + 1, in: input)
        }
        let simple: UInt8
        switch base[start + 1] {
        case UInt8(ascii: "\""): simple = 0x22
        case UInt8(ascii: "\\"): simple = 0x5C
        case UInt8(ascii: "/"): simple = 0x2F
        case UInt8(ascii: "b"): simple = 0x08
        case UInt8(ascii: "f"): simple = 0x0C
        case UInt8(ascii: "n"): simple = 0x0A
        case UInt8(ascii: "r"): simple = 0x0D
        case UInt8(ascii: "t"): simple = 0x09
        case UInt8(ascii: "u"):
            guard let unit = hex4(base, end, start + 2) else {
                throw JSONParseError(.invalidEscape, at: start, in: input)
            }
            var scalar = UInt32(unit)
            var next = start + 6
            if unit >= 0xDC00 && unit <= 0xDFFF {
                throw JSONParseError(.loneSurrogate, at: start, in: input)
            }
            if unit >= 0xD800 && unit <= 0xDBFF {
                guard next + 1 < end, base[next] == UInt8(ascii: "\\"), base[next + 1] == UInt8(ascii: "u"),
                      let low = hex4(base, end, next + 2), low >= 0xDC00, low <= 0xDFFF
                else {
                    throw JSONParseError(.loneSurrogate, at: start, in: input)
                }
                scalar = 0x10000 + ((UInt32(unit) - 0xD800) << 10) + (UInt32(low) - 0xDC00)
                next += 6
            }
            return (next, encodeUTF8(scalar, to: out))
        default:
            throw JSONParseError(.invalidEscape, at: start, in: input)
        }
        out.pointee = simple
        return (start + 2, 1)
    }

    /// Four hex digits at `p` as a UTF-16 code unit.
    @inline(__always)
    static func hex4(_ base: UnsafePointer<UInt8>, _ end: Int, _ p: Int) -> UInt16? {
        guard p + 4 <= end else { return nil }
        var value: UInt16 = 0
        for index in 0..<4 {
            let byte = base[p + index]
            let digit: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
            default: return nil
            }
            value = value << 4 | UInt16(digit)
        }
        return value
    }

    /// Writes the UTF-8 of a scalar (not a surrogate) and returns its length.
    @inline(__always)
    static func encodeUTF8(_ scalar: UInt32, to out: UnsafeMutablePointer<UInt8>) -> Int {
        switch scalar {
        case 0..<0x80:
            out[0] = UInt8(scalar)
            return 1
        case 0x80..<0x800:
            out[0] = UInt8(0xC0 | scalar >> 6)
            out[1] = UInt8(0x80 | scalar & 0x3F)
            return 2
        case 0x800..<0x10000:
            out[0] = UInt8(0xE0 | scalar >> 12)
            out[1] = UInt8(0x80 | scalar >> 6 & 0x3F)
            out[2] = UInt8(0x80 | scalar & 0x3F)
            return 3
        default:
            out[0] = UInt8(0xF0 | scalar >> 18)
            out[1] = UInt8(0x80 | scalar >> 12 & 0x3F)
            out[2] = UInt8(0x80 | scalar >> 6 & 0x3F)
            out[3] = UInt8(0x80 | scalar & 0x3F)
            return 4
        }
    }
}
