import ArgumentParser
import SluiceBench

/// `derive.sqlite` and `derive.swift`: the workload derived into a sum-reduced collection
/// (DeriveBenchmarks).
struct DeriveRun: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "derive", abstract: "A derivation over the workload: a SQLite lambda or a Swift closure.")

    @OptionGroup var workload: WorkloadOptions
    @OptionGroup var work: JournalWorkOptions
    @Option(help: "The transform: sqlite or swift.") var kind: String = "sqlite"
    @Option(help: "Source documents per derivation transaction.") var transactionDocuments: Int = 50_000

    func validate() throws {
        guard DeriveBenchmarks.Kind(rawValue: kind) != nil else { throw ValidationError("--kind is sqlite or swift") }
    }

    func run() async throws {
        let result = try await DeriveBenchmarks.run(workload.spec, kind: DeriveBenchmarks.Kind(rawValue: kind)!, directory: work.workDir,
                                                    transactionDocuments: transactionDocuments)
        print(result.jsonLine)
    }
}
