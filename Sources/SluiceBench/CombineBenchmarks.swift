// Benchmarks of SluiceCombine: the standard workload combined by `id` (docs/benchmarks.md,
// "Reductions").
import Foundation
import Synchronization
public import SluiceWorkload
public import SluiceReduce
public import SluiceCombine
import SluiceDocument
import SluiceSchema

public enum CombineBenchmarks {
    /// Threads by default: every core the process may use (at most `threadsMax`).
    public static var threadsDefault: Int { max(1, min(ProcessInfo.processInfo.activeProcessorCount, threadsMax)) }
    /// More threads than this is a mistake on the machines Sluice targets.
    public static let threadsMax = 64

    /// `combine.workload` (and `combine.spill` with a 64 MiB budget): the workload's JSON lines
    /// parsed, validated against `WorkloadSchema` (root merge, sum amount and qty, maximize ts,
    /// lastWriteWins note) and combined by `/id`; then drained in key order, each document
    /// validated and serialized into a reused buffer. Beside DuckDB's `GROUP BY id` over
    /// `read_ndjson` of the same file.
    ///
    /// On `threads` threads the keys are partitioned (CombinePartitions.swift): each thread
    /// parses and validates its share of the input chunks, hands each document to the thread
    /// owning its key, combines the keys it owns in input order, and drains them (validated,
    /// serialized) in their packed-key order. One thread does it all in input order.
    ///
    /// Extra figures: `peak_rss_mib` (VmHWM of the process), `combiner_peak_mib` (what the
    /// combiners counted, summed), `keys`, `spills`, `spilled_mib`, `merge_passes`, `threads`,
    /// `validations`, `output_bytes`, and `output_checksum`, a sum over the output lines of a
    /// hash of each (so equal for every thread count when the combined documents are equal).
    public static func combine(_ spec: WorkloadSpec, file: String? = nil, figure: String = "combine.workload",
                               memoryBudgetBytes: Int = CombinerConfiguration.memoryBudgetBytesDefault,
                               mode: ReductionMode = .partial, threads: Int = 1) throws -> BenchmarkResult {
        precondition(threads >= 1 && threads <= threadsMax, "threads is in 1...\(threadsMax)")
        let input = try InputSource(spec, file: file)
        let configuration = CombinerConfiguration(key: KeyExtractor(pointers: ["/id"]), mode: mode,
                                                  memoryBudgetBytes: memoryBudgetBytes / threads)
        let stopwatch = Stopwatch()
        let results = try PartitionedCombine.run(input: input, workers: threads, configuration: configuration)
        let seconds = stopwatch.elapsedSeconds
        var statistics = CombinerStatistics()
        var combinerPeak = 0
        var keys = 0
        var outputBytes = 0
        var checksum: UInt64 = 0
        for result in results {
            statistics.add(result.statistics)
            combinerPeak += result.peakMemoryBytes
            keys += result.keys
            outputBytes += result.outputBytes
            checksum &+= result.outputChecksum
        }
        let mebibyte = Double(1 << 20)
        return BenchmarkResult(figure: figure, documents: statistics.documentsAdded, bytes: input.byteCount, seconds: seconds, extra: [
            "keys": Double(keys),
            "output_bytes": Double(outputBytes),
            "output_checksum": Double(checksum >> 12),  // 52 bits: exact in a Double
            "peak_rss_mib": (Double(peakResidentBytes() ?? 0) / mebibyte * 10).rounded() / 10,
            "combiner_peak_mib": (Double(combinerPeak) / mebibyte * 10).rounded() / 10,
            "budget_mib": Double(memoryBudgetBytes) / mebibyte,
            "spills": Double(statistics.spills),
            "merge_passes": Double(statistics.mergePasses),
            "spilled_mib": (Double(statistics.spilledBytes) / mebibyte * 10).rounded() / 10,
            "validations": Double(statistics.validations),
            "threads": Double(threads),
        ])
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

extension CombinerStatistics {
    /// Adds another combiner's counts.
    mutating func add(_ other: CombinerStatistics) {
        documentsAdded += other.documentsAdded
        validations += other.validations
        reductions += other.reductions
        heldBack += other.heldBack
        spills += other.spills
        mergePasses += other.mergePasses
        spilledBytes += other.spilledBytes
        spilledDocuments += other.spilledDocuments
        documentsDrained += other.documentsDrained
    }
}

/// A benchmark that could not run.
struct BenchmarkFailure: Error, CustomStringConvertible {
    let message: String
    var description: String { message }
}

/// The workload's bytes: a file read at offsets, or generated into memory. Cut into chunks of
/// whole lines: chunk `c` holds the lines that start in `[c × chunkBytes, (c + 1) × chunkBytes)`,
/// so any thread can read any chunk without reading those before it.
struct InputSource: Sendable {
    let file: String?
    let generated: [UInt8]
    let byteCount: Int

    init(_ spec: WorkloadSpec, file: String?) throws {
        self.file = file
        if let file {
            guard let handle = FileHandle(forReadingAtPath: file) else { throw BenchmarkFailure(message: "cannot open \(file)") }
            defer { try? handle.close() }
            byteCount = Int(try handle.seekToEnd())
            generated = []
        } else {
            generated = WorkloadGenerator.jsonLines(spec)
            byteCount = generated.count
        }
    }

    /// Bytes in memory (tests).
    init(bytes: [UInt8]) {
        file = nil
        generated = bytes
        byteCount = bytes.count
    }

    /// Number of chunks of `chunkBytes`.
    func chunkCount(_ chunkBytes: Int) -> Int { (byteCount + chunkBytes - 1) / chunkBytes }

    /// Bytes read past a chunk's end at a time, looking for the end of its last line.
    static let overrunBytes = 64 << 10

    /// Calls `body` with the whole lines of chunk `chunk` (see the type's comment), read into
    /// `buffer` (reused; it only grows, its bytes past the chunk are scratch) by `reader`.
    func withChunk<R>(_ chunk: Int, chunkBytes: Int, reader: InputReader, buffer: inout [UInt8],
                      _ body: (UnsafeRawBufferPointer) throws -> R) throws -> R {
        let start = chunk * chunkBytes
        let end = min(start + chunkBytes, byteCount)
        // From the byte before the chunk (to see whether a line starts at `start`) to its end,
        // then on to the newline ending the last line that starts inside it.
        let readStart = max(start - 1, 0)
        var length = try reader.read(self, from: readStart, count: end - readStart, into: &buffer, at: 0)
        var position = end
        while position < byteCount && buffer[length - 1] != 0x0A {
            let count = min(Self.overrunBytes, byteCount - position)
            let before = length
            length = try reader.read(self, from: position, count: count, into: &buffer, at: length)
            position += count
            if let newline = buffer[before..<length].firstIndex(of: 0x0A) {
                length = newline + 1
                break
            }
        }
        var first = 0
        if start > 0 {
            // The first line starting at or after `start`: after the first newline at or after
            // `start - 1` (none: no line starts in this chunk).
            guard let newline = buffer[..<(end - readStart)].firstIndex(of: 0x0A) else {
                return try body(UnsafeRawBufferPointer(start: nil, count: 0))
            }
            first = newline + 1
        }
        return try buffer.withUnsafeBytes { bytes in try body(UnsafeRawBufferPointer(rebasing: bytes[first..<length])) }
    }
}

/// Reads a file at offsets (pread), or slices the generated input. One per thread (it owns a
/// file descriptor, closed when it goes).
final class InputReader {
    let descriptor: Int32

    init(_ input: InputSource) throws {
        if let file = input.file {
            descriptor = open(file, O_RDONLY)
            guard descriptor >= 0 else { throw BenchmarkFailure(message: "cannot open \(file): errno \(errno)") }
        } else {
            descriptor = -1
        }
    }

    deinit { if descriptor >= 0 { close(descriptor) } }

    /// Copies bytes `[offset, offset + count)` of the input into `buffer` at `position`
    /// (growing it if it is shorter); returns `position + count`.
    func read(_ input: InputSource, from offset: Int, count: Int, into buffer: inout [UInt8], at position: Int) throws -> Int {
        if buffer.count < position + count { buffer.append(contentsOf: repeatElement(0, count: position + count - buffer.count)) }
        guard count > 0 else { return position }
        if descriptor < 0 {
            buffer.withUnsafeMutableBytes { bytes in
                input.generated.withUnsafeBytes { source in
                    // Safety: both ranges were checked against the buffers' sizes above.
                    (bytes.baseAddress! + position).copyMemory(from: source.baseAddress! + offset, byteCount: count)
                }
            }
            return position + count
        }
        var done = 0
        try buffer.withUnsafeMutableBytes { bytes in
            // Safety: reads land in `[position, position + count)`, inside the buffer.
            while done < count {
                let result = pread(descriptor, bytes.baseAddress! + position + done, count - done, off_t(offset + done))
                if result < 0 && errno == EINTR { continue }
                guard result > 0 else {
                    throw BenchmarkFailure(message: "reading \(input.file ?? "") at \(offset + done): \(result < 0 ? "errno \(errno)" : "end of file")")
                }
                done += result
            }
        }
        return position + count
    }
}
