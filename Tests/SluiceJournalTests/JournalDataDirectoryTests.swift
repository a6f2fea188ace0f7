import Foundation
import Testing
@testable import SluiceJournal

@Suite struct JournalDataDirectoryTests {
    @Test func prefixNamesLiveSideBySide() async throws {
        let temporary = TemporaryDirectory("layout")
        defer { temporary.remove() }
        let directory = temporary.dataDirectory
        let names = try ["acme/orders", "acme/orders/eu", "acme/orders/eu/00", "acme/ord", "zeta"].map(JournalName.init)
        for (index, name) in names.enumerated() {
            let journal = try directory.open(name, createWith: testSpec())
            try await journal.append(Array("journal \(index)".utf8))
            await journal.close()
        }
        #expect(try directory.directory(of: names[1]) == temporary.path + "/journals/acme/orders/eu/@journal")
        #expect(try directory.journalNames() == names.sorted())
        for (index, name) in names.enumerated() {
            let journal = try directory.open(name, readOnly: true)
            #expect(String(decoding: try await readAll(journal).bytes, as: UTF8.self) == "journal \(index)")
        }
        #expect(directoryEntries(temporary.path + "/journals/acme/orders").sorted() == ["@journal", "eu"])
        #expect(directoryEntries(temporary.path + "/journals/acme/orders/@journal") == [
            "fragments", "lock", "spec.json", "spool-0000000000000000.spool"])
    }

    @Test func missingDataDirectoryListsNothing() throws {
        #expect(try JournalDataDirectory(path: "/nonexistent/sluice-data").journalNames().isEmpty)
    }

    @Test func badPlacesGiveClearErrors() throws {
        let temporary = TemporaryDirectory("bad")
        defer { temporary.remove() }
        // The data directory is a file.
        let file = temporary.path + "/not-a-directory"
        try Data("x".utf8).write(to: URL(fileURLWithPath: file))
        let onFile = JournalDataDirectory(path: file)
        #expect(throws: JournalError.io(operation: "use as data directory", path: file, errorNumber: ENOTDIR)) {
            try onFile.journalNames()
        }
        #expect(throws: JournalError.io(operation: "use as data directory", path: file, errorNumber: ENOTDIR)) {
            try onFile.open(JournalName("test/any"), createWith: testSpec())
        }
        // A journal that does not exist.
        #expect(throws: JournalError.journalNotFound(name: "test/none", dataDirectory: temporary.path)) {
            try temporary.dataDirectory.open(JournalName("test/none"))
        }
        // A name segment too long for a file name.
        let long = String(repeating: "s", count: 256)
        #expect(throws: JournalError.self) { try temporary.dataDirectory.open(JournalName("test/" + long), createWith: testSpec()) }
        // A journal folder in the place of a file, and a fragments "directory" that is a file.
        let journal = try temporary.dataDirectory.open(JournalName("test/blocked"), createWith: testSpec())
        let fragments = journal.directory + "/fragments"
        Task { await journal.close() }
        try FileManager.default.removeItem(atPath: fragments)
        try Data("x".utf8).write(to: URL(fileURLWithPath: fragments))
        #expect(throws: JournalError.io(operation: "opendir", path: fragments, errorNumber: ENOTDIR)) {
            try temporary.dataDirectory.open(JournalName("test/blocked"), readOnly: true)
        }
    }

    @Test func corruptSpecFileNamesItsPath() throws {
        let temporary = TemporaryDirectory("spec")
        defer { temporary.remove() }
        let name = try JournalName("test/spec")
        try temporary.dataDirectory.create(name, spec: testSpec())
        let path = try temporary.dataDirectory.directory(of: name) + "/spec.json"
        try Data(#"{"codec":"gzip"}"#.utf8).write(to: URL(fileURLWithPath: path))
        do {
            _ = try temporary.dataDirectory.open(name)
            Issue.record("a corrupt spec was accepted")
        } catch let JournalError.invalidSpec(field, reason) {
            #expect(field == path)
            #expect(reason.hasPrefix("cannot decode"))
        }
    }
}

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
