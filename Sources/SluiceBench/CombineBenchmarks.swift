// Benchmarks of SluiceCombine: the standard workload combined by `id` (docs/benchmarks.md,
// "Reductions").
import Dispatch
import Foundation
import Synchronization
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
    /// parsed, validated against `WorkloadSchema` (root merge, sum amount and qty, maximize ts,
    /// lastWriteWins note) and combined by `/id`; then drained in key order, each
    /// document validated and serialized into a reused buffer. Beside DuckDB's
    /// `GROUP BY id` over `read_ndjson` of the same file. Extra figures: `peak_rss_mib`
    /// (VmHWM of the process), `combiner_peak_mib` (what the combiners counted), `keys`,
    /// `spills`, `spilled_mib`, `merge_passes`, `threads`.
    ///
    /// `threads: 2` splits the input at the line nearest its middle: a second thread combines
    /// the later half while this one combines the earlier half (each within half the budget),
    /// then the two drains are merged by key, the later half's document reduced into the
    /// earlier's (reductions are associative, and every key's documents keep their order).
    public static func combine(_ spec: WorkloadSpec, file: String? = nil, figure: String = "combine.workload",
                               memoryBudgetBytes: Int = CombinerConfiguration.memoryBudgetBytesDefault,
                               mode: ReductionMode = .partial, threads: Int = 1) throws -> BenchmarkResult {
        precondition(threads == 1 || threads == 2, "threads is 1 or 2")
        let input = try InputSource(spec, file: file)
        let stopwatch = Stopwatch()
        let halves = threads == 2 ? try input.split() : [input.whole]
        let budget = memoryBudgetBytes / halves.count
        let key = KeyExtractor(pointers: ["/id"])
        var later: DrainStream? = nil
        if halves.count == 2 {
            let queue = BatchQueue(depth: batchQueueDepth)
            let range = halves[1]
            // The later half combines partially: its documents reduce into the earlier half's.
            let configuration = CombinerConfiguration(key: key, mode: .partial, memoryBudgetBytes: budget)
            Thread { drainHalf(input, range, configuration, into: queue) }.start()
            later = DrainStream(queue: queue)
        }
        var combiner = Combiner(configuration: CombinerConfiguration(key: key, mode: mode, memoryBudgetBytes: budget),
                                validator: try WorkloadSchema.validator())
        var parser = JSONParser()
        var splitter = JSONLinesSplitter()
        try input.forEachChunk(halves[0]) { chunk in try addLines(chunk, &splitter, &parser, &combiner) }
        try splitter.finish { line, _ in try combiner.add(try parser.parse(line)) }
        var documents = combiner.statistics.documentsAdded
        var drainer = try combiner.drain()
        var output: [UInt8] = []
        output.reserveCapacity(inputChunkBytes + 65536)
        var outputBytes = 0
        var keys = 0
        func emit(_ document: Document) {
            JSONSerializer.append(document, to: &output)
            output.append(0x0A)
            keys += 1
            if output.count >= inputChunkBytes {
                outputBytes += output.count
                output.removeAll(keepingCapacity: true)
            }
        }
        var merger = try HalfMerger(mode: mode)
        var earlier = try drainer.next()
        var next = try later?.next()
        while earlier != nil || next != nil {
            let order: Int
            switch (earlier, next) {
            case (let a?, let b?): order = a.packedKey.lexicographicallyPrecedes(b.packedKey) ? -1 : (a.packedKey == b.packedKey ? 0 : 1)
            case (_?, nil): order = -1
            default: order = 1
            }
            if order < 0 {
                emit(earlier!.document)
                earlier = try drainer.next()
            } else if order > 0 {
                emit(next!.document)
                next = try later!.next()
            } else {
                for document in try merger.reduce(earlier!.document, next!.document) { emit(document) }
                earlier = try drainer.next()
                next = try later!.next()
            }
        }
        outputBytes += output.count
        let seconds = stopwatch.elapsedSeconds
        var statistics = drainer.statistics
        var combinerPeak = drainer.peakMemoryBytes
        if let later {
            let other = later.final!
            documents += other.statistics.documentsAdded
            statistics.spills += other.statistics.spills
            statistics.mergePasses += other.statistics.mergePasses
            statistics.spilledBytes += other.statistics.spilledBytes
            statistics.validations += other.statistics.validations + merger.validations
            combinerPeak += other.peakMemoryBytes
        }
        let mebibyte = Double(1 << 20)
        return BenchmarkResult(figure: figure, documents: documents, bytes: input.byteCount, seconds: seconds, extra: [
            "keys": Double(keys),
            "output_bytes": Double(outputBytes),
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

    /// Drained documents per batch handed from the second thread, and batches in flight.
    static let batchDocuments = 1024
    static let batchQueueDepth = 4

    /// The second thread: combines its half of the input, then drains it into `queue`.
    static func drainHalf(_ input: InputSource, _ range: Range<Int>, _ configuration: CombinerConfiguration, into queue: BatchQueue) {
        do {
            var combiner = Combiner(configuration: configuration, validator: try WorkloadSchema.validator())
            var parser = JSONParser()
            var splitter = JSONLinesSplitter()
            try input.forEachChunk(range) { chunk in try addLines(chunk, &splitter, &parser, &combiner) }
            try splitter.finish { line, _ in try combiner.add(try parser.parse(line)) }
            var drainer = try combiner.drain()
            var batch = DrainedBatch()
            while let drained = try drainer.next() {
                batch.documents.append(drained)
                if batch.documents.count == batchDocuments {
                    queue.push(batch)
                    batch = DrainedBatch()
                }
            }
            batch.final = HalfStatistics(statistics: drainer.statistics, peakMemoryBytes: drainer.peakMemoryBytes)
            queue.push(batch)
        } catch {
            queue.push(DrainedBatch(error: "\(error)"))
        }
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

/// A benchmark that could not run.
struct BenchmarkFailure: Error, CustomStringConvertible {
    let message: String
    var description: String { message }
}

/// Counts of the second thread's combiner.
struct HalfStatistics: Sendable {
    var statistics: CombinerStatistics
    var peakMemoryBytes: Int
}

/// Drained documents handed between threads; the last batch carries the statistics.
struct DrainedBatch: Sendable {
    var documents: [DrainedDocument] = []
    var final: HalfStatistics? = nil
    var error: String? = nil
}

/// The second thread's drained documents, one at a time.
struct DrainStream {
    let queue: BatchQueue
    var batch = DrainedBatch()
    var position = 0
    var final: HalfStatistics? = nil

    init(queue: BatchQueue) { self.queue = queue }

    mutating func next() throws -> DrainedDocument? {
        while position == batch.documents.count {
            if final != nil { return nil }
            batch = queue.pop()
            position = 0
            if let error = batch.error { throw BenchmarkFailure(message: error) }
            if let statistics = batch.final { final = statistics }
        }
        position += 1
        return batch.documents[position - 1]
    }
}

/// Reduces the later half's document of a key into the earlier half's: validated (for its
/// annotations) and reduced, the result validated again.
struct HalfMerger {
    let mode: ReductionMode
    var validator: SchemaValidator
    var reducer = Reducer()
    var validations = 0

    init(mode: ReductionMode) throws {
        self.mode = mode
        self.validator = try WorkloadSchema.validator()
    }

    mutating func reduce(_ earlier: Document, _ later: Document) throws -> [Document] {
        let annotations = try validator.validate(later)
        validations += 2
        do {
            let reduced = try reducer.reduce(earlier, later, annotations: annotations, mode: mode).document
            _ = try validator.validate(reduced)
            return [reduced]
        } catch let error as ReduceError where error.reason == .notAssociative {
            return [earlier, later]
        }
    }
}

/// The workload's bytes: a file read in chunks, or generated into memory.
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

    var whole: Range<Int> { 0..<byteCount }

    /// Two ranges split after the newline nearest the middle.
    func split() throws -> [Range<Int>] {
        var middle = byteCount / 2
        try forEachChunk(middle..<byteCount) { chunk in
            if let newline = chunk.firstIndex(of: 0x0A) {
                middle += newline + 1
                throw StopReading()
            }
            middle += chunk.count
        }
        return [0..<middle, middle..<byteCount]
    }

    struct StopReading: Error {}

    /// Calls `body` with the bytes of `range`, a chunk at a time.
    func forEachChunk(_ range: Range<Int>, _ body: (UnsafeRawBufferPointer) throws -> Void) throws {
        do {
            if let file {
                guard let handle = FileHandle(forReadingAtPath: file) else { throw BenchmarkFailure(message: "cannot open \(file)") }
                defer { try? handle.close() }
                try handle.seek(toOffset: UInt64(range.lowerBound))
                var remaining = range.count
                while remaining > 0, let chunk = try handle.read(upToCount: Swift.min(CombineBenchmarks.inputChunkBytes, remaining)), !chunk.isEmpty {
                    remaining -= chunk.count
                    try chunk.withUnsafeBytes { try body($0) }
                }
            } else {
                var start = range.lowerBound
                while start < range.upperBound {
                    let end = Swift.min(start + CombineBenchmarks.inputChunkBytes, range.upperBound)
                    try generated[start..<end].withUnsafeBytes { try body($0) }
                    start = end
                }
            }
        } catch is StopReading {
            return
        }
    }
}

/// A bounded queue of batches between one producing and one consuming thread: `push` blocks
/// while `depth` batches wait, `pop` while none does. Sendable: the list is behind a mutex,
/// the counts are semaphores.
final class BatchQueue: Sendable {
    private let batches = Mutex<[DrainedBatch]>([])
    private let free: DispatchSemaphore
    private let ready = DispatchSemaphore(value: 0)

    init(depth: Int) {
        free = DispatchSemaphore(value: depth)
    }

    func push(_ batch: DrainedBatch) {
        free.wait()
        batches.withLock { $0.append(batch) }
        ready.signal()
    }

    func pop() -> DrainedBatch {
        ready.wait()
        let batch = batches.withLock { $0.removeFirst() }
        free.signal()
        return batch
    }
}
