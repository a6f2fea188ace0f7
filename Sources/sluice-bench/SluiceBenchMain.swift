// sluice-bench: runs one benchmark body of SluiceBench at full size and prints its result as
// one JSON line. Benchmarks/compare.py runs it beside a peer; see docs/benchmarks.md.
import ArgumentParser
import SluiceBench
import SluiceWorkload

@main
struct SluiceBenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sluice-bench",
        abstract: "Run one Sluice benchmark and print its result as a JSON line.",
        subcommands: [GenerateWorkload.self, JSONParse.self, JSONSerialize.self, JSONKey.self, JSONTape.self,
                      JournalAppend.self, JournalReplay.self, JournalTail.self, SchemaValidate.self,
                      CombineWorkload.self, CombineSpill.self, CollectionRun.self,
                      CaptureFiles.self, CaptureHTTP.self, CaptureHTTPLoad.self, MaterializeRun.self, CDCCapture.self, DeriveRun.self])
}

/// Options every benchmark shares: the workload.
struct WorkloadOptions: ParsableArguments {
    @Option(help: "Number of documents.")
    var documents: Int = WorkloadSpec.standard.documents

    @Option(help: "Number of distinct keys.")
    var keys: Int = WorkloadSpec.standard.keys

    @Option(help: "Seed of the workload generator.")
    var seed: UInt64 = WorkloadSpec.defaultSeed

    var spec: WorkloadSpec { WorkloadSpec(documents: documents, keys: keys, seed: seed) }
}

struct GenerateWorkload: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "workload.generate", abstract: "Generate the workload in memory.")

    @OptionGroup var workload: WorkloadOptions

    func run() async throws {
        print(WorkloadBenchmarks.generate(workload.spec).jsonLine)
    }
}
