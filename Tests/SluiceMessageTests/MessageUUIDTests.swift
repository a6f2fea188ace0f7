import Testing
@testable import SluiceMessage

@Suite struct MessageUUIDTests {
    static let producer123456 = ProducerID(bytes: (1, 2, 3, 4, 5, 6))

    /// The vectors of docs/messages.md, computed independently from Gazette's layout.
    @Test(arguments: [
        (UInt64(0x0102_0304_0506), UInt64(0x0123_4567_89AB_CDEF), UInt16(0x0), "789abcde-3456-1012-bc00-010203040506"),
        (UInt64(0x0102_0304_0506), UInt64(0x0123_4567_89AB_CDEF), UInt16(0x2), "789abcde-3456-1012-bc02-010203040506"),
        (UInt64(0xFFEE_DDCC_BBAA), UInt64(1), UInt16(0x1), "00000000-0000-1000-8401-ffeeddccbbaa"),
        (UInt64(0x1122_3344_5567), UInt64(0x1EEA_838B_4CC8_0000), UInt16(0x1), "b4cc8000-a838-11ee-8001-112233445567"),
        (UInt64(0x1122_3344_5567), UInt64(0x1EEA_838B_4CC8_0003), UInt16(0x3FF), "b4cc8000-a838-11ee-8fff-112233445567"),
    ])
    func vectors(producer: UInt64, clock: UInt64, flags: UInt16, text: String) throws {
        let uuid = MessageUUID(producer: ProducerID(rawValue: producer), clock: MessageClock(rawValue: clock),
                               flags: MessageFlags(rawValue: flags))
        #expect(uuid.description == text)
        var bytes: [UInt8] = []
        uuid.appendText(to: &bytes)
        #expect(String(decoding: bytes, as: UTF8.self) == text)
        let parsed = try MessageUUID(parsing: text)
        #expect(parsed == uuid)
        #expect(parsed.producer.rawValue == producer)
        #expect(parsed.clock.rawValue == clock)
        #expect(parsed.flags.rawValue == flags)
        #expect(try MessageUUID(parsing: text.uppercased()) == uuid)
    }

    @Test func unixEpochConversion() {
        // 2024-01-01T00:00:00Z is 1,704,067,200 seconds after the Unix epoch.
        let clock = MessageClock(unixNanoseconds: 1_704_067_200 * 1_000_000_000)
        #expect(clock.rawValue == 0x1EEA_838B_4CC8_0000)
        #expect(clock.unixNanoseconds == 1_704_067_200 * 1_000_000_000)
        // Precision is 100 ns: 399 ns rounds down to 300 ns.
        #expect(MessageClock(unixNanoseconds: 12_000_000_399) == MessageClock(unixNanoseconds: 12_000_000_300))
    }

    @Test func clockOnlyGrows() {
        var clock = MessageClock(unixNanoseconds: 12_000_000_300)
        let start = clock
        #expect(clock.tick().rawValue == start.rawValue + 1)
        clock.update(unixNanoseconds: 11_000_000_000)  // earlier: ignored
        #expect(clock.rawValue == start.rawValue + 1)
        clock.update(unixNanoseconds: 12_000_005_000)  // later: taken, counter reset
        #expect(clock == MessageClock(unixNanoseconds: 12_000_005_000))
        // Sixteen ticks advance the timestamp by 100 ns.
        for _ in 0..<16 { clock.tick() }
        #expect(clock == MessageClock(unixNanoseconds: 12_000_005_100))
    }

    @Test func randomProducersHaveTheMulticastBitAndDiffer() {
        var seen = Set<ProducerID>()
        for _ in 0..<1_000 {
            let producer = ProducerID.random()
            #expect(producer.rawValue & 0x0100_0000_0000 != 0)
            #expect(producer.rawValue >> 48 == 0)
            seen.insert(producer)
        }
        #expect(seen.count == 1_000)
        #expect(Self.producer123456.description == "01:02:03:04:05:06")
    }

    @Test(arguments: [
        ("789abcde-3456-1012-bc00-01020304050", MessageUUIDError.wrongLength(35)),
        ("789abcde+3456-1012-bc00-010203040506", MessageUUIDError.expectedDash(position: 8)),
        ("789abcde-3456-1012-bc00-01020304050g", MessageUUIDError.notHex(position: 35)),
        ("789abcde-3456-4012-bc00-010203040506", MessageUUIDError.notVersion1),
        ("789abcde-3456-1012-cc00-010203040506", MessageUUIDError.notRFC4122Variant),
    ])
    func parseErrorsNameThePlace(text: String, expected: MessageUUIDError) {
        #expect(throws: expected) { try MessageUUID(parsing: text) }
    }

    @Test func everyFieldRoundTripsOverSeededValues() throws {
        var random = SeededRandom(seed: 0xA11CE)
        for _ in 0..<10_000 {
            let producer = ProducerID(rawValue: random.next() & 0xFFFF_FFFF_FFFF)
            let clock = MessageClock(rawValue: random.next())
            let flags = MessageFlags(rawValue: UInt16(random.next() & 0x3FF))
            let uuid = MessageUUID(producer: producer, clock: clock, flags: flags)
            #expect(uuid.producer == producer && uuid.clock == clock && uuid.flags == flags)
            #expect(try MessageUUID(parsing: uuid.description) == uuid)
        }
    }
}
