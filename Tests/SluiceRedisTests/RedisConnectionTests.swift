import Foundation
import Testing
import SluiceTestSupport
import SluiceWorkload
@testable import SluiceRedis

/// Against a real redis-server on loopback (one per test, in memory, stopped by PID).
@Suite("Redis connection and client (real server)")
struct RedisConnectionTests {
    @Test("commands: binary-safe SET/GET, integers, nil, arrays, hashes")
    func commands() async throws {
        let server = try RedisServer()
        defer { server.stop() }
        let client = try RedisClient(url: server.url())
        let binary: [UInt8] = (0...255).map { UInt8($0) }
        #expect(try await client.execute(RedisCommand("SET", "k", binary)) == .simpleString("OK"))
        #expect(try await client.execute(RedisCommand("GET", "k")) == .bulkString(binary))
        #expect(try await client.execute(RedisCommand("GET", "missing")) == .null)
        #expect(try await client.execute(RedisCommand("INCRBY", "n", 41)) == .integer(41))
        #expect(try await client.execute(RedisCommand("INCR", "n")).integer == 42)
        #expect(try await client.execute(RedisCommand("HSET", "h", "a", "1", "b", "2")) == .integer(2))
        let fields = try #require(try await client.execute(RedisCommand("HGETALL", "h")).array)
        #expect(Set(fields.compactMap(\.string)) == ["a", "1", "b", "2"])
        #expect(try await client.values(forKeys: [Array("k".utf8), Array("missing".utf8), Array("n".utf8)])
                == [binary, nil, Array("42".utf8)])
    }

    @Test("a pipeline of 20,000 commands returns every reply in order")
    func pipelining() async throws {
        let server = try RedisServer()
        defer { server.stop() }
        let client = try RedisClient(url: server.url())
        let count = 20_000
        let writes = (0..<count).map { RedisCommand("SET", "key:\($0)", "value:\($0)") }
        let written = try await client.pipeline(writes)
        #expect(written.count == count)
        #expect(written.allSatisfy { $0 == .simpleString("OK") })
        let reads = (0..<count).map { RedisCommand("GET", "key:\($0)") }
        let values = try await client.pipeline(reads)
        #expect(values.count == count)
        for index in [0, 1, count / 2, count - 1] {
            #expect(values[index].string == "value:\(index)")
        }
        #expect(values.enumerated().allSatisfy { $0.element.string == "value:\($0.offset)" })
        // MGET batches: more keys than one MGET takes.
        let keys = (0..<2_500).map { Array("key:\($0)".utf8) }
        let fetched = try await client.values(forKeys: keys)
        #expect(fetched.count == 2_500)
        #expect(fetched[2_499] == Array("value:2499".utf8))
    }

    @Test("values larger than the receive and send chunks round-trip (3 MiB, seeded bytes)")
    func largeValues() async throws {
        let server = try RedisServer()
        defer { server.stop() }
        let client = try RedisClient(url: server.url())
        var random = SplitMix64(seed: 8)
        let value = (0..<(3 << 20)).map { _ in UInt8(truncatingIfNeeded: random.next()) }
        try await client.execute(RedisCommand("SET", "big", value))
        let read = try await client.execute(RedisCommand("GET", "big"))
        #expect(read.bytes?.count == value.count)
        #expect(read.bytes == value)
        #expect(try await client.execute(RedisCommand("STRLEN", "big")) == .integer(Int64(value.count)))
    }

    @Test("time to live: SET PX and PEXPIRE set it, and keys expire")
    func timeToLive() async throws {
        let server = try RedisServer()
        defer { server.stop() }
        let client = try RedisClient(url: server.url())
        try await client.execute(RedisCommand("SET", "a", "1", "PX", 7_200_000))
        let remaining = try #require(try await client.execute(RedisCommand("PTTL", "a")).integer)
        // Slack of 200 s: a loaded machine can stall a test for many seconds.
        #expect(remaining > 7_000_000 && remaining <= 7_200_000)
        try await client.execute(RedisCommand("SET", "b", "1"))
        #expect(try await client.execute(RedisCommand("PTTL", "b")) == .integer(-1))
        try await client.execute(RedisCommand("PEXPIRE", "b", 50))
        try await Task.sleep(for: .milliseconds(200))
        #expect(try await client.execute(RedisCommand("EXISTS", "b")) == .integer(0))
        #expect(try await client.execute(RedisCommand("EXISTS", "a")) == .integer(1))
    }

    @Test("an error reply names the command and its key; the connection stays usable")
    func errorReplies() async throws {
        let server = try RedisServer()
        defer { server.stop() }
        let client = try RedisClient(url: server.url())
        try await client.execute(RedisCommand("SET", "deals:42", "x"))
        do {
            try await client.execute(RedisCommand("HSET", "deals:42", "f", "v"))
            Issue.record("HSET on a string succeeded")
        } catch let error as RedisError {
            #expect(error.kind == .reply)
            #expect(error.command == "HSET \"deals:42\"")
            #expect(error.errorCode == "WRONGTYPE")
            #expect(error.description.hasPrefix("redis 127.0.0.1:\(server.port): error reply in HSET \"deals:42\": WRONGTYPE"))
            #expect(!error.isRetryable)
        }
        // In a pipeline, an error is one reply among others.
        let replies = try await client.pipeline([RedisCommand("INCR", "deals:42"), RedisCommand("GET", "deals:42")])
        #expect(replies[0].errorMessage?.hasPrefix("ERR value is not an integer") == true)
        #expect(replies[1] == .bulkString(Array("x".utf8)))
    }

    @Test("SELECT from the URL's database: databases are separate")
    func databases() async throws {
        let server = try RedisServer()
        defer { server.stop() }
        let zero = try RedisClient(url: server.url(database: 0))
        let three = try RedisClient(url: server.url(database: 3))
        try await three.execute(RedisCommand("SET", "k", "in three"))
        #expect(try await zero.execute(RedisCommand("GET", "k")) == .null)
        #expect(try await three.execute(RedisCommand("GET", "k")).string == "in three")
        do {
            try await RedisClient(url: server.url(database: 99)).connect()
            Issue.record("SELECT 99 succeeded")
        } catch let error as RedisError {
            #expect(error.kind == .reply)
            #expect(error.command == "SELECT \"99\"")
        }
    }

    @Test("a server that is down: a connect error within the connect timeout")
    func serverDown() async throws {
        let port = try FreePort.find()
        let client = try RedisClient(url: "redis://127.0.0.1:\(port)/0", options: RedisOptions(connectTimeout: .seconds(2)))
        do {
            try await client.execute(RedisCommand("PING"))
            Issue.record("PING to a closed port succeeded")
        } catch let error as RedisError {
            #expect(error.kind == .connect)
            #expect(error.isRetryable)
            #expect(error.description == "redis 127.0.0.1:\(port): cannot connect: Connection refused")
        }
        // Timed on the calling thread, so a busy cooperative pool (the whole suite runs in
        // parallel on two cores) does not count against the connection.
        let clock = ContinuousClock()
        let started = clock.now
        #expect(throws: RedisError.self) {
            try RedisConnection(endpoint: RedisEndpoint(host: "127.0.0.1", port: port), options: RedisOptions(connectTimeout: .seconds(2)))
        }
        #expect(clock.now - started < .seconds(2))
    }

    @Test("a server that stops answering: a timeout naming the command, within the command timeout")
    func hungServer() async throws {
        let server = try RedisServer()
        defer { kill(server.server.pid, SIGCONT); server.stop() }
        let client = try RedisClient(url: server.url(), options: RedisOptions(connectTimeout: .seconds(5), commandTimeout: .milliseconds(300)))
        try await client.connect()
        kill(server.server.pid, SIGSTOP)
        // Timed on the client's queue, around the command alone.
        let (error, elapsed) = try await client.withConnection { connection -> (RedisError?, Duration) in
            let clock = ContinuousClock()
            let started = clock.now
            do {
                try connection.execute(RedisCommand("GET", "slow:key"))
                return (nil, clock.now - started)
            } catch let error as RedisError {
                return (error, clock.now - started)
            }
        }
        let timeout = try #require(error, "GET to a stopped server succeeded")
        #expect(timeout.kind == .timeout)
        #expect(timeout.command == "GET \"slow:key\"")
        #expect(timeout.isRetryable)
        #expect(elapsed >= .milliseconds(300) && elapsed < .seconds(3), "\(elapsed)")
        // A new connection to the stopped server times out within the connect timeout (the
        // kernel accepts the TCP connection; PING gets no reply).
        let fresh = try RedisClient(url: server.url(), options: RedisOptions(connectTimeout: .milliseconds(300)))
        await #expect(throws: RedisError.self) { try await fresh.connect() }
        kill(server.server.pid, SIGCONT)
        // After the timeout the client reconnects on the next call (retried: a loaded machine may
        // take longer than 300 ms to schedule the resumed server).
        var reply: RESPValue?
        for _ in 0..<20 where reply == nil {
            reply = try? await client.execute(RedisCommand("PING"))
        }
        #expect(reply == .simpleString("PONG"))
    }

    @Test("wrong password, missing password, ACL user: authentication errors that never show the password")
    func authentication() async throws {
        let server = try RedisServer(password: "right-password")
        defer { server.stop() }
        let administrator = try RedisConnection(endpoint: RedisEndpoint(url: server.url()))
        try administrator.execute(RedisCommand("ACL", "SETUSER", "alice", "on", ">alice-password", "~*", "&*", "+@all"))
        #expect(try await RedisClient(url: server.url()).execute(RedisCommand("PING")) == .simpleString("PONG"))
        #expect(try await RedisClient(url: "redis://alice:alice-password@127.0.0.1:\(server.port)/0")
            .execute(RedisCommand("PING")) == .simpleString("PONG"))

        do {
            try await RedisClient(url: "redis://:wrong-password@127.0.0.1:\(server.port)/0").connect()
            Issue.record("a wrong password was accepted")
        } catch let error as RedisError {
            #expect(error.kind == .authentication)
            #expect(error.errorCode == "WRONGPASS")
            #expect(error.command == "AUTH")
            #expect(!error.description.contains("wrong-password"))
            #expect(error.description.contains("as the default user"))
            #expect(!error.isRetryable)
        }
        do {
            try await RedisClient(url: "redis://alice:nope@127.0.0.1:\(server.port)/0").connect()
            Issue.record("a wrong ACL password was accepted")
        } catch let error as RedisError {
            #expect(error.kind == .authentication)
            #expect(error.description.contains("as user alice"))
            #expect(!error.description.contains("nope"))
        }
        do {
            try await RedisClient(url: "redis://127.0.0.1:\(server.port)/0").connect()
            Issue.record("no password was accepted")
        } catch let error as RedisError {
            #expect(error.kind == .authentication)
            #expect(error.errorCode == "NOAUTH")
        }
    }

    @Test("a connection the server drops: the call fails as connection closed, the next one reconnects")
    func reconnects() async throws {
        let server = try RedisServer()
        defer { server.stop() }
        let client = try RedisClient(url: server.url())
        try await client.execute(RedisCommand("CLIENT", "SETNAME", "victim"))
        let killer = try RedisConnection(endpoint: RedisEndpoint(url: server.url()))
        let killed = try killer.execute(RedisCommand("CLIENT", "KILL", "TYPE", "normal", "SKIPME", "yes"))
        #expect(killed == .integer(1))
        do {
            try await client.execute(RedisCommand("PING"))
            Issue.record("PING on a killed connection succeeded")
        } catch let error as RedisError {
            #expect(error.kind == .connectionClosed)
            #expect(error.command == "PING")
        }
        #expect(try await client.execute(RedisCommand("PING")) == .simpleString("PONG"))
    }

    @Test("many tasks share one client; calls run one at a time off the cooperative pool")
    func concurrentCalls() async throws {
        let server = try RedisServer()
        defer { server.stop() }
        let client = try RedisClient(url: server.url())
        try await withThrowingTaskGroup(of: Void.self) { group in
            for task in 0..<16 {
                group.addTask {
                    for step in 0..<50 { try await client.execute(RedisCommand("INCR", "counter:\(task % 4)")); _ = step }
                }
            }
            try await group.waitForAll()
        }
        let totals = try await client.pipeline((0..<4).map { RedisCommand("GET", "counter:\($0)") })
        #expect(totals.map(\.integer) == [200, 200, 200, 200])
    }
}
