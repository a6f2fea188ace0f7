import Testing
import SluiceTestSupport
import SluiceWorkload
@testable import SluiceRedis

@Suite("Redis checkpoint store: fenced exactly-once commits (real server)")
struct RedisCheckpointStoreTests {
    static func key(_ text: String) -> [UInt8] { Array(text.utf8) }

    @Test("key names: prefix, materialization and key range in hex")
    func keyNames() throws {
        let client = try RedisClient(url: "redis://127.0.0.1:1/0")
        let store = RedisCheckpointStore(client: client, materialization: "acme/cache", keyBegin: 0, keyEnd: 0x7fff_ffff)
        #expect(store.fenceKey == "sluice:fence:acme/cache:00000000-7fffffff")
        #expect(store.checkpointKey == "sluice:checkpoint:acme/cache:00000000-7fffffff")
        let whole = RedisCheckpointStore(client: client, materialization: "m", keyPrefix: "x:")
        #expect(whole.fenceKey == "x:fence:m:00000000-ffffffff")
    }

    @Test("open on an empty server: fence 1, no checkpoint; commit writes data and checkpoint together")
    func openAndCommit() async throws {
        let server = try RedisServer()
        defer { server.stop() }
        let client = try RedisClient(url: server.url())
        let store = RedisCheckpointStore(client: client, materialization: "acme/cache")
        let session = try await store.open()
        #expect(session.fence == 1)
        #expect(session.checkpoint == nil)
        #expect(session.committedFence == nil)

        let outcome = try await session.commit([
            .set(key: Self.key("deals:1"), value: Self.key(#"{"id":1}"#), timeToLive: .seconds(7200)),
            .set(key: Self.key("deals:2"), value: Self.key(#"{"id":2}"#)),
            .hash(key: Self.key("deals:h"), fields: [RedisHashField("id", "3"), RedisHashField("total", "5")], timeToLive: .seconds(3600)),
        ], checkpoint: [1, 2, 3])
        #expect(outcome == .committed)
        #expect(try await client.execute(RedisCommand("GET", "deals:1")).string == #"{"id":1}"#)
        let ttl = try #require(try await client.execute(RedisCommand("PTTL", "deals:1")).integer)
        #expect(ttl > 7_000_000 && ttl <= 7_200_000)  // 200 s of slack for a loaded machine
        #expect(try await client.execute(RedisCommand("PTTL", "deals:2")) == .integer(-1))
        #expect(try await client.execute(RedisCommand("HGET", "deals:h", "total")).string == "5")
        let hashTTL = try #require(try await client.execute(RedisCommand("PTTL", "deals:h")).integer)
        #expect(hashTTL > 3_400_000 && hashTTL <= 3_600_000)

        // A hash write replaces the whole hash; a delete removes the key.
        #expect(try await session.commit([
            .hash(key: Self.key("deals:h"), fields: [RedisHashField("id", "3")]),
            .delete(key: Self.key("deals:2")),
        ], checkpoint: [4]) == .committed)
        #expect(try await client.execute(RedisCommand("HGETALL", "deals:h")).array?.compactMap(\.string) == ["id", "3"])
        #expect(try await client.execute(RedisCommand("EXISTS", "deals:2")) == .integer(0))

        // The checkpoint key holds the committing fence and the checkpoint bytes.
        let stored = try await client.execute(RedisCommand("HMGET", store.checkpointKey, "fence", "checkpoint"))
        #expect(stored == .array([.bulkString(Self.key("1")), .bulkString([4])]))

        let reopened = try await store.open()
        #expect(reopened.fence == 2)
        #expect(reopened.checkpoint == [4])
        #expect(reopened.committedFence == 1)
    }

    @Test("two instances: the newer open fences off the older; its commit applies nothing")
    func olderInstanceIsFencedOff() async throws {
        let server = try RedisServer()
        defer { server.stop() }
        let older = RedisCheckpointStore(client: try RedisClient(url: server.url()), materialization: "m")
        let newer = RedisCheckpointStore(client: try RedisClient(url: server.url()), materialization: "m")
        let first = try await older.open()
        #expect(try await first.commit([.set(key: Self.key("k"), value: Self.key("from first"))], checkpoint: [1]) == .committed)
        let second = try await newer.open()
        #expect(second.fence == first.fence + 1)
        #expect(second.checkpoint == [1])

        let late = try await first.commit([.set(key: Self.key("k"), value: Self.key("late write")),
                                           .set(key: Self.key("other"), value: Self.key("late"))], checkpoint: [9])
        #expect(late == .fencedOff(currentFence: second.fence))
        let client = newer.client
        #expect(try await client.execute(RedisCommand("GET", "k")).string == "from first")
        #expect(try await client.execute(RedisCommand("EXISTS", "other")) == .integer(0))

        #expect(try await second.commit([.set(key: Self.key("k"), value: Self.key("from second"))], checkpoint: [2]) == .committed)
        #expect(try await client.execute(RedisCommand("GET", "k")).string == "from second")
        #expect(try await newer.open().checkpoint == [2])
    }

    @Test("a newer instance opening between the fence check and EXEC: EXEC returns nil, nothing applies")
    func fenceMovesDuringCommit() async throws {
        let server = try RedisServer()
        defer { server.stop() }
        let store = RedisCheckpointStore(client: try RedisClient(url: server.url()), materialization: "m")
        let session = try await store.open()
        let endpoint = try RedisEndpoint(url: server.url())
        let fenceKey = store.fenceKey
        let outcome = try await session.commit([.set(key: Self.key("k"), value: Self.key("v"))], checkpoint: [7]) {
            // Another instance's open, on its own connection, after this session's WATCH.
            let other = try RedisConnection(endpoint: endpoint)
            try other.execute(RedisCommand("INCR", fenceKey))
        }
        #expect(outcome == .fencedOff(currentFence: session.fence + 1))
        let check = try RedisConnection(endpoint: endpoint)
        #expect(try check.execute(RedisCommand("EXISTS", "k", store.checkpointKey)) == .integer(0))
    }

    @Test("an eviction policy that may evict keys without TTL is refused at open")
    func unsafeEvictionPolicy() async throws {
        let server = try RedisServer(arguments: ["--maxmemory-policy", "allkeys-lru"])
        defer { server.stop() }
        let store = RedisCheckpointStore(client: try RedisClient(url: server.url()), materialization: "m")
        do {
            _ = try await store.open()
            Issue.record("open accepted allkeys-lru")
        } catch let error as RedisError {
            #expect(error.kind == .unsafeConfiguration)
            #expect(error.message.contains("allkeys-lru"))
        }
        let safe = try RedisServer(arguments: ["--maxmemory-policy", "volatile-lru"])
        defer { safe.stop() }
        #expect(try await RedisCheckpointStore(client: try RedisClient(url: safe.url()), materialization: "m").open().fence == 1)
    }

    @Test("a fence key holding a non-integer: open fails naming INCR and the key")
    func corruptFence() async throws {
        let server = try RedisServer()
        defer { server.stop() }
        let client = try RedisClient(url: server.url())
        let store = RedisCheckpointStore(client: client, materialization: "m")
        try await client.execute(RedisCommand("SET", store.fenceKey, "not a number"))
        do {
            _ = try await store.open()
            Issue.record("open succeeded")
        } catch let error as RedisError {
            #expect(error.kind == .reply)
            #expect(error.command == "INCR \"\(store.fenceKey)\"")
        }
    }

    @Test("a large transaction (20,000 writes) commits in one pipeline")
    func largeTransaction() async throws {
        let server = try RedisServer()
        defer { server.stop() }
        let client = try RedisClient(url: server.url())
        let session = try await RedisCheckpointStore(client: client, materialization: "m").open()
        let writes = (0..<20_000).map { RedisWrite.set(key: Self.key("doc:\($0)"), value: Self.key(String(repeating: "v", count: 100)), timeToLive: .seconds(3600)) }
        #expect(try await session.commit(writes, checkpoint: [1]) == .committed)
        #expect(try await client.execute(RedisCommand("DBSIZE")) == .integer(20_002))
    }

    /// Sessions open and commit in a seeded random order; a model applies a commit only when
    /// its session holds the newest fence. Redis's final contents must equal the model's.
    @Test("random sessions and commits match a model of fencing (seeded)")
    func randomSessionsMatchModel() async throws {
        let seed: UInt64 = 0xF3_4CE5
        var random = SplitMix64(seed: seed)
        let server = try RedisServer()
        defer { server.stop() }
        let client = try RedisClient(url: server.url())
        let store = RedisCheckpointStore(client: client, materialization: "model")
        var sessions: [RedisCheckpointSession] = [try await store.open()]
        var model: [String: String] = [:]
        var modelCheckpoint: [UInt8]? = nil
        for step in 0..<200 {
            if random.below(6) == 0 {
                let opened = try await store.open()
                #expect(opened.checkpoint == modelCheckpoint, "seed \(seed) step \(step)")
                sessions.append(opened)
                continue
            }
            let index = random.below(sessions.count)
            var writes: [RedisWrite] = []
            var changes: [String: String?] = [:]
            for _ in 0..<(1 + random.below(5)) {
                let key = "k\(random.below(20))"
                if random.below(4) == 0 {
                    writes.append(.delete(key: Self.key(key)))
                    changes[key] = .some(nil)
                } else {
                    let value = "s\(index)-\(step)"
                    writes.append(.set(key: Self.key(key), value: Self.key(value)))
                    changes[key] = .some(value)
                }
            }
            let checkpoint = [UInt8(truncatingIfNeeded: step)]
            let outcome = try await sessions[index].commit(writes, checkpoint: checkpoint)
            let newest = index == sessions.count - 1
            #expect(outcome == (newest ? .committed : .fencedOff(currentFence: sessions.last!.fence)), "seed \(seed) step \(step)")
            if newest {
                for (key, value) in changes { model[key] = value }
                modelCheckpoint = checkpoint
            }
        }
        let keys = (0..<20).map { "k\($0)" }
        let values = try await client.values(forKeys: keys.map(Self.key))
        for (key, value) in zip(keys, values) {
            #expect(value.map { String(decoding: $0, as: UTF8.self) } == model[key], "seed \(seed) key \(key)")
        }
    }
}
