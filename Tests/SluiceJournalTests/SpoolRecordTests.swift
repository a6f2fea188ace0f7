import Testing
@testable import SluiceJournal

@Suite struct SpoolRecordTests {
    static func header(_ text: String, begin: Int64, syncedThrough: Int64) -> SpoolRecordHeader {
        Array(text.utf8).withUnsafeBytes { SpoolRecordHeader(payload: $0, begin: begin, syncedThrough: syncedThrough) }
    }

    static func hex(_ bytes: [UInt8]) -> String { bytes.map { String(format: "%02x", $0) }.joined() }

    /// The test vectors of docs/journal.md (checksums also computed with Python's xxhash 3.4.1).
    @Test func headerVectors() {
        #expect(Self.hex(Self.header("hello\n", begin: 0, syncedThrough: 0).bytes)
                == "534c5331" + "06000000" + "0000000000000000" + "0000000000000000" + "d5ee220f2a8ab311")
        #expect(Self.hex(Self.header("world\n", begin: 6, syncedThrough: 6).bytes)
                == "534c5331" + "06000000" + "0600000000000000" + "0600000000000000" + "f6eb115a901eeaa4")
    }

    @Test func parseRoundTripsAndChecksPayload() throws {
        let header = Self.header("hello\n", begin: 1234, syncedThrough: 1000)
        let parsed = try header.bytes.withUnsafeBytes { try SpoolRecordHeader.parse($0).get() }
        #expect(parsed == header)
        #expect(Array("hello\n".utf8).withUnsafeBytes { parsed.matches(payload: $0) })
        #expect(!Array("hellO\n".utf8).withUnsafeBytes { parsed.matches(payload: $0) })
        #expect(!Array("hello".utf8).withUnsafeBytes { parsed.matches(payload: $0) })
    }

    @Test func everyHeaderByteIsCovered() {
        let header = Self.header("hello\n", begin: 6, syncedThrough: 6)
        let payload = Array("hello\n".utf8)
        for position in 0..<SpoolRecordHeader.sizeBytes {
            var bytes = header.bytes
            bytes[position] ^= 0x01
            let valid = bytes.withUnsafeBytes { raw -> Bool in
                guard case .success(let parsed) = SpoolRecordHeader.parse(raw) else { return false }
                return payload.withUnsafeBytes { parsed.matches(payload: $0) }
            }
            #expect(!valid, "a flip at header byte \(position) went unnoticed")
        }
    }

    @Test func parseNamesDefects() {
        #expect(throws: SpoolRecordHeader.Defect.truncated(available: 10)) {
            try [UInt8](repeating: 0, count: 10).withUnsafeBytes { try SpoolRecordHeader.parse($0).get() }
        }
        #expect(throws: SpoolRecordHeader.Defect.badMagic(0)) {
            try [UInt8](repeating: 0, count: 32).withUnsafeBytes { try SpoolRecordHeader.parse($0).get() }
        }
        var zeroLength = Self.header("x", begin: 0, syncedThrough: 0).bytes
        zeroLength[4] = 0
        #expect(throws: SpoolRecordHeader.Defect.badLength(0)) {
            try zeroLength.withUnsafeBytes { try SpoolRecordHeader.parse($0).get() }
        }
        var tooLong = zeroLength
        tooLong[4...7] = [0x01, 0x00, 0x00, 0x04]  // 64 MiB + 1
        #expect(throws: SpoolRecordHeader.Defect.badLength(UInt32(Journal.appendBytesMax) + 1)) {
            try tooLong.withUnsafeBytes { try SpoolRecordHeader.parse($0).get() }
        }
    }
}
