import ArgumentParser
import SluiceWorkload

/// `sluice workload generate`: writes the standard benchmark workload as JSON lines.
struct WorkloadCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "workload",
        abstract: "The standard benchmark workload (deterministic CRM-like documents).",
        subcommands: [Generate.self])

    struct Generate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write the workload as JSON lines to standard output.")

        @Option(help: "Number of documents.")
        var documents: Int = WorkloadSpec.standard.documents

        @Option(help: "Number of distinct `id` keys.")
        var keys: Int = WorkloadSpec.standard.keys

        @Option(help: "Seed of the generator.")
        var seed: UInt64 = WorkloadSpec.defaultSeed

        func validate() throws {
            guard documents >= 0 else { throw ValidationError("--documents must not be negative") }
            guard (1...99_999_999).contains(keys) else {
                throw ValidationError("--keys must be between 1 and 99999999")
            }
        }

        func run() async throws {
            var generator = WorkloadGenerator(WorkloadSpec(documents: documents, keys: keys, seed: seed))
            let output = StandardOutput()
            var chunk: [UInt8] = []
            chunk.reserveCapacity(1 << 20)
            while !generator.isExhausted {
                chunk.removeAll(keepingCapacity: true)
                generator.appendLines(2048, to: &chunk)
                output.write(chunk)
            }
            output.flush()
        }
    }
}
