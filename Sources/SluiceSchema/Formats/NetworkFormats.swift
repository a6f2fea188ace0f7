// Network formats: `ipv4` (RFC 2673 dotted-quad, no leading zeros), `ipv6` (RFC 4291 text
// forms, with an embedded IPv4 tail), `hostname` (RFC 1123 labels; A-labels must decode as
// Punycode to a valid U-label) and `idn-hostname` (RFC 5890: U-labels checked by IDNA.swift),
// `email` and `idn-email` (RFC 5321 mailboxes: dot-atom or quoted local part; a host name or
// an address literal).

enum NetworkFormats {
    // MARK: - IP addresses

    static func isIPv4(_ bytes: UnsafeRawBufferPointer) -> Bool {
        isIPv4(bytes, 0, bytes.count)
    }

    /// Four decimal octets 0–255 without leading zeros, in `bytes[start..<end]`.
    static func isIPv4(_ bytes: UnsafeRawBufferPointer, _ start: Int, _ end: Int) -> Bool {
        var position = start
        for part in 0..<4 {
            let digitsStart = position
            var value = 0
            while position < end, ASCII.isDigit(bytes[position]), position - digitsStart < 3 {
                value = value * 10 + Int(bytes[position] - 0x30)
                position += 1
            }
            let length = position - digitsStart
            guard length > 0, value <= 255, !(length > 1 && bytes[digitsStart] == UInt8(ascii: "0")) else { return false }
            if part < 3 {
                guard position < end, bytes[position] == UInt8(ascii: ".") else { return false }
                position += 1
            }
        }
        return position == end
    }

    static func isIPv6(_ bytes: UnsafeRawBufferPointer) -> Bool {
        isIPv6(bytes, 0, bytes.count)
    }

    /// Up to eight groups of 1–4 hex digits, at most one `::`, optionally ending in an IPv4
    /// address (two groups), in `bytes[start..<end]`.
    static func isIPv6(_ bytes: UnsafeRawBufferPointer, _ start: Int, _ end: Int) -> Bool {
        guard end - start >= 2 else { return false }
        var position = start
        var groups = 0
        var sawDoubleColon = false
        if bytes[position] == UInt8(ascii: ":") {
            guard bytes[position + 1] == UInt8(ascii: ":") else { return false }
            sawDoubleColon = true
            position += 2
            if position == end { return true }
        }
        while position < end {
            // An IPv4 tail?
            var lookahead = position
            while lookahead < end, ASCII.isHexDigit(bytes[lookahead]) { lookahead += 1 }
            if lookahead < end, bytes[lookahead] == UInt8(ascii: ".") {
                guard isIPv4(bytes, position, end) else { return false }
                groups += 2
                position = end
                break
            }
            let length = lookahead - position
            guard length >= 1, length <= 4 else { return false }
            groups += 1
            position = lookahead
            if position == end { break }
            guard bytes[position] == UInt8(ascii: ":") else { return false }
            position += 1
            if position < end, bytes[position] == UInt8(ascii: ":") {
                guard !sawDoubleColon else { return false }
                sawDoubleColon = true
                position += 1
                if position == end { break }
            } else if position == end {
                return false  // a trailing single colon
            }
        }
        return sawDoubleColon ? groups <= 7 : groups == 8
    }

    // MARK: - Host names

    /// Total length at most 253, labels of 1–63 letters, digits and hyphens not starting or
    /// ending with a hyphen; an `xn--` label must be valid Punycode of a valid U-label. With
    /// `international`, labels may be U-labels (checked by IDNA rules) and the separators
    /// U+3002, U+FF0E and U+FF61 are dots.
    static func isHostname(_ bytes: UnsafeRawBufferPointer, international: Bool) -> Bool {
        guard !bytes.isEmpty else { return false }
        if international, bytes.contains(where: { $0 >= 0x80 }) {
            return IDNA.isInternationalHostname(String(decoding: bytes, as: UTF8.self))
        }
        guard bytes.count <= 253 else { return false }
        var labelStart = 0
        for position in 0...bytes.count {
            if position == bytes.count || bytes[position] == UInt8(ascii: ".") {
                guard isLabel(bytes, labelStart, position) else { return false }
                labelStart = position + 1
            }
        }
        return true
    }

    /// An LDH label in `bytes[start..<end]`; `xn--` labels are decoded and checked.
    static func isLabel(_ bytes: UnsafeRawBufferPointer, _ start: Int, _ end: Int) -> Bool {
        let length = end - start
        guard length >= 1, length <= 63,
              bytes[start] != UInt8(ascii: "-"), bytes[end - 1] != UInt8(ascii: "-") else { return false }
        for position in start..<end {
            let byte = bytes[position]
            guard ASCII.isAlpha(byte) || ASCII.isDigit(byte) || byte == UInt8(ascii: "-") else { return false }
        }
        if length >= 4, bytes[start + 2] == UInt8(ascii: "-"), bytes[start + 3] == UInt8(ascii: "-") {
            // Reserved LDH labels: only A-labels (`xn--`) may have hyphens in positions 3 and 4.
            guard bytes[start] | 0x20 == UInt8(ascii: "x"), bytes[start + 1] | 0x20 == UInt8(ascii: "n") else { return false }
            let encoded = String(decoding: UnsafeRawBufferPointer(rebasing: bytes[(start + 4)..<end]), as: UTF8.self)
            return IDNA.isALabelTail(encoded)
        }
        return true
    }

    // MARK: - E-mail

    /// `local-part "@" domain` (RFC 5321 §4.1.2): a dot-atom or quoted-string local part, and
    /// a host name or `[IPv4]` / `[IPv6:…]` literal. With `international`, UTF-8 is allowed in
    /// the local part and the domain is an idn-hostname (RFC 6531).
    static func isEmail(_ bytes: UnsafeRawBufferPointer, international: Bool) -> Bool {
        guard let at = localPartEnd(bytes, international: international), at > 0, at + 1 < bytes.count else { return false }
        let domainStart = at + 1
        if bytes[domainStart] == UInt8(ascii: "[") {
            guard bytes[bytes.count - 1] == UInt8(ascii: "]") else { return false }
            let inner = domainStart + 1
            let end = bytes.count - 1
            let tag = "IPv6:".utf8
            if end - inner > tag.count, zip(tag, bytes[inner..<(inner + tag.count)]).allSatisfy({ $0 == $1 }) {
                return isIPv6(bytes, inner + tag.count, end)
            }
            return isIPv4(bytes, inner, end)
        }
        return isHostname(UnsafeRawBufferPointer(rebasing: bytes[domainStart...]), international: international)
    }

    /// The index of the `@` after a valid local part, or nil.
    private static func localPartEnd(_ bytes: UnsafeRawBufferPointer, international: Bool) -> Int? {
        guard !bytes.isEmpty else { return nil }
        var position = 0
        if bytes[0] == UInt8(ascii: "\"") {
            position = 1
            while position < bytes.count {
                let byte = bytes[position]
                if byte == UInt8(ascii: "\"") { break }
                if byte == UInt8(ascii: "\\") {
                    guard position + 1 < bytes.count, bytes[position + 1] >= 0x20, bytes[position + 1] <= 0x7E else { return nil }
                    position += 2
                    continue
                }
                guard (byte >= 0x20 && byte <= 0x7E) || (international && byte >= 0x80) else { return nil }
                position += 1
            }
            guard position < bytes.count, position > 1 else { return nil }
            position += 1
            guard position < bytes.count, bytes[position] == UInt8(ascii: "@") else { return nil }
            return position
        }
        var previousWasDot = true  // no leading dot
        while position < bytes.count, bytes[position] != UInt8(ascii: "@") {
            let byte = bytes[position]
            if byte == UInt8(ascii: ".") {
                guard !previousWasDot else { return nil }
                previousWasDot = true
            } else {
                guard isAtomText(byte) || (international && byte >= 0x80) else { return nil }
                previousWasDot = false
            }
            position += 1
        }
        guard position < bytes.count, !previousWasDot else { return nil }
        return position
    }

    /// RFC 5322 `atext`.
    private static func isAtomText(_ byte: UInt8) -> Bool {
        if ASCII.isAlpha(byte) || ASCII.isDigit(byte) { return true }
        switch byte {
        case UInt8(ascii: "!"), UInt8(ascii: "#"), UInt8(ascii: "$"), UInt8(ascii: "%"), UInt8(ascii: "&"),
             UInt8(ascii: "'"), UInt8(ascii: "*"), UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: "/"),
             UInt8(ascii: "="), UInt8(ascii: "?"), UInt8(ascii: "^"), UInt8(ascii: "_"), UInt8(ascii: "`"),
             UInt8(ascii: "{"), UInt8(ascii: "|"), UInt8(ascii: "}"), UInt8(ascii: "~"):
            return true
        default:
            return false
        }
    }
}
