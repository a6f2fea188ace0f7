import Testing
@testable import SluiceDocument

@Suite struct JSONNumberTests {
    @Test func arithmeticIsExactOrNil() {
        #expect(JSONNumber.int(5).adding(.double(-1.5)) == .double(3.5))
        #expect(JSONNumber.int(Int64.max).adding(.int(1)) == .uint(1 << 63))
        #expect(JSONNumber.uint(UInt64.max).adding(.int(1)) == nil)
        #expect(JSONNumber.uint(UInt64.max).adding(.int(-1)) == .uint(UInt64.max - 1))
        #expect(JSONNumber.int(Int64.min).adding(.int(-1)) == nil)
        #expect(JSONNumber.uint(1 << 63).adding(.int(-1)) == .int(Int64.max))
        if case .int = JSONNumber.uint(1 << 63).adding(.int(-1))! {} else { Issue.record("canonical: fits Int64") }
        #expect(JSONNumber.double(.greatestFiniteMagnitude).adding(.double(.greatestFiniteMagnitude)) == nil)
        #expect(JSONNumber.int(1 << 32).multiplied(by: .int(1 << 31)) == .uint(1 << 63))
        #expect(JSONNumber.int(1 << 32).multiplied(by: .int(1 << 32)) == nil)
        #expect(JSONNumber.int(Int64.min).negated == .uint(1 << 63))
        #expect(JSONNumber.uint(UInt64.max).negated == nil)
        #expect(JSONNumber.double(2).negated == .int(-2))
    }

    @Test func exactIntegers() {
        #expect(JSONNumber.double(20).exactInteger == .int(20))
        #expect(JSONNumber.double(-0.0).exactInteger == .int(0))
        #expect(JSONNumber.double(0.5).exactInteger == nil)
        #expect(JSONNumber.double(1.8446744073709552e19).exactInteger == nil)
        if case .uint(let value)? = JSONNumber.double(9.223372036854775808e18).exactInteger {
            #expect(value == 1 << 63)
        } else {
            Issue.record("2^63 as a double is the UInt64 2^63")
        }
    }

    @Test func nodeHelpers() throws {
        let document = try Document(parsing: #"{"s":"a€😀","n":[1]}"#)
        #expect(document["s"]?.unicodeScalarCount == 3)
        #expect(document["n"]?.unicodeScalarCount == nil)
        #expect(document == ["n": [1], "s": "a€😀"])
        #expect(document["n"]! == [1.0])
        #expect(document.memoryBytes >= 16 * document.entryCount)
    }
}
