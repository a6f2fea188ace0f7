// URI formats: `uri` and `uri-reference` (RFC 3986 §3 and §4.1, checked character by
// character), `iri` and `iri-reference` (RFC 3987: the same grammar with non-ASCII `ucschar`s
// allowed) and `uri-template` (RFC 6570 §2).

enum URIFormats {
    /// RFC 3986 `URI` (or `URI-reference` when `reference`); with `international`, RFC 3987.
    static func isURI(_ bytes: UnsafeRawBufferPointer, reference: Bool, international: Bool) -> Bool {
        var checker = Checker(bytes: bytes, international: international)
        return checker.uri(allowRelative: reference)
    }

    private struct Checker {
        let bytes: UnsafeRawBufferPointer
        let international: Bool

        func isUnreserved(_ byte: UInt8) -> Bool {
            ASCII.isAlpha(byte) || ASCII.isDigit(byte) || byte == UInt8(ascii: "-") || byte == UInt8(ascii: ".")
                || byte == UInt8(ascii: "_") || byte == UInt8(ascii: "~") || (international && byte >= 0x80)
        }

        func isSubDelimiter(_ byte: UInt8) -> Bool {
            switch byte {
            case UInt8(ascii: "!"), UInt8(ascii: "$"), UInt8(ascii: "&"), UInt8(ascii: "'"), UInt8(ascii: "("),
                 UInt8(ascii: ")"), UInt8(ascii: "*"), UInt8(ascii: "+"), UInt8(ascii: ","), UInt8(ascii: ";"),
                 UInt8(ascii: "="):
                true
            default:
                false
            }
        }

        /// Checks `bytes[start..<end]`: each byte allowed by `allowed`, or a `%XX` escape.
        func run(_ start: Int, _ end: Int, _ allowed: (UInt8) -> Bool) -> Bool {
            var position = start
            while position < end {
                let byte = bytes[position]
                if byte == UInt8(ascii: "%") {
                    guard position + 3 <= end,
                          ASCII.isHexDigit(bytes[position + 1]), ASCII.isHexDigit(bytes[position + 2]) else { return false }
                    position += 3
                } else {
                    guard allowed(byte) else { return false }
                    position += 1
                }
            }
            return true
        }

        func isPathCharacter(_ byte: UInt8) -> Bool {
            isUnreserved(byte) || isSubDelimiter(byte) || byte == UInt8(ascii: ":") || byte == UInt8(ascii: "@")
        }

        mutating func uri(allowRelative: Bool) -> Bool {
            let count = bytes.count
            // Fragment and query.
            var end = count
            if let hash = bytes.firstIndex(of: UInt8(ascii: "#")) {
                guard run(hash + 1, count, { isPathCharacter($0) || $0 == UInt8(ascii: "/") || $0 == UInt8(ascii: "?") }) else {
                    return false
                }
                end = hash
            }
            if let question = bytes[..<end].firstIndex(of: UInt8(ascii: "?")) {
                guard run(question + 1, end, { isPathCharacter($0) || $0 == UInt8(ascii: "/") || $0 == UInt8(ascii: "?") }) else {
                    return false
                }
                end = question
            }
            // Scheme.
            var position = 0
            var hasScheme = false
            if let colon = bytes[..<end].firstIndex(of: UInt8(ascii: ":")),
               !bytes[..<colon].contains(UInt8(ascii: "/")) {
                guard colon > 0, ASCII.isAlpha(bytes[0]) else { return false }
                for index in 1..<colon {
                    let byte = bytes[index]
                    guard ASCII.isAlpha(byte) || ASCII.isDigit(byte) || byte == UInt8(ascii: "+")
                            || byte == UInt8(ascii: "-") || byte == UInt8(ascii: ".") else { return false }
                }
                hasScheme = true
                position = colon + 1
            }
            guard hasScheme || allowRelative else { return false }
            // Authority.
            if end - position >= 2, bytes[position] == UInt8(ascii: "/"), bytes[position + 1] == UInt8(ascii: "/") {
                let authorityStart = position + 2
                let authorityEnd = bytes[authorityStart..<end].firstIndex(of: UInt8(ascii: "/")) ?? end
                guard authority(authorityStart, authorityEnd) else { return false }
                position = authorityEnd
                return run(position, end, { isPathCharacter($0) || $0 == UInt8(ascii: "/") })
            }
            // A relative path's first segment may not contain a colon (path-noscheme).
            if !hasScheme {
                let segmentEnd = bytes[position..<end].firstIndex(of: UInt8(ascii: "/")) ?? end
                if bytes[position..<segmentEnd].contains(UInt8(ascii: ":")) { return false }
            }
            return run(position, end, { isPathCharacter($0) || $0 == UInt8(ascii: "/") })
        }

        func authority(_ start: Int, _ end: Int) -> Bool {
            var hostStart = start
            if let at = bytes[start..<end].firstIndex(of: UInt8(ascii: "@")) {
                guard run(start, at, { isUnreserved($0) || isSubDelimiter($0) || $0 == UInt8(ascii: ":") }) else { return false }
                hostStart = at + 1
            }
            var hostEnd = end
            if hostStart < end, bytes[hostStart] == UInt8(ascii: "[") {
                guard let close = bytes[hostStart..<end].firstIndex(of: UInt8(ascii: "]")) else { return false }
                let inner = hostStart + 1
                if inner < close, bytes[inner] | 0x20 == UInt8(ascii: "v") {
                    // IPvFuture: "v" 1*HEXDIG "." 1*( unreserved / sub-delims / ":" )
                    guard let dot = bytes[inner..<close].firstIndex(of: UInt8(ascii: ".")), dot > inner + 1, dot + 1 < close,
                          bytes[(inner + 1)..<dot].allSatisfy(ASCII.isHexDigit),
                          bytes[(dot + 1)..<close].allSatisfy({ isUnreserved($0) || isSubDelimiter($0) || $0 == UInt8(ascii: ":") })
                    else { return false }
                } else {
                    guard NetworkFormats.isIPv6(bytes, inner, close) else { return false }
                }
                hostEnd = close + 1
                guard hostEnd == end || bytes[hostEnd] == UInt8(ascii: ":") else { return false }
            } else {
                hostEnd = bytes[hostStart..<end].firstIndex(of: UInt8(ascii: ":")) ?? end
                guard run(hostStart, hostEnd, { isUnreserved($0) || isSubDelimiter($0) }) else { return false }
            }
            if hostEnd < end {
                // Port.
                return bytes[(hostEnd + 1)..<end].allSatisfy(ASCII.isDigit)
            }
            return true
        }
    }

    /// RFC 6570: literals and `{operator? varspec,…}` expressions. An apostrophe in a literal
    /// is accepted (as the JSON-Schema-Test-Suite expects, though RFC 6570 §2.1 excludes it).
    static func isURITemplate(_ bytes: UnsafeRawBufferPointer) -> Bool {
        var position = 0
        while position < bytes.count {
            let byte = bytes[position]
            if byte == UInt8(ascii: "{") {
                guard let close = bytes[position...].firstIndex(of: UInt8(ascii: "}")) else { return false }
                guard isExpression(bytes, position + 1, close) else { return false }
                position = close + 1
                continue
            }
            if byte == UInt8(ascii: "%") {
                guard position + 2 < bytes.count, ASCII.isHexDigit(bytes[position + 1]), ASCII.isHexDigit(bytes[position + 2]) else {
                    return false
                }
                position += 3
                continue
            }
            switch byte {
            case 0x00...0x20, UInt8(ascii: "\""), UInt8(ascii: "<"), UInt8(ascii: ">"),
                 UInt8(ascii: "\\"), UInt8(ascii: "^"), UInt8(ascii: "`"), UInt8(ascii: "|"), UInt8(ascii: "}"), 0x7F:
                return false
            default:
                position += 1
            }
        }
        return true
    }

    private static func isExpression(_ bytes: UnsafeRawBufferPointer, _ start: Int, _ end: Int) -> Bool {
        var position = start
        guard position < end else { return false }
        switch bytes[position] {
        case UInt8(ascii: "+"), UInt8(ascii: "#"), UInt8(ascii: "."), UInt8(ascii: "/"), UInt8(ascii: ";"),
             UInt8(ascii: "?"), UInt8(ascii: "&"), UInt8(ascii: "="), UInt8(ascii: ","), UInt8(ascii: "!"),
             UInt8(ascii: "@"), UInt8(ascii: "|"):
            position += 1
        default:
            break
        }
        // varspec *( "," varspec )
        while true {
            // varname = varchar *( ["."] varchar )
            var previousWasDot = true
            let nameStart = position
            while position < end {
                let byte = bytes[position]
                if byte == UInt8(ascii: ".") {
                    guard !previousWasDot else { return false }
                    previousWasDot = true
                    position += 1
                } else if ASCII.isAlpha(byte) || ASCII.isDigit(byte) || byte == UInt8(ascii: "_") {
                    previousWasDot = false
                    position += 1
                } else if byte == UInt8(ascii: "%") {
                    guard position + 2 < end, ASCII.isHexDigit(bytes[position + 1]), ASCII.isHexDigit(bytes[position + 2]) else {
                        return false
                    }
                    previousWasDot = false
                    position += 3
                } else {
                    break
                }
            }
            guard position > nameStart, !previousWasDot else { return false }
            if position < end, bytes[position] == UInt8(ascii: ":") {
                position += 1
                let digitsStart = position
                while position < end, ASCII.isDigit(bytes[position]) { position += 1 }
                let length = position - digitsStart
                guard length >= 1, length <= 4, bytes[digitsStart] != UInt8(ascii: "0") else { return false }
            } else if position < end, bytes[position] == UInt8(ascii: "*") {
                position += 1
            }
            if position == end { return true }
            guard bytes[position] == UInt8(ascii: ",") else { return false }
            position += 1
        }
    }
}
