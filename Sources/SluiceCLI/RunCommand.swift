import ArgumentParser
import Dispatch
import Foundation
import Logging
import SluiceCatalog
import SluiceRuntime

/// `sluice run [CATALOG]`: every task of the catalog in this process.
struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run every capture, derivation and materialization of a catalog.",
        discussion: """
            Runs until interrupted (Ctrl-C or SIGTERM stop at a transaction boundary; a second \
            signal exits at once, losing nothing committed), or with --until-idle until every \
            capture is exhausted and every task has caught up.
            """)

    @Argument(help: "The catalog file (default: --catalog, or flow.yaml).") var catalogFile: String?
    @OptionGroup var catalog: CatalogOption
    @OptionGroup var data: DataDirectoryOption
    @Flag(help: "Exit when every capture is exhausted and every task has caught up.") var untilIdle = false
    @Option(help: "With --until-idle: how long, in seconds, every task must stay idle before the run ends (an HTTP capture is idle whenever no request waits).")
    var idleSeconds: Double = 0.2
    @Option(help: "Log level: trace, debug, info, notice, warning, error, critical.") var logLevel: String = "info"
    @Option(help: "Longest transaction, in seconds.") var maxTransactionSeconds: Double = 1
    @Flag(help: "No live status (on a terminal) or periodic status lines (otherwise).") var quiet = false
    @Option(help: "Most source documents read per derivation or materialization transaction.")
    var maxTransactionDocuments: Int = TransactionBounds().maxDocuments

    func validate() throws {
        guard Logger.Level(rawValue: logLevel) != nil else { throw ValidationError("--log-level \(logLevel) is not a level") }
        guard idleSeconds >= 0 else { throw ValidationError("--idle-seconds must not be negative") }
        guard maxTransactionSeconds > 0 else { throw ValidationError("--max-transaction-seconds must be positive") }
        guard (1...10_000_000).contains(maxTransactionDocuments) else {
            throw ValidationError("--max-transaction-documents must be between 1 and 10000000")
        }
    }

    func run() async throws {
        try await runReportingFailures {
            var options = catalog
            if let catalogFile { options.catalogPath = catalogFile }
            let loaded = try options.load()
            var logger = Logger(label: "sluice")
            logger.logLevel = Logger.Level(rawValue: logLevel) ?? .info
            let engine: Engine
            var engineOptions = EngineOptions(dataDirectory: data.dataDirectory,
                                              bounds: TransactionBounds(maxDurationSeconds: maxTransactionSeconds,
                                                                        maxDocuments: maxTransactionDocuments),
                                              logger: logger)
            engineOptions.idleSeconds = idleSeconds
            do {
                engine = try Engine(catalog: loaded, connectors: .builtIn, options: engineOptions)
            } catch let error as EngineError {
                throw error.isUserError ? CLIFailure.user(error.description) : CLIFailure.internal(error.description)
            }
            let signals = SignalStop(engine: engine)
            defer { signals.cancel() }
            let status = StatusPrinter(engine: engine)
            if !quiet { status.start() }
            defer { status.stop() }
            do {
                try await engine.run(untilIdle: untilIdle)
            } catch let error as EngineError {
                throw error.isUserError ? CLIFailure.user(error.description) : CLIFailure.internal(error.description)
            }
            RunSummary.print(engine)
        }
    }
}

/// SIGINT/SIGTERM: the first asks the engine to stop at a transaction boundary; the second
/// exits at once (nothing committed is lost: that is the point of the design).
final class SignalStop {
    private let sources: [any DispatchSourceSignal]

    init(engine: Engine) {
        var sources: [any DispatchSourceSignal] = []
        for signalNumber in [SIGINT, SIGTERM] {
            signal(signalNumber, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: signalNumber, queue: .global())
            source.setEventHandler {
                if engine.isStopRequested {
                    printError("second signal: exiting now")
                    exit(130)
                }
                printError("stopping at the next transaction boundary (signal again to exit now)")
                engine.requestStop()
            }
            source.resume()
            sources.append(source)
        }
        self.sources = sources
    }

    func cancel() { for source in sources { source.cancel() } }
}

/// The summary `sluice run` prints when it ends: what each task did.
enum RunSummary {
    static func print(_ engine: Engine) {
        let output = StandardOutput()
        for (name, status) in engine.statuses.sorted(by: { $0.key < $1.key }) {
            let s = status.snapshot
            var line = "\(s.kind.rawValue) \(name): \(s.transactions) transactions, \(s.documentsRead) documents read, "
                + "\(s.documentsWritten) written"
            if s.restarts > 0 { line += ", \(s.restarts) restarts (last error: \(s.lastError ?? "?"))" }
            output.write(line + "\n")
        }
        output.flush()
    }
}
