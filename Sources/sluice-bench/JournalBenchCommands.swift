import ArgumentParser
import SluiceBench
import SluiceJournal

/// Where journal benchmarks keep their files: on the filesystem the peers write to.
struct JournalWorkOptions: ParsableArguments {
    @Option(help: "Folder for the benchmark's journals (the peer uses the same filesystem).")
    var workDir: String = "Benchmarks/results/work"
}

struct JournalAppend: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "journal.append", abstract: "Durable appends of the workload (group commit).")

    @OptionGroup var workload: WorkloadOptions
    @OptionGroup var work: JournalWorkOptions

    @Option(help: "Codec of sealed fragments: none, lz4, zstd[:LEVEL].")
    var codec: String = "zstd:1"

    @Option(help: "Bytes per append (whole lines).")
    var batchBytes: Int = 1 << 20

    @Option(help: "Appends written ahead of their commit.")
    var inFlight: Int = 32

    @Option(help: "fsync policy: always, group or none.")
    var fsync: String = "group"

    @Option(help: "Fragment length target in bytes.")
    var fragmentBytes: Int64 = JournalSpec().fragmentLengthBytes

    @Flag(inversion: .prefixedNo, help: "Run once untimed first (as the dd peer does).")
    var warmup = true

    func run() async throws {
        guard let policy = FsyncPolicy(rawValue: fsync) else { throw ValidationError("--fsync: always, group or none") }
        let result = try await JournalBenchmarks.append(
            workload.spec, directory: work.workDir + "/journal-append", codec: FragmentCodec(parsing: codec),
            fsyncPolicy: policy, batchBytes: batchBytes, inFlight: inFlight,
            fragmentLengthBytes: fragmentBytes, warmup: warmup)
        print(result.jsonLine)
    }
}

struct JournalReplay: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "journal.replay", abstract: "Read the sealed workload journal back from offset 0.")

    @OptionGroup var workload: WorkloadOptions
    @OptionGroup var work: JournalWorkOptions

    @Option(help: "Codec of the journal's fragments: none, lz4, zstd[:LEVEL].")
    var codec: String = "zstd:1"

    @Flag(help: "Only create the journal (when missing) and print the folder of its fragments.")
    var prepare = false

    func run() async throws {
        let codec = try FragmentCodec(parsing: codec)
        let directory = work.workDir + "/journal-replay"
        if prepare {
            let journal = try await JournalBenchmarks.prepareReplay(workload.spec, directory: directory, codec: codec)
            await journal.close()
            print(journal.directory + "/fragments")
            return
        }
        print(try await JournalBenchmarks.replay(workload.spec, directory: directory, codec: codec).jsonLine)
    }
}

struct JournalTail: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "journal.tail", abstract: "Wake-up latency of a reader blocked at the head.")

    @OptionGroup var work: JournalWorkOptions

    @Option(help: "Number of appends (each one wake-up).")
    var appends: Int = 5_000

    func run() async throws {
        print(try await JournalBenchmarks.tail(directory: work.workDir + "/journal-tail", appends: appends).jsonLine)
    }
}
