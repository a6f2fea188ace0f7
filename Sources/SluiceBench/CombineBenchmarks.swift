// Benchmarks of SluiceCombine: the standard workload combined by `id` (docs/benchmarks.md,
// "Reductions").
import Foundation
public import SluiceWorkload
public import SluiceReduce
public import SluiceCombine
import SluiceDocument
import SluiceSchema

public enum CombineBenchmarks {
    /// Input read (or generated) this many bytes at a time, so the input never sits in memory
    /// whole and peak memory is the combiner's.
    static let inputChunkBytes = 1 << 20

    /// `combine.workload` (and `combine.spill` with a 64 MiB budget): the workload's JSON lines
    /// parsed, validated (the stand-in validator: root merge, sum amount and qty, maximize ts,
    /// lastWriteWins for the rest) and combined by `/id`; then drained in key order, each
    /// document validated and serialized into a reused buffer. Beside DuckDB's
    /// `GROUP BY id` over `read_ndjson` of the same file. Extra figures: `peak_rss_mib`
    /// (VmHWM of the process), `combiner_peak_mib` (what the combiner counted), `keys`,
    /// `spills`, `spilled_mib`, `merge_passes`.
    public static func combine(_ spec: WorkloadSpec, file: String? = nil, figure: String = "combine.workload",
                               memoryBudgetBytes: Int = CombinerConfiguration.memoryBudgetBytesDefault,
                               mode: ReductionMode = .partial) throws -> BenchmarkResult {
        let configuration = CombinerConfiguration(key: KeyExtractor(pointers: ["/id"]), mode: mode, memoryBudgetBytes: memoryBudgetBytes)
        var combiner = Combiner(configuration: configuration, validator: WorkloadValidatorStandIn())
        var parser = JSONParser()
        var splitter = JSONLinesSplitter()
        var inputBytes = 0
        let stopwatch = Stopwatch()
        if let file {
            guard let handle = FileHandle(forReadingAtPath: file) else { throw CocoaError(.fileNoSuchFile) }
            defer { try? handle.close() }
            while let chunk = try handle.read(upToCount: inputChunkBytes), !chunk.isEmpty {
                inputBytes += chunk.count
                try chunk.withUnsafeBytes { try addLines($0, &splitter, &parser, &combiner) }
            }
        } else {
            var generator = WorkloadGenerator(spec)
            var chunk: [UInt8] = []
            chunk.reserveCapacity(inputChunkBytes + 4096)
            while !generator.isExhausted {
                chunk.removeAll(keepingCapacity: true)
                while chunk.count < inputChunkBytes && generator.appendLines(1, to: &chunk) == 1 {}
                inputBytes += chunk.count
                try chunk.withUnsafeBytes { try addLines($0, &splitter, &parser, &combiner) }
            }
        }
        try splitter.finish { line, _ in try combiner.add(try parser.parse(line)) }
        let documents = combiner.statistics.documentsAdded
        var drainer = try combiner.drain()
        var output: [UInt8] = []
        output.reserveCapacity(inputChunkBytes + 65536)
        var outputBytes = 0
        var keys = 0
        while let drained = try drainer.next() {
            JSONSerializer.append(drained.document, to: &output)
            output.append(0x0A)
            keys += 1
            if output.count >= inputChunkBytes {
                outputBytes += output.count
                output.removeAll(keepingCapacity: true)
            }
        }
        outputBytes += output.count
        let seconds = stopwatch.elapsedSeconds
        let statistics = drainer.statistics
        let mebibyte = Double(1 << 20)
        return BenchmarkResult(figure: figure, documents: documents, bytes: inputBytes, seconds: seconds, extra: [
            "keys": Double(keys),
            "output_bytes": Double(outputBytes),
            "peak_rss_mib": (Double(peakResidentBytes() ?? 0) / mebibyte * 10).rounded() / 10,
            "combiner_peak_mib": (Double(drainer.peakMemoryBytes) / mebibyte * 10).rounded() / 10,
            "budget_mib": Double(memoryBudgetBytes) / mebibyte,
            "spills": Double(statistics.spills),
            "merge_passes": Double(statistics.mergePasses),
            "spilled_mib": (Double(statistics.spilledBytes) / mebibyte * 10).rounded() / 10,
            "validations": Double(statistics.validations),
        ])
    }

    /// Parses the complete lines of `chunk` and adds them to `combiner`.
    static func addLines(_ chunk: UnsafeRawBufferPointer, _ splitter: inout JSONLinesSplitter, _ parser: inout JSONParser,
                         _ combiner: inout Combiner) throws {
        try splitter.feed(chunk) { line, _ in try combiner.add(try parser.parse(line)) }
    }

    /// The process's peak resident set (VmHWM in /proc/self/status), in bytes.
    public static func peakResidentBytes() -> Int? {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return nil }
        for line in status.split(separator: "\n") where line.hasPrefix("VmHWM:") {
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            if fields.count >= 2, let kibibytes = Int(fields[1]) { return kibibytes * 1024 }
        }
        return nil
    }
}
