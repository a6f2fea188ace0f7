@testable import SluicePostgres
import Testing

/// pgoutput messages and LSNs, byte-exact.
@Suite struct PgOutputMessageTests {
    static func bigEndian(_ value: UInt64, _ count: Int) -> [UInt8] {
        (0..<count).reversed().map { UInt8(truncatingIfNeeded: value >> UInt64($0 * 8)) }
    }

    @Test func lsnText() {
        #expect(PostgresLSN(0x16_B374_D848).description == "16/B374D848")
        #expect(PostgresLSN("16/B374D848") == PostgresLSN(0x16_B374_D848))
        #expect(PostgresLSN("0/0") == .zero)
        #expect(PostgresLSN("16B374D848") == nil)
        #expect(PostgresLSN("1/123456789") == nil)
    }

    @Test func beginCommitRelationAndChanges() throws {
        let begin: [UInt8] = [UInt8(ascii: "B")] + Self.bigEndian(0x1_0000_0010, 8) + Self.bigEndian(1_000_000, 8) + Self.bigEndian(731, 4)
        #expect(try PgOutputMessage.decode(begin) == .begin(finalLSN: PostgresLSN(0x1_0000_0010), commitMicroseconds: 1_000_000, xid: 731))

        let commit: [UInt8] = [UInt8(ascii: "C"), 0] + Self.bigEndian(0x10, 8) + Self.bigEndian(0x38, 8) + Self.bigEndian(5, 8)
        #expect(try PgOutputMessage.decode(commit) == .commit(commitLSN: PostgresLSN(0x10), endLSN: PostgresLSN(0x38), commitMicroseconds: 5))

        var relation: [UInt8] = [UInt8(ascii: "R")] + Self.bigEndian(16384, 4) + Array("public".utf8) + [0] + Array("t".utf8) + [0]
        relation += [UInt8(ascii: "d")] + Self.bigEndian(2, 2)
        relation += [1] + Array("id".utf8) + [0] + Self.bigEndian(23, 4) + Self.bigEndian(UInt64(UInt32.max), 4)
        relation += [0] + Array("v".utf8) + [0] + Self.bigEndian(25, 4) + Self.bigEndian(UInt64(UInt32.max), 4)
        #expect(try PgOutputMessage.decode(relation) == .relation(PgOutputRelation(
            id: 16384, schema: "public", name: "t", replicaIdentity: UInt8(ascii: "d"),
            columns: [.init(isIdentity: true, name: "id", typeOID: 23, typeModifier: -1),
                      .init(isIdentity: false, name: "v", typeOID: 25, typeModifier: -1)])))

        // INSERT (id 7, v NULL); UPDATE with old key K and an unchanged TOAST value; DELETE O.
        let insert: [UInt8] = [UInt8(ascii: "I")] + Self.bigEndian(16384, 4) + [UInt8(ascii: "N")] + Self.bigEndian(2, 2)
            + [UInt8(ascii: "t")] + Self.bigEndian(1, 4) + [UInt8(ascii: "7"), UInt8(ascii: "n")]
        #expect(try PgOutputMessage.decode(insert) == .insert(relation: 16384, new: [.text(13..<14), .null]))
        let update: [UInt8] = [UInt8(ascii: "U")] + Self.bigEndian(16384, 4) + [UInt8(ascii: "K")] + Self.bigEndian(2, 2)
            + [UInt8(ascii: "t")] + Self.bigEndian(1, 4) + [UInt8(ascii: "7"), UInt8(ascii: "n")]
            + [UInt8(ascii: "N")] + Self.bigEndian(2, 2) + [UInt8(ascii: "t")] + Self.bigEndian(1, 4) + [UInt8(ascii: "8"), UInt8(ascii: "u")]
        #expect(try PgOutputMessage.decode(update) == .update(relation: 16384, oldKind: UInt8(ascii: "K"), old: [.text(13..<14), .null],
                                                              new: [.text(23..<24), .unchanged]))
        let delete: [UInt8] = [UInt8(ascii: "D")] + Self.bigEndian(16384, 4) + [UInt8(ascii: "O")] + Self.bigEndian(1, 2) + [UInt8(ascii: "n")]
        #expect(try PgOutputMessage.decode(delete) == .delete(relation: 16384, oldKind: UInt8(ascii: "O"), old: [.null]))
        #expect(try PgOutputMessage.decode([UInt8(ascii: "Y"), 1, 2]) == .other(tag: UInt8(ascii: "Y")))
    }

    @Test func truncatedMessagesAreErrors() {
        #expect(throws: PgOutputDecodingError.self) { try PgOutputMessage.decode([UInt8(ascii: "B"), 0, 0]) }
        #expect(throws: PgOutputDecodingError.self) {
            try PgOutputMessage.decode([UInt8(ascii: "I")] + Self.bigEndian(1, 4) + [UInt8(ascii: "N")] + Self.bigEndian(1, 2)
                                       + [UInt8(ascii: "t")] + Self.bigEndian(10, 4) + [1])
        }
        #expect(throws: PgOutputDecodingError.self) { try PgOutputMessage.decode([UInt8(ascii: "R")] + Self.bigEndian(1, 4) + [65]) }
    }
}
