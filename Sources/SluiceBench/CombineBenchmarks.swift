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
    /// parsed, validated (the stand-in validator: root merge, sum amount and qty, maximize ts,
    /// lastWriteWins for the rest) and combined by `/id`; then drained in key order, each
    /// document validated and serialized into a reused buffer. Beside DuckDB's
    /// `GROUP BY id` over `read_ndjson` of the same file. Extra figures: `peak_rss_mib`
    /// (VmHWM of the process), `combiner_peak_mib` (what the combiner counted), `keys`,
    /// `spills`, `spilled_mib`, `merge_passes`.
    public static func combine(_ spec: WorkloadSpec, file: String? = nil, figure: String = "combine.workload",
                               memoryBudgetBytes: Int = CombinerConfiguration.memoryBudgetBytesDefault,
                               mode: ReductionMode = .partial, threads: Int = 1) throws -> BenchmarkResult {
        precondition(threads == 1 || threads == 2, "threads is 1 or 2")
        let configuration = CombinerConfiguration(key: KeyExtractor(pointers: ["/id"]), mode: mode, memoryBudgetBytes: memoryBudgetBytes)
        var combiner = Combiner(configuration: configuration, validator: WorkloadValidatorStandIn())
        var inputBytes = 0
        let stopwatch = Stopwatch()
        if threads == 2 {
            // A second thread reads, parses and validates; this one combines.
            let queue = BatchQueue(depth: batchQueueDepth)
            let producer = Thread { produceBatches(spec, file: file, into: queue) }
            producer.start()
            while true {
                let batch = queue.pop()
                if let error = batch.error { throw BenchmarkFailure(message: error) }
                inputBytes += batch.bytes
                for index in batch.documents.indices {
                    try combiner.add(batch.documents[index], annotations: batch.annotations[index])
                }
                if batch.isLast { break }
            }
        } else {
            var parser = JSONParser()
            var splitter = JSONLinesSplitter()
            try forEachChunk(spec, file: file) { chunk in
                inputBytes += chunk.count
                try addLines(chunk, &splitter, &parser, &combiner)
            }
            try splitter.finish { line, _ in try combiner.add(try parser.parse(line)) }
        }
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
            "threads": Double(threads),
        ])
    }

    /// Documents per batch handed from the parsing thread to the combining one, and batches in
    /// flight: 1,024 × 4 standard documents are about 4 MiB.
    static let batchDocuments = 1024
    static let batchQueueDepth = 4

    /// Calls `body` with the input, a chunk at a time: the file's bytes, or the generated
    /// workload's.
    static func forEachChunk(_ spec: WorkloadSpec, file: String?, _ body: (UnsafeRawBufferPointer) throws -> Void) throws {
        if let file {
            guard let handle = FileHandle(forReadingAtPath: file) else { throw BenchmarkFailure(message: "cannot open \(file)") }
            defer { try? handle.close() }
            while let chunk = try handle.read(upToCount: inputChunkBytes), !chunk.isEmpty {
                try chunk.withUnsafeBytes { try body($0) }
            }
        } else {
            var generator = WorkloadGenerator(spec)
            var chunk: [UInt8] = []
            chunk.reserveCapacity(inputChunkBytes + 4096)
            while !generator.isExhausted {
                chunk.removeAll(keepingCapacity: true)
                while chunk.count < inputChunkBytes && generator.appendLines(1, to: &chunk) == 1 {}
                try chunk.withUnsafeBytes { try body($0) }
            }
        }
    }

    /// The parsing thread: documents parsed and validated, in batches.
    static func produceBatches(_ spec: WorkloadSpec, file: String?, into queue: BatchQueue) {
        var parser = JSONParser()
        var splitter = JSONLinesSplitter()
        var validator = WorkloadValidatorStandIn()
        var batch = ValidatedBatch()
        func take(_ line: UnsafeRawBufferPointer) throws {
            let document = try parser.parse(line)
            batch.annotations.append(try validator.validate(document))
            batch.documents.append(document)
            if batch.documents.count == batchDocuments {
                queue.push(batch)
                batch = ValidatedBatch()
            }
        }
        do {
            try forEachChunk(spec, file: file) { chunk in
                batch.bytes += chunk.count
                try splitter.feed(chunk) { line, _ in try take(line) }
            }
            try splitter.finish { line, _ in try take(line) }
            batch.isLast = true
            queue.push(batch)
        } catch {
            queue.push(ValidatedBatch(error: "\(error)"))
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

/// Parsed and validated documents handed between threads.
struct ValidatedBatch: Sendable {
    var documents: [Document] = []
    var annotations: [ReduceAnnotations] = []
    /// Input bytes read for this batch.
    var bytes = 0
    var isLast = false
    var error: String? = nil
}

/// A bounded queue of batches between one producing and one consuming thread: `push` blocks
/// while `depth` batches wait, `pop` while none does. Sendable: the list is behind a mutex,
/// the counts are semaphores.
final class BatchQueue: Sendable {
    private let batches = Mutex<[ValidatedBatch]>([])
    private let free: DispatchSemaphore
    private let ready = DispatchSemaphore(value: 0)

    init(depth: Int) {
        free = DispatchSemaphore(value: depth)
    }

    func push(_ batch: ValidatedBatch) {
        free.wait()
        batches.withLock { $0.append(batch) }
        ready.signal()
    }

    func pop() -> ValidatedBatch {
        ready.wait()
        let batch = batches.withLock { $0.removeFirst() }
        free.signal()
        return batch
    }
}
