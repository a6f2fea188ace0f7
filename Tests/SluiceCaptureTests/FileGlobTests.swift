import Foundation
import Testing
@testable import SluiceCapture
import SluiceTestSupport

@Suite struct FileGlobTests {
    @Test func patternsMatchSortedRegularFiles() throws {
        let directory = TestDirectory("glob")
        defer { directory.remove() }
        for name in ["a.jsonl", "b.jsonl", "c.csv", ".hidden.jsonl", "sub/d.jsonl", "sub/deeper/e.jsonl", ".git/f.jsonl", "x1.jsonl", "x22.jsonl"] {
            try directory.write(name, "{}\n")
        }
        try FileManager.default.createDirectory(atPath: directory.file("folder.jsonl"), withIntermediateDirectories: true)
        func matches(_ pattern: String) -> [String] {
            FileGlob(pattern, root: directory.path).matches().map { String($0.dropFirst(directory.path.count + 1)) }
        }
        #expect(matches("*.jsonl") == ["a.jsonl", "b.jsonl", "x1.jsonl", "x22.jsonl"])
        #expect(matches("x?.jsonl") == ["x1.jsonl"])
        #expect(matches("[ab].*") == ["a.jsonl", "b.jsonl"])
        #expect(matches("**/*.jsonl") == ["a.jsonl", "b.jsonl", "sub/d.jsonl", "sub/deeper/e.jsonl", "x1.jsonl", "x22.jsonl"])
        #expect(matches("sub/**/e.jsonl") == ["sub/deeper/e.jsonl"])
        #expect(matches("c.csv") == ["c.csv"])
        #expect(matches("missing/*.jsonl") == [])
        #expect(matches(directory.file("sub") + "/*.jsonl") == ["sub/d.jsonl"])
        #expect(FileGlob("in/*.jsonl", root: "/srv").base == "/srv/in")
        #expect(FileGlob("/data/a.jsonl", root: "/srv").base == "/data")
    }
}

@Suite struct CSVRecordsTests {
    static let text = "id,name,note\r\n1,\"a, b\",\"say \"\"hi\"\"\"\n\n2,,\"two\nlines\"\n3,x,\"\"\n"

    static func records(_ bytes: [UInt8], splitAt cuts: [Int]) throws -> [[String]] {
        var splitter = CSVRecordSplitter()
        var found: [[String]] = []
        var start = 0
        for end in cuts + [bytes.count] {
            _ = try bytes[start..<end].withUnsafeBytes { chunk in
                try splitter.feed(chunk) { record, line in
                    found.append(["@\(line)"] + (0..<record.cellCount).map { record.cellText($0) })
                }
            }
            start = end
        }
        try splitter.finish { record, line in found.append(["@\(line)"] + (0..<record.cellCount).map { record.cellText($0) }) }
        return found
    }

    @Test func recordsAndTheirLines() throws {
        #expect(try Self.records(Array(Self.text.utf8), splitAt: []) == [
            ["@1", "id", "name", "note"], ["@2", "1", "a, b", "say \"hi\""], ["@4", "2", "", "two\nlines"], ["@6", "3", "x", ""],
        ])
    }

    /// Any split of the input into buffers gives the same records (seeded; the seed is in the message).
    @Test func bufferBoundariesDoNotMatter() throws {
        let bytes = Array(Self.text.utf8)
        let whole = try Self.records(bytes, splitAt: [])
        for cut in 0...bytes.count {
            #expect(try Self.records(bytes, splitAt: [cut]) == whole, "cut at \(cut)")
        }
        #expect(try Self.records(bytes, splitAt: Array(1..<bytes.count)) == whole, "byte by byte")
    }

    @Test func aLastRecordWithoutNewlineAndAnOpenQuote() throws {
        #expect(try Self.records(Array("a,b\n1,2".utf8), splitAt: []) == [["@1", "a", "b"], ["@2", "1", "2"]])
        #expect(throws: CSVError(line: 2, message: "a quoted cell is not closed before the end of the file")) {
            try Self.records(Array("a\n\"open\n".utf8), splitAt: [])
        }
    }
}

@Suite struct BearerTokenTests {
    @Test func acceptsOnlyTheToken() {
        let token = BearerToken("s3cret")
        #expect(token.accepts("Bearer s3cret"))
        #expect(token.accepts("bearer s3cret"))
        #expect(token.accepts("BEARER s3cret"))
        #expect(!token.accepts("Bearer s3cre"))
        #expect(!token.accepts("Bearer s3cret "))
        #expect(!token.accepts("Bearer S3cret"))
        #expect(!token.accepts("Basic s3cret"))
        #expect(!token.accepts("s3cret"))
        #expect(!token.accepts(nil))
        #expect(BearerToken.constantTimeEqual([], []))
        #expect(!BearerToken.constantTimeEqual([1], [1, 0]))
    }
}

@Suite struct InputDecodingTests {
    /// A zstd file cut short is an error naming the file unless followed.
    @Test func aTruncatedCompressedFileIsAnError() async throws {
        let harness = try CaptureHarness("files-truncated", catalog: filesCatalog(path: "in/*"))
        defer { harness.directory.remove() }
        let compressed = try Compressor.zstd.compress(try harness.directory.write("in/e.jsonl", eventLines(0..<2_000)))
        let bytes = try Data(contentsOf: URL(fileURLWithPath: compressed))
        try bytes.prefix(bytes.count / 2).write(to: URL(fileURLWithPath: compressed))
        let error = await #expect(throws: (any Error).self) {
            try await harness.runUntilIdle(["files": FilesCapture(checkpointDocuments: 100, readChunkBytes: 4096)])
        }
        #expect("\(error.map { "\($0)" } ?? "")".contains("/in/e.jsonl.zst: the zstd stream ends inside a frame (cut short?)"))
    }

    @Test func compressionFromTheExtension() {
        #expect(InputCompression(path: "a.jsonl.zst") == .zstd)
        #expect(InputCompression(path: "a.csv.GZ") == .gzip)
        #expect(InputCompression(path: "a.lz4") == .lz4)
        #expect(InputCompression(path: "a.jsonl") == .none)
        #expect(InputCompression.strippingExtension("x/a.csv.gz") == "x/a.csv")
    }
}
