// sluice-bench schema.validate (SluiceBench/SchemaBenchmarks.swift).
import ArgumentParser
import SluiceBench

struct SchemaValidate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "schema.validate", abstract: "Validate each document against the workload's JSON schema.")

    @OptionGroup var options: DocumentInputOptions

    func run() async throws {
        print(try SchemaBenchmarks.validate(options.workload.spec, file: options.input).jsonLine)
    }
}
