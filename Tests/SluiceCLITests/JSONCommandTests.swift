import Foundation
import Testing
@testable import SluiceCLI

@Suite struct JSONCommandTests {
    static func temporaryFile(_ name: String, _ contents: String) throws -> String {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("sluice-json-lint-\(getpid())")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let url = folder.appendingPathComponent(name)
        try Data(contents.utf8).write(to: url)
        return url.path
    }

    @Test func lintParsesFilesAndFlags() throws {
        let command = try SluiceCommand.parseAsRoot(["json", "lint", "a.json", "b.jsonl", "--lines"])
        let lint = try #require(command as? JSONCommand.Lint)
        #expect(lint.files == ["a.json", "b.jsonl"])
        #expect(lint.lines)
        #expect(throws: (any Error).self) { _ = try SluiceCommand.parseAsRoot(["json", "lint"]) }
    }

    @Test func lintHelp() {
        let help = JSONCommand.Lint.helpMessage(columns: 100)
        #expect(help.contains("USAGE: lint <files> ... [--lines]"))
        #expect(help.contains("Treat every file as JSON lines (one document per line)."))
    }

    @Test func lintReportsOkOrWhere() throws {
        let good = try Self.temporaryFile("good.json", #"{"a": [1, 2.5, "x"]}"#)
        let bad = try Self.temporaryFile("bad.json", "{\n  \"a\": 1,\n  \"a\": 2\n}")
        let lines = try Self.temporaryFile("docs.jsonl", "{\"a\":1}\r\n\n[2]\n{\"b\":}\n")
        #expect(JSONCommand.lint(path: good, asLines: false) == .ok(documents: 1))
        #expect(JSONCommand.lint(path: bad, asLines: false) == .invalid(#"line 3, column 3 (byte 14): duplicate property "a""#))
        #expect(JSONCommand.lint(path: lines, asLines: true) == .invalid("line 4, column 6: expected a JSON value, found '}'"))
        #expect(JSONCommand.lint(path: good, asLines: true) == .ok(documents: 1))
        #expect(JSONCommand.lint(path: "/nonexistent/x.json", asLines: false) == .invalid("cannot open (no such file)"))
    }
}
