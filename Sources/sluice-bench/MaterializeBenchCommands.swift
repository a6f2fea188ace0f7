import ArgumentParser
import SluiceBench

/// `materialize.sqlite` and `materialize.postgres`: the workload, ingested once into a
/// collection under the work folder (untimed, reused by later runs), materialized into a fresh
/// table by the engine; docs/s of workload documents.
struct MaterializeRun: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "materialize", abstract: "Materialize the workload's collection into SQLite or PostgreSQL.")

    @OptionGroup var workload: WorkloadOptions
    @OptionGroup var work: JournalWorkOptions
    @Argument(help: "sqlite or postgres.") var target: String
    @Option(help: "PostgreSQL DSN (postgres target): a database whose events and sluice_* tables may be dropped.")
    var dsn: String?
    @Option(help: "Documents per ingest transaction (as sluice ingest --batch; 1,000 leaves ~99.5% of the workload uncombined).")
    var ingestTransactionDocuments: Int = 1_000
    @Option(help: "Most source documents per materialization transaction.") var maxTransactionDocuments: Int = 50_000

    func validate() throws {
        guard target == "sqlite" || target == "postgres" else { throw ValidationError("the target is sqlite or postgres") }
        if target == "postgres", dsn == nil { throw ValidationError("the postgres target needs --dsn") }
    }

    func run() async throws {
        let chosen: MaterializeBenchmarks.Target = target == "sqlite" ? .sqlite : .postgres(dsn: dsn!)
        let result = try await MaterializeBenchmarks.run(workload.spec, target: chosen, directory: work.workDir,
                                                         transactionDocuments: ingestTransactionDocuments,
                                                         maxDocuments: maxTransactionDocuments)
        print(result.jsonLine)
    }
}
