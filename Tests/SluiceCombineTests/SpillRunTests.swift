import Testing
import CLZ4
@testable import SluiceCombine
import SluiceDocument

/// The spill format of docs/reduce.md, byte for byte.
@Suite struct SpillRunTests {
    func fileBytes(_ file: SpillFile) throws -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: file.length)
        try bytes.withUnsafeMutableBytes { try file.read(into: $0, at: 0) }
        return bytes
    }

    @Test func blockVector() throws {
        let file = try SpillFile(directory: "/tmp")
        var writer = SpillRunWriter(file: file, blockBytesTarget: 1024)
        let document = try Document(parsing: #"{"b":[true],"a":-1}"#)
        let key: [UInt8] = [0x02, 0x61, 0x00]
        try key.withUnsafeBytes { try writer.append(key: $0, document: document, flags: .front) }
        let run = try writer.finish()
        #expect(run.records == 1 && run.blocks == 1 && run.offset == 0)
        let bytes = try fileBytes(file)
        #expect(run.length == bytes.count)
        // Block header: "SLSB", 126 bytes of records, the compressed size, 1 record.
        #expect(Array(bytes[0..<8]) == [0x53, 0x4C, 0x53, 0x42, 0x7E, 0x00, 0x00, 0x00])
        let compressedBytes = Int(bytes[8]) | Int(bytes[9]) << 8 | Int(bytes[10]) << 16 | Int(bytes[11]) << 24
        #expect(Array(bytes[12..<16]) == [0x01, 0x00, 0x00, 0x00])
        #expect(bytes.count == 16 + compressedBytes)
        // The record: flags (front), key length 3, tape length 114, the key, the tape bytes.
        let expected: [UInt8] = [0x01, 0x03, 0x00, 0x00, 0x00, 0x72, 0x00, 0x00, 0x00, 0x02, 0x61, 0x00] + document.tapeBytes
        #expect(expected.count == 0x7E)
        var records = [UInt8](repeating: 0, count: expected.count)
        let decompressed = bytes.withUnsafeBytes { source in
            records.withUnsafeMutableBytes { destination in
                LZ4_decompress_safe((source.baseAddress! + 16).assumingMemoryBound(to: CChar.self),
                                    destination.baseAddress!.assumingMemoryBound(to: CChar.self), Int32(compressedBytes), Int32(expected.count))
            }
        }
        #expect(decompressed == Int32(expected.count))
        #expect(records == expected)
        // And it reads back.
        var reader = try SpillRunReader(file: file, run: run)
        #expect(reader.key == key)
        #expect(reader.flags == .front)
        #expect(reader.document == document)
        try reader.advance()
        #expect(reader.document == nil)
    }

    @Test func manyRecordsAcrossBlocksReadBackInOrder() throws {
        let file = try SpillFile(directory: "/tmp")
        // A first run, so the second starts past offset 0.
        var first = SpillRunWriter(file: file, blockBytesTarget: 1024)
        try [UInt8]([0x15, 0x01]).withUnsafeBytes { try first.append(key: $0, document: try Document(parsing: "1"), flags: []) }
        let firstRun = try first.finish()
        var writer = SpillRunWriter(file: file, blockBytesTarget: 1024)
        var expected: [([UInt8], String, SpillRecordFlags)] = []
        for index in 0..<500 {
            let key: [UInt8] = [0x02] + Array("key-\(1000 + index)".utf8) + [0x00]
            let text = #"{"i":\#(index),"note":"\#(String(repeating: "n", count: index % 50))"}"#
            let flags: SpillRecordFlags = index % 7 == 0 ? .heldBack : (index % 11 == 0 ? .front : [])
            try key.withUnsafeBytes { try writer.append(key: $0, document: try Document(parsing: text), flags: flags) }
            expected.append((key, text, flags))
        }
        let run = try writer.finish()
        #expect(run.offset == firstRun.length)
        #expect(run.blocks > 5)
        var reader = try SpillRunReader(file: file, run: run)
        for (key, text, flags) in expected {
            #expect(reader.key == key)
            #expect(reader.flags == flags)
            #expect(reader.document == (try Document(parsing: text)))
            try reader.advance()
        }
        #expect(reader.document == nil)
        var firstReader = try SpillRunReader(file: file, run: firstRun)
        #expect(firstReader.document == (try Document(parsing: "1")))
        try firstReader.advance()
        #expect(firstReader.document == nil)
    }

    @Test func corruptBlocksAreErrorsNeverCrashes() throws {
        let file = try SpillFile(directory: "/tmp")
        var writer = SpillRunWriter(file: file, blockBytesTarget: 1024)
        for index in 0..<3 {
            try [UInt8]([0x15, UInt8(index)]).withUnsafeBytes { try writer.append(key: $0, document: try Document(parsing: #"{"a":[1,"x"]}"#), flags: []) }
        }
        let run = try writer.finish()
        let original = try fileBytes(file)
        var errors = 0
        for position in original.indices {
            for flip: UInt8 in [0x01, 0x80, 0xFF] {
                let copy = try SpillFile(directory: "/tmp")
                var bytes = original
                bytes[position] ^= flip
                try bytes.withUnsafeBytes { _ = try copy.append($0) }
                do {
                    var reader = try SpillRunReader(file: copy, run: run)
                    while reader.document != nil { try reader.advance() }
                } catch {
                    errors += 1
                }
            }
        }
        // Every header byte matters; a flip inside a string may still decode (no checksum).
        #expect(errors > original.count)
        // A damaged magic names the file and the block's offset.
        let copy = try SpillFile(directory: "/tmp")
        var bytes = original
        bytes[0] = 0
        try bytes.withUnsafeBytes { _ = try copy.append($0) }
        do {
            _ = try SpillRunReader(file: copy, run: run)
            Issue.record("a bad magic was read")
        } catch {
            #expect("\(error)".hasSuffix("byte 0: corrupt spill block: bad magic"))
        }
    }
}
