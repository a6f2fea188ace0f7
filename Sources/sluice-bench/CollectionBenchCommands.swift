import ArgumentParser
import SluiceBench

/// `collection.write`, `collection.read` and `collection.compact`: one run measures all three
/// (each needs the previous one's output); `--figure` picks the line printed last, which is the
/// one Benchmarks/compare.py reads, and the others are printed before it.
struct CollectionRun: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "collection", abstract: "Write, read-committed and compaction of a collection.")

    @OptionGroup var workload: WorkloadOptions
    @OptionGroup var work: JournalWorkOptions
    @Option(help: "Documents per transaction.") var transactionDocuments: Int = 10_000
    @Option(help: "Which figure to print last: write, read or compact.") var figure: String = "write"

    func run() async throws {
        let results = try await CollectionBenchmarks.run(workload.spec, directory: work.workDir,
                                                         transactionDocuments: transactionDocuments)
        let last = results.first { $0.figure == "collection.\(figure)" } ?? results[0]
        for result in results where result.figure != last.figure { print(result.jsonLine) }
        print(last.jsonLine)
    }
}
