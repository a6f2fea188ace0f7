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
            "committed", "fragments", "lock", "spec.json", "spool-0000000000000000.spool"])
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
        } catch let JournalError.inconsistentStore(storePath, reason) {
            // Stored data that cannot be read is damage (exit code 2), not a user error.
            #expect(storePath == path)
            #expect(reason.hasPrefix("the stored spec cannot be decoded"))
        }
    }
}
