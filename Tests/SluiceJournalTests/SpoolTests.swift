import Foundation
import Testing
@testable import SluiceJournal

@Suite struct SpoolTests {
    /// A spool with `sizes.count` records of seeded bytes; record `i` claims synced-through
    /// `syncedThrough(i, begin)`. Returns the spool and the content.
    static func makeSpool(in directory: String, begin: Int64 = 100, sizes: [Int],
                          syncedThrough: (Int, Int64) -> Int64 = { _, _ in 0 }) throws -> (Spool, [UInt8]) {
        let spool = try Spool.create(in: directory, begin: begin, fileSystem: PosixFileSystem())
        var content: [UInt8] = []
        for (index, size) in sizes.enumerated() {
            let bytes = seededBytes(count: size, seed: UInt64(index))
            let range = try bytes.withUnsafeBytes {
                try spool.append($0, syncedThrough: syncedThrough(index, spool.end), nowNanoseconds: 0)
            }
            #expect(range == begin + Int64(content.count) ..< begin + Int64(content.count + size))
            content += bytes
        }
        return (spool, content)
    }

    @Test func appendLocateAndRead() throws {
        let temporary = TemporaryDirectory("spool")
        defer { temporary.remove() }
        let sizes = [10, 1, 5000, (1 << 20) + 7, 3, 2 << 20, 99]  // records larger than the read window too
        let (spool, content) = try Self.makeSpool(in: temporary.path, sizes: sizes)
        #expect(spool.end == 100 + Int64(content.count))
        #expect(spool.fileSizeBytes == Int64(content.count + sizes.count * SpoolRecordHeader.sizeBytes))
        #expect(spool.locate(99) == nil && spool.locate(spool.end) == nil)
        #expect(spool.locate(100) == Spool.RecordLocation(position: 0, begin: 100, end: 110))
        #expect(spool.locate(110) == Spool.RecordLocation(position: 42, begin: 110, end: 111))
        #expect(spool.locate(111 + 4999) == Spool.RecordLocation(position: 42 + 33, begin: 111, end: 5111))
        var cursor = SpoolCursor(spool: spool)
        for (from, to) in [(100, spool.end), (105, 112), (111, 111 + 5000), (2000, spool.end - 50), (spool.end - 1, spool.end)] {
            var bytes: [UInt8] = []
            var offset = Int64(from)
            while offset < to {
                let chunk = try cursor.read(from: offset, limit: Int64(to), maxBytes: 1 << 20)
                #expect(!chunk.isEmpty)
                bytes += chunk
                offset += Int64(chunk.count)
            }
            #expect(bytes == Array(content[Int(from - 100) ..< Int(to - 100)]), "read \(from)..<\(to)")
        }
    }

    @Test func recoveryKeepsWholeRecordsAndDropsATornTailAtEveryCut() throws {
        let temporary = TemporaryDirectory("spool-torn")
        defer { temporary.remove() }
        let sizes = [40, 1, 300, 77, 1000]
        let (spool, _) = try Self.makeSpool(in: temporary.path, begin: 0, sizes: sizes)
        let full = try Data(contentsOf: URL(fileURLWithPath: spool.path))
        var recordEnds: [(file: Int64, offset: Int64)] = [(0, 0)]
        for size in sizes {
            recordEnds.append((recordEnds.last!.file + 32 + Int64(size), recordEnds.last!.offset + Int64(size)))
        }
        let copy = temporary.path + "/torn"
        for cut in 0...full.count {
            try full.prefix(cut).write(to: URL(fileURLWithPath: copy))
            let scan = try SpoolRecovery.scan(PosixFileSystem().openFile(atPath: copy, mode: .readOnly), begin: 0)
            let kept = recordEnds.last { $0.file <= Int64(cut) }!
            #expect(scan.validSizeBytes == kept.file && scan.end == kept.offset, "cut at \(cut)")
            #expect(scan.droppedBytes == Int64(cut) - kept.file)
            #expect((scan.tailDefect != nil) == (scan.droppedBytes > 0))
        }
    }

    @Test func recoveryRefusesCorruptionOfSyncedRecordsButDropsAnUnsyncedTail() throws {
        let temporary = TemporaryDirectory("spool-corrupt")
        defer { temporary.remove() }
        // As under `always`: each record was written after the previous one was synced.
        let (spool, _) = try Self.makeSpool(in: temporary.path, begin: 0, sizes: [50, 60, 70, 80],
                                            syncedThrough: { _, end in end })
        let path = spool.path
        let original = try Data(contentsOf: URL(fileURLWithPath: path))
        // A flip in the second record's payload: the third record proves it was synced.
        try flipByte(atPath: path, position: 82 + 32 + 10)
        #expect(throws: JournalError.corruptSpool(
            path: path, position: 82, offset: 50,
            reason: "checksum mismatch; the record at file position 174 shows the journal had synced through offset 110, "
                + "so these bytes were committed (refusing to truncate them)")) {
            try SpoolRecovery.scan(PosixFileSystem().openFile(atPath: path, mode: .readOnly), begin: 0)
        }
        // A flip in the last record: nothing proves it was synced, so it is a torn tail.
        try original.write(to: URL(fileURLWithPath: path))
        try flipByte(atPath: path, position: Int64(original.count) - 1)
        let scan = try SpoolRecovery.scan(PosixFileSystem().openFile(atPath: path, mode: .readOnly), begin: 0)
        #expect(scan.end == 180 && scan.droppedBytes == 32 + 80 && scan.tailDefect == "checksum mismatch")
    }

    @Test func readsCheckEveryRecord() throws {
        let temporary = TemporaryDirectory("spool-read")
        defer { temporary.remove() }
        let (spool, content) = try Self.makeSpool(in: temporary.path, begin: 0, sizes: [100, 100, 100])
        try flipByte(atPath: spool.path, position: 132 + 32 + 50)  // the second record's payload
        var cursor = SpoolCursor(spool: spool)
        #expect(try cursor.read(from: 0, limit: 100, maxBytes: 1 << 20) == Array(content[0..<100]))
        // The checked records before the bad one come out; the next read meets the error.
        #expect(try cursor.read(from: 0, limit: 300, maxBytes: 1 << 20) == Array(content[0..<100]))
        #expect(throws: JournalError.corruptSpool(path: spool.path, position: 132, offset: 100, reason: "checksum mismatch")) {
            try cursor.read(from: 100, limit: 300, maxBytes: 1 << 20)
        }
        #expect(throws: JournalError.corruptSpool(path: spool.path, position: 132, offset: 100, reason: "checksum mismatch")) {
            try cursor.read(from: 150, limit: 151, maxBytes: 1 << 20)
        }
    }
}
