// SluiceMessage: exactly-once messaging over journals, after Gazette's `message` package.
//
// A message carries a UUID (RFC 4122 version 1 layout) that names its producer, a clock that
// only grows per producer, and transaction flags. Publishers write a transaction's messages
// as CONTINUE and then one ACK per journal; sequencers on the read side deliver only
// acknowledged messages, drop duplicates and roll back abandoned transactions. This module
// never parses a document: the collection layer frames messages (docs/messages.md).

/// The random node identifier of a message producer: 6 bytes, multicast bit set.
public struct ProducerID: Hashable, Sendable, Comparable, CustomStringConvertible {
    /// The 6 bytes, big-endian, in the low 48 bits.
    public let rawValue: UInt64

    public init(rawValue: UInt64) {
        precondition(rawValue >> 48 == 0, "a producer id has 48 bits")
        self.rawValue = rawValue
    }

    public init(bytes: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8)) {
        var value: UInt64 = 0
        for byte in [bytes.0, bytes.1, bytes.2, bytes.3, bytes.4, bytes.5] {
            value = value << 8 | UInt64(byte)
        }
        self.rawValue = value
    }

    /// A new random producer id with the multicast bit set, as RFC 4122 asks of random nodes.
    public static func random<G: RandomNumberGenerator>(using generator: inout G) -> ProducerID {
        let bits = generator.next() & 0xFFFF_FFFF_FFFF
        return ProducerID(rawValue: bits | 0x0100_0000_0000)
    }

    public static func random() -> ProducerID {
        var generator = SystemRandomNumberGenerator()
        return random(using: &generator)
    }

    /// `01:02:03:04:05:06`.
    public var description: String {
        (0..<6).map { index in
            let byte = UInt8(truncatingIfNeeded: rawValue >> UInt64(40 - 8 * index))
            return hexByte(byte)
        }.joined(separator: ":")
    }

    public static func < (lhs: ProducerID, rhs: ProducerID) -> Bool { lhs.rawValue < rhs.rawValue }
}

/// A producer's clock: a 60-bit timestamp in 100 ns units since 1582-10-15, shifted left by 4
/// bits, plus a 4-bit counter. It only grows.
public struct MessageClock: Hashable, Sendable, Comparable, CustomStringConvertible {
    public var rawValue: UInt64

    public init(rawValue: UInt64) { self.rawValue = rawValue }

    /// 100 ns intervals between 1582-10-15T00:00:00Z (RFC 4122's epoch) and the Unix epoch.
    public static let gregorianToUnixIntervals: UInt64 = 122_192_928_000_000_000

    /// The clock of a wall-clock time given as nanoseconds since the Unix epoch (counter 0).
    public init(unixNanoseconds: UInt64) {
        rawValue = (unixNanoseconds / 100 + Self.gregorianToUnixIntervals) << 4
    }

    /// Nanoseconds since the Unix epoch of the clock's timestamp (the counter is dropped).
    public var unixNanoseconds: UInt64 {
        let intervals = rawValue >> 4
        guard intervals >= Self.gregorianToUnixIntervals else { return 0 }
        return (intervals - Self.gregorianToUnixIntervals) * 100
    }

    /// Adds one (the counter overflows into the timestamp) and returns the new clock.
    @discardableResult
    public mutating func tick() -> MessageClock {
        rawValue &+= 1
        return self
    }

    /// Raises the clock to a wall-clock time if that is later; never lowers it.
    public mutating func update(unixNanoseconds: UInt64) {
        let next = MessageClock(unixNanoseconds: unixNanoseconds)
        if next.rawValue > rawValue { rawValue = next.rawValue }
    }

    public static func < (lhs: MessageClock, rhs: MessageClock) -> Bool { lhs.rawValue < rhs.rawValue }

    public var description: String { "0x" + String(rawValue, radix: 16) }
}

/// The 10 flag bits of a message UUID.
public struct MessageFlags: Hashable, Sendable, CustomStringConvertible {
    public let rawValue: UInt16

    public init(rawValue: UInt16) {
        precondition(rawValue <= 0x3FF, "only 10 bits may be used for flags")
        self.rawValue = rawValue
    }

    /// Not part of a transaction: delivered at once, acknowledging itself.
    public static let outsideTransaction = MessageFlags(rawValue: 0x0)
    /// Begins or continues a transaction: held until an ACK with a larger clock.
    public static let continueTransaction = MessageFlags(rawValue: 0x1)
    /// Acknowledges (commits) the producer's held messages with smaller or equal clocks.
    public static let acknowledgeTransaction = MessageFlags(rawValue: 0x2)

    public var description: String {
        switch self {
        case .outsideTransaction: return "OUTSIDE"
        case .continueTransaction: return "CONTINUE"
        case .acknowledgeTransaction: return "ACK"
        default: return "flags(0x\(String(rawValue, radix: 16)))"
        }
    }
}

/// A message UUID: producer, clock and flags in the RFC 4122 version 1 layout Gazette uses.
public struct MessageUUID: Hashable, Sendable, CustomStringConvertible {
    /// Bytes 0–7, big-endian.
    public let high: UInt64
    /// Bytes 8–15, big-endian.
    public let low: UInt64

    public init(high: UInt64, low: UInt64) {
        self.high = high
        self.low = low
    }

    /// The all-zero UUID: a message without a producer (delivered at once).
    public static let zero = MessageUUID(high: 0, low: 0)

    public init(producer: ProducerID, clock: MessageClock, flags: MessageFlags) {
        let c = clock.rawValue
        let timeLow = (c >> 4) & 0xFFFF_FFFF
        let timeMid = (c >> 36) & 0xFFFF
        let timeHigh = ((c >> 52) & 0x0FFF) | 0x1000
        high = timeLow << 32 | timeMid << 16 | timeHigh
        let sequence = ((c & 0xF) << 10) | UInt64(flags.rawValue) | 0x8000
        low = sequence << 48 | producer.rawValue
    }

    public var producer: ProducerID { ProducerID(rawValue: low & 0xFFFF_FFFF_FFFF) }

    public var clock: MessageClock {
        let timeLow = high >> 32
        let timeMid = (high >> 16) & 0xFFFF
        let timeHigh = high & 0x0FFF
        let counter = (low >> 58) & 0xF
        return MessageClock(rawValue: timeLow << 4 | timeMid << 36 | timeHigh << 52 | counter)
    }

    public var flags: MessageFlags { MessageFlags(rawValue: UInt16((low >> 48) & 0x3FF)) }

    /// The 16 bytes, in order.
    public var bytes: [UInt8] {
        (0..<8).map { UInt8(truncatingIfNeeded: high >> UInt64(56 - 8 * $0)) }
            + (0..<8).map { UInt8(truncatingIfNeeded: low >> UInt64(56 - 8 * $0)) }
    }

    /// Lowercase `8-4-4-4-12` hex.
    public var description: String {
        var text = ""
        text.reserveCapacity(36)
        for (index, byte) in bytes.enumerated() {
            if index == 4 || index == 6 || index == 8 || index == 10 { text.append("-") }
            text.append(hexByte(byte))
        }
        return text
    }

    /// Appends the 36 bytes of the text form to `output` (no allocation per call).
    public func appendText(to output: inout [UInt8]) {
        let digits: StaticString = "0123456789abcdef"
        digits.withUTF8Buffer { hex in
            for index in 0..<16 {
                if index == 4 || index == 6 || index == 8 || index == 10 { output.append(0x2D) }
                let word = index < 8 ? high : low
                let byte = UInt8(truncatingIfNeeded: word >> UInt64(56 - 8 * (index % 8)))
                output.append(hex[Int(byte >> 4)])
                output.append(hex[Int(byte & 0xF)])
            }
        }
    }

    /// Parses the text form (either case) from raw UTF-8 bytes: the hot path of every
    /// journal read. Errors name the position at fault.
    public init(parsing bytes: UnsafeRawBufferPointer) throws(MessageUUIDError) {
        guard bytes.count == 36 else { throw .wrongLength(bytes.count) }
        var high: UInt64 = 0
        var low: UInt64 = 0
        var position = 0
        // Safety: every index below is < 36 == bytes.count.
        for group in MessageUUID.groups {
            if group.dash >= 0 {
                guard bytes[group.dash] == 0x2D else { throw .expectedDash(position: group.dash) }
            }
            position = group.start
            while position < group.end {
                let value = MessageUUID.hexValue(bytes[position])
                guard value < 16 else { throw .notHex(position: position) }
                if group.isHigh { high = high << 4 | UInt64(value) } else { low = low << 4 | UInt64(value) }
                position += 1
            }
        }
        guard (high >> 12) & 0xF == 1 else { throw .notVersion1 }
        guard low >> 62 == 0b10 else { throw .notRFC4122Variant }
        self.init(high: high, low: low)
    }

    /// Hex digit groups of the text form: where each starts and ends, the dash before it, and
    /// whether its digits belong to the high or low 64 bits.
    private static let groups: [(start: Int, end: Int, dash: Int, isHigh: Bool)] = [
        (0, 8, -1, true), (9, 13, 8, true), (14, 18, 13, true), (19, 23, 18, false), (24, 36, 23, false),
    ]

    @inline(__always)
    private static func hexValue(_ character: UInt8) -> UInt8 {
        switch character {
        case 0x30...0x39: return character &- 0x30
        case 0x61...0x66: return character &- 0x61 &+ 10
        case 0x41...0x46: return character &- 0x41 &+ 10
        default: return 0xFF
        }
    }

    /// Parses the text form (either case). Errors name the position at fault.
    public init(parsing text: some Collection<UInt8>) throws(MessageUUIDError) {
        guard text.count == 36 else { throw .wrongLength(text.count) }
        var high: UInt64 = 0
        var low: UInt64 = 0
        var nibbles = 0
        for (position, character) in text.enumerated() {
            if position == 8 || position == 13 || position == 18 || position == 23 {
                guard character == 0x2D else { throw .expectedDash(position: position) }
                continue
            }
            let value: UInt8
            switch character {
            case 0x30...0x39: value = character - 0x30
            case 0x61...0x66: value = character - 0x61 + 10
            case 0x41...0x46: value = character - 0x41 + 10
            default: throw .notHex(position: position)
            }
            if nibbles < 16 { high = high << 4 | UInt64(value) } else { low = low << 4 | UInt64(value) }
            nibbles += 1
        }
        guard (high >> 12) & 0xF == 1 else { throw .notVersion1 }
        guard low >> 62 == 0b10 else { throw .notRFC4122Variant }
        self.init(high: high, low: low)
    }

    public init(parsing text: String) throws(MessageUUIDError) {
        let bytes = Array(text.utf8)
        let result = bytes.withUnsafeBytes { raw -> Result<MessageUUID, MessageUUIDError> in
            do throws(MessageUUIDError) { return .success(try MessageUUID(parsing: raw)) } catch { return .failure(error) }
        }
        self = try result.get()
    }
}

/// Why a UUID's text did not parse.
public enum MessageUUIDError: Error, Equatable, CustomStringConvertible {
    case wrongLength(Int)
    case expectedDash(position: Int)
    case notHex(position: Int)
    case notVersion1
    case notRFC4122Variant

    public var description: String {
        switch self {
        case .wrongLength(let count): return "a UUID has 36 characters, not \(count)"
        case .expectedDash(let position): return "expected '-' at character \(position + 1) of the UUID"
        case .notHex(let position): return "expected a hex digit at character \(position + 1) of the UUID"
        case .notVersion1: return "not a version 1 UUID (character 15 must be '1')"
        case .notRFC4122Variant: return "not an RFC 4122 variant UUID (character 20 must be 8, 9, a or b)"
        }
    }
}

func hexByte(_ byte: UInt8) -> String {
    let digits = Array("0123456789abcdef")
    return String([digits[Int(byte >> 4)], digits[Int(byte & 0xF)]])
}
