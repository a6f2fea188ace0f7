import Foundation
import Logging
import SluiceCapture
import SluiceCatalog
public import SluiceWorkload
import SluiceRuntime
import SluiceTask
import Synchronization

/// The capture figures (docs/benchmarks.md, "Captures"):
/// - `capture.files`: `sluice run` of a files capture of the workload's JSON lines into a
///   collection (read, parse, validate, combine per transaction, append, commit), timed from
///   the engine's start to the capture's last commit. Target (issue 7): ≥ 300k docs/s.
/// - `capture.http.batchN`: POSTs of N workload documents each to an http-ingest capture, from
///   a closed-loop load generator with keep-alive connections; requests/s and latency
///   percentiles end to end (each answer waits for the durable commit).
public enum CaptureBenchmarks {
    /// `allowMeta`: the workload schema forbids other properties; http-ingest adds `_meta`.
    static func catalog(capture: String, allowMeta: Bool = false) -> String {
        var schema = WorkloadSchema.json.split(separator: "\n").joined(separator: " ")
        if allowMeta, let properties = schema.range(of: #""properties": {"#) {
            schema.replaceSubrange(properties, with: #""properties": {"_meta": {"type": "object"}, "#)
        }
        // JSON is YAML: the workload schema goes in inline.
        return """
        collections:
          bench/events:
            schema: \(schema)
            key: [/id]
        captures:
          bench/capture:
            \(capture)
        """
    }

    static func engine(folder: String, catalog text: String, captures: [String: any CaptureConnector]) throws -> Engine {
        let path = folder + "/flow.yaml"
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        var connectors = ConnectorSet()
        connectors.captures = captures
        var logger = Logger(label: "bench")
        logger.logLevel = .error
        return try Engine(catalog: try CatalogLoader.load(path: path), connectors: connectors,
                          options: EngineOptions(dataDirectory: folder + "/data", idleCheckSeconds: 0.05, logger: logger))
    }

    /// Writes the workload as JSON lines to `path`; returns its size in bytes.
    public static func writeWorkload(_ spec: WorkloadSpec, to path: String) throws -> Int {
        _ = FileManager.default.createFile(atPath: path, contents: nil)
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        defer { try? handle.close() }
        var generator = WorkloadGenerator(spec)
        var buffer: [UInt8] = []
        var total = 0
        while !generator.isExhausted {
            _ = generator.appendNext(to: &buffer)
            buffer.append(0x0A)
            if buffer.count >= 4 << 20 {
                try handle.write(contentsOf: buffer)
                total += buffer.count
                buffer.removeAll(keepingCapacity: true)
            }
        }
        try handle.write(contentsOf: buffer)
        return total + buffer.count
    }

    /// `capture.files`: the workload file (`input`, or one written first) captured into a collection.
    public static func files(_ spec: WorkloadSpec, directory: String, input: String? = nil) async throws -> BenchmarkResult {
        let folder = directory + "/capture-files-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let path = input.map { URL(fileURLWithPath: $0).path } ?? folder + "/workload.jsonl"
        if input == nil { _ = try writeWorkload(spec, to: path) }
        let bytes = (try FileManager.default.attributesOfItem(atPath: path)[.size] as? NSNumber)?.intValue ?? 0
        let engine = try engine(folder: folder, catalog: catalog(capture: #"endpoint: {files: {}}\#n    bindings: [{resource: {path: "\#(path)"}, target: bench/events}]"#),
                                captures: ["files": FilesCapture()])
        let clock = Stopwatch()
        let running = Task { try await engine.run(untilIdle: true) }
        let status = engine.statuses["bench/capture"]!
        var seconds = 0.0
        while true {
            if status.snapshot.exhausted {
                seconds = clock.elapsedSeconds
                break
            }
            if let error = status.snapshot.lastError { running.cancel(); throw BenchmarkError(error) }
            try await Task.sleep(nanoseconds: 2_000_000)
        }
        try await running.value
        let snapshot = status.snapshot
        return BenchmarkResult(figure: "capture.files", documents: snapshot.documentsRead, bytes: bytes, seconds: seconds,
                               extra: ["transactions": Double(snapshot.transactions)])
    }

    /// Request bodies of `batch` workload documents each (JSON lines), `requests` of them,
    /// cycling through the workload.
    public static func requestBodies(_ spec: WorkloadSpec, batch: Int, requests: Int) -> [[UInt8]] {
        var generator = WorkloadGenerator(spec)
        var bodies: [[UInt8]] = []
        bodies.reserveCapacity(requests)
        for _ in 0..<requests {
            var body: [UInt8] = []
            for index in 0..<batch {
                if generator.isExhausted { generator = WorkloadGenerator(spec) }
                if index > 0 { body.append(0x0A) }
                _ = generator.appendNext(to: &body)
            }
            bodies.append(body)
        }
        return bodies
    }

    /// The load's result as a benchmark line: documents = requests × batch.
    public static func result(_ report: HTTPLoadGenerator.Report, figure: String, subject: String = "sluice", batch: Int,
                              connections: Int, bytes: Int) -> BenchmarkResult {
        BenchmarkResult(figure: figure, subject: subject, documents: report.latencies.count * batch, bytes: bytes, seconds: report.seconds,
                        extra: ["requests_per_s": (Double(report.latencies.count) / report.seconds).rounded(),
                                "p50_ms": report.latencyPercentile(0.5) * 1000, "p99_ms": report.latencyPercentile(0.99) * 1000,
                                "max_ms": report.latencyPercentile(1) * 1000, "batch": Double(batch),
                                "connections": Double(connections), "failures": Double(report.failures)])
    }

    /// `capture.http.batchN`: an http-ingest capture in this process, loaded over loopback.
    public static func http(_ spec: WorkloadSpec, directory: String, batch: Int, connections: Int, requests: Int) async throws
        -> BenchmarkResult
    {
        let folder = directory + "/capture-http-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let bodies = requestBodies(spec, batch: batch, requests: requests)
        let bound = Atomic<Int>(0)
        let connector = HTTPIngestCapture(onListening: { bound.store($0, ordering: .releasing) })
        let engine = try engine(folder: folder,
                                catalog: catalog(capture: #"endpoint: {http-ingest: {listen: "127.0.0.1:0", token: bench-token}}\#n    bindings: [{resource: {path: /events}, target: bench/events}]"#,
                                                 allowMeta: true),
                                captures: ["http-ingest": connector])
        let running = Task { try await engine.run() }
        while bound.load(ordering: .acquiring) == 0 {
            if let error = engine.statuses["bench/capture"]!.snapshot.lastError { running.cancel(); throw BenchmarkError(error) }
            try await Task.sleep(nanoseconds: 5_000_000)
        }
        let generator = HTTPLoadGenerator(port: bound.load(ordering: .acquiring), path: "/events",
                                          headers: [("authorization", "Bearer bench-token")], connections: connections)
        let report = await generator.run(bodies: bodies)
        engine.requestStop()
        try await running.value
        if report.failures > 0 { throw BenchmarkError("\(report.failures) requests failed; first: \(report.firstFailure ?? "")") }
        return result(report, figure: "capture.http.batch\(batch)", batch: batch, connections: connections,
                      bytes: bodies.reduce(0) { $0 + $1.count })
    }
}

public struct BenchmarkError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
