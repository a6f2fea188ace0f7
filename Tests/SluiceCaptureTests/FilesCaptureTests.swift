import Foundation
import Testing
import SluiceCapture
import SluiceDocument
import SluiceRuntime
import SluiceTask
import SluiceTestSupport
import SluiceWorkload

/// A collection of events keyed by /id, and a files capture into it.
func filesCatalog(path: String, follow: Bool = false, format: String? = nil, schemaProperties: String? = nil) -> String {
    let properties = schemaProperties ?? "{id: {type: integer}, name: {type: string}, amount: {type: number}}"
    let formatLine = format.map { ", format: \($0)" } ?? ""
    return """
    collections:
      test/events:
        schema: {type: object, required: [id], properties: \(properties)}
        key: [/id]
    captures:
      test/files:
        endpoint: {files: {}}
        bindings: [{resource: {path: "\(path)", follow: \(follow)\(formatLine)}, target: test/events}]
    """
}

func eventLines(_ ids: Range<Int>) -> String {
    ids.map { #"{"id":\#($0),"name":"n\#($0)","amount":\#($0).5}"# }.joined(separator: "\n") + "\n"
}

func ids(_ documents: [JSONValue]) -> [Int] {
    documents.compactMap { if case .int(let id)? = $0.object?["id"] { Int(id) } else { nil } }
}

@Suite struct FilesCaptureTests {
    /// Small chunks and checkpoints, so files span several batches and transactions.
    static let connector = FilesCapture(pollIntervalSeconds: 0.02, checkpointDocuments: 7, readChunkBytes: 4096)

    @Test func jsonLinesFilesAreCapturedOnceInOrder() async throws {
        let harness = try CaptureHarness("files-jsonl", catalog: filesCatalog(path: "in/*.jsonl"))
        defer { harness.directory.remove() }
        try harness.directory.write("in/a.jsonl", eventLines(0..<100))
        try harness.directory.write("in/b.jsonl", eventLines(100..<250))
        try harness.directory.write("in/skip.csv", "id\n1\n")
        try await harness.runUntilIdle(["files": Self.connector])
        let documents = try await harness.committed("test/events")
        #expect(ids(documents) == Array(0..<250))
        #expect(documents.first == ["id": 0, "name": "n0", "amount": 0.5])
    }

    @Test(arguments: Compressor.allCases)
    func compressedInputs(_ compressor: Compressor) async throws {
        let harness = try CaptureHarness("files-\(compressor)", catalog: filesCatalog(path: "in/*"))
        defer { harness.directory.remove() }
        // Large enough for several compressed blocks and read chunks; a last line without a newline.
        var text = eventLines(0..<3_000)
        text.removeLast()
        let compressed = try compressor.compress(try harness.directory.write("in/events.jsonl", text))
        #expect(compressed.hasSuffix(".jsonl." + compressor.fileExtension))
        try await harness.runUntilIdle(["files": FilesCapture(checkpointDocuments: 1_000, readChunkBytes: 16 << 10)])
        #expect(ids(try await harness.committed("test/events")) == Array(0..<3_000))
    }

    @Test func csvCellsAreTypedByTheSchema() async throws {
        let properties = """
            {id: {type: integer}, name: {type: string}, amount: {type: number}, active: {type: boolean},
             note: {type: [string, "null"]}, code: {type: string}, extra: {}}
            """
        let harness = try CaptureHarness("files-csv", catalog: filesCatalog(path: "in/*.csv", schemaProperties: properties))
        defer { harness.directory.remove() }
        try harness.directory.write("in/a.csv", """
            id,name,amount,active,note,code,extra\r
            1,Ann,2.5,true,,007,12\r
            2,"Bob ""B"", Jr.",3,false,"two
            lines",,x\r
            \r
            3,"",-1e2,true,"",0,\r

            """)
        try await harness.runUntilIdle(["files": Self.connector])
        let documents = try await harness.committed("test/events")
        #expect(documents == [
            ["id": 1, "name": "Ann", "amount": 2.5, "active": true, "note": .null, "code": "007", "extra": 12],
            ["id": 2, "name": "Bob \"B\", Jr.", "amount": 3, "active": false, "note": "two\nlines", "code": "", "extra": "x"],
            ["id": 3, "name": "", "amount": -100.0, "active": true, "note": "", "code": "0", "extra": .null],
        ])
    }

    /// A compressed CSV file: its header is read from the decoded start, also when resuming.
    @Test func compressedCSVResumesAfterItsLastRecord() async throws {
        let harness = try CaptureHarness("files-csv-gz", catalog: filesCatalog(path: "in/*.csv*"))
        defer { harness.directory.remove() }
        let rows = (0..<500).map { "\($0),n\($0),\($0).5" }
        _ = try Compressor.gzip.compress(try harness.directory.write("in/a.csv", "id,name,amount\n" + rows.joined(separator: "\n") + "\n"))
        try await harness.runUntilIdle(["files": Self.connector])
        #expect(ids(try await harness.committed("test/events")) == Array(0..<500))
        // Replaced by a longer file with the same beginning: only the new rows are read.
        let more = (500..<520).map { "\($0),n\($0),\($0).5" }
        try? FileManager.default.removeItem(atPath: harness.directory.file("in/a.csv.gz"))
        _ = try Compressor.gzip.compress(try harness.directory.write("in/a.csv", "id,name,amount\n" + (rows + more).joined(separator: "\n") + "\n"))
        try await harness.runUntilIdle(["files": Self.connector])
        let documents = try await harness.committed("test/events")
        #expect(ids(documents) == Array(0..<520))
        #expect(documents.last == ["id": 519, "name": "n519", "amount": 519.5])
    }

    @Test func aBadLineFailsTheTaskNamingTheFileAndLine() async throws {
        let harness = try CaptureHarness("files-bad", catalog: filesCatalog(path: "in/*.jsonl"))
        defer { harness.directory.remove() }
        try harness.directory.write("in/a.jsonl", eventLines(0..<20))
        try harness.directory.write("in/bad.jsonl", #"{"id":100}"# + "\n\n" + #"{"id":101,}"# + "\n")
        let error = await #expect(throws: EngineError.self) { try await harness.runUntilIdle(["files": Self.connector]) }
        let message = error.map { "\($0)" } ?? ""
        #expect(message.contains("/in/bad.jsonl: line 3, column 11: "), "\(message)")
        // What came before the bad line's transaction is committed; nothing after it.
        #expect(ids(try await harness.committed("test/events")).allSatisfy { $0 < 101 })
    }

    @Test func aBadCSVRecordNamesTheFileAndLine() async throws {
        let harness = try CaptureHarness("files-bad-csv", catalog: filesCatalog(path: "in/*.csv"))
        defer { harness.directory.remove() }
        try harness.directory.write("in/a.csv", "id,name\n1,a\n2,\"b\"x\n")
        let error = await #expect(throws: EngineError.self) { try await harness.runUntilIdle(["files": Self.connector]) }
        #expect("\(error.map { "\($0)" } ?? "")".contains("/in/a.csv: line 3: a quoted cell must end at its closing quote"))
    }

    @Test func positionsSurviveRestartsAndReplacedFilesAreReadAgain() async throws {
        let harness = try CaptureHarness("files-restart", catalog: filesCatalog(path: "in/*.jsonl"))
        defer { harness.directory.remove() }
        let a = try harness.directory.write("in/a.jsonl", eventLines(0..<50))
        try await harness.runUntilIdle(["files": Self.connector])
        // Appended lines and a new file: only they are read by the next run.
        let handle = try #require(FileHandle(forWritingAtPath: a))
        try handle.seekToEnd()
        try handle.write(contentsOf: Data(eventLines(50..<60).utf8))
        try handle.close()
        try harness.directory.write("in/b.jsonl", eventLines(60..<70))
        try await harness.runUntilIdle(["files": Self.connector])
        #expect(ids(try await harness.committed("test/events")) == Array(0..<70))
        // Nothing new: nothing captured.
        try await harness.runUntilIdle(["files": Self.connector])
        #expect(ids(try await harness.committed("test/events")) == Array(0..<70))
        // b.jsonl replaced by a different file of the same name: read from its start.
        try harness.directory.write("in/b.jsonl", eventLines(100..<105))
        try await harness.runUntilIdle(["files": Self.connector])
        #expect(ids(try await harness.committed("test/events")) == Array(0..<70) + Array(100..<105))
    }

    @Test func followModeCapturesAppendedLinesAndNewFiles() async throws {
        let harness = try CaptureHarness("files-follow", catalog: filesCatalog(path: "in/**/*.jsonl", follow: true))
        defer { harness.directory.remove() }
        let a = try harness.directory.write("in/a.jsonl", eventLines(0..<10))
        let engine = try harness.engine(["files": Self.connector], maxTransactionSeconds: 0.05)
        let running = Task { try await engine.run() }
        defer { running.cancel() }
        try await waitForIDs(harness, engine, count: 10)
        let handle = try #require(FileHandle(forWritingAtPath: a))
        try handle.seekToEnd()
        // Half a line first: it is captured only once its newline arrives.
        let next = eventLines(10..<20)
        let half = next.utf8.count / 2 + 3
        try handle.write(contentsOf: Data(next.utf8.prefix(half)))
        try await Task.sleep(nanoseconds: 200_000_000)
        try handle.write(contentsOf: Data(next.utf8.dropFirst(half)))
        try handle.close()
        try harness.directory.write("in/later/b.jsonl", eventLines(20..<30))
        try await waitForIDs(harness, engine, count: 30)
        engine.requestStop()
        try await running.value
        #expect(ids(try await harness.committed("test/events")) == Array(0..<30))
        // A followed capture goes idle, so --until-idle ends it.
        try harness.directory.write("in/c.jsonl", eventLines(30..<35))
        try await harness.runUntilIdle(["files": Self.connector])
        #expect(ids(try await harness.committed("test/events")) == Array(0..<35))
    }

    private func waitForIDs(_ harness: CaptureHarness, _ engine: Engine, count: Int, seconds: Double = 90) async throws {
        let deadline = Date().addingTimeInterval(seconds)
        var have = 0
        while Date() < deadline {
            have = try await harness.committed("test/events", registry: engine.registry).count
            if have >= count { return }
            try await Task.sleep(nanoseconds: 20_000_000)
        }
        Issue.record("timed out waiting for \(count) documents; have \(have)")
    }
}
