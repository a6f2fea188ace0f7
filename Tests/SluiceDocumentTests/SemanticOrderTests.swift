import Testing
@testable import SluiceDocument

@Suite struct SemanticOrderTests {
    @Test func examplesFromSemantics() throws {
        let ordered: [JSONValue] = [.null, false, true, -1.5, -1, 0, 0.5, 20, .uint(1 << 63), 1.8446744073709552e19,
                                    "", "a", "ab", "b", "é", [], [.null], [1], [1, 2], [2], [:], ["a": 1], ["a": 1, "b": 0], ["a": 2], ["b": 0]]
        for (index, left) in ordered.enumerated() {
            for (otherIndex, right) in ordered.enumerated() {
                let expected = index < otherIndex ? -1 : (index > otherIndex ? 1 : 0)
                #expect(JSONValue.compare(left, right) == expected, "\(left) vs \(right)")
                let a = try Document(left)
                let b = try Document(right)
                #expect(Node.compare(a.root, b.root) == expected, "\(left) vs \(right) as documents")
            }
        }
    }

    @Test func numbersCompareExactlyAcrossRepresentations() throws {
        #expect(JSONValue.int(20) == .double(20))
        #expect(JSONValue.uint(1 << 63) == .double(9.223372036854775808e18))
        #expect(JSONValue.int(Int64.max) < .double(9.223372036854775808e18))
        #expect(JSONValue.int(-1) < .uint(1 << 63))
        #expect(JSONValue.uint(UInt64.max) < .double(1.8446744073709552e19))
        #expect(JSONValue.int(9007199254740993) > .double(9007199254740992))
        #expect(JSONValue.double(-0.0) == .int(0))
        #expect(JSONValue.double(-9.3e18) < .int(Int64.min))
        #expect(JSONValue.double(0.5) > .int(0) && JSONValue.double(0.5) < .uint(1))
        let a = try Document(parsing: #"{"a":20,"b":[1,2]}"#)
        let b = try Document(parsing: #"{"b":[1.0,2e0],"a":20.0}"#)
        #expect(a == b)
        #expect(a.hashValue == b.hashValue)
        #expect(JSONValue.int(20).hashValue == JSONValue.double(20).hashValue)
        #expect(JSONValue.uint(5).hashValue == JSONValue.int(5).hashValue)
    }

    @Test func stringsCompareByUTF8BytesNotCanonicalEquivalence() {
        // "é" precomposed and decomposed are equal Swift Strings but different JSON strings.
        let precomposed: JSONValue = .string("\u{E9}")
        let decomposed: JSONValue = .string("e\u{301}")
        #expect(precomposed != decomposed)
        #expect(decomposed < precomposed)  // 0x65 < 0xC3
        let object: JSONObject = ["\u{E9}": 1, "e\u{301}": 2]
        #expect(object.count == 2)
    }

    /// Seeded: the order is total, antisymmetric and transitive, agrees between documents and
    /// heap values, and equal values hash alike.
    @Test(arguments: [UInt64(11), 12, 13])
    func orderIsATotalOrder(seed: UInt64) throws {
        var random = RandomJSON(seed: seed)
        let values = (0..<120).map { _ in random.smallValue() }
        let documents = try values.map { try Document($0) }
        var failures = 0
        for i in values.indices {
            for j in values.indices {
                let ab = JSONValue.compare(values[i], values[j])
                let ba = JSONValue.compare(values[j], values[i])
                if ab != -ba { failures += 1; Issue.record("seed \(seed): not antisymmetric: \(values[i]) vs \(values[j])") }
                if Node.compare(documents[i].root, documents[j].root) != ab {
                    failures += 1
                    Issue.record("seed \(seed): documents and values disagree: \(values[i]) vs \(values[j])")
                }
                if ab == 0 && values[i].hashValue != values[j].hashValue {
                    failures += 1
                    Issue.record("seed \(seed): equal values hash differently: \(values[i]) vs \(values[j])")
                }
                if failures > 5 { return }
            }
        }
        // Transitivity: sorting then checking every pair of the sorted list.
        let sorted = values.sorted()
        for i in sorted.indices {
            for j in sorted.indices where i < j {
                #expect(JSONValue.compare(sorted[i], sorted[j]) <= 0, "seed \(seed): not transitive at \(i), \(j)")
            }
        }
        for i in values.indices {
            for j in values.indices {
                for k in stride(from: 0, to: values.count, by: 7) {
                    if values[i] <= values[j] && values[j] <= values[k] && !(values[i] <= values[k]) {
                        Issue.record("seed \(seed): not transitive: \(values[i]), \(values[j]), \(values[k])")
                        return
                    }
                }
            }
        }
    }
}
