import ArgumentParser
import SluiceCatalog
import SluiceRuntime

/// `sluice check [CATALOG]`: every problem of a catalog at once.
struct CheckCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Check a catalog: structure, references, schemas, keys, partitions and lambdas.",
        discussion: "Reports every error at once as FILE:LINE:COLUMN: PATH: MESSAGE; exit code 0 when valid, 1 when not.")

    @Argument(help: "The catalog file (default: --catalog, or flow.yaml).") var catalogFile: String?
    @OptionGroup var catalog: CatalogOption

    func run() async throws {
        try await runReportingFailures {
            var options = catalog
            if let catalogFile { options.catalogPath = catalogFile }
            let loaded = try options.load()
            let problems = CatalogCheck.diagnostics(loaded)
            if !problems.isEmpty {
                throw CLIFailure.user(CatalogError(problems).description)
            }
            let derivations = loaded.derivations.count
            print("ok: \(loaded.collections.count) collections (\(derivations) derivations), \(loaded.captures.count) captures, "
                  + "\(loaded.materializations.count) materializations, \(loaded.tests.count) tests in \(loaded.files.count) files")
        }
    }
}
