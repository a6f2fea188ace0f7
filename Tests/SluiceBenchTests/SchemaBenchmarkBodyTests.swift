import Foundation
import Testing
import SluiceBench
import SluiceWorkload

/// The schema benchmark, once, small; the workload schema's two copies agree.
@Suite struct SchemaBenchmarkBodyTests {
    @Test func schemaValidate() throws {
        let result = try SchemaBenchmarks.validate(.small)
        #expect(result.figure == "schema.validate")
        #expect(result.documents == 10_000)
        #expect(result.bytes == 4_198_236)
        #expect(result.extra["annotations_per_document"] == 5)  // root, ts, amount, qty, note
        #expect((result.extra["valid_only_docs_per_s"] ?? 0) > 0)
    }

    @Test func workloadSchemaFileMatchesTheLibrary() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let file = try String(contentsOf: root.appendingPathComponent("Benchmarks/workload-schema.json"), encoding: .utf8)
        #expect(file == WorkloadSchema.json + "\n")
    }
}
