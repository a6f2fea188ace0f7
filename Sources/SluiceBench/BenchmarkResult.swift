// SluiceBench: the bodies of Sluice's benchmarks, as a library.
//
// Each body is an ordinary function over a `WorkloadSpec`, so the same code runs three ways:
// small, once, as a test (Tests/SluiceBenchTests, so a benchmark cannot rot); large, in release,
// from `sluice-bench` (which Benchmarks/compare.py alternates with a peer and turns into
// ratios); and under package-benchmark (Benchmarks/Package.swift) for allocation counts.
import Foundation

/// What one benchmark run measured. Printed by `sluice-bench` as one JSON line, the same shape
/// the peer scripts under Benchmarks/peers print, so Benchmarks/compare.py can pair them.
public struct BenchmarkResult: Sendable, Codable, Equatable {
    /// Dotted name of the figure, for example `journal.append` or `json.parse`.
    public var figure: String
    /// Who was measured: `sluice` or the peer's name.
    public var subject: String
    public var documents: Int
    public var bytes: Int
    public var seconds: Double
    /// Further figures (latency percentiles, peak memory, …), by name with the unit last.
    public var extra: [String: Double]

    public init(figure: String, subject: String = "sluice", documents: Int, bytes: Int, seconds: Double,
                extra: [String: Double] = [:]) {
        self.figure = figure
        self.subject = subject
        self.documents = documents
        self.bytes = bytes
        self.seconds = seconds
        self.extra = extra
    }

    public var documentsPerSecond: Double { seconds > 0 ? Double(documents) / seconds : 0 }
    public var megabytesPerSecond: Double { seconds > 0 ? Double(bytes) / seconds / 1_000_000 : 0 }

    /// One JSON line: `{"figure":…,"subject":…,"documents":…,"bytes":…,"seconds":…,
    /// "docs_per_s":…,"mb_per_s":…, …extra}`.
    public var jsonLine: String {
        var fields: [(String, String)] = [
            ("figure", quoted(figure)), ("subject", quoted(subject)),
            ("documents", String(documents)), ("bytes", String(bytes)),
            ("seconds", String(seconds)),
            ("docs_per_s", String(documentsPerSecond.rounded())),
            ("mb_per_s", String((megabytesPerSecond * 100).rounded() / 100)),
        ]
        for (name, value) in extra.sorted(by: { $0.key < $1.key }) {
            fields.append((name, String(value)))
        }
        return "{" + fields.map { "\(quoted($0.0)):\($0.1)" }.joined(separator: ",") + "}"
    }

    private func quoted(_ text: String) -> String { "\"" + text + "\"" }
}

/// A monotonic stopwatch in seconds.
public struct Stopwatch: Sendable {
    private let start: ContinuousClock.Instant

    public init() { start = ContinuousClock.now }

    public var elapsedSeconds: Double {
        let duration = ContinuousClock.now - start
        return Double(duration.components.seconds) + Double(duration.components.attoseconds) * 1e-18
    }
}
