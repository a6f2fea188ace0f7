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
