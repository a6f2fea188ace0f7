import Foundation
import Logging
import Testing
@testable import SluiceCapture
import SluiceCatalog
import SluiceCollection
import SluiceDocument
import SluiceRuntime
import SluiceTask
import SluiceTestSupport

/// The airbyte connector against a scripted Python source (FakeAirbyteSource), in process.
struct FakeSourceSetup {
    let directory = TestDirectory("airbyte")
    let command: [String]

    init() throws {
        command = try FakeAirbyteSource.install(in: directory)
    }

    /// A catalog capturing streams alpha and beta (and `extraBindings`) with `config`.
    func catalog(config: String, bindings: [String] = ["alpha", "beta"]) throws -> (Catalog, String) {
        let commandYAML = "[" + command.map { "\"\($0)\"" }.joined(separator: ", ") + "]"
        var yaml = "collections:\n"
        for stream in ["alpha", "beta"] {
            yaml += """
                  test/\(stream):
                    schema:
                      type: object
                      reduce: {strategy: merge}
                      required: [id]
                      properties:
                        id: {type: integer}
                        n: {type: integer, reduce: {strategy: sum}}
                    key: [/id]

                """
        }
        yaml += """
            captures:
              test/source:
                endpoint:
                  airbyte:
                    command: \(commandYAML)
                    config: \(config)
                bindings:

            """
        for stream in bindings {
            yaml += "      - {resource: {stream: \(stream)}, target: test/\(stream == "beta" ? "beta" : "alpha")}\n"
        }
        let path = try directory.write("flow.yaml", yaml)
        return (try CatalogLoader.load(path: path), path)
    }

    var dataDirectory: String { directory.file("data") }

    /// A session of the capture opened directly (without the engine), from `state`.
    func openSession(_ catalog: Catalog, state: JSONValue? = nil, logs: CollectedLogs = CollectedLogs()) async throws
        -> any CaptureSession
    {
        try await SessionHarness.openSession(AirbyteCapture(), catalog: catalog, capture: "test/source", state: state,
                                             dataDirectory: dataDirectory, folder: directory.path, logs: logs)
    }

    /// Every reduced document of a collection has `n == 1` and the ids are exactly `0..<count`.
    func expectExactlyOnce(_ collection: String, count: Int, catalog path: String, sourceLocation: Testing.SourceLocation = #_sourceLocation) throws {
        let documents = try SessionHarness.reduced(collection, catalog: path, dataDirectory: dataDirectory)
        let ids = documents.compactMap { document -> Int64? in if case .int(let id)? = document["id"] { id } else { nil } }
        #expect(ids == (0..<Int64(count)).map { $0 }, "ids of \(collection)", sourceLocation: sourceLocation)
        let repeated = documents.filter { $0["n"] != .int(1) }
        #expect(repeated.isEmpty, "documents captured more than once: \(repeated.prefix(3))", sourceLocation: sourceLocation)
    }
}

@Suite struct AirbyteCaptureTests {
    @Test func recordsCommitWithTheirStateAndTheStateIsKept() async throws {
        let setup = try FakeSourceSetup()
        defer { setup.directory.remove() }
        let (catalog, path) = try setup.catalog(config: #"{"streams": {"alpha": 300, "beta": 200}, "statesEvery": 25}"#)
        let logs = CollectedLogs()
        let engine = try await SessionHarness.runUntilIdle(catalog: catalog, dataDirectory: setup.dataDirectory, logger: logs.logger())
        let status = try #require(engine.statuses["test/source"]?.snapshot)
        #expect(status.exhausted)
        #expect(status.documentsRead == 500)
        #expect(status.restarts == 0)
        try setup.expectExactlyOnce("test/alpha", count: 300, catalog: path)
        try setup.expectExactlyOnce("test/beta", count: 200, catalog: path)
        let checkpoint = try StateStore(dataDirectory: setup.dataDirectory).captureCheckpoint("test/source")
        #expect(checkpoint.state?.description == #"[{"stream":{"stream_descriptor":{"name":"alpha"},"stream_state":{"offset":300}},"type":"STREAM"},"#
                + #"{"stream":{"stream_descriptor":{"name":"beta"},"stream_state":{"offset":200}},"type":"STREAM"}]"#)
        #expect(logs.contains("airbyte read started"))

        // A second run hands the state back: nothing new is captured.
        let again = try await SessionHarness.runUntilIdle(catalog: catalog, dataDirectory: setup.dataDirectory, logger: logs.logger())
        #expect(again.statuses["test/source"]?.snapshot.documentsRead == 0)
        #expect(logs.contains(#"resuming from {"alpha": 300, "beta": 200}"#))
        try setup.expectExactlyOnce("test/alpha", count: 300, catalog: path)
    }

    @Test func aTraceErrorFailsTheTaskWhichResumesFromTheCommittedState() async throws {
        let setup = try FakeSourceSetup()
        defer { setup.directory.remove() }
        let marker = setup.directory.file("failed-once")
        let (catalog, path) = try setup.catalog(config: """
            {"streams": {"alpha": 120, "beta": 80}, "statesEvery": 10, "failAfter": 137, "failMarker": "\(marker)", "sleepSeconds": 0.002}
            """)
        let logs = CollectedLogs()
        let engine = try await SessionHarness.runUntilIdle(catalog: catalog, dataDirectory: setup.dataDirectory, logger: logs.logger())
        let status = try #require(engine.statuses["test/source"]?.snapshot)
        #expect(status.restarts == 1)
        #expect(status.lastError?.contains("the fake source failed on purpose (after 137 records)") == true, "\(status.lastError ?? "")")
        #expect(FileManager.default.fileExists(atPath: marker))
        // The restart resumed after committed states: the source was handed a non-empty state.
        let resumed = logs.all.first { $0.message.hasPrefix("resuming from") }
        #expect(resumed != nil && resumed?.message != "resuming from {}", "\(resumed?.message ?? "no resume logged")")
        try setup.expectExactlyOnce("test/alpha", count: 120, catalog: path)
        try setup.expectExactlyOnce("test/beta", count: 80, catalog: path)
    }

    @Test func nonJSONLinesLogsAndTracesGoToTheTaskLog() async throws {
        let setup = try FakeSourceSetup()
        defer { setup.directory.remove() }
        let (catalog, path) = try setup.catalog(config: #"{"streams": {"alpha": 40, "beta": 10}, "statesEvery": 5, "noise": true}"#)
        let logs = CollectedLogs()
        _ = try await SessionHarness.runUntilIdle(catalog: catalog, dataDirectory: setup.dataDirectory, logger: logs.logger())
        #expect(logs.contains("connector output is not JSON: a line that is not JSON {", level: .info))
        #expect(logs.contains("noise at 3", level: .warning))
        #expect(logs.all.contains { $0.message == "connector trace" && $0.metadata["type"] == "STREAM_STATUS" })
        try setup.expectExactlyOnce("test/alpha", count: 40, catalog: path)
        try setup.expectExactlyOnce("test/beta", count: 10, catalog: path)
    }

    @Test func legacyStateIsCommittedAndHandedBack() async throws {
        let setup = try FakeSourceSetup()
        defer { setup.directory.remove() }
        let marker = setup.directory.file("failed-once")
        let (catalog, path) = try setup.catalog(config: """
            {"streams": {"alpha": 60, "beta": 30}, "statesEvery": 10, "legacyState": true, "failAfter": 75, "failMarker": "\(marker)",
             "sleepSeconds": 0.002}
            """)
        let logs = CollectedLogs()
        let engine = try await SessionHarness.runUntilIdle(catalog: catalog, dataDirectory: setup.dataDirectory, logger: logs.logger())
        #expect(engine.statuses["test/source"]?.snapshot.restarts == 1)
        let checkpoint = try StateStore(dataDirectory: setup.dataDirectory).captureCheckpoint("test/source")
        #expect(checkpoint.state == ["alpha": 60, "beta": 30])
        try setup.expectExactlyOnce("test/alpha", count: 60, catalog: path)
        try setup.expectExactlyOnce("test/beta", count: 30, catalog: path)
    }

    @Test func aNonZeroExitFailsWithTheConnectorsStandardError() async throws {
        let setup = try FakeSourceSetup()
        defer { setup.directory.remove() }
        let (catalog, _) = try setup.catalog(config: #"{"streams": {"alpha": 3}, "exitStatus": 3, "stderr": "boom: the source broke"}"#,
                                             bindings: ["alpha"])
        let session = try await setup.openSession(catalog)
        var documents = 0
        let error = await #expect(throws: TaskError.self) {
            while true {
                switch try await session.next(deadlineNanoseconds: UInt64(Date().timeIntervalSince1970 * 1e9) + 5_000_000_000) {
                case .documents(_, let batch): documents += batch.count
                case .exhausted: return
                default: continue
                }
            }
        }
        await session.close()
        #expect(documents == 3)
        #expect(error?.isPermanent == false)
        #expect(error?.description.contains("read exited with status 3: boom: the source broke") == true, "\(String(describing: error))")
    }

    @Test func aTraceErrorEndsTheSessionAfterTheDocumentsBeforeIt() async throws {
        let setup = try FakeSourceSetup()
        defer { setup.directory.remove() }
        let (catalog, _) = try setup.catalog(config: """
            {"streams": {"alpha": 50}, "statesEvery": 10, "failAfter": 25, "failMarker": "\(setup.directory.file("marker"))"}
            """, bindings: ["alpha"])
        let session = try await setup.openSession(catalog)
        var events: [String] = []
        let error = await #expect(throws: TaskError.self) {
            while true {
                switch try await session.next(deadlineNanoseconds: UInt64(Date().timeIntervalSince1970 * 1e9) + 5_000_000_000) {
                case .documents(_, let batch): events.append("documents \(batch.count)")
                case .checkpoint(let state): events.append("checkpoint \(state[0]?["stream"]?["stream_state"]?["offset"] ?? .null)")
                case .exhausted: return
                case .idle: continue
                }
            }
        }
        await session.close()
        #expect(error?.description == "test/source: fake-source.py read: the connector reported an error: the fake source failed on purpose (after 25 records)")
        // Whatever was yielded covers 25 records, each checkpoint after its documents.
        let total = events.compactMap { $0.hasPrefix("documents ") ? Int($0.dropFirst(10)) : nil }.reduce(0, +)
        #expect(total == 25, "\(events)")
        #expect(events.last?.hasPrefix("documents") == true || events.last == "checkpoint 20", "\(events)")
    }

    @Test func closingTheSessionStopsTheConnector() async throws {
        let setup = try FakeSourceSetup()
        defer { setup.directory.remove() }
        let pidFile = setup.directory.file("pid")
        let (catalog, _) = try setup.catalog(config: #"{"streams": {"alpha": 1000}, "sleepSeconds": 0.5, "pidFile": "\#(pidFile)"}"#,
                                             bindings: ["alpha"])
        let session = try await setup.openSession(catalog)
        var pid: pid_t?
        for _ in 0..<400 where pid == nil {
            pid = (try? String(contentsOfFile: pidFile, encoding: .utf8)).flatMap { pid_t($0) }
            try await Task.sleep(nanoseconds: 10_000_000)
        }
        let connector = try #require(pid)
        #expect(kill(connector, 0) == 0)
        #expect(!session.isCaughtUp, "a running read is not caught up")
        await session.close()
        var gone = false
        for _ in 0..<400 where !gone {
            gone = kill(connector, 0) != 0
            if !gone { try await Task.sleep(nanoseconds: 10_000_000) }
        }
        #expect(gone, "the connector (pid \(connector)) still runs after close")
    }

    @Test func bindingsOfUnknownStreamsAndMissingExecutablesAreConfigurationErrors() async throws {
        let setup = try FakeSourceSetup()
        defer { setup.directory.remove() }
        let (catalog, _) = try setup.catalog(config: #"{"streams": {"alpha": 1}}"#, bindings: ["alpha", "gamma"])
        let error = await #expect(throws: TaskError.self) { _ = try await setup.openSession(catalog) }
        #expect(error == .configuration(task: "test/source",
                                        message: "bindings[1].resource.stream: the connector has no stream gamma (it has: alpha, keyless)"))

        let yaml = try String(contentsOfFile: setup.directory.file("flow.yaml"), encoding: .utf8)
        let missing = try CatalogLoader.load(yaml: yaml.replacingOccurrences(of: "command: [", with: "command: [\"no-such-source-xyz\", "),
                                             path: setup.directory.file("flow.yaml"))
        let notFound = await #expect(throws: TaskError.self) { _ = try await setup.openSession(missing) }
        #expect(notFound == .configuration(task: "test/source", message: "airbyte connector no-such-source-xyz not found (searched PATH)"))
    }

    @Test func specCheckAndDiscoverAnswerWithTheirMessages() async throws {
        let setup = try FakeSourceSetup()
        defer { setup.directory.remove() }
        let logs = CollectedLogs()
        func commands(_ config: String) throws -> AirbyteCommands {
            let endpoint = AirbyteEndpoint(command: setup.command, config: Secret(config), environment: [:])
            return AirbyteCommands(launch: try AirbyteLaunch(endpoint, folder: setup.directory.path), logger: logs.logger())
        }
        let spec = try await commands("{}").spec()
        #expect(spec["connectionSpecification"]?["type"] == "object")
        #expect(logs.contains("spec asked", level: .info))
        #expect(try await commands(#"{"streams": {"a": 1}}"#).check() == nil)
        #expect(try await commands(#"{"streams": {}}"#).check() == "no streams configured")
        let catalog = try await commands(#"{"streams": {"b": 1, "a": 2}}"#).discover()
        #expect(catalog.streams.map(\.name) == ["a", "b", "keyless"])
        #expect(catalog.streams[0].sourceDefinedPrimaryKey == [["id"]])
        #expect(catalog.streams[2].sourceDefinedPrimaryKey == nil)
        #expect(logs.contains("connector output is not JSON: discovering (not JSON)"))
    }
}
