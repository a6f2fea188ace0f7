// sluice-bench combine.workload / combine.spill (SluiceBench/CombineBenchmarks.swift).
import ArgumentParser
import SluiceBench
import SluiceReduce

struct CombineWorkload: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "combine.workload",
        abstract: "Combine the workload by /id (merge; sum amount, qty; maximize ts) within the default 256 MiB budget, keys partitioned over the threads.")

    @OptionGroup var options: DocumentInputOptions

    @Option(help: "Reduction mode: partial or full.")
    var mode: String = "partial"

    @Option(help: "Threads, each owning a partition of the keys (default: every core).")
    var threads: Int = CombineBenchmarks.threadsDefault

    @Option(help: "The figure's name in the output line.")
    var figure: String = "combine.workload"

    func run() async throws {
        guard mode == "partial" || mode == "full" else { throw ValidationError("--mode is partial or full") }
        guard threads >= 1 && threads <= CombineBenchmarks.threadsMax else { throw ValidationError("--threads is in 1...\(CombineBenchmarks.threadsMax)") }
        print(try CombineBenchmarks.combine(options.workload.spec, file: options.input, figure: figure,
                                            mode: mode == "full" ? .full : .partial,
                                            threads: threads).jsonLine)
    }
}

struct CombineSpill: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "combine.spill", abstract: "The same combine within a memory budget that forces spills (default 64 MiB).")

    @OptionGroup var options: DocumentInputOptions

    @Option(help: "Memory budget in MiB.")
    var budgetMib: Int = 64

    @Option(help: "Threads, each owning a partition of the keys (default: every core).")
    var threads: Int = CombineBenchmarks.threadsDefault

    func run() async throws {
        guard budgetMib >= 0 else { throw ValidationError("--budget-mib must not be negative") }
        guard threads >= 1 && threads <= CombineBenchmarks.threadsMax else { throw ValidationError("--threads is in 1...\(CombineBenchmarks.threadsMax)") }
        print(try CombineBenchmarks.combine(options.workload.spec, file: options.input, figure: "combine.spill",
                                            memoryBudgetBytes: budgetMib << 20, threads: threads).jsonLine)
    }
}
