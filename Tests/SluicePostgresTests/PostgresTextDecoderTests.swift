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
