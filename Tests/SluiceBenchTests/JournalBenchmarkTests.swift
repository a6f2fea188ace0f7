import Foundation
import Testing
import SluiceBench
import SluiceJournal
import SluiceWorkload

/// The journal's benchmark bodies, once, small (docs/benchmarks.md).
@Suite struct JournalBenchmarkTests {
    static func folder(_ label: String) -> String {
        FileManager.default.temporaryDirectory.path + "/sluice-bench-\(label)-\(UUID().uuidString.prefix(8))"
    }

    @Test func batchesAreWholeLines() {
        let batches = JournalBenchmarks.batches(.small, batchBytes: 64 << 10)
        #expect(batches.allSatisfy { $0.count <= 64 << 10 && $0.last == 0x0A })
        #expect(batches.reduce(0) { $0 + $1.count } == 4_198_236)
    }

    @Test func append() async throws {
        let folder = Self.folder("append")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let result = try await JournalBenchmarks.append(.small, directory: folder, fragmentLengthBytes: 1 << 20)
        #expect(result.figure == "journal.append" && result.documents == 10_000 && result.bytes == 4_198_236)
        #expect(result.seconds > 0 && (result.extra["sealed_seconds"] ?? 0) >= result.seconds)
    }

    @Test(arguments: [FragmentCodec.none, .lz4, .zstd(level: 1)])
    func replay(_ codec: FragmentCodec) async throws {
        let folder = Self.folder("replay")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let result = try await JournalBenchmarks.replay(.small, directory: folder, codec: codec)
        #expect(result.figure == "journal.replay.\(FragmentEncoding(codec).rawValue)")
        #expect(result.bytes == 4_198_236 && result.extra["fragments"] == 1)
        // A second run reuses the prepared journal.
        #expect(try await JournalBenchmarks.replay(.small, directory: folder, codec: codec).bytes == 4_198_236)
    }

    @Test func tail() async throws {
        let folder = Self.folder("tail")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let result = try await JournalBenchmarks.tail(directory: folder, appends: 50)
        #expect(result.figure == "journal.tail" && result.documents == 50)
        let p50 = try #require(result.extra["wake_p50_ms"])
        let p99 = try #require(result.extra["wake_p99_ms"])
        #expect(p50 >= 0 && p50 <= p99)
        #expect(result.jsonLine.contains(#""append_to_read_p99_ms":"#))
    }
}
