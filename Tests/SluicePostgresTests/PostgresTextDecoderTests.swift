import SluiceDocument
@testable import SluicePostgres
import Testing

/// The text-form decoder without a server: byte-exact cases of the type mapping.
@Suite struct PostgresTextDecoderTests {
    func decode(_ text: String, _ mapping: PostgresJSONMapping) throws -> JSONValue {
        var builder = DocumentBuilder()
        var decoder = PostgresTextDecoder()
        var bytes = Array(text.utf8)
        try bytes.withUnsafeMutableBytes { try decoder.append(UnsafeRawBufferPointer($0), as: mapping, to: &builder) }
        return try builder.finish().jsonValue
    }

    @Test func numericIsExactWherePossible() throws {
        #expect(try decode("42", .numeric) == .int(42))
        #expect(try decode("-9223372036854775808", .numeric) == .int(Int64.min))
        #expect(try decode("18446744073709551615", .numeric) == .uint(UInt64.max))
        #expect(try decode("18446744073709551616", .numeric) == "18446744073709551616")
        #expect(try decode("12.500", .numeric) == .double(12.5))
        #expect(try decode("7.000", .numeric) == .int(7))
        #expect(try decode("0.1", .numeric) == .double(0.1))
        #expect(try decode("0.00001", .numeric) == .double(0.00001))
        #expect(try decode("123456789.123456789", .numeric) == "123456789.123456789")
        #expect(try decode("NaN", .numeric) == "NaN")
        #expect(try decode("-Infinity", .numeric) == "-Infinity")
        #expect(throws: PostgresDecodingError.self) { try decode("12a", .numeric) }
    }

    @Test func decimalSpellingsCompareByValue() {
        #expect(Decimal10("12.50") == Decimal10("1.25e1"))
        #expect(Decimal10("-0.00100") == Decimal10("-1e-3"))
        #expect(Decimal10("0.000") == Decimal10("-0"))
        #expect(Decimal10("1.5") != Decimal10("1.50001"))
        #expect(Decimal10("100")?.isIntegral == true)
        #expect(Decimal10("1e2")?.integerText == "100")
    }

    @Test func timestampsBecomeRFC3339() throws {
        #expect(try decode("2024-01-02 03:04:05", .timestamp) == "2024-01-02T03:04:05Z")
        #expect(try decode("2024-01-02 03:04:05.123456", .timestamp) == "2024-01-02T03:04:05.123456Z")
        #expect(try decode("2024-01-02 03:04:05+00", .timestampWithTimeZone) == "2024-01-02T03:04:05Z")
        #expect(try decode("2024-01-02 03:04:05.5-05", .timestampWithTimeZone) == "2024-01-02T03:04:05.5-05:00")
        #expect(try decode("2024-01-02 03:04:05+05:30", .timestampWithTimeZone) == "2024-01-02T03:04:05+05:30")
        #expect(try decode("infinity", .timestampWithTimeZone) == "infinity")
        #expect(try decode("0044-03-15 00:00:00 BC", .timestamp) == "0044-03-15 00:00:00 BC")
    }

    @Test func byteaBecomesBase64() throws {
        #expect(try decode("\\x", .bytea) == "")
        #expect(try decode("\\x66", .bytea) == "Zg==")
        #expect(try decode("\\x666f", .bytea) == "Zm8=")
        #expect(try decode("\\x666f6f62", .bytea) == "Zm9vYg==")
        #expect(throws: PostgresDecodingError.self) { try decode("\\x6", .bytea) }
        #expect(throws: PostgresDecodingError.self) { try decode("66", .bytea) }
    }

    @Test func arrayLiterals() throws {
        let integers = PostgresJSONMapping.array(element: .integer, delimiter: UInt8(ascii: ","))
        #expect(try decode("{}", integers) == [])
        #expect(try decode("{1,NULL,-3}", integers) == [1, .null, -3])
        #expect(try decode("{{1,2},{3,4}}", integers) == [[1, 2], [3, 4]])
        #expect(try decode("[2:3]={7,8}", integers) == [7, 8])
        let texts = PostgresJSONMapping.array(element: .text, delimiter: UInt8(ascii: ","))
        #expect(try decode(#"{"a,b","c\"d","e\\f",NULL,"NULL",plain}"#, texts) == ["a,b", "c\"d", "e\\f", .null, "NULL", "plain"])
        let boxes = PostgresJSONMapping.array(element: .text, delimiter: UInt8(ascii: ";"))
        #expect(try decode("{(1,1),(0,0);(2,2),(1,1)}", boxes) == ["(1,1),(0,0)", "(2,2),(1,1)"])
        #expect(throws: PostgresDecodingError.self) { try decode("{1,2", integers) }
        #expect(throws: PostgresDecodingError.self) { try decode("{1,2}x", integers) }
    }

    @Test func floatsAndBooleans() throws {
        #expect(try decode("1.5", .float) == 1.5)
        #expect(try decode("-1e-05", .float) == -0.00001)
        #expect(try decode("Infinity", .float) == "Infinity")
        #expect(try decode("t", .boolean) == true)
        #expect(throws: PostgresDecodingError.self) { try decode("true", .boolean) }
        #expect(try decode("-32768", .integer) == -32768)
        #expect(try decode("4294967295", .integer) == .int(4_294_967_295))
    }
}

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
