import Testing
@testable import SluiceRedis

@Suite("redis:// URLs")
struct RedisEndpointTests {
    @Test("URL forms parse into host, port, user, password and database")
    func forms() throws {
        let cases: [(String, RedisEndpoint)] = [
            ("redis://127.0.0.1:6380/2", RedisEndpoint(host: "127.0.0.1", port: 6380, database: 2)),
            ("redis://localhost", RedisEndpoint(host: "localhost")),
            ("redis://localhost/", RedisEndpoint(host: "localhost")),
            ("redis://:s3cret@h:1/0", RedisEndpoint(host: "h", port: 1, password: "s3cret")),
            ("redis://alice:p%40ss%3Aword@h:7000/15", RedisEndpoint(host: "h", port: 7000, username: "alice", password: "p@ss:word", database: 15)),
            ("redis://onlypassword@h", RedisEndpoint(host: "h", password: "onlypassword")),
            ("redis://[::1]:6390/3", RedisEndpoint(host: "::1", port: 6390, database: 3)),
            ("REDIS://h:9", RedisEndpoint(host: "h", port: 9)),
        ]
        for (url, expected) in cases {
            #expect(try RedisEndpoint(url: url) == expected, "\(url)")
        }
    }

    @Test("bad URLs name what is wrong and never print the password")
    func errors() {
        let cases: [(String, String)] = [
            ("localhost:6379", "expected redis://"),
            ("http://h:1", "scheme http"),
            ("rediss://h:1", "TLS"),
            ("redis://h:0", "port"),
            ("redis://h:99999", "port"),
            ("redis://h:x", "port"),
            ("redis://h/abc", "database"),
            ("redis://:secret@/0", "no host"),
            ("redis://u:%zz@h", "percent-encoding"),
            ("redis://h?db=1", "query"),
            ("redis://[::1", "IPv6"),
        ]
        for (url, fragment) in cases {
            do {
                _ = try RedisEndpoint(url: url)
                Issue.record("\(url) parsed")
            } catch {
                #expect(error.kind == .invalidURL)
                #expect(error.message.contains(fragment), "\(url): \(error)")
                #expect(!error.description.contains("secret"), "\(error)")
            }
        }
    }

    @Test("descriptions hide the password")
    func redaction() throws {
        let endpoint = try RedisEndpoint(url: "redis://alice:topsecret@h:7000/1")
        #expect(endpoint.description == "redis://alice:***@h:7000/1")
        #expect(endpoint.address == "h:7000")
        #expect(RedisEndpoint(host: "::1").address == "[::1]:6379")
        #expect(RedisEndpoint.redacted("redis://:pw@h:1/0") == "redis://***@h:1/0")
    }

    @Test("time to live in milliseconds rounds up, never to zero")
    func timeToLive() {
        #expect(RedisWrite.milliseconds(.seconds(2)) == 2000)
        #expect(RedisWrite.milliseconds(.microseconds(1)) == 1)
        #expect(RedisWrite.milliseconds(.milliseconds(1500)) == 1500)
        #expect(RedisWrite.milliseconds(.seconds(7200)) == 7_200_000)
        #expect(RedisSocket.milliseconds(.nanoseconds(1)) == 1)
        #expect(RedisSocket.milliseconds(.seconds(Int64.max / 1000)) == Int32.max)
    }

    @Test("writes expand to their commands")
    func writeCommands() {
        let key: [UInt8] = Array("deals:1".utf8)
        #expect(RedisWrite.set(key: key, value: [1], timeToLive: .seconds(2)).commands
                == [RedisCommand("SET", key, [1] as [UInt8], "PX", 2000)])
        #expect(RedisWrite.set(key: key, value: [1]).commands == [RedisCommand("SET", key, [1] as [UInt8])])
        #expect(RedisWrite.hash(key: key, fields: [RedisHashField("a", "1")], timeToLive: .milliseconds(5)).commands
                == [RedisCommand("DEL", key), RedisCommand("HSET", key, "a", "1"), RedisCommand("PEXPIRE", key, 5)])
        #expect(RedisWrite.hash(key: key, fields: []).commands == [RedisCommand("DEL", key)])
        #expect(RedisWrite.delete(key: key).commands == [RedisCommand("DEL", key)])
    }
}
