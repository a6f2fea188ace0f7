import Testing
@testable import SluiceJournal

@Suite struct FragmentNameTests {
    /// The vectors of docs/journal.md.
    @Test func nameVectors() throws {
        let hello = FragmentName(begin: 0, end: 6, sha1: "f572d396fae9206628714fb2ce00f72e94f2258f", encoding: .raw)
        #expect(hello.fileName == "0000000000000000-0000000000000006-f572d396fae9206628714fb2ce00f72e94f2258f.raw")
        let both = FragmentName(begin: 0, end: 12, sha1: "58853e8a5e8272b1012f9a52a80758b27bd0d3cb", encoding: .zst)
        #expect(both.fileName == "0000000000000000-000000000000000c-58853e8a5e8272b1012f9a52a80758b27bd0d3cb.zst")
        let late = FragmentName(begin: 0x1_0000_0000, end: 0x1_0000_1000,
                                sha1: String(repeating: "ab", count: 20), encoding: .lz4)
        #expect(late.fileName == "0000000100000000-0000000100001000-" + String(repeating: "ab", count: 20) + ".lz4")
        #expect(FragmentName.temporaryFileName(begin: 0, end: 12, encoding: .zst)
                == "0000000000000000-000000000000000c.zst.tmp")
        for name in [hello, both, late] { #expect(FragmentName(fileName: name.fileName) == name) }
    }

    @Test func sha1OfContentIsTheNamesHash() {
        #expect(Array("hello\n".utf8).withUnsafeBytes { SHA1Hasher.hex($0) } == "f572d396fae9206628714fb2ce00f72e94f2258f")
        #expect(Array("hello\nworld\n".utf8).withUnsafeBytes { SHA1Hasher.hex($0) } == "58853e8a5e8272b1012f9a52a80758b27bd0d3cb")
    }

    @Test(arguments: [
        "0000000000000000-0000000000000006-f572d396fae9206628714fb2ce00f72e94f2258f.gz",  // unknown codec
        "0000000000000000-0000000000000006-F572D396FAE9206628714FB2CE00F72E94F2258F.raw",  // upper case
        "0000000000000006-0000000000000006-f572d396fae9206628714fb2ce00f72e94f2258f.raw",  // empty range
        "0000000000000007-0000000000000006-f572d396fae9206628714fb2ce00f72e94f2258f.raw",  // end before begin
        "000000000000000-00000000000000006-f572d396fae9206628714fb2ce00f72e94f2258f.raw",  // misplaced dash
        "0000000000000000-0000000000000006.zst.tmp",
        "8000000000000000-8000000000000006-f572d396fae9206628714fb2ce00f72e94f2258f.raw",  // beyond Int64
        "spool-0000000000000000.spool",
    ])
    func rejectsOtherNames(_ name: String) {
        #expect(FragmentName(fileName: name) == nil)
    }

    @Test func spoolFileNames() {
        #expect(Spool.fileName(begin: 0x2a) == "spool-000000000000002a.spool")
        #expect(Spool.begin(fromFileName: "spool-000000000000002a.spool") == 42)
        #expect(Spool.begin(fromFileName: "spool-000000000000002A.spool") == nil)
        #expect(Spool.begin(fromFileName: "spool-2a.spool") == nil)
    }
}
