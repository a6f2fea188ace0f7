import Foundation
import Testing
import SluiceBench
import SluiceTestSupport
import SluiceWorkload

/// The materialization benchmarks' bodies, once, small (docs/benchmarks.md): they run, and
/// the table holds one row per key.
@Suite struct MaterializeBenchmarkTests {
    @Test func sqliteBodyRuns() async throws {
        let directory = TestDirectory("bench-materialize")
        defer { directory.remove() }
        let spec = WorkloadSpec(documents: 3_000, keys: 300)
        let result = try await MaterializeBenchmarks.run(spec, target: .sqlite, directory: directory.path, maxDocuments: 200)
        #expect(result.figure == "materialize.sqlite")
        #expect(result.documents == 3_000)
        #expect(result.extra["rows"] == 300)
        #expect((result.extra["transactions"] ?? 0) >= 3)
        // A second run reuses the ingested collection and starts from a fresh table.
        let again = try await MaterializeBenchmarks.run(spec, target: .sqlite, directory: directory.path, maxDocuments: 200)
        #expect(again.extra["rows"] == 300)
        #expect(again.extra["documents_read"] == result.extra["documents_read"])
    }

    @Test func postgresBodyRuns() async throws {
        let server = try PostgresServer(label: "bench-materialize")
        defer { server.stop() }
        let directory = TestDirectory("bench-materialize-pg")
        defer { directory.remove() }
        let result = try await MaterializeBenchmarks.run(WorkloadSpec(documents: 2_000, keys: 200), target: .postgres(dsn: server.dsn()),
                                                         directory: directory.path, maxDocuments: 500)
        #expect(result.figure == "materialize.postgres")
        #expect(result.extra["rows"] == 200)
    }
}
