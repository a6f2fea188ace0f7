// SluiceCLI: the `sluice` command line as a library, so commands can be parsed and tested
// in-process. The `sluice` executable only calls `SluiceCommand.main()`.
//
// Conventions (docs/cli.md): every command takes `--data-dir DIR` (default `./sluice-data`)
// where it touches data; exit code 0 means success, 1 a user error (bad input, failed test,
// invalid catalog), 2 an internal or environment error; errors go to stderr and name the file,
// line, path or offset at fault; output meant for programs goes to stdout.
public import ArgumentParser
import Foundation

public struct SluiceCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "sluice",
        abstract: "An embedded stream-processing engine with a durable log.",
        subcommands: [
            WorkloadCommand.self,
            JSONCommand.self,
            JournalsCommand.self,
            RunCommand.self,
            CheckCommand.self,
            StatsCommand.self,
            CollectionsCommand.self,
            IngestCommand.self,
            SchemaCommand.self,
            DiscoverCommand.self,
            TestCommand.self,
            PreviewCommand.self,
        ])

    public init() {}
}

extension SluiceCommand {
    /// Runs the command line with Sluice's exit codes: argument-parser reports usage errors
    /// with 64 (EX_USAGE); Sluice's convention is 1 for every user error (docs/cli.md).
    public static func mainWithSluiceExitCodes(_ arguments: [String]? = nil) async {
        do {
            var command = try parseAsRoot(arguments)
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            if exitCode(for: error).rawValue == 64 {
                printError(fullMessage(for: error))
                Foundation.exit(1)
            }
            exit(withError: error)
        }
    }
}
