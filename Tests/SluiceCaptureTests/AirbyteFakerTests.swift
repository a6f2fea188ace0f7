import Foundation
import Testing
import SluiceDocument
import SluiceRuntime
import SluiceTestSupport
import SluiceWorkload

/// The real `airbyte-source-faker` from PyPI (installed into .build-venv-faker/ by `make faker`,
/// which `make test` runs), captured by `sluice run` child processes that are SIGKILLed
/// mid-capture and restarted: the reduced collections equal a clean run's. Faker is
/// deterministic for a seed except `updated_at`, which it stamps with the wall clock (left out
/// of the comparison). The collections are the ones `sluice discover` suggests.
@Suite(.serialized) struct AirbyteFakerTests {
    static let streams = ["users", "products", "purchases"]

    static func sourceFaker() throws -> String {
        let path = BuiltProducts.repositoryRoot + "/.build-venv-faker/bin/source-faker"
        guard FileManager.default.isExecutableFile(atPath: path) else {
            throw TestSupportError("\(path) is missing: run `make faker` (`make test` installs airbyte-source-faker there)")
        }
        return path
    }

    /// The collections `sluice discover` suggests for faker's streams, and a capture of them.
    /// One fix: faker's purchases carry `created_at` without the UTC offset that its schema's
    /// `format: date-time` requires (RFC 3339), so that format is taken out (validated as it is,
    /// every purchase is refused and the capture retries forever).
    static func catalog(faker: String, sluice: String, count: Int, directory: TestDirectory) throws -> String {
        let config = "{\"count\": \(count), \"seed\": 42, \"records_per_slice\": 50, \"parallelism\": 1, \"always_updated\": true}"
        let configFile = try directory.write("faker.json", config)
        let discovered = try ChildProcess.run(sluice, ["discover", "--command", faker, "--config", configFile, "--prefix", "acme",
                                                       "--format", "json"])
        guard discovered.status == 0 else { throw TestSupportError("sluice discover failed: \(discovered.error)") }
        var collections = try JSONValue(parsing: discovered.output)["collections"] ?? [:]
        guard collections["acme/purchases"]?["schema"]?["properties"]?["created_at"]?["format"] == "date-time" else {
            throw TestSupportError("faker's purchases schema changed: \(collections["acme/purchases"] ?? .null)")
        }
        try collections.set(["type": "string"], at: "/acme~1purchases/schema/properties/created_at")
        var bindings: [JSONValue] = []
        for stream in streams {
            bindings.append(["resource": ["stream": .string(stream), "syncMode": "incremental"], "target": .string("acme/" + stream)])
        }
        let catalog: JSONValue = [
            "collections": collections,
            "captures": ["acme/faker": ["endpoint": ["airbyte": ["command": [.string(faker)], "configFile": "faker.json"]],
                                        "bindings": .array(bindings)]],
        ]
        return catalog.description
    }

    /// The reduced collections of a data directory, `updated_at` left out.
    static func reducedCollections(catalog: String, dataDirectory: String) throws -> [String: [JSONValue]] {
        var result: [String: [JSONValue]] = [:]
        for stream in streams {
            result[stream] = try SessionHarness.reduced("acme/\(stream)", catalog: catalog, dataDirectory: dataDirectory).map { document in
                guard case .object(var object) = document else { return document }
                object["updated_at"] = nil
                return .object(object)
            }
        }
        return result
    }

    @Test func sigkilledRunsResumeAndReduceToACleanRunsCollections() async throws {
        let faker = try AirbyteFakerTests.sourceFaker()
        let sluice = try BuiltProducts.executable("sluice")
        let directory = TestDirectory("faker")
        defer { directory.remove() }
        let count = 4_000
        let catalog = try directory.write("flow.yaml", AirbyteFakerTests.catalog(faker: faker, sluice: sluice, count: count,
                                                                                 directory: directory))
        let seed = UInt64(ProcessInfo.processInfo.environment["SLUICE_SEED"] ?? "") ?? UInt64.random(in: 1...1_000_000)
        var random = SplitMix64(seed: seed)

        // A clean run.
        let clean = try ChildProcess(sluice, ["run", catalog, "--data-dir", directory.file("clean"), "--until-idle"],
                                     directory: directory.path, label: "clean")
        #expect(clean.wait(seconds: 120) == 0, "seed \(seed): clean run: \(clean.standardError.suffix(2_000))")
        let expected = try AirbyteFakerTests.reducedCollections(catalog: catalog, dataDirectory: directory.file("clean"))
        #expect(expected["users"]?.count == count)
        #expect(expected["products"]?.count == 100)
        #expect((expected["purchases"]?.count ?? 0) > count / 2)

        // Runs killed once a checkpoint committed, after a seeded delay, then a run to the end.
        let crashed = directory.file("crashed")
        var kills = 0
        for round in 0..<2 {
            let run = try ChildProcess(sluice, ["run", catalog, "--data-dir", crashed], directory: directory.path, label: "crash-\(round)")
            let before = SessionHarness.committedState(dataDirectory: crashed, task: "acme/faker")
            var committed = false
            for _ in 0..<3_000 where !committed && run.isRunning {
                try await Task.sleep(nanoseconds: 20_000_000)
                committed = SessionHarness.committedState(dataDirectory: crashed, task: "acme/faker") != before
            }
            try await Task.sleep(nanoseconds: UInt64(random.below(400)) * 1_000_000)
            if run.isRunning {
                run.signal(SIGKILL)
                kills += 1
            }
            let status = run.wait()
            #expect(committed, "seed \(seed): round \(round) committed nothing before the kill (status \(status)): \(run.standardError.suffix(2_000))")
        }
        #expect(kills == 2, "seed \(seed): a run ended before it was killed")
        let final = try ChildProcess(sluice, ["run", catalog, "--data-dir", crashed, "--until-idle"], directory: directory.path,
                                     label: "final")
        #expect(final.wait(seconds: 120) == 0, "seed \(seed): final run: \(final.standardError.suffix(2_000))")
        #expect(final.standardError.contains("resuming from the committed state"), "seed \(seed): the state was not handed back")
        let actual = try AirbyteFakerTests.reducedCollections(catalog: catalog, dataDirectory: crashed)
        for stream in AirbyteFakerTests.streams {
            #expect(actual[stream]?.count == expected[stream]?.count, "seed \(seed): \(stream) counts")
            #expect(actual[stream] == expected[stream], "seed \(seed): \(stream) differs from the clean run")
        }
    }
}
