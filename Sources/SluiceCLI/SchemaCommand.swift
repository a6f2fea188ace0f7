import ArgumentParser
import Foundation
import SluiceDocument
import SluiceSchema

/// `sluice schema validate` and `sluice schema test-suite` (docs/cli.md, docs/schema.md).
struct SchemaCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "schema",
        abstract: "JSON schemas: validate documents, run the JSON-Schema-Test-Suite.",
        subcommands: [Validate.self, TestSuite.self])

    struct Validate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Validate JSON lines against a JSON schema.",
            discussion: """
                Reads one document per line from DOCS (standard input when absent). For each invalid \
                document, prints `line N: invalid` and then one line per error: the JSON pointer of the \
                failing value, what is wrong, and the keyword with its place in the schema. Exits 1 if \
                any document is invalid or the schema does not compile. Relative $refs resolve to files \
                beside the schema; nothing is fetched over the network.
                """)

        @Option(help: "The JSON schema file.")
        var schema: String

        @Argument(help: "JSON lines to validate (standard input when absent).")
        var documents: String?

        @Option(help: "Errors reported per document at most.")
        var errorLimit: Int = SchemaOptions.errorLimitDefault

        @Flag(help: "Treat `format` as an annotation only (by default date-time, email, … are checked).")
        var noFormatAssertion = false

        func validate() throws {
            guard errorLimit >= 1 else { throw ValidationError("--error-limit must be at least 1") }
        }

        func run() async throws {
            try await runReportingFailures {
                let compiled: Schema
                do throws(SchemaCompileError) {
                    compiled = try Schema(contentsOfFile: schema,
                                          options: SchemaOptions(formatAssertion: !noFormatAssertion, errorLimit: errorLimit))
                } catch {
                    throw CLIFailure.user(error.description)
                }
                let input: FileHandle
                if let documents {
                    guard let handle = FileHandle(forReadingAtPath: documents) else {
                        throw CLIFailure.user("\(documents): cannot open (\(FileManager.default.fileExists(atPath: documents) ? "permission denied" : "no such file"))")
                    }
                    input = handle
                } else {
                    input = FileHandle.standardInput
                }
                defer { if documents != nil { try? input.close() } }
                let name = documents ?? "standard input"
                let output = StandardOutput()
                let counts = try SchemaCommand.validateLines(input, schema: compiled, output: output)
                output.flush()
                if counts.invalid > 0 {
                    throw CLIFailure.user("\(name): \(counts.invalid) of \(counts.total) documents invalid")
                }
                printError("\(name): \(counts.total) documents valid")
            }
        }
    }

    /// Validates each JSON line of `input`, printing reports of invalid ones to `output`.
    static func validateLines(_ input: FileHandle, schema: Schema, output: StandardOutput) throws -> (total: Int, invalid: Int) {
        var validator = schema.validator()
        var parser = JSONParser()
        var splitter = JSONLinesSplitter()
        var total = 0
        var invalid = 0
        let check: (UnsafeRawBufferPointer, Int) throws -> Void = { line, number in
            total += 1
            let document: Document
            do throws(JSONParseError) {
                document = try parser.parse(line)
            } catch {
                invalid += 1
                output.write("line \(number): invalid JSON: \(error)\n")
                return
            }
            do throws(ValidationFailure) {
                _ = try validator.validate(document)
            } catch {
                invalid += 1
                output.write("line \(number): invalid\n")
                for failure in error.errors { output.write("  \(failure)\n") }
                if error.isTruncated { output.write("  … more errors not shown (limit \(error.errors.count))\n") }
            }
        }
        do {
            while let chunk = try input.read(upToCount: 1 << 20), !chunk.isEmpty {
                try chunk.withUnsafeBytes { try splitter.feed($0, check) }
            }
            try splitter.finish(check)
        } catch let error as JSONLinesError {
            throw CLIFailure.user(error.description)
        } catch let failure as CLIFailure {
            throw failure
        } catch {
            throw CLIFailure.internal("cannot read the documents: \(error)")
        }
        return (total, invalid)
    }

    struct TestSuite: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "test-suite",
            abstract: "Run JSON-Schema-Test-Suite files and report pass/fail per file.",
            discussion: """
                Runs every .json file under DIR (recursively; each a list of {description, schema, \
                tests}), with documents named http://localhost:1234/… served from the remotes folder \
                (DIR/../remotes unless --remotes is given). The dialect of schemas without $schema \
                follows DIR's name (draft2020-12, draft2019-09, draft7). As the suite expects, \
                `format` is an assertion only in optional/format files. Prints a line per file, the \
                failed tests under it, and ends with `N passed, N failed`; exits 1 if any test failed.
                """)

        @Argument(help: "A folder of suite files, such as ../shared/conformance/json-schema/draft2020-12.")
        var directory: String

        @Option(help: "The folder served as http://localhost:1234/ (default: DIR/../remotes).")
        var remotes: String?

        @Flag(help: "Print only the per-file lines and the total, not each failed test.")
        var quiet = false

        func run() async throws {
            try await runReportingFailures {
                var isDirectory: ObjCBool = false
                guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue else {
                    throw CLIFailure.user("\(directory): no such folder")
                }
                let results = SchemaTestSuite.run(directory: directory, remotes: remotes)
                guard !results.isEmpty else { throw CLIFailure.user("\(directory): no .json suite files") }
                let output = StandardOutput()
                var passed = 0
                var failed = 0
                for result in results {
                    passed += result.passed
                    failed += result.failed
                    output.write("\(result.failed == 0 ? "pass" : "FAIL") \(result.path): \(result.passed) passed, \(result.failed) failed\n")
                    if !quiet {
                        for failure in result.failures { output.write("    \(failure)\n") }
                    }
                }
                output.write("\(passed) passed, \(failed) failed\n")
                output.flush()
                if failed > 0 { throw ExitCode(1) }
            }
        }
    }
}
