// Other formats: `uuid` (RFC 4122 text: 8-4-4-4-12 hex digits, any case), `regex` (compiles
// as an ECMA-262 pattern with ECMARegex), `json-pointer` (RFC 6901) and
// `relative-json-pointer` (a non-negative integer, an optional index adjustment, then `#` or
// a JSON pointer).

enum OtherFormats {
    static func isUUID(_ bytes: UnsafeRawBufferPointer) -> Bool {
        guard bytes.count == 36 else { return false }
        for (index, byte) in bytes.enumerated() {
            if index == 8 || index == 13 || index == 18 || index == 23 {
                guard byte == UInt8(ascii: "-") else { return false }
            } else {
                guard ASCII.isHexDigit(byte) else { return false }
            }
        }
        return true
    }

    static func isRegex(_ bytes: UnsafeRawBufferPointer) -> Bool {
        (try? ECMARegex(String(decoding: bytes, as: UTF8.self))) != nil
    }

    /// Empty, or `/` tokens where `~` is followed by `0` or `1`.
    static func isJSONPointer(_ bytes: UnsafeRawBufferPointer) -> Bool {
        isJSONPointer(bytes, 0)
    }

    private static func isJSONPointer(_ bytes: UnsafeRawBufferPointer, _ start: Int) -> Bool {
        guard start < bytes.count else { return true }
        guard bytes[start] == UInt8(ascii: "/") else { return false }
        var position = start
        while position < bytes.count {
            if bytes[position] == UInt8(ascii: "~") {
                guard position + 1 < bytes.count,
                      bytes[position + 1] == UInt8(ascii: "0") || bytes[position + 1] == UInt8(ascii: "1") else { return false }
                position += 2
            } else {
                position += 1
            }
        }
        return true
    }

    static func isRelativeJSONPointer(_ bytes: UnsafeRawBufferPointer) -> Bool {
        var position = 0
        guard let length = nonNegativeInteger(bytes, position) else { return false }
        position += length
        if position < bytes.count, bytes[position] == UInt8(ascii: "+") || bytes[position] == UInt8(ascii: "-") {
            guard let adjustment = nonNegativeInteger(bytes, position + 1) else { return false }
            position += 1 + adjustment
        }
        if position < bytes.count, bytes[position] == UInt8(ascii: "#") {
            return position + 1 == bytes.count
        }
        return isJSONPointer(bytes, position)
    }

    /// The length of `0` or `[1-9][0-9]*` at `start`, or nil.
    private static func nonNegativeInteger(_ bytes: UnsafeRawBufferPointer, _ start: Int) -> Int? {
        guard start < bytes.count, ASCII.isDigit(bytes[start]) else { return nil }
        if bytes[start] == UInt8(ascii: "0") { return 1 }
        var position = start
        while position < bytes.count, ASCII.isDigit(bytes[position]) { position += 1 }
        return position - start
    }
}
