import ArgumentParser
import Foundation
import Logging
import SluiceCatalog
import SluiceDerive
import SluiceDocument
import SluiceRuntime

/// `sluice preview CATALOG --name DERIVATION --fixture F.jsonl` (docs/cli.md).
struct PreviewCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "preview",
        abstract: "Run one derivation over fixture documents and print what it publishes.",
        discussion: """
            Each fixture line is a source document ({…}, or ["TRANSFORM-OR-COLLECTION", {…}]) or \
            a clock step (["@advance", "1h"]). Each document is one transaction into its source \
            collection, and the derivation then runs one source document per transaction, on a \
            simulated clock; at the end, read delays elapse. Prints the published documents as \
            JSON lines in order, or with --reduced one fully reduced document per key.
            """)

    @Argument(help: "The catalog file (default: --catalog, or flow.yaml).") var catalogFile: String?
    @OptionGroup var catalog: CatalogOption
    @Option(help: "The derivation (its collection name).") var name: String
    @Option(help: "The fixture: JSON lines of source documents.") var fixture: String
    @Flag(help: "Print one fully reduced document per key, in key order.") var reduced = false
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
            guard let definition = loaded.collections[name], definition.derive != nil else {
                let derivations = loaded.derivations.map(\.name)
                throw CLIFailure.user("\(name) is not a derivation of \(options.catalogPath)"
                                      + (derivations.isEmpty ? "" : " (derivations: \(derivations.joined(separator: ", ")))"))
            }
            let problems = DerivationChecks.diagnostics(definition, in: loaded)
            if !problems.isEmpty { throw CLIFailure.user(CatalogError(problems).description) }
            guard let data = FileManager.default.contents(atPath: fixture) else {
                throw CLIFailure.user("\(fixture): cannot read the fixture")
            }
            let parsed: PreviewFixture
            do {
                parsed = try PreviewFixture(text: String(decoding: data, as: UTF8.self), file: fixture, derivation: definition)
            } catch {
                throw CLIFailure.user("\(error)")
            }
            var logger = Logger(label: "sluice")
            logger.logLevel = Logger.Level(rawValue: logLevel) ?? .warning
            let work = FileManager.default.temporaryDirectory.path + "/sluice-preview-\(UUID().uuidString.prefix(8))"
            defer { try? FileManager.default.removeItem(atPath: work) }
            let output = StandardOutput()
            var line: [UInt8] = []
            do {
                try await DerivationPreview.run(catalog: loaded, derivation: name, fixture: parsed, workDirectory: work,
                                                clockStartNanoseconds: CLIClock.unixNanoseconds(clockStart)!, reduced: reduced,
                                                logger: logger) { document in
                    line.removeAll(keepingCapacity: true)
                    JSONSerializer.append(document, to: &line)
                    line.append(0x0A)
                    output.write(line)
                }
            } catch let error as PreviewError {
                output.flush()
                throw CLIFailure.user(error.description)
            } catch {
                output.flush()
                throw CLIFailure.user("\(name): \(error)")
            }
            output.flush()
        }
    }
}
