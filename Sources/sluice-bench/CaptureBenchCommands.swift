import ArgumentParser
import Foundation
import SluiceBench

/// `capture.files`: a files capture of the workload into a collection (docs/benchmarks.md).
struct CaptureFiles: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "capture.files", abstract: "A files capture of the workload's JSON lines into a collection.")

    @OptionGroup var workload: WorkloadOptions
    @OptionGroup var work: JournalWorkOptions
    @Option(help: "The workload as JSON lines (default: generated into the work folder first, untimed).") var input: String?

    func run() async throws {
        print(try await CaptureBenchmarks.files(workload.spec, directory: work.workDir, input: input).jsonLine)
    }
}

/// Options of the HTTP ingest load.
struct HTTPLoadOptions: ParsableArguments {
    @Option(help: "Documents per request.") var batch: Int = 1
    @Option(help: "Keep-alive connections, each sending its next request once answered.") var connections: Int = 16
    @Option(help: "Requests in all (default: 20,000 at batch 1, 5,000 above).") var requests: Int?

    var requestCount: Int { requests ?? (batch == 1 ? 20_000 : 5_000) }
}

/// `capture.http`: an http-ingest capture in this process, loaded over loopback.
struct CaptureHTTP: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "capture.http", abstract: "POSTs of workload batches to an http-ingest capture: requests/s and latency.")

    @OptionGroup var workload: WorkloadOptions
    @OptionGroup var work: JournalWorkOptions
    @OptionGroup var load: HTTPLoadOptions

    func run() async throws {
        print(try await CaptureBenchmarks.http(workload.spec, directory: work.workDir, batch: load.batch, connections: load.connections,
                                               requests: load.requestCount).jsonLine)
    }
}

/// `capture.http.load`: the same load against a server already listening (the peer's).
struct CaptureHTTPLoad: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "capture.http.load", abstract: "The http-ingest benchmark's load against a server on 127.0.0.1:PORT.")

    @OptionGroup var workload: WorkloadOptions
    @OptionGroup var load: HTTPLoadOptions
    @Option(help: "The server's port on 127.0.0.1.") var port: Int
    @Option(help: "The path to POST to.") var path: String = "/events"
    @Option(help: "Who is measured (the subject of the printed line).") var subject: String = "peer"
    @Option(help: "Bearer token sent with each request.") var token: String = "bench-token"

    func run() async throws {
        let bodies = CaptureBenchmarks.requestBodies(workload.spec, batch: load.batch, requests: load.requestCount)
        let report = await HTTPLoadGenerator(port: port, path: path, headers: [("authorization", "Bearer \(token)")],
                                             connections: load.connections).run(bodies: bodies)
        if report.failures > 0 { throw BenchmarkError("\(report.failures) requests failed; first: \(report.firstFailure ?? "")") }
        print(CaptureBenchmarks.result(report, figure: "capture.http.batch\(load.batch)", subject: subject, batch: load.batch,
                                       connections: load.connections, bytes: bodies.reduce(0) { $0 + $1.count }).jsonLine)
    }
}
