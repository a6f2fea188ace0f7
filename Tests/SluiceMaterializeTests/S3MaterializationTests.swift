import Foundation
import Testing
import SluiceCatalog
import SluiceDocument
@testable import SluiceMaterialize
import SluiceRuntime
import SluiceS3
import SluiceTask
import SluiceTestSupport

/// A client for moto (any credentials: moto does not check them by default).
func motoClient(_ endpoint: String) throws -> S3Client {
    try S3Client(configuration: S3Configuration(region: "us-east-1", endpoint: endpoint,
                                                credentials: S3Credentials(accessKeyId: "test", secretAccessKey: "secret"),
                                                retry: S3RetryPolicy(attemptsMax: 2)))
}

/// The objects under `prefix` of a bucket, with their bytes.
func s3RolledFiles(_ client: S3Client, bucket: String, prefix: String) async throws -> [(name: String, bytes: [UInt8])] {
    var files: [(name: String, bytes: [UInt8])] = []
    for object in try await client.listAllObjects(bucket: bucket, prefix: prefix) {
        files.append((object.key, try await client.getObject(bucket: bucket, key: object.key).body))
    }
    return files
}

@Suite(.moto) struct S3MaterializationTests {
    static func endpoint(_ endpoint: String, bucket: String, rollBytes: String = "8KiB") -> String {
        "{s3: {bucket: \(bucket), prefix: archive/, endpoint: \"\(endpoint)\", region: us-east-1, accessKeyId: \"${KEY_ID}\", "
            + "secretAccessKey: \"${SECRET}\", codec: zstd, rollBytes: \(rollBytes)}}"
    }

    static let secrets = ["KEY_ID": "test", "SECRET": "secret"]

    static func bucket(_ label: String) async throws -> (client: S3Client, bucket: String, endpoint: String) {
        let server = try SuiteServers.requireMoto()
        let client = try motoClient(server.endpoint)
        let bucket = "\(label)-\(UUID().uuidString.prefix(8).lowercased())"
        try await client.createBucket(bucket)
        return (client, bucket, server.endpoint)
    }

    @Test func pipelineUploadsObjectsThatReduceToTheReference() async throws {
        let (client, bucket, endpoint) = try await Self.bucket("pipeline")
        let workload = EventWorkload(seed: testSeed(51), events: 3_000, keys: 300, deletions: 30)
        let fixture = try MaterializeFixture("s3-pipeline", catalog: eventsCatalog(endpoint: Self.endpoint(endpoint, bucket: bucket),
                                                                                  resource: "{prefix: ev/}"),
                                             environment: Self.secrets)
        defer { fixture.directory.remove() }
        try await fixture.ingest(workload.documents, batch: 170)
        let engine = try await fixture.runUntilIdle()
        #expect(engine.statuses["test/out"]?.snapshot.restarts == 0)
        let files = try await s3RolledFiles(client, bucket: bucket, prefix: "archive/ev/")
        #expect(files.count >= 3)
        #expect(files.map(\.name) == (0..<files.count).map { "archive/" + RolledFileName.name(prefix: "ev/", sequence: $0, codec: .zstd) })
        workload.check(reduceLines(try rolledDocuments(files)), target: "s3")
        let record = try RolledFilesRecord.decode(try await client.getObject(bucket: bucket, key: "archive/_sluice/test%2Fout.checkpoint.json").body,
                                                  location: "test")
        #expect(record.bindings["ev/"]?.nextSequence == files.count)
        _ = try await fixture.runUntilIdle()
        #expect(try await s3RolledFiles(client, bucket: bucket, prefix: "archive/ev/").map(\.name) == files.map(\.name))
    }

    @Test func olderInstanceIsFencedOffAtItsNextRoll() async throws {
        let (client, bucket, endpoint) = try await Self.bucket("fence")
        let fixture = try MaterializeFixture("s3-fence", catalog: eventsCatalog(endpoint: Self.endpoint(endpoint, bucket: bucket, rollBytes: "1"),
                                                                               resource: "{prefix: ev/}"),
                                             environment: Self.secrets)
        defer { fixture.directory.remove() }
        let catalog = try fixture.loadCatalog()
        let definition = try #require(catalog.materializations["test/out"])
        let entry = StoreEntry(key: LoadKey(packed: [], values: ["a"]), document: try Document(parsing: #"{"id":"a"}"#), isDeleted: false,
                               existed: false)
        let older = try await S3Materialization().open(endpoint: definition.endpoint, bindings: try bindingSpecs(catalog),
                                                       context: taskContext(fixture))
        try await older.store([0: [entry]], checkpoint: [1])
        let newer = try await S3Materialization().open(endpoint: definition.endpoint, bindings: try bindingSpecs(catalog),
                                                       context: taskContext(fixture))
        #expect(newer.checkpoint == [1])
        do {
            try await older.store([0: [entry]], checkpoint: [2])
            Issue.record("the older instance rolled after a newer one opened")
        } catch let error as TaskError {
            guard case .fencedOff = error else { throw error }
        }
        try await newer.store([0: [entry]], checkpoint: [3])
        #expect(try await s3RolledFiles(client, bucket: bucket, prefix: "archive/ev/").map(\.name)
            == ["archive/ev/0000000000.jsonl.zst", "archive/ev/0000000001.jsonl.zst"])
        await older.close()
        await newer.close()
    }

    /// Nobody listening at first: S3's own retries, then the task's, with a clear error; when
    /// the server comes up the materialization completes with nothing lost.
    @Test func unreachableEndpointIsRetriedUntilItComesUp() async throws {
        let port = try FreePort.find()
        let endpoint = "http://127.0.0.1:\(port)"
        let workload = EventWorkload(seed: testSeed(52), events: 500, keys: 50, deletions: 5)
        let fixture = try MaterializeFixture("s3-unreachable", catalog: eventsCatalog(endpoint: Self.endpoint(endpoint, bucket: "late"),
                                                                                     resource: "{prefix: ev/}"),
                                             environment: Self.secrets)
        defer { fixture.directory.remove() }
        try await fixture.ingest(workload.documents)
        let engine = try fixture.makeEngine(backoffSeconds: (0.1, 0.4))
        let run = Task { try await engine.run(untilIdle: true) }
        let status = try #require(engine.statuses["test/out"])
        let deadline = Date().addingTimeInterval(60)
        while status.snapshot.restarts < 2, Date() < deadline { try await Task.sleep(nanoseconds: 50_000_000) }
        #expect(status.snapshot.restarts >= 2)
        let error = status.snapshot.lastError ?? ""
        #expect(error.contains("s3://late/archive/") && error.contains("cannot connect") && error.contains("5 attempts"), "\(error)")
        let moto = try #require(ChildProcess.findExecutable("moto_server", extraFolders: [BuiltProducts.repositoryRoot + "/.build-venv/bin"]))
        let server = try ChildProcess(moto, ["-H", "127.0.0.1", "-p", String(port)], directory: fixture.directory.path, label: "moto")
        defer {
            server.signal(SIGKILL)
            server.wait()
        }
        let client = try motoClient(endpoint)
        while !FreePort.isListening(port), Date() < deadline { try await Task.sleep(nanoseconds: 50_000_000) }
        try await client.createBucket("late")
        try await run.value
        workload.check(reduceLines(try rolledDocuments(try await s3RolledFiles(client, bucket: "late", prefix: "archive/ev/"))),
                       target: "s3 after the endpoint came up")
    }

    /// `sluice run` SIGKILLed at random moments, 22 times, then run to idle: the objects reduce
    /// to the reference.
    @Test func killedRunsLoseAndDoubleNothing() async throws {
        let seed = testSeed(53)
        let (client, bucket, endpoint) = try await Self.bucket("kills")
        let workload = EventWorkload(seed: seed, events: 15_000, keys: 1_500, deletions: 150)
        let fixture = try MaterializeFixture("s3-kills", catalog: eventsCatalog(endpoint: Self.endpoint(endpoint, bucket: bucket, rollBytes: "16KiB"),
                                                                               resource: "{prefix: ev/}"),
                                             environment: Self.secrets)
        defer { fixture.directory.remove() }
        try await fixture.ingest(workload.documents, batch: 100)
        let readings = try await fixture.runWithKills(kills: 22, seed: seed, expectedProgress: workload.expectedCount,
                                                      maxTransactionDocuments: 100) {
            try rolledDocuments(try await s3RolledFiles(client, bucket: bucket, prefix: "archive/ev/"))
                .reduce(0) { $0 + Int($1.root["n"]?.int64 ?? 0) }
        }
        workload.check(reduceLines(try rolledDocuments(try await s3RolledFiles(client, bucket: bucket, prefix: "archive/ev/"))),
                       target: "s3 after kills")
        let midway = readings.filter { $0 > 0 && $0 < workload.expectedCount }.count
        #expect(midway >= 10, "seed \(seed): kills mostly missed the run (progress after each kill: \(readings))")
    }
}
