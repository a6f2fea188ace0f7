import Foundation
import Testing
import SluiceBench
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
    @Test(arguments: [1, 2])
    func combineWorkload(threads: Int) throws {
        let result = try CombineBenchmarks.combine(.small, threads: threads)
        #expect(result.documents == 10_000)
        #expect(result.bytes == 4_198_236)
        #expect(result.extra["keys"] == 1_000)
        #expect(result.extra["spills"] == 0)
        #expect(result.extra["threads"] == Double(threads))
        if threads == 1 {
            // Each document validated once when added, each key once when drained.
            #expect(result.extra["validations"] == 11_000)
            #expect(result.extra["output_bytes"] == 428_455)  // 1,000 combined documents as JSON lines, pinned
        } else {
            // Two halves combined apart, then merged: sums of doubles may differ in a last digit.
            #expect(abs((result.extra["output_bytes"] ?? 0) - 428_455) < 2_000)
            #expect((result.extra["validations"] ?? 0) > 11_000)
        }
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
