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

    /// Seeded: the tape walk of `pack` agrees with resolving nodes and packing their elements.
    @Test func packAgreesWithNodeByNodePacking() throws {
        var random = RandomJSON(seed: 61)
        let pointers: [JSONPointer] = ["", "/a", "/0", "/1/a", "/b/0", "/~0", "/é", "/a/b/c"]
        for _ in 0..<300 {
            var value = random.value()
            if random.below(2) == 0 { value = ["a": random.value(), "b": [random.scalar()], "é": random.scalar()] }
            let document = try Document(value)
            let chosen = (0..<(1 + random.below(3))).map { _ in pointers[random.below(pointers.count)] }
            let key = KeyExtractor(pointers: chosen)
            var expected: [UInt8] = []
            for pointer in chosen {
                if let node = document[pointer: pointer] { PackedKey.append(TupleElement(node), to: &expected) } else { expected.append(0) }
            }
            #expect(key.packed(document) == expected, "\(value) at \(chosen)")
        }
    }
}
