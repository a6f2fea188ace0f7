import Foundation
import Testing
@testable import SluiceCLI

/// `sluice schema validate` and `sluice schema test-suite`, parsed in-process and run as the
/// built `sluice` binary (make test builds it before the tests run).
@Suite struct SchemaCommandTests {
    /// The `sluice` binary beside the test bundle, if built.
    static let binary: URL? = {
        let folder = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        for candidate in [folder, folder.deletingLastPathComponent()] {
            let url = candidate.appendingPathComponent("sluice")
            if FileManager.default.isExecutableFile(atPath: url.path) { return url }
        }
        return nil
    }()

    static func run(_ arguments: [String], input: String = "") throws -> (status: Int32, output: String, error: String) {
        let process = Process()
        guard let binary else { throw CLIFailure.internal("the sluice binary is not built") }
        process.executableURL = binary
        process.arguments = arguments
        let stdin = Pipe()
        let stdout = Pipe()
        let stderr = Pipe()
        process.standardInput = stdin
        process.standardOutput = stdout
        process.standardError = stderr
        try process.run()
        stdin.fileHandleForWriting.write(Data(input.utf8))
        try stdin.fileHandleForWriting.close()
        let output = stdout.fileHandleForReading.readDataToEndOfFile()
        let error = stderr.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: output, as: UTF8.self), String(decoding: error, as: UTF8.self))
    }

    static func folder() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("sluice-schema-cli-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    static let schema = ##"""
        {"type": "object", "required": ["id"],
         "properties": {"id": {"type": "string"}, "tier": {"enum": ["free", "gold"]}, "ts": {"type": "string", "format": "date-time"}}}
        """##

    @Test func parsesItsArguments() throws {
        let command = try SluiceCommand.parseAsRoot(["schema", "validate", "--schema", "s.json", "docs.jsonl", "--error-limit", "5"])
        let validate = try #require(command as? SchemaCommand.Validate)
        #expect(validate.schema == "s.json")
        #expect(validate.documents == "docs.jsonl")
        #expect(validate.errorLimit == 5)
        #expect(throws: (any Error).self) { _ = try SluiceCommand.parseAsRoot(["schema", "validate", "docs.jsonl"]) }
        let suite = try #require(try SluiceCommand.parseAsRoot(["schema", "test-suite", "dir", "--remotes", "r"]) as? SchemaCommand.TestSuite)
        #expect(suite.directory == "dir" && suite.remotes == "r")
    }

    @Test func validateHelp() {
        let help = SchemaCommand.Validate.helpMessage(columns: 100)
        #expect(help.contains("USAGE: validate --schema <schema> [<documents>] [--error-limit <error-limit>] [--no-format-assertion]"))
        #expect(help.contains("prints `line N: invalid`"))
    }

    @Test(.enabled(if: binary != nil, "the sluice binary is not built"))
    func validateReportsInvalidLinesAndExitsOne() throws {
        let folder = try Self.folder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let schemaPath = folder.appendingPathComponent("s.json").path
        try Data(Self.schema.utf8).write(to: URL(fileURLWithPath: schemaPath))
        let documents = #"""
            {"id": "a", "tier": "gold"}
            {"tier": "platinum", "ts": "yesterday"}

            {"id": 7}
            not json
            """#
        let documentsPath = folder.appendingPathComponent("d.jsonl").path
        try Data(documents.utf8).write(to: URL(fileURLWithPath: documentsPath))
        let expected = """
            line 2: invalid
              (root): missing required property "id" (required at file://\(schemaPath)#/required)
              /tier: "platinum" is not one of "free", "gold" (enum at file://\(schemaPath)#/properties/tier/enum)
              /ts: "yesterday" is not a valid date-time: expected an RFC 3339 date-time such as 2024-01-01T00:00:00.229Z (format at file://\(schemaPath)#/properties/ts/format)
            line 4: invalid
              /id: expected string, found integer 7 (type at file://\(schemaPath)#/properties/id/type)
            line 5: invalid JSON: line 1, column 1 (byte 0): expected null, found 'n'

            """
        let fromFile = try Self.run(["schema", "validate", "--schema", schemaPath, documentsPath])
        #expect(fromFile.status == 1)
        #expect(fromFile.output == expected)
        #expect(fromFile.error == "error: \(documentsPath): 3 of 4 documents invalid\n")
        let fromStandardInput = try Self.run(["schema", "validate", "--schema", schemaPath], input: documents)
        #expect(fromStandardInput.status == 1)
        #expect(fromStandardInput.output == expected)
        let valid = try Self.run(["schema", "validate", "--schema", schemaPath], input: #"{"id": "x"}"# + "\n")
        #expect(valid.status == 0 && valid.output.isEmpty)
        #expect(valid.error == "standard input: 1 documents valid\n")
    }

    @Test(.enabled(if: binary != nil, "the sluice binary is not built"))
    func validateRejectsABadSchema() throws {
        let folder = try Self.folder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let schemaPath = folder.appendingPathComponent("bad.json").path
        try Data(#"{"properties": {"id": {"pattern": "(" }}}"#.utf8).write(to: URL(fileURLWithPath: schemaPath))
        let result = try Self.run(["schema", "validate", "--schema", schemaPath], input: "{}\n")
        #expect(result.status == 1)
        #expect(result.error == "error: schema file://\(schemaPath)#/properties/id/pattern: invalid regular expression \"(\": missing ')' at character 2\n")
    }

    @Test(.enabled(if: binary != nil, "the sluice binary is not built"))
    func testSuiteEndsWithTheTotals() throws {
        let folder = try Self.folder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let suite = folder.appendingPathComponent("draft2020-12")
        let remotes = folder.appendingPathComponent("remotes")
        try FileManager.default.createDirectory(at: suite, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(at: remotes, withIntermediateDirectories: true)
        try Data(#"{"type": "integer"}"#.utf8).write(to: remotes.appendingPathComponent("integer.json"))
        try Data(#"""
            [{"description": "remote", "schema": {"$ref": "http://localhost:1234/integer.json"},
              "tests": [{"description": "int", "data": 1, "valid": true}, {"description": "string", "data": "a", "valid": false}]},
             {"description": "wrong on purpose", "schema": {"minimum": 3},
              "tests": [{"description": "two", "data": 2, "valid": true}]}]
            """#.utf8).write(to: suite.appendingPathComponent("sample.json"))
        let result = try Self.run(["schema", "test-suite", suite.path])
        #expect(result.status == 1)
        #expect(result.output == """
            FAIL sample.json: 2 passed, 1 failed
                wrong on purpose / two: expected valid, got invalid: (root): 2 is less than the minimum 3 (minimum at urn:sluice:schema#/minimum)
            2 passed, 1 failed

            """)
        let missing = try Self.run(["schema", "test-suite", folder.appendingPathComponent("nope").path])
        #expect(missing.status == 1)
    }
}
