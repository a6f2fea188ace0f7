// sluice-bench json.parse / json.serialize / json.key (SluiceBench/DocumentBenchmarks.swift).
import ArgumentParser
import SluiceBench

/// The workload, or a JSON-lines file holding it (the file the peer reads).
struct DocumentInputOptions: ParsableArguments {
    @OptionGroup var workload: WorkloadOptions

    @Option(help: "Read the JSON lines from this file instead of generating them.")
    var input: String?
}

struct JSONParse: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "json.parse", abstract: "Parse JSON lines into documents.")

    @OptionGroup var options: DocumentInputOptions

    func run() async throws {
        print(try DocumentBenchmarks.parse(options.workload.spec, file: options.input).jsonLine)
    }
}

struct JSONSerialize: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "json.serialize", abstract: "Serialize documents to canonical JSON lines.")

    @OptionGroup var options: DocumentInputOptions

    func run() async throws {
        print(try DocumentBenchmarks.serialize(options.workload.spec, file: options.input).jsonLine)
    }
}

struct JSONKey: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "json.key", abstract: "Extract and pack the key [/customer/cid, /id] of each document.")

    @OptionGroup var options: DocumentInputOptions

    func run() async throws {
        print(try DocumentBenchmarks.key(options.workload.spec, file: options.input).jsonLine)
    }
}

struct JSONTape: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "json.tape", abstract: "Write each document's tape bytes and read them back.")

    @OptionGroup var options: DocumentInputOptions

    func run() async throws {
        print(try DocumentBenchmarks.tape(options.workload.spec, file: options.input).jsonLine)
    }
}
