import Testing
@testable import SluiceDocument

@Suite struct KeyExtractorTests {
    @Test func extractsPacksAndCompares() throws {
        let key = KeyExtractor(pointers: ["/customer/id", "/n"], defaults: [nil, 0])
        let a = try Document(parsing: #"{"customer":{"id":"c1"},"n":5}"#)
        let b = try Document(parsing: #"{"customer":{"id":"c1"}}"#)
        let c = try Document(parsing: #"{"n":5}"#)
        #expect(key.extract(a) == ["c1", 5])
        #expect(key.extract(b) == ["c1", 0])
        #expect(key.extract(c) == [.null, 5])
        #expect(PackedKeyTests.hex(key.packed(a)) == "02 63 31 00 15 05")
        #expect(PackedKeyTests.hex(key.packed(b)) == "02 63 31 00 14")
        #expect(PackedKeyTests.hex(key.packed(c)) == "00 15 05")
        #expect(key.compare(a, b) == 1)
        #expect(key.compare(b, a) == -1)
        #expect(key.compare(c, a) == -1)
        #expect(key.compare(a, a) == 0)
        let sameKey = try Document(parsing: #"{"customer":{"id":"c1","x":1},"n":5.0}"#)
        #expect(key.compare(a, sameKey) == 0)
        #expect(key.packed(a) == key.packed(sameKey))
    }

    @Test func arrayIndicesInPointers() throws {
        let key = KeyExtractor(pointers: ["/tags/1", "/tags/9"])
        let document = try Document(parsing: #"{"tags":["a","b"]}"#)
        #expect(key.extract(document) == ["b", .null])
    }
}
