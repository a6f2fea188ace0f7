import Testing
import SluiceWorkload
@testable import SluiceRedis

@Suite("RESP2 encoding and decoding")
struct RESPTests {
    static func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

    @Test("commands encode as arrays of bulk strings, byte for byte")
    func commandVectors() {
        #expect(RESPEncoder.encode(RedisCommand("PING")) == Self.bytes("*1\r\n$4\r\nPING\r\n"))
        #expect(RESPEncoder.encode(RedisCommand("SET", "k", "v", "PX", 1500))
                == Self.bytes("*5\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n$2\r\nPX\r\n$4\r\n1500\r\n"))
        // Binary-safe: CR, LF and NUL inside a value travel as they are.
        #expect(RESPEncoder.encode(RedisCommand("SET", [0x00, 0x0D, 0x0A] as [UInt8], ""))
                == [UInt8]("*3\r\n$3\r\nSET\r\n$3\r\n".utf8) + [0x00, 0x0D, 0x0A] + Self.bytes("\r\n$0\r\n\r\n"))
    }

    @Test("each reply type decodes from its bytes")
    func replyVectors() throws {
        let vectors: [(String, RESPValue)] = [
            ("+OK\r\n", .simpleString("OK")),
            ("-WRONGTYPE Operation against a key holding the wrong kind of value\r\n",
             .error("WRONGTYPE Operation against a key holding the wrong kind of value")),
            (":0\r\n", .integer(0)),
            (":-42\r\n", .integer(-42)),
            (":9223372036854775807\r\n", .integer(.max)),
            (":-9223372036854775808\r\n", .integer(.min)),
            ("$5\r\nhello\r\n", .bulkString(Self.bytes("hello"))),
            ("$0\r\n\r\n", .bulkString([])),
            ("$-1\r\n", .null),
            ("*-1\r\n", .null),
            ("*0\r\n", .array([])),
            ("*3\r\n:1\r\n$1\r\na\r\n*1\r\n$-1\r\n", .array([.integer(1), .bulkString(Self.bytes("a")), .array([.null])])),
        ]
        for (text, expected) in vectors {
            let decoded = try #require(try RESPDecoder.decode(Self.bytes(text)), "\(text.debugDescription)")
            #expect(decoded.value == expected, "\(text.debugDescription)")
            #expect(decoded.length == text.utf8.count)
        }
    }

    @Test("every proper prefix of a reply is incomplete, not an error")
    func prefixesAreIncomplete() throws {
        let reply = Self.bytes("*4\r\n+OK\r\n:12\r\n$4\r\na\r\nb\r\n*2\r\n$-1\r\n-ERR x\r\n")
        for length in 0..<reply.count {
            #expect(try RESPDecoder.decode(Array(reply[..<length])) == nil, "prefix of \(length) bytes")
        }
        #expect(try RESPDecoder.decode(reply)?.length == reply.count)
    }

    @Test("a reply followed by more bytes reports only its own length")
    func replyLengthWithTrailingBytes() throws {
        let decoded = try #require(try RESPDecoder.decode(Self.bytes("+QUEUED\r\n+QUEUED\r\n")))
        #expect(decoded.value == .simpleString("QUEUED"))
        #expect(decoded.length == 9)
    }

    @Test("malformed streams throw with the offset of the bad byte")
    func protocolErrors() {
        let cases: [(String, Int, String)] = [
            ("?x\r\n", 0, "unexpected reply type"),
            (":12a\r\n", 3, "non-digit"),
            (":\r\n", 1, "empty integer"),
            (":99999999999999999999\r\n", 1, "overflows"),
            ("$3\r\nabcd\r\n", 7, "not followed by CRLF"),
            ("+OK\rX", 3, "CR not followed by LF"),
            ("+OK\n", 3, "LF without CR"),
            ("$-2\r\n", 0, "bulk string length -2"),
            ("*-5\r\n", 0, "array length -5"),
        ]
        for (text, offset, fragment) in cases {
            do throws(RESPProtocolError) {
                _ = try RESPDecoder.decode(Self.bytes(text))
                Issue.record("\(text.debugDescription) decoded")
            } catch {
                #expect(error.offset == offset, "\(text.debugDescription): \(error)")
                #expect(error.message.contains(fragment), "\(text.debugDescription): \(error)")
            }
        }
    }

    @Test("limits: bulk length, array length, nesting depth and line length, at their boundaries")
    func limits() throws {
        var limits = RESPDecoder.Limits()
        limits.bulkStringBytesMax = 4
        limits.arrayElementsMax = 2
        limits.nestingDepthMax = 2
        limits.lineBytesMax = 8
        #expect(try RESPDecoder.decode(Self.bytes("$4\r\nabcd\r\n"), limits: limits)?.value == .bulkString(Self.bytes("abcd")))
        #expect(throws: RESPProtocolError.self) { try RESPDecoder.decode(Self.bytes("$5\r\nabcde\r\n"), limits: limits) }
        #expect(try RESPDecoder.decode(Self.bytes("*2\r\n:1\r\n:2\r\n"), limits: limits)?.value == .array([.integer(1), .integer(2)]))
        #expect(throws: RESPProtocolError.self) { try RESPDecoder.decode(Self.bytes("*3\r\n:1\r\n:2\r\n:3\r\n"), limits: limits) }
        #expect(try RESPDecoder.decode(Self.bytes("*1\r\n*1\r\n:1\r\n"), limits: limits)?.value == .array([.array([.integer(1)])]))
        #expect(throws: RESPProtocolError.self) { try RESPDecoder.decode(Self.bytes("*1\r\n*1\r\n*1\r\n:1\r\n"), limits: limits) }
        #expect(try RESPDecoder.decode(Self.bytes("+12345678\r\n"), limits: limits)?.value == .simpleString("12345678"))
        #expect(throws: RESPProtocolError.self) { try RESPDecoder.decode(Self.bytes("+123456789\r\n"), limits: limits) }
        // A forged huge count with few bytes behind it is incomplete, not a huge allocation.
        #expect(try RESPDecoder.decode(Self.bytes("*16000000\r\n:1\r\n")) == nil)
    }

    /// Random nested replies: encode, decode whole and from every split point.
    @Test("random replies round-trip through the encoder and decoder (seeded)")
    func randomRoundTrips() throws {
        let seed: UInt64 = 0x5EED_7E57
        var random = SplitMix64(seed: seed)
        for iteration in 0..<500 {
            let value = Self.randomValue(&random, depth: 0)
            var bytes: [UInt8] = []
            RESPEncoder.append(value, to: &bytes)
            let decoded = try RESPDecoder.decode(bytes)
            #expect(decoded?.value == value, "seed \(seed) iteration \(iteration)")
            #expect(decoded?.length == bytes.count, "seed \(seed) iteration \(iteration)")
            let split = random.below(bytes.count)
            #expect(try RESPDecoder.decode(Array(bytes[..<split])) == nil, "seed \(seed) iteration \(iteration) split \(split)")
        }
    }

    static func randomValue(_ random: inout SplitMix64, depth: Int) -> RESPValue {
        switch random.below(depth < 3 ? 6 : 5) {
        case 0: return .simpleString(String(repeating: "x", count: random.below(10)))
        case 1: return .error("ERR " + String(repeating: "e", count: random.below(10)))
        case 2: return .integer(Int64(bitPattern: random.next()))
        case 3: return .bulkString((0..<random.below(40)).map { _ in UInt8(truncatingIfNeeded: random.next()) })
        case 4: return .null
        default: return .array((0..<random.below(5)).map { _ in randomValue(&random, depth: depth + 1) })
        }
    }

    @Test("commands name themselves in errors, hiding AUTH's arguments")
    func commandDescriptions() {
        #expect(RedisCommand("set", "deals:42", "v").description == "SET \"deals:42\"")
        #expect(RedisCommand("AUTH", "alice", "secret").description == "AUTH")
        #expect(RedisCommand("GET", [0x01, 0x41] as [UInt8]).description == "GET \"\\x01A\"")
        #expect(RedisCommand("PING").description == "PING")
    }
}
