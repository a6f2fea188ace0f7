import Testing
@testable import SluiceJournal

@Suite struct JournalSpecTests {
    @Test func defaultsAreValidAndRoundTrip() throws {
        let spec = JournalSpec()
        try spec.validate()
        #expect(String(decoding: try spec.encodedJSON(), as: UTF8.self) == #"{"codec":"zstd:1","flushIntervalSeconds":0,"fragmentLengthBytes":67108864,"fsyncPolicy":"group","groupCommitBytesMax":16777216,"groupCommitDelayMicroseconds":0,"retentionAgeSeconds":0,"retentionBytes":0}"# + "\n")
        #expect(try JournalSpec.decode(json: spec.encodedJSON(), path: "spec.json") == spec)
    }

    @Test(arguments: [
        (JournalSpec(fragmentLengthBytes: 1023), "fragmentLengthBytes", "1023 is outside 1024...4294967296"),
        (JournalSpec(fragmentLengthBytes: (4 << 30) + 1), "fragmentLengthBytes", "4294967297 is outside 1024...4294967296"),
        (JournalSpec(codec: .zstd(level: 20)), "codec", "zstd level 20 is outside 1...19"),
        (JournalSpec(groupCommitDelayMicroseconds: 100_001), "groupCommitDelayMicroseconds", "100001 is outside 0...100000"),
        (JournalSpec(groupCommitBytesMax: 100), "groupCommitBytesMax", "100 is outside 4096...1073741824"),
        (JournalSpec(flushIntervalSeconds: -1), "flushIntervalSeconds", "-1 is outside 1...604800 (or 0 for none)"),
        (JournalSpec(retentionAgeSeconds: -5), "retentionAgeSeconds", "-5 is negative"),
        (JournalSpec(retentionBytes: -1), "retentionBytes", "-1 is negative"),
    ])
    func limitsAreEnforced(_ spec: JournalSpec, _ field: String, _ reason: String) {
        #expect(throws: JournalError.invalidSpec(field: field, reason: reason)) { try spec.validate() }
    }

    @Test func limitsAtTheirBoundariesAreAccepted() throws {
        try JournalSpec(fragmentLengthBytes: 1024, groupCommitDelayMicroseconds: 100_000, groupCommitBytesMax: 4096,
                        flushIntervalSeconds: 604_800).validate()
        try JournalSpec(fragmentLengthBytes: 4 << 30, codec: .zstd(level: 19), groupCommitBytesMax: 1 << 30,
                        flushIntervalSeconds: 1).validate()
    }

    @Test func codecParsing() throws {
        #expect(try FragmentCodec(parsing: "none") == FragmentCodec.none)
        #expect(try FragmentCodec(parsing: "lz4") == .lz4)
        #expect(try FragmentCodec(parsing: "zstd") == .zstd(level: 1))
        #expect(try FragmentCodec(parsing: "zstd:7") == .zstd(level: 7))
        #expect(throws: JournalError.invalidSpec(field: "codec", reason: "\"gzip\" is not none, lz4, zstd or zstd:LEVEL")) {
            try FragmentCodec(parsing: "gzip")
        }
        #expect(throws: JournalError.invalidSpec(field: "codec", reason: "zstd level 0 is outside 1...19")) {
            try FragmentCodec(parsing: "zstd:0")
        }
    }
}
