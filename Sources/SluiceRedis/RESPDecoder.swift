/// Reads RESP2 replies from bytes received so far. `decode` returns nil while the first reply is
/// incomplete (read more and call again from the same start); a malformed stream throws with the
/// offset of the bad byte, relative to the start given.
public enum RESPDecoder {
    /// Limits that turn a corrupted or hostile stream into an error instead of a huge allocation
    /// or a deep recursion.
    public struct Limits: Sendable {
        /// Longest bulk string accepted: 512 MiB, Redis's own `proto-max-bulk-len` default; no
        /// value Redis can store is longer.
        public var bulkStringBytesMax: Int = 512 << 20
        /// Most elements in one array: 2^24. The largest reply Sluice asks for is EXEC's, one
        /// element per queued command; transactions stay far below this.
        public var arrayElementsMax: Int = 1 << 24
        /// Deepest nesting of arrays: 16. Sluice's commands reply at most 2 deep; the limit
        /// bounds the decoder's recursion.
        public var nestingDepthMax: Int = 16
        /// Longest status, error or header line: 64 KiB. Redis's lines are short; a longer one
        /// means the stream lost its framing.
        public var lineBytesMax: Int = 64 << 10

        public init() {}
    }

    /// Decodes the first complete reply in `bytes`: the reply and the number of bytes it took,
    /// or nil if `bytes` ends before the reply does.
    public static func decode(_ bytes: UnsafeBufferPointer<UInt8>, limits: Limits = Limits()) throws(RESPProtocolError) -> (value: RESPValue, length: Int)? {
        var position = 0
        guard let value = try decodeValue(bytes, &position, depth: 0, limits) else { return nil }
        return (value, position)
    }

    /// Decodes the first reply of an array of bytes (tests, small replies).
    public static func decode(_ bytes: [UInt8], limits: Limits = Limits()) throws(RESPProtocolError) -> (value: RESPValue, length: Int)? {
        // Safety: the buffer pointer does not escape the closure.
        let result: Result<(value: RESPValue, length: Int)?, RESPProtocolError> = bytes.withUnsafeBufferPointer { buffer in
            do throws(RESPProtocolError) { return .success(try decode(buffer, limits: limits)) } catch { return .failure(error) }
        }
        return try result.get()
    }

    private static func decodeValue(_ bytes: UnsafeBufferPointer<UInt8>, _ position: inout Int, depth: Int,
                                    _ limits: Limits) throws(RESPProtocolError) -> RESPValue? {
        guard position < bytes.count else { return nil }
        let markerOffset = position
        let marker = bytes[position]
        guard let line = try readLine(bytes, from: position + 1, limits) else { return nil }
        position = line.next
        switch marker {
        case UInt8(ascii: "+"):
            return .simpleString(String(decoding: bytes[line.range], as: UTF8.self))
        case UInt8(ascii: "-"):
            return .error(String(decoding: bytes[line.range], as: UTF8.self))
        case UInt8(ascii: ":"):
            return .integer(try parseInteger(bytes, line.range))
        case UInt8(ascii: "$"):
            let length = try parseInteger(bytes, line.range)
            if length == -1 { return .null }
            guard length >= 0, length <= limits.bulkStringBytesMax else {
                throw RESPProtocolError("bulk string length \(length) outside 0...\(limits.bulkStringBytesMax)", offset: markerOffset)
            }
            let end = position + Int(length)
            guard end + 2 <= bytes.count else { return nil }
            guard bytes[end] == 0x0D, bytes[end + 1] == 0x0A else {
                throw RESPProtocolError("bulk string of \(length) bytes not followed by CRLF", offset: end)
            }
            let value = RESPValue.bulkString(Array(bytes[position..<end]))
            position = end + 2
            return value
        case UInt8(ascii: "*"):
            let count = try parseInteger(bytes, line.range)
            if count == -1 { return .null }
            guard count >= 0, count <= limits.arrayElementsMax else {
                throw RESPProtocolError("array length \(count) outside 0...\(limits.arrayElementsMax)", offset: markerOffset)
            }
            guard depth < limits.nestingDepthMax else {
                throw RESPProtocolError("arrays nested deeper than \(limits.nestingDepthMax)", offset: markerOffset)
            }
            var elements: [RESPValue] = []
            // Reserve no more than the bytes present could hold (each element takes ≥ 3 bytes),
            // so a forged count cannot force a large allocation.
            elements.reserveCapacity(min(Int(count), (bytes.count - position) / 3 + 1))
            for _ in 0..<count {
                guard let element = try decodeValue(bytes, &position, depth: depth + 1, limits) else { return nil }
                elements.append(element)
            }
            return .array(elements)
        default:
            throw RESPProtocolError("unexpected reply type byte 0x\(String(marker, radix: 16))", offset: markerOffset)
        }
    }

    /// The line starting at `start` (without CRLF) and the offset after its CRLF; nil if no CRLF
    /// yet.
    private static func readLine(_ bytes: UnsafeBufferPointer<UInt8>, from start: Int,
                                 _ limits: Limits) throws(RESPProtocolError) -> (range: Range<Int>, next: Int)? {
        var index = start
        while index < bytes.count {
            if bytes[index] == 0x0D {
                guard index + 1 < bytes.count else { return nil }
                guard bytes[index + 1] == 0x0A else { throw RESPProtocolError("CR not followed by LF", offset: index) }
                return (start..<index, index + 2)
            }
            if bytes[index] == 0x0A { throw RESPProtocolError("LF without CR", offset: index) }
            index += 1
            if index - start > limits.lineBytesMax {
                throw RESPProtocolError("line longer than \(limits.lineBytesMax) bytes", offset: start)
            }
        }
        return nil
    }

    private static func parseInteger(_ bytes: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) throws(RESPProtocolError) -> Int64 {
        var index = range.lowerBound
        var negative = false
        if index < range.upperBound, bytes[index] == UInt8(ascii: "-") { negative = true; index += 1 }
        guard index < range.upperBound else { throw RESPProtocolError("empty integer", offset: range.lowerBound) }
        var value: Int64 = 0
        while index < range.upperBound {
            let digit = bytes[index] &- UInt8(ascii: "0")
            guard digit <= 9 else { throw RESPProtocolError("non-digit in integer", offset: index) }
            let (shifted, overflowShift) = value.multipliedReportingOverflow(by: 10)
            let (next, overflowAdd) = negative ? shifted.subtractingReportingOverflow(Int64(digit))
                                               : shifted.addingReportingOverflow(Int64(digit))
            guard !overflowShift, !overflowAdd else { throw RESPProtocolError("integer overflows 64 bits", offset: range.lowerBound) }
            value = next
            index += 1
        }
        return value
    }
}

/// A byte stream that is not RESP2: what is wrong and the offset of the bad byte within the
/// reply being decoded.
public struct RESPProtocolError: Error, Sendable, Equatable, CustomStringConvertible {
    public let message: String
    public let offset: Int

    public init(_ message: String, offset: Int) {
        self.message = message
        self.offset = offset
    }

    public var description: String { "RESP protocol error at byte \(offset) of the reply: \(message)" }
}
