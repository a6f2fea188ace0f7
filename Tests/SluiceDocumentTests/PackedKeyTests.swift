import Foundation
import Testing
@testable import SluiceDocument

@Suite struct PackedKeyTests {
    static func hex(_ bytes: [UInt8]) -> String {
        bytes.map { ($0 < 16 ? "0" : "") + String($0, radix: 16, uppercase: true) }.joined(separator: " ")
    }

    /// The test vectors of docs/document.md ("Packed keys"): the JSON value, then its bytes.
    static let vectors: [(String, String)] = [
        ("null", "00"),
        ("false", "26"),
        ("true", "27"),
        (#""""#, "02 00"),
        (#""a""#, "02 61 00"),
        (#""a\u0000b""#, "02 61 00 FF 62 00"),
        (#""é""#, "02 C3 A9 00"),
        ("0", "14"),
        ("1", "15 01"),
        ("255", "15 FF"),
        ("256", "16 01 00"),
        ("-1", "13 FE"),
        ("-255", "13 00"),
        ("-256", "12 FE FF"),
        ("9223372036854775807", "1C 7F FF FF FF FF FF FF FF"),
        ("-9223372036854775808", "0C 7F FF FF FF FF FF FF FF"),
        ("9223372036854775808", "1C 80 00 00 00 00 00 00 00"),
        ("18446744073709551615", "1C FF FF FF FF FF FF FF FF"),
        ("1.5", "21 BF F8 00 00 00 00 00 00"),
        ("-1.5", "21 40 07 FF FF FF FF FF FF"),
        ("20.0", "15 14"),
        ("-0.0", "14"),
        ("1e300", "21 FE 37 E4 3C 88 00 75 9C"),
        (#"[1,"a"]"#, "01 5B 31 2C 22 61 22 5D 00"),
        (#"{"k":null}"#, "01 7B 22 6B 22 3A 6E 75 6C 6C 7D 00"),
    ]

    @Test func vectors() throws {
        for (json, expected) in Self.vectors {
            let document = try Document(parsing: json)
            var bytes: [UInt8] = []
            PackedKey.append(document.root, to: &bytes)
            #expect(Self.hex(bytes) == expected, "\(json)")
            #expect(Self.hex(PackedKey.pack([TupleElement(document.jsonValue)])) == expected, "\(json) as JSONValue")
        }
        let tuple: [TupleElement] = [.string("a"), .int(1), .bool(true), .null, .bytes([0, 1])]
        #expect(Self.hex(PackedKey.pack(tuple)) == "02 61 00 15 01 27 00 01 00 FF 01 00")
        #expect(try PackedKey.unpack(PackedKey.pack(tuple)) == tuple)
    }

    /// docs/document.md holds the same vectors, row for row.
    @Test func vectorsAreInTheDocs() throws {
        let path = TestPaths.packageRoot.appendingPathComponent("docs/document.md").path
        let text = try String(contentsOfFile: path, encoding: .utf8)
        let table = try #require(text.components(separatedBy: "<!-- packed-key-vectors -->").last)
        for (json, expected) in Self.vectors {
            #expect(table.contains("| `\(json)` | `\(expected)` |"), "docs/document.md lacks \(json)")
        }
    }

    @Test func doubleRoundTripsExactly() throws {
        for value in [1.5, -1.5, 0.0, -0.0, .greatestFiniteMagnitude, -.leastNonzeroMagnitude, .infinity, -.infinity, 1e-300] {
            let unpacked = try PackedKey.unpack(PackedKey.pack([.double(value)]))
            guard case .double(let back) = unpacked.first else { Issue.record("\(value)"); continue }
            #expect(back.bitPattern == value.bitPattern)
        }
    }

    @Test func unpackIsStrict() {
        for bad: [UInt8] in [[0x02, 0x61], [0x15], [0x16, 0x00, 0x01], [0x13, 0xFF], [0x21, 0, 0], [0x03], [0x02, 0xC0, 0x80, 0x00], [0x0B]] {
            #expect(throws: PackedKeyError.self, "\(Self.hex(bad))") { try PackedKey.unpack(bad) }
        }
    }

    static func randomElement(_ random: inout RandomJSON) -> TupleElement {
        switch random.below(9) {
        case 0: return .null
        case 1: return .bool(random.below(2) == 0)
        case 2: return .string(random.string())
        case 3: return .bytes((0..<random.below(4)).map { _ in [0, 1, 0xFF, 0x61][random.below(4)] })
        case 4: return .int(RandomJSON.interestingIntegers[random.below(RandomJSON.interestingIntegers.count)])
        case 5: return .int(Int64(bitPattern: random.random.next()) >> random.below(64))
        case 6: return .uint(UInt64(Int64.max) + 1 + UInt64(random.below(1 << 20)))
        case 7: return .double(RandomJSON.interestingDoubles[random.below(RandomJSON.interestingDoubles.count)])
        default: return .double(Double(bitPattern: random.random.next()))
        }
    }

    /// Seeded: pack/unpack round-trips, and memcmp order of packed tuples is tuple order.
    @Test(arguments: [UInt64(21), 22, 23])
    func packedOrderIsTupleOrder(seed: UInt64) throws {
        var random = RandomJSON(seed: seed)
        var tuples: [[TupleElement]] = []
        for _ in 0..<300 {
            var tuple = (0..<(1 + random.below(3))).map { _ in Self.randomElement(&random) }
            tuple = tuple.map { element in
                if case .double(let value) = element, value.isNaN { return .double(0.5) }
                return element
            }
            tuples.append(tuple)
        }
        let packed = tuples.map(PackedKey.pack)
        for (tuple, bytes) in zip(tuples, packed) {
            let back = try PackedKey.unpack(bytes)
            #expect(back == tuple, "seed \(seed): \(tuple)")
            #expect(PackedKey.pack(back) == bytes)
        }
        for i in tuples.indices {
            for j in tuples.indices {
                let tupleOrder = Self.compareTuples(tuples[i], tuples[j])
                let byteOrder = packed[i].lexicographicallyPrecedes(packed[j]) ? -1 : (packed[i] == packed[j] ? 0 : 1)
                if tupleOrder != byteOrder {
                    Issue.record("seed \(seed): \(tuples[i]) vs \(tuples[j]): tuple order \(tupleOrder), bytes \(byteOrder)")
                    return
                }
            }
        }
    }

    static func compareTuples(_ a: [TupleElement], _ b: [TupleElement]) -> Int {
        for (x, y) in zip(a, b) {
            let order = TupleElement.compare(x, y)
            if order != 0 { return order }
        }
        return a.count < b.count ? -1 : (a.count > b.count ? 1 : 0)
    }

    /// Keys of booleans, integers and strings (what schemas allow) pack in an order that agrees
    /// with the semantic order within each type.
    @Test func packedOrderAgreesWithSemanticOrderWithinATypeOfKey() {
        var random = RandomJSON(seed: 31)
        let integers = (0..<200).map { _ in JSONValue.int(Int64(bitPattern: random.random.next()) >> random.below(64)) }
            + [.uint(UInt64.max), .uint(1 << 63), .double(20), .double(-3)]
        let strings = (0..<200).map { _ in JSONValue.string(random.string()) }
        for group in [integers, strings, [JSONValue.bool(false), .bool(true)]] {
            for a in group {
                for b in group {
                    let packedA = PackedKey.pack([TupleElement(a)])
                    let packedB = PackedKey.pack([TupleElement(b)])
                    let byteOrder = packedA.lexicographicallyPrecedes(packedB) ? -1 : (packedA == packedB ? 0 : 1)
                    #expect(byteOrder == JSONValue.compare(a, b), "\(a) vs \(b)")
                }
            }
        }
    }
}
