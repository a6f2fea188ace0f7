import Foundation
import Testing
import SluiceCatalog
import SluiceDocument
@testable import SluiceMaterialize
import SluiceRedis
import SluiceRuntime
import SluiceTask
import SluiceTestSupport

/// Every key under `prefix` (SCAN), in order.
func redisKeys(_ client: RedisClient, prefix: String) async throws -> [[UInt8]] {
    var keys: [[UInt8]] = []
    var cursor = "0"
    repeat {
        let reply = try await client.execute(RedisCommand("SCAN", cursor, "MATCH", RedisKeys.globEscaped(prefix) + "*", "COUNT", 1000))
        let parts = try #require(reply.array)
        cursor = try #require(parts[0].string)
        keys += try #require(parts[1].array).compactMap(\.bytes)
    } while cursor != "0"
    return keys.sorted { $0.lexicographicallyPrecedes($1) }
}

/// The documents of a Redis target by id: JSON values, or hashes whose fields must agree with
/// their `flow_document`. Each key must be the encoding of its document's id.
func redisContents(_ url: String, prefix: String = "ev:", format: MaterializationResource.RedisFormat = .json) async throws
    -> [String: ExpectedEvent]
{
    let client = try RedisClient(url: url)
    defer { Task { await client.close() } }
    var contents: [String: ExpectedEvent] = [:]
    for key in try await redisKeys(client, prefix: prefix) {
        let json: [UInt8]
        switch format {
        case .json:
            json = try #require(try await client.execute(RedisCommand("GET", key)).bytes)
        case .hash:
            let pairs = try #require(try await client.execute(RedisCommand("HGETALL", key)).array).compactMap(\.string)
            var fields: [String: String] = [:]
            for index in stride(from: 0, to: pairs.count, by: 2) { fields[pairs[index]] = pairs[index + 1] }
            json = Array(try #require(fields["flow_document"]).utf8)
            let document = try Document(parsing: json)
            for name in ["n", "total", "last", "top", "flag", "ratio"] {
                var expected: [UInt8] = []
                JSONSerializer.append(try #require(document.root[name]), to: &expected)
                #expect(fields[name] == String(decoding: expected, as: UTF8.self), "hash field \(name) of \(String(decoding: key, as: UTF8.self))")
            }
            #expect(fields["label"] == document.root["label"]?.string)
        }
        let document = try Document(parsing: json)
        let id = try #require(document.root["id"]?.string)
        #expect(key == RedisKeys.key(prefix: prefix, values: [.string(id)]))
        #expect(contents[id] == nil, "key \(id) stored twice")
        contents[id] = try #require(ExpectedEvent(document: document), "document \(String(decoding: json, as: UTF8.self))")
    }
    return contents
}

@Suite struct RedisMaterializationTests {
    static func endpoint(_ url: String, ttl: String? = nil) -> String {
        "{redis: {url: \"\(url)\"\(ttl.map { ", ttl: \($0)" } ?? "")}}"
    }

    @Test func keysJoinTheKeyValuesWithEscapes() {
        func text(_ values: [JSONValue]) -> String { String(decoding: RedisKeys.key(prefix: "deals:", values: values), as: UTF8.self) }
        #expect(text(["abc"]) == "deals:abc")
        #expect(text(["a:b", 7]) == #"deals:a\:b:7"#)
        #expect(text([#"back\slash"#, true, -3]) == #"deals:back\\slash:true:-3"#)
        #expect(text(["a", "b:c"]) != text(["a:b", "c"]))
        #expect(RedisKeys.globEscaped("x*[y]?") == #"x\*\[y\]\?"#)
    }

    @Test func jsonValuesWithATimeToLiveMatchTheReference() async throws {
        let server = try RedisServer()
        defer { server.stop() }
        let workload = EventWorkload(seed: testSeed(31), events: 3_000, keys: 300, deletions: 30)
        let fixture = try MaterializeFixture("redis-json", catalog: eventsCatalog(endpoint: Self.endpoint(server.url(), ttl: "2h"),
                                                                                 resource: "{keyPrefix: \"ev:\"}"))
        defer { fixture.directory.remove() }
        try await fixture.ingest(workload.documents, batch: 170)
        let engine = try await fixture.runUntilIdle()
        #expect(engine.statuses["test/out"]?.snapshot.restarts == 0)
        workload.check(try await redisContents(server.url()), target: "redis json")
        let client = try RedisClient(url: server.url())
        let ttl = try #require(try await client.execute(RedisCommand("PTTL", "ev:k-00000")).integer)
        #expect(ttl > 7_000_000 && ttl <= 7_200_000)
        #expect(try await client.execute(RedisCommand("PTTL", "sluice:checkpoint:test/out:00000000-ffffffff")) == .integer(-1))
        await client.close()
        _ = try await fixture.runUntilIdle()
        workload.check(try await redisContents(server.url()), target: "redis json (second run)")
    }

    @Test func hashValuesHoldTheFieldsAndTheDocument() async throws {
        let server = try RedisServer()
        defer { server.stop() }
        let workload = EventWorkload(seed: testSeed(32), events: 1_500, keys: 150, deletions: 15)
        let fixture = try MaterializeFixture("redis-hash", catalog: eventsCatalog(endpoint: Self.endpoint(server.url()),
                                                                                 resource: "{keyPrefix: \"ev:\", format: hash}"))
        defer { fixture.directory.remove() }
        try await fixture.ingest(workload.documents, batch: 100)
        _ = try await fixture.runUntilIdle()
        workload.check(try await redisContents(server.url(), format: .hash), target: "redis hash")
    }

    @Test func backfillDeletesTheBindingsKeysAndRebuilds() async throws {
        let server = try RedisServer()
        defer { server.stop() }
        let workload = EventWorkload(seed: testSeed(33), events: 600, keys: 60, deletions: 6)
        let catalog = eventsCatalog(endpoint: Self.endpoint(server.url()), resource: "{keyPrefix: \"ev:\"}")
        let fixture = try MaterializeFixture("redis-backfill", catalog: catalog)
        defer { fixture.directory.remove() }
        try await fixture.ingest(workload.documents)
        _ = try await fixture.runUntilIdle()
        let client = try RedisClient(url: server.url())
        // A key nothing produces: the rebuild must remove it; keys of other prefixes stay.
        try await client.execute(RedisCommand("SET", "ev:stray", "{}"))
        try await client.execute(RedisCommand("SET", "other:kept", "1"))
        try fixture.rewriteCatalog(catalog.replacingOccurrences(of: "backfill: 0", with: "backfill: 1"))
        _ = try await fixture.runUntilIdle()
        workload.check(try await redisContents(server.url()), target: "redis after a backfill")
        #expect(try await client.execute(RedisCommand("GET", "other:kept")).string == "1")
        #expect(try await client.execute(RedisCommand("HGET", "sluice:bindings:test/out", "ev:")).string == "1")
        await client.close()
    }

    @Test func olderInstanceIsFencedOff() async throws {
        let server = try RedisServer()
        defer { server.stop() }
        let fixture = try MaterializeFixture("redis-fence", catalog: eventsCatalog(endpoint: Self.endpoint(server.url()),
                                                                                  resource: "{keyPrefix: \"ev:\"}"))
        defer { fixture.directory.remove() }
        let catalog = try fixture.loadCatalog()
        let bindings = try bindingSpecs(catalog)
        let endpoint = try #require(catalog.materializations["test/out"]).endpoint
        let older = try await RedisMaterialization().open(endpoint: endpoint, bindings: bindings, context: taskContext(fixture))
        let document = try Document(parsing: #"{"id":"a","n":1}"#)
        let entry = StoreEntry(key: LoadKey(packed: [], values: ["a"]), document: document, isDeleted: false, existed: false)
        try await older.store([0: [entry]], checkpoint: Array("one".utf8))
        let newer = try await RedisMaterialization().open(endpoint: endpoint, bindings: bindings, context: taskContext(fixture))
        #expect(newer.checkpoint == Array("one".utf8))
        do {
            try await older.store([0: [StoreEntry(key: entry.key, document: try Document(parsing: #"{"id":"a","n":9}"#), isDeleted: false,
                                                  existed: true)]], checkpoint: Array("two".utf8))
            Issue.record("the older instance stored after a newer one opened")
        } catch let error as TaskError {
            guard case .fencedOff = error else { throw error }
        }
        #expect(try await newer.load(binding: 0, keys: [LoadKey(packed: [], values: ["a"]), LoadKey(packed: [], values: ["zz"])])
            .map(\.description) == [document.description])
        await older.close()
        await newer.close()
    }

    /// Nobody listening at first: a clear error and retries with backoff; when a server comes
    /// up on that port the materialization completes with nothing lost.
    @Test func unreachableServerIsRetriedUntilItComesUp() async throws {
        let port = try FreePort.find()
        let url = "redis://127.0.0.1:\(port)/0"
        let workload = EventWorkload(seed: testSeed(34), events: 500, keys: 50, deletions: 5)
        let fixture = try MaterializeFixture("redis-unreachable", catalog: eventsCatalog(endpoint: Self.endpoint(url),
                                                                                        resource: "{keyPrefix: \"ev:\"}"))
        defer { fixture.directory.remove() }
        try await fixture.ingest(workload.documents)
        let engine = try fixture.makeEngine(backoffSeconds: (0.1, 0.4))
        let run = Task { try await engine.run(untilIdle: true) }
        let status = try #require(engine.statuses["test/out"])
        let deadline = Date().addingTimeInterval(20)
        while status.snapshot.restarts < 3, Date() < deadline { try await Task.sleep(nanoseconds: 20_000_000) }
        #expect(status.snapshot.restarts >= 3)
        let error = status.snapshot.lastError ?? ""
        #expect(error.contains("redis 127.0.0.1:\(port): cannot connect") && error.contains("Connection refused"), "\(error)")
        let executable = try #require(ChildProcess.findExecutable("redis-server", extraFolders: ["/usr/bin", "/usr/sbin"]))
        let server = try ChildProcess(executable, ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                                                   "--dir", fixture.directory.path], directory: fixture.directory.path, label: "redis")
        defer {
            server.signal(SIGKILL)
            server.wait()
        }
        try await run.value
        workload.check(try await redisContents(url), target: "redis after the server came up")
    }

    /// A wrong password: authentication errors are retried; once the server takes the password
    /// the materialization completes with nothing lost.
    @Test func wrongPasswordIsRetriedUntilFixed() async throws {
        let server = try RedisServer(password: "right")
        defer { server.stop() }
        let url = "redis://:wrong@127.0.0.1:\(server.port)/0"
        let workload = EventWorkload(seed: testSeed(35), events: 500, keys: 50, deletions: 5)
        let fixture = try MaterializeFixture("redis-password", catalog: eventsCatalog(endpoint: Self.endpoint(url),
                                                                                     resource: "{keyPrefix: \"ev:\"}"))
        defer { fixture.directory.remove() }
        try await fixture.ingest(workload.documents)
        let engine = try fixture.makeEngine(backoffSeconds: (0.1, 0.4))
        let run = Task { try await engine.run(untilIdle: true) }
        let status = try #require(engine.statuses["test/out"])
        let deadline = Date().addingTimeInterval(20)
        while status.snapshot.restarts < 3, Date() < deadline { try await Task.sleep(nanoseconds: 20_000_000) }
        let error = status.snapshot.lastError ?? ""
        #expect(status.snapshot.restarts >= 3)
        #expect(error.contains("authentication failed") && error.contains("WRONGPASS"), "\(error)")
        #expect(!error.contains("wrong@") && !error.contains(":wrong"), "the password leaked: \(error)")
        let admin = try RedisClient(url: server.url())
        try await admin.execute(RedisCommand("CONFIG", "SET", "requirepass", "wrong"))
        await admin.close()
        try await run.value
        workload.check(try await redisContents(url), target: "redis after fixing the password")
    }

    /// `sluice run` SIGKILLed at random moments, 22 times, then run to idle: the keys equal the
    /// reference reduction.
    @Test func killedRunsLoseAndDoubleNothing() async throws {
        let seed = testSeed(36)
        let server = try RedisServer()
        defer { server.stop() }
        let workload = EventWorkload(seed: seed, events: 15_000, keys: 1_500, deletions: 150)
        let fixture = try MaterializeFixture("redis-kills", catalog: eventsCatalog(endpoint: Self.endpoint(server.url()),
                                                                                  resource: "{keyPrefix: \"ev:\"}"))
        defer { fixture.directory.remove() }
        try await fixture.ingest(workload.documents, batch: 100)
        let readings = try await fixture.runWithKills(kills: 22, seed: seed, expectedProgress: workload.expectedCount,
                                                      maxTransactionDocuments: 100) {
            try await redisContents(server.url()).values.reduce(0) { $0 + $1.n }
        }
        workload.check(try await redisContents(server.url()), target: "redis after kills")
        let midway = readings.filter { $0 > 0 && $0 < workload.expectedCount }.count
        #expect(midway >= 10, "seed \(seed): kills mostly missed the run (progress after each kill: \(readings))")
    }
}
