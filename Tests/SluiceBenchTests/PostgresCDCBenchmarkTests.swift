import Foundation
import Testing
import SluiceBench
import SluiceTestSupport

/// `cdc.capture`, once, small, against a throwaway server.
@Suite struct PostgresCDCBenchmarkTests {
    @Test func workloadIsSeededAndEveryStatementChangesOneRow() {
        let lines = PostgresCDCBenchmarks.workloadSQL(changes: 45, seed: 7, transactionChanges: 20)
        #expect(lines == PostgresCDCBenchmarks.workloadSQL(changes: 45, seed: 7, transactionChanges: 20))
        #expect(lines.count == 2 + 3)  // comment, table, transactions of 20, 20 and 5
        #expect(lines[2].hasPrefix("BEGIN; INSERT INTO public.bench_orders VALUES (1, "))
        #expect(lines.dropFirst(2).map { $0.components(separatedBy: "; ").count - 2 } == [20, 20, 5])
    }

    @Test func captureRunsOnceSmall() async throws {
        let server = try PostgresServer(label: "bench-cdc-test")
        defer { server.stop() }
        let directory = TestDirectory("bench-cdc")
        defer { directory.remove() }
        let sql = PostgresCDCBenchmarks.workloadSQL(changes: 500, seed: 3, transactionChanges: 20)
        let result = try await PostgresCDCBenchmarks.run(dsn: server.dsn(), sql: sql, workDirectory: directory.path)
        #expect(result.figure == "cdc.capture")
        #expect(result.documents == 500)
        #expect(result.bytes > 500 * 50, "WAL bytes of the changes")
        #expect(result.extra["source_transactions"] == 25)
        #expect((result.extra["transactions"] ?? 0) >= 1)
    }
}
