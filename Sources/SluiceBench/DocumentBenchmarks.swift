// Benchmarks of SluiceDocument: parse, serialize, key extraction and packing, over the
// standard workload's JSON lines (docs/benchmarks.md, "Documents").
import Foundation
public import SluiceWorkload
import SluiceDocument

public enum DocumentBenchmarks {
    /// The workload's JSON lines: read from `file` when given (the same file the peer reads),
    /// else generated in memory. Not timed.
    public static func input(_ spec: WorkloadSpec, file: String?) throws -> [UInt8] {
        if let file { return try [UInt8](Data(contentsOf: URL(fileURLWithPath: file))) }
        return WorkloadGenerator.jsonLines(spec)
    }

    /// Calls `body` with each line of `bytes` (without its newline).
    static func forEachLine(_ bytes: [UInt8], _ body: (UnsafeRawBufferPointer) throws -> Void) throws {
        var splitter = JSONLinesSplitter()
        try splitter.feed(bytes) { line, _ in try body(line) }
        try splitter.finish { line, _ in try body(line) }
    }

    static func parseAll(_ bytes: [UInt8]) throws -> [Document] {
        var parser = JSONParser()
        var documents: [Document] = []
        try parser.parseLines(bytes.withUnsafeBytes { $0 }) { document, _ in documents.append(document) }
        return documents
    }

    /// `json.parse`: JSON lines into owned `Document`s (split, parse, one allocation each),
    /// beside Python `orjson.loads` per line. Extra: `validate_mb_per_s`, parsing into the
    /// reusable scratch tape without making documents.
    public static func parse(_ spec: WorkloadSpec, file: String? = nil) throws -> BenchmarkResult {
        let bytes = try input(spec, file: file)
        var parser = JSONParser()
        var documents = 0
        var entries = 0
        let stopwatch = Stopwatch()
        try bytes.withUnsafeBytes { buffer in
            try parser.parseLines(buffer) { document, _ in
                documents += 1
                entries &+= document.entryCount
            }
        }
        let seconds = stopwatch.elapsedSeconds
        // Validation only: the same parse without copying the tape into a Document.
        let validateStopwatch = Stopwatch()
        try forEachLine(bytes) { line in try parser.validate(line) }
        let validateSeconds = validateStopwatch.elapsedSeconds
        return BenchmarkResult(figure: "json.parse", documents: documents, bytes: bytes.count, seconds: seconds,
                               extra: ["validate_mb_per_s": (Double(bytes.count) / validateSeconds / 1e6 * 100).rounded() / 100,
                                       "tape_entries_per_document": Double(entries) / Double(max(documents, 1))])
    }

    /// `json.serialize`: documents back to canonical JSON lines in one reused buffer, beside
    /// `orjson.dumps` of the objects `orjson.loads` made.
    public static func serialize(_ spec: WorkloadSpec, file: String? = nil) throws -> BenchmarkResult {
        let documents = try parseAll(try input(spec, file: file))
        var output: [UInt8] = []
        output.reserveCapacity(1 << 20)
        var bytes = 0
        let stopwatch = Stopwatch()
        for document in documents {
            JSONSerializer.append(document, to: &output)
            output.append(0x0A)
            if output.count >= 1 << 20 {
                bytes += output.count
                output.removeAll(keepingCapacity: true)
            }
        }
        bytes += output.count
        return BenchmarkResult(figure: "json.serialize", documents: documents.count, bytes: bytes,
                               seconds: stopwatch.elapsedSeconds)
    }

    /// `json.tape`: documents to tape bytes and back (`tapeBytes`, `Document(tapeBytes:)` with
    /// its full validation): what spilling to disk and reading back costs without JSON.
    /// `bytes` counts tape bytes.
    public static func tape(_ spec: WorkloadSpec, file: String? = nil) throws -> BenchmarkResult {
        let documents = try parseAll(try input(spec, file: file))
        var buffer: [UInt8] = []
        buffer.reserveCapacity(1 << 16)
        var bytes = 0
        var entries = 0
        let stopwatch = Stopwatch()
        for document in documents {
            buffer.removeAll(keepingCapacity: true)
            document.appendTapeBytes(to: &buffer)
            bytes += buffer.count
            let back = try buffer.withUnsafeBytes { try Document(tapeBytes: $0) }
            entries &+= back.entryCount
        }
        let seconds = stopwatch.elapsedSeconds
        precondition(entries > 0)
        return BenchmarkResult(figure: "json.tape", documents: documents.count, bytes: bytes, seconds: seconds)
    }

    /// `json.key`: extracting the key `[/customer/cid, /id]` of each document and packing it
    /// (FoundationDB tuple encoding) into a reused buffer. `bytes` counts packed key bytes.
    public static func key(_ spec: WorkloadSpec, file: String? = nil) throws -> BenchmarkResult {
        let documents = try parseAll(try input(spec, file: file))
        let extractor = KeyExtractor(pointers: ["/customer/cid", "/id"])
        var output: [UInt8] = []
        output.reserveCapacity(64)
        var bytes = 0
        let stopwatch = Stopwatch()
        for document in documents {
            output.removeAll(keepingCapacity: true)
            extractor.pack(document, into: &output)
            bytes += output.count
        }
        return BenchmarkResult(figure: "json.key", documents: documents.count, bytes: bytes, seconds: stopwatch.elapsedSeconds)
    }
}
