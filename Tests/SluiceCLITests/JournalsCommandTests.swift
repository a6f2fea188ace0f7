import Foundation
import Testing
@testable import SluiceCLI

@Suite struct JournalsCommandParsingTests {
    @Test func appendParsesSpecOptions() throws {
        let command = try SluiceCommand.parseAsRoot([
            "journals", "append", "acme/orders", "--data-dir", "/tmp/d", "--codec", "zstd:3", "--fsync", "always",
            "--fragment-bytes", "16MiB", "--batch-bytes", "64KiB", "--retention-bytes", "1GiB", "--seal",
        ])
        let append = try #require(command as? JournalsCommand.Append)
        #expect(append.name == "acme/orders" && append.data.dataDirectory == "/tmp/d")
        #expect(append.fragmentBytes == 16 << 20 && append.batchBytes == 64 << 10 && append.retentionBytes == 1 << 30)
        #expect(append.seal && append.fsync == .always && append.codec == "zstd:3")
        let (spec, given) = try append.requestedSpec()
        #expect(given && spec.codec == .zstd(level: 3) && spec.fragmentLengthBytes == 16 << 20)
    }

    @Test func readDefaults() throws {
        let read = try #require(try SluiceCommand.parseAsRoot(["journals", "read", "acme/orders"]) as? JournalsCommand.Read)
        #expect(read.offset == 0 && read.end == nil && !read.block && read.data.dataDirectory == "./sluice-data")
    }

    @Test(arguments: [
        ["journals", "append", "acme/orders", "--fsync", "sometimes"],
        ["journals", "append", "acme/orders", "--batch-bytes", "0"],
        ["journals", "append", "acme/orders", "--fragment-bytes", "12XB"],
        ["journals", "read"],
    ])
    func rejectsBadArguments(_ arguments: [String]) {
        #expect(throws: (any Error).self) { _ = try SluiceCommand.parseAsRoot(arguments) }
    }

    @Test func byteCounts() throws {
        #expect(try ByteCount.parse("4096") == 4096)
        #expect(try ByteCount.parse("64KiB") == 65536)
        #expect(try ByteCount.parse("2M") == 2 << 20)
        #expect(try ByteCount.parse("1GiB") == 1 << 30)
        #expect(throws: (any Error).self) { try ByteCount.parse("-1") }
        #expect(throws: (any Error).self) { try ByteCount.parse("lots") }
    }
}

/// The `sluice` binary end to end: standard input, output, errors and exit codes.
@Suite struct JournalsCommandProcessTests {
    struct Outcome {
        var status: Int32
        var output: String
        var error: String
    }

    static func sluice() throws -> String {
        let bundleFolder = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        for candidate in [bundleFolder.appendingPathComponent("sluice").path,
                          packageRoot.appendingPathComponent(".build/debug/sluice").path]
        where FileManager.default.isExecutableFile(atPath: candidate) {
            return candidate
        }
        Issue.record("the sluice binary is not built; run `swift build` (make test does)")
        throw CancellationError()
    }

    static func run(_ arguments: [String], input: String = "") throws -> Outcome {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try sluice())
        process.arguments = arguments
        let standardInput = Pipe()
        let standardOutput = Pipe()
        let standardError = Pipe()
        process.standardInput = standardInput
        process.standardOutput = standardOutput
        process.standardError = standardError
        try process.run()
        standardInput.fileHandleForWriting.write(Data(input.utf8))
        try standardInput.fileHandleForWriting.close()
        let output = standardOutput.fileHandleForReading.readDataToEndOfFile()
        let error = standardError.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Outcome(status: process.terminationStatus, output: String(decoding: output, as: UTF8.self),
                       error: String(decoding: error, as: UTF8.self))
    }

    @Test func appendReadListFragmentsPrune() throws {
        let folder = FileManager.default.temporaryDirectory.path + "/sluice-cli-\(UUID().uuidString.prefix(8))"
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let lines = (0..<200).map { "{\"n\":\($0),\"pad\":\"\(String(repeating: "x", count: $0 % 50))\"}\n" }.joined()
        let appended = try Self.run(["journals", "append", "test/cli", "--data-dir", folder, "--batch-bytes", "1KiB",
                                     "--fragment-bytes", "2KiB", "--codec", "lz4", "--seal"], input: lines)
        #expect(appended.status == 0, "\(appended.error)")
        #expect(appended.output.hasPrefix(#"{"journal":"test/cli","appends":"#))
        #expect(appended.output.hasSuffix(#""bytes":\#(lines.utf8.count),"begin":0,"end":\#(lines.utf8.count)}"# + "\n"))

        let read = try Self.run(["journals", "read", "test/cli", "--data-dir", folder])
        #expect(read.status == 0 && read.output == lines)
        let part = try Self.run(["journals", "read", "test/cli", "--data-dir", folder, "--offset", "5", "--end", "20"])
        #expect(part.output == String(decoding: Array(lines.utf8)[5..<20], as: UTF8.self))

        let list = try Self.run(["journals", "list", "--data-dir", folder])
        #expect(list.output == "name\tfirst\thead\tfragments\tcodec\tfsync\n"
                + "test/cli\t0\t\(lines.utf8.count)\t\(list.output.split(separator: "\t")[8])\tlz4\tgroup\n")

        let fragments = try Self.run(["journals", "fragments", "test/cli", "--data-dir", folder])
        let rows = fragments.output.split(separator: "\n").dropFirst()
        #expect(rows.count > 3)
        #expect(rows.dropLast().allSatisfy { $0.contains("\tlz4\tfragments/") && $0.hasSuffix(".lz4") })
        #expect(rows.last?.contains("\tspool\tspool-") == true)

        let pruned = try Self.run(["journals", "prune", "test/cli", "--data-dir", folder, "--retention-bytes", "2000"])
        #expect(pruned.status == 0 && pruned.output.hasPrefix("pruned\tfragments/0000000000000000-"))
        let afterPrune = try Self.run(["journals", "read", "test/cli", "--data-dir", folder])
        #expect(afterPrune.status == 0 && lines.hasSuffix(afterPrune.output) && afterPrune.output.count < lines.count)
        #expect(afterPrune.error.hasPrefix("notice: offsets 0..<"))
        #expect(afterPrune.error.contains("of test/cli are no longer available (pruned); continuing at"))

        // Whole-input framing, and an expected offset that does not match.
        let whole = try Self.run(["journals", "append", "test/whole", "--data-dir", folder, "--framing", "none"],
                                 input: "no newline at the end")
        #expect(whole.status == 0 && whole.output.contains(#""appends":1,"bytes":21"#))
        let wrong = try Self.run(["journals", "append", "test/whole", "--data-dir", folder, "--expected-offset", "3"],
                                 input: "more\n")
        #expect(wrong.status == 1 && wrong.error == "error: append expected the head at offset 3, but it is at 21\n")
        let mismatch = try Self.run(["journals", "append", "test/whole", "--data-dir", folder, "--codec", "lz4"], input: "x\n")
        #expect(mismatch.status == 1 && mismatch.error.hasPrefix("error: journal test/whole exists with spec codec zstd:1"))
    }

    @Test func errorsNameThePlaceAndExitWithTheRightCode() throws {
        let folder = FileManager.default.temporaryDirectory.path + "/sluice-cli-\(UUID().uuidString.prefix(8))"
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let missing = try Self.run(["journals", "read", "test/missing", "--data-dir", folder])
        #expect(missing.status == 1 && missing.error == "error: journal test/missing does not exist under \(folder)\n")
        let badName = try Self.run(["journals", "read", "a//b", "--data-dir", folder])
        #expect(badName.status == 1 && badName.error == "error: invalid journal name \"a//b\": must not contain \"//\"\n")
        _ = try Self.run(["journals", "append", "test/short", "--data-dir", folder], input: "abc\n")
        let beyond = try Self.run(["journals", "read", "test/short", "--data-dir", folder, "--offset", "10"])
        #expect(beyond.status == 1 && beyond.error == "error: offset 10 is beyond the journal's head 4\n")
        let file = folder + "/plain-file"
        try Data("x".utf8).write(to: URL(fileURLWithPath: file))
        let notDirectory = try Self.run(["journals", "list", "--data-dir", file])
        #expect(notDirectory.status == 2 && notDirectory.error.hasPrefix("error: use as data directory \(file): Not a directory"))
    }
}
