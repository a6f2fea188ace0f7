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

    /// Calls `body` with the whole lines of chunk `chunk` (see the type's comment), in place in
    /// `reader`'s view of the input; then lets the reader release the chunk's pages.
    func withChunk<R>(_ chunk: Int, chunkBytes: Int, reader: InputReader, _ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        let bytes = reader.bytes
        let start = chunk * chunkBytes
        let end = min(start + chunkBytes, byteCount)
        // Safety: every index stays inside `bytes` (the whole input, `byteCount` bytes).
        // The first line starting at or after `start` (after the first newline at or after
        // `start - 1`), and the first one at or after `end` (the next chunk's).
        defer { reader.release(upTo: start) }
        var first = start
        if start > 0 {
            guard let newline = bytes[(start - 1)..<end].firstIndex(of: 0x0A) else { return try body(UnsafeRawBufferPointer(rebasing: bytes[0..<0])) }
            first = newline + 1
        }
        guard first < end else { return try body(UnsafeRawBufferPointer(rebasing: bytes[0..<0])) }
        var last = byteCount
        if end < byteCount, let newline = bytes[(end - 1)...].firstIndex(of: 0x0A) { last = newline + 1 }
        return try body(UnsafeRawBufferPointer(rebasing: bytes[first..<last]))
    }
}

/// The input as memory: the file mapped read-only (its pages released chunk by chunk once
/// parsed, so the process's resident memory is not the file's size), or a copy of the
/// generated bytes. One per thread.
final class InputReader {
    /// The whole input. Valid while the reader lives.
    let bytes: UnsafeRawBufferPointer
    private let mapped: Bool

    init(_ input: InputSource) throws {
        if let file = input.file {
            let descriptor = open(file, O_RDONLY)
            guard descriptor >= 0 else { throw BenchmarkFailure(message: "cannot open \(file): errno \(errno)") }
            defer { close(descriptor) }
            guard input.byteCount > 0 else {
                bytes = UnsafeRawBufferPointer(start: nil, count: 0)
                mapped = false
                return
            }
            guard let base = mmap(nil, input.byteCount, PROT_READ, MAP_PRIVATE, descriptor, 0), base != MAP_FAILED else {
                throw BenchmarkFailure(message: "cannot map \(file): errno \(errno)")
            }
            bytes = UnsafeRawBufferPointer(start: base, count: input.byteCount)
            mapped = true
        } else {
            let copy = UnsafeMutableRawBufferPointer.allocate(byteCount: max(input.byteCount, 1), alignment: 16)
            input.generated.withUnsafeBytes { copy.copyMemory(from: $0) }
            bytes = UnsafeRawBufferPointer(rebasing: copy[0..<input.byteCount])
            mapped = false
        }
    }

    deinit {
        if mapped {
            munmap(UnsafeMutableRawPointer(mutating: bytes.baseAddress), bytes.count)
        } else if let base = bytes.baseAddress {
            base.deallocate()
        }
    }

    /// Gives back the pages before `offset` (a mapped file only; they are read again from the
    /// page cache if touched). Released in whole 2 MiB regions, as the kernel may map a file's
    /// large folios whole; chunks are parsed in increasing order per reader.
    func release(upTo offset: Int) {
        guard mapped, let base = bytes.baseAddress else { return }
        let end = offset / Self.releaseBytes * Self.releaseBytes
        if end > releasedUpTo {
            madvise(UnsafeMutableRawPointer(mutating: base + releasedUpTo), end - releasedUpTo, MADV_DONTNEED)
            releasedUpTo = end
        }
    }

    /// Unit of release: 2 MiB (a huge page), a multiple of every page size.
    static let releaseBytes = 2 << 20
    private var releasedUpTo = 0
}
