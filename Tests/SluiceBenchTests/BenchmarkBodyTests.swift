import Testing
import SluiceBench
import SluiceWorkload

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
