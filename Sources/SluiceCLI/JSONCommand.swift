import ArgumentParser
import Foundation
import SluiceDocument

/// `sluice json lint FILE…`: checks JSON files with Sluice's strict parser (docs/cli.md).
struct JSONCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "json",
        abstract: "JSON documents: check files with Sluice's strict parser.",
        subcommands: [Lint.self])

    struct Lint: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check that each file holds one valid JSON value (or valid JSON lines).",
            discussion: """
                Prints `FILE: ok` for each valid file on standard output, and `FILE: <where>: <what>` \
                for each invalid one on standard error; exits 1 if any file is invalid. Strict RFC 8259: \
                UTF-8 only, no byte order mark, no duplicate property names, numbers within the range \
                of a double, at most 256 nested arrays and objects. Files ending in .jsonl or .ndjson \
                (or all files, with --lines) are JSON lines: one document per line, blank lines allowed.
                """)

        @Argument(help: "Files to check.")
        var files: [String]

        @Flag(help: "Treat every file as JSON lines (one document per line).")
        var lines = false

        func validate() throws {
            guard !files.isEmpty else { throw ValidationError("give at least one FILE") }
        }

        func run() async throws {
            try await runReportingFailures {
                var invalid = 0
                for file in files {
                    let asLines = lines || file.hasSuffix(".jsonl") || file.hasSuffix(".ndjson")
                    let outcome = JSONCommand.lint(path: file, asLines: asLines)
                    switch outcome {
                    case .ok(let documents):
                        print(asLines ? "\(file): ok (\(documents) documents)" : "\(file): ok")
                    case .invalid(let message):
                        invalid += 1
                        printError("\(file): \(message)")
                    }
                }
                if invalid > 0 {
                    throw CLIFailure.user("\(invalid) of \(files.count) files invalid")
                }
            }
        }
    }

    enum LintOutcome: Equatable {
        case ok(documents: Int)
        case invalid(String)
    }

    /// Checks one file. A file that cannot be read is reported as invalid, naming the cause.
    static func lint(path: String, asLines: Bool) -> LintOutcome {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            return .invalid("cannot open (\(FileManager.default.fileExists(atPath: path) ? "permission denied" : "no such file"))")
        }
        defer { try? handle.close() }
        var parser = JSONParser()
        do {
            if !asLines {
                let bytes = try handle.readToEnd() ?? Data()
                try bytes.withUnsafeBytes { buffer in _ = try parser.parse(buffer) }
                return .ok(documents: 1)
            }
            var splitter = JSONLinesSplitter()
            var documents = 0
            let check: (UnsafeRawBufferPointer, Int) throws -> Void = { line, number in
                do throws(JSONParseError) {
                    try parser.validate(line)
                    documents += 1
                } catch {
                    throw JSONLinesError.invalidDocument(line: number, error)
                }
            }
            while let chunk = try handle.read(upToCount: 1 << 20), !chunk.isEmpty {
                try chunk.withUnsafeBytes { try splitter.feed($0, check) }
            }
            try splitter.finish(check)
            return .ok(documents: documents)
        } catch let error as JSONParseError {
            return .invalid(error.description)
        } catch let error as JSONLinesError {
            return .invalid(error.description)
        } catch {
            return .invalid("cannot read: \(error)")
        }
    }
}
