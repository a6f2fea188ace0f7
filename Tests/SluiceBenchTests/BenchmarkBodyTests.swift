import Foundation
import Testing
@testable import SluiceBench
import SluiceWorkload
import SluiceCombine
import SluiceDocument
import SluiceSchema

/// Every benchmark body runs once, small, so benchmarks cannot rot.
@Suite struct BenchmarkBodyTests {
    @Test func workloadGenerate() {
        let result = WorkloadBenchmarks.generate(.small)
        #expect(result.documents == 10_000)
        #expect(result.bytes == 4_198_236)  // the pinned size of the small workload
        #expect(result.jsonLine.hasPrefix(#"{"figure":"workload.generate","subject":"sluice","documents":10000"#))
    }
}

/// The document benchmarks, once, small.
@Suite struct DocumentBenchmarkBodyTests {
    @Test func jsonParse() throws {
        let result = try DocumentBenchmarks.parse(.small)
        #expect(result.documents == 10_000)
        #expect(result.bytes == 4_198_236)
        #expect(result.extra["tape_entries_per_document"] == 28.4958)  // tags vary from 0 to 3
    }

    @Test func jsonSerialize() throws {
        let result = try DocumentBenchmarks.serialize(.small)
        #expect(result.documents == 10_000)
        // The input's length less canonical amounts: `64.90` → `64.9`, `578.00` → `578.0`.
        #expect(result.bytes == 4_197_228)
    }

    @Test func jsonTape() throws {
        let result = try DocumentBenchmarks.tape(.small)
        #expect(result.documents == 10_000)
        #expect(result.bytes > 16 * 28 * 10_000)
    }

    @Test func jsonKey() throws {
        let result = try DocumentBenchmarks.key(.small)
        #expect(result.documents == 10_000)
        #expect(result.bytes == 10_000 * (1 + 6 + 1 + 1 + 10 + 1))  // "c-NNNN" and "key-NNNNNN", each 0x02 … 0x00
    }
}

/// The combine benchmarks, once, small.
@Suite struct CombineBenchmarkBodyTests {
    /// On any number of threads (keys partitioned, each key's documents combined in input
    /// order), the combined documents are exactly those of one thread.
    @Test(arguments: [1, 2, 3])
    func combineWorkload(threads: Int) throws {
        let result = try CombineBenchmarks.combine(.small, threads: threads)
        #expect(result.documents == 10_000)
        #expect(result.bytes == 4_198_236)
        #expect(result.extra["keys"] == 1_000)
        #expect(result.extra["spills"] == 0)
        #expect(result.extra["threads"] == Double(threads))
        // Each document validated once when added, each key once when drained.
        #expect(result.extra["validations"] == 11_000)
        #expect(result.extra["output_bytes"] == 428_455)  // 1,000 combined documents as JSON lines, pinned
        #expect(result.extra["output_checksum"] == Self.smallChecksum)
    }

    /// From a file (read in chunks with pread), the same documents.
    @Test(arguments: [1, 2])
    func combineFromAFile(threads: Int) throws {
        let path = FileManager.default.temporaryDirectory.path + "/sluice-combine-\(UUID().uuidString.prefix(8)).jsonl"
        defer { try? FileManager.default.removeItem(atPath: path) }
        try Data(WorkloadGenerator.jsonLines(.small)).write(to: URL(fileURLWithPath: path))
        let result = try CombineBenchmarks.combine(.small, file: path, threads: threads)
        #expect(result.documents == 10_000)
        #expect(result.bytes == 4_198_236)
        #expect(result.extra["output_checksum"] == Self.smallChecksum)
    }

    /// An invalid document is the combiner's error, whichever thread validates it (the owner
    /// of its key, or the one that parsed it and hands it over).
    @Test(arguments: [1, 2, 3])
    func anInvalidDocumentStopsTheCombine(threads: Int) throws {
        var text = String(decoding: WorkloadGenerator.jsonLines(.small), as: UTF8.self)
        let line = #"{"id":"key-000007","seq":0,"ts":"2024-01-01T00:00:00.000Z","customer":{"cid":"c-0001","name":"A","tier":"gold","region":"eu"},"amount":1.0,"qty":5000,"tags":[],"note":""}"#
        text += line + "\n"
        let input = InputSource(bytes: Array(text.utf8))
        let configuration = CombinerConfiguration(key: KeyExtractor(pointers: ["/id"]))
        do {
            _ = try PartitionedCombine.run(input: input, workers: threads, configuration: configuration)
            Issue.record("an invalid document was combined (\(threads) threads)")
        } catch {
            #expect("\(error)".contains(#"document of key ["key-000007"] is invalid: /qty: 5000 is greater than the maximum 1000"#), "\(error)")
        }
    }

    /// `output_checksum` of the small workload's combined documents (pinned: the sum of their
    /// lines' hashes, shifted right by 12).
    static let smallChecksum = 1_434_018_872_690_052.0

    /// Chunks cut anywhere in a line still hold whole lines: every line once, whatever the
    /// chunk size, with or without a last newline, with blank and CRLF lines.
    @Test(arguments: [1, 2, 3, 7, 8, 9, 64, 1_000])
    func chunksHoldWholeLines(chunkBytes: Int) throws {
        let text = "{\"a\":1}\n\n{\"b\":22}\r\n{\"c\":333}\n   \n{\"d\":4444}"
        let input = InputSource(bytes: Array(text.utf8))
        let reader = try InputReader(input)
        var buffer: [UInt8] = []
        var lines: [String] = []
        for chunk in 0..<input.chunkCount(chunkBytes) {
            try input.withChunk(chunk, chunkBytes: chunkBytes, reader: reader, buffer: &buffer) { bytes in
                var splitter = JSONLinesSplitter()
                try splitter.feed(bytes) { line, _ in lines.append(String(decoding: line, as: UTF8.self)) }
                try splitter.finish { line, _ in lines.append(String(decoding: line, as: UTF8.self)) }
            }
        }
        #expect(lines == [#"{"a":1}"#, #"{"b":22}"#, #"{"c":333}"#, #"{"d":4444}"#], "chunk size \(chunkBytes)")
    }

    @Test func combineSpill() throws {
        // A 256 KiB budget forces spills at this size; the output is the same set of keys.
        let result = try CombineBenchmarks.combine(.small, figure: "combine.spill", memoryBudgetBytes: 256 << 10)
        #expect(result.figure == "combine.spill")
        #expect(result.extra["keys"] == 1_000)
        #expect((result.extra["spills"] ?? 0) >= 1)
        #expect((result.extra["combiner_peak_mib"] ?? 99) < 2)
    }

    @Test func workloadSchemaAnnotatesAndRejects() throws {
        var validator = try WorkloadSchema.validator()
        var line: [UInt8] = []
        var generator = WorkloadGenerator(.small)
        generator.appendNext(to: &line)
        let valid = try Document(parsing: line)
        let annotations = try validator.validate(valid)
        #expect(annotations[valid.root]?.strategy == .merge)
        #expect(annotations[valid["amount"]!]?.strategy == .sum)
        #expect(annotations[valid["ts"]!]?.strategy == .maximize)
        #expect((annotations[valid["note"]!]?.strategy ?? .lastWriteWins) == .lastWriteWins)
        var broken = valid.jsonValue
        for (pointer, value) in [("/id", JSONValue.string("key-1")), ("/ts", "2024-02-30T00:00:00Z"), ("/qty", 0), ("/customer/tier", "iron"),
                                 ("/extra", 1), ("/tags/0", 1)] as [(JSONPointer, JSONValue)] {
            broken = valid.jsonValue
            try broken.set(value, at: pointer)
            #expect(throws: (any Error).self, "\(pointer)") { try validator.validate(try Document(broken)) }
        }
    }
}

@Suite struct CollectionBenchmarkBodyTests {
    @Test func writeReadCompact() async throws {
        let directory = FileManager.default.temporaryDirectory.path + "/sluice-bench-collection"
        let results = try await CollectionBenchmarks.run(.small, directory: directory, transactionDocuments: 2_000)
        #expect(results.map(\.figure) == ["collection.write", "collection.read", "collection.compact"])
        #expect(results[0].documents == 10_000)
        #expect(results[1].documents > 1_000 && results[1].documents <= 10_000)  // combined per transaction
        #expect(results[2].extra["documents_written"] == 1_000)  // one per key
        #expect((results[2].extra["size_reduction"] ?? 0) > 1)
    }
}
