import Foundation
import Testing
import SluiceBench
import SluiceWorkload

/// The derivation benchmarks, once, small.
@Suite struct DeriveBenchmarkTests {
    @Test(arguments: DeriveBenchmarks.Kind.allCases)
    func derive(_ kind: DeriveBenchmarks.Kind) async throws {
        let directory = FileManager.default.temporaryDirectory.path + "/sluice-derive-bench-\(UUID().uuidString.prefix(8))"
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let result = try await DeriveBenchmarks.run(WorkloadSpec(documents: 3_000, keys: 300), kind: kind, directory: directory,
                                                    transactionDocuments: 1_000)
        #expect(result.figure == "derive.\(kind.rawValue)")
        #expect(result.documents == 3_000)
        #expect(result.extra["documents_written"] == 3_000)
        // A read stops only between source transactions (10,000 documents each): one here.
        #expect(result.extra["transactions"] == 1)
        #expect((result.extra["read_apply_docs_per_s"] ?? 0) > 0)
    }
}
