import ArgumentParser
import Foundation
import Logging
import SluiceCatalog
import SluiceDerive
import SluiceRuntime

/// `sluice test [CATALOG]`: the catalog's `tests:`, offline and deterministic (docs/cli.md).
struct TestCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "test",
        abstract: "Run a catalog's tests offline.",
        discussion: """
            Each test starts from empty collections in a temporary folder, on a simulated clock. \
            An ingest is one transaction; derivations then run until nothing is ready. A verify \
            lets read delays elapse, then compares the collection's fully reduced documents, in \
            key order, with the expected ones (which may leave properties out but must hold the \
            key). A failure prints what differs and the command exits with 1.
            """)

    @Argument(help: "The catalog file (default: --catalog, or flow.yaml).") var catalogFile: String?
    @OptionGroup var catalog: CatalogOption
    @Option(name: .customLong("test"), help: "Run only this test (repeatable).") var tests: [String] = []
    @Option(help: "Where simulated time starts (RFC 3339).") var clockStart: String = "2024-01-01T00:00:00Z"
    @Option(help: "Log level: trace, debug, info, notice, warning, error, critical.") var logLevel: String = "warning"

    func validate() throws {
        guard Logger.Level(rawValue: logLevel) != nil else { throw ValidationError("--log-level \(logLevel) is not a level") }
        guard CLIClock.unixNanoseconds(clockStart) != nil else { throw ValidationError("--clock-start \(clockStart) is not an RFC 3339 time") }
    }

    func run() async throws {
        try await runReportingFailures {
            var options = catalog
            if let catalogFile { options.catalogPath = catalogFile }
            let loaded = try options.load()
            let problems = DerivationChecks.diagnostics(loaded)
            if !problems.isEmpty { throw CLIFailure.user(CatalogError(problems).description) }
            let unknown = tests.filter { loaded.tests[$0] == nil }
            if !unknown.isEmpty {
                throw CLIFailure.user("no test named \(unknown.joined(separator: ", ")) in \(options.catalogPath) "
                                      + "(tests: \(loaded.tests.keys.sorted().joined(separator: ", ")))")
            }
            guard !loaded.tests.isEmpty else { throw CLIFailure.user("\(options.catalogPath) has no tests") }
            var logger = Logger(label: "sluice")
            logger.logLevel = Logger.Level(rawValue: logLevel) ?? .warning
            let work = FileManager.default.temporaryDirectory.path + "/sluice-test-\(UUID().uuidString.prefix(8))"
            defer { try? FileManager.default.removeItem(atPath: work) }
            let runner = CatalogTestRunner(catalog: loaded, connectors: .builtIn,
                                           clockStartNanoseconds: CLIClock.unixNanoseconds(clockStart)!, logger: logger)
            let started = Date()
            let outcomes: [CatalogTestOutcome]
            do {
                outcomes = try await runner.run(tests.isEmpty ? nil : tests, workDirectory: work)
            } catch {
                throw CLIFailure.internal("running the tests: \(error)")
            }
            let output = StandardOutput()
            for outcome in outcomes {
                if outcome.passed {
                    output.write("ok     \(outcome.name) (\(outcome.steps) step\(outcome.steps == 1 ? "" : "s"))\n")
                } else {
                    output.write("FAILED \(outcome.name) (\(outcome.location)), at step \(outcome.stepsRun) of \(outcome.steps):\n")
                    for failure in outcome.failures {
                        output.write(failure.split(separator: "\n", omittingEmptySubsequences: false).map { "  " + $0 }.joined(separator: "\n") + "\n")
                    }
                }
            }
            let failed = outcomes.filter { !$0.passed }.count
            let seconds = String(format: "%.2f", Date().timeIntervalSince(started))
            output.write("\(outcomes.count) test\(outcomes.count == 1 ? "" : "s"): \(outcomes.count - failed) passed, \(failed) failed (\(seconds) s)\n")
            output.flush()
            if failed > 0 { throw CLIFailure.user("\(failed) of \(outcomes.count) tests failed") }
        }
    }
}

/// RFC 3339 times given on the command line.
enum CLIClock {
    static func unixNanoseconds(_ text: String) -> UInt64? {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        var date = formatter.date(from: text.uppercased())
        if date == nil {
            formatter.formatOptions = [.withInternetDateTime]
            date = formatter.date(from: text.uppercased())
        }
        guard let date, date.timeIntervalSince1970 >= 0 else { return nil }
        return UInt64((date.timeIntervalSince1970 * 1e9).rounded())
    }
}
