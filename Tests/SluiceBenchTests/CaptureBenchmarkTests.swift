import Foundation
import Testing
import SluiceBench
import SluiceWorkload

/// The capture benchmarks, once, small.
@Suite struct CaptureBenchmarkTests {
    static let directory = FileManager.default.temporaryDirectory.path

    @Test func filesCapture() async throws {
        let result = try await CaptureBenchmarks.files(.small, directory: Self.directory)
        #expect(result.figure == "capture.files")
        #expect(result.documents == 10_000)
        #expect(result.bytes == 4_198_236)  // the small workload as JSON lines
        #expect((result.extra["transactions"] ?? 0) >= 1)
    }

    @Test(arguments: [1, 100])
    func httpIngest(batch: Int) async throws {
        let result = try await CaptureBenchmarks.http(.small, directory: Self.directory, batch: batch, connections: 4, requests: 200)
        #expect(result.figure == "capture.http.batch\(batch)")
        #expect(result.documents == 200 * batch)
        #expect(result.extra["failures"] == 0)
        #expect((result.extra["p99_ms"] ?? 0) >= (result.extra["p50_ms"] ?? 0))
        #expect((result.extra["p50_ms"] ?? 0) > 0)
    }
}
