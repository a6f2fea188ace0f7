import Foundation
import Testing
@testable import SluiceDocument

@Suite struct JSONValueTests {
    @Test func literalsAndAccessors() {
        var value: JSONValue = ["id": "a", "n": [1, 2.5, true, .null], "o": ["x": 1]]
        #expect(value["id"]?.string == "a")
        #expect(value["n"]?[1]?.number == .double(2.5))
        #expect(value["missing"] == nil)
        #expect(value["o"]?.object?.names == ["x"])
        value["id"] = "b"
        value["o"] = nil
        #expect(value.description == #"{"id":"b","n":[1,2.5,true,null]}"#)
        #expect(value.kind == .object)
    }

    @Test func codableThroughFoundation() throws {
        let text = #"{"a":[1,-2,18446744073709551615,1.5,"x",null,true],"b":{"c":{}}}"#
        let value = try JSONDecoder().decode(JSONValue.self, from: Data(text.utf8))
        #expect(value == (try JSONValue(parsing: text)))
        if case .uint(let big)? = value["a"]?[2] { #expect(big == UInt64.max) } else { Issue.record("UInt64 kept exact") }
        let encoded = try JSONEncoder().encode(value)
        #expect(try Document(parsing: encoded) == value)
    }

    /// Seeded: documents built by copying random nodes of random documents agree with the same
    /// construction on heap values.
    @Test(arguments: [UInt64(51), 52])
    func builderCopiesAgreeWithTheHeapModel(seed: UInt64) throws {
        var random = RandomJSON(seed: seed)
        for _ in 0..<200 {
            let sources = try (0..<3).map { _ in try Document(random.value()) }
            func randomNode(_ node: Node) -> Node {
                var node = node
                while node.count > 0 && random.below(3) != 0 {
                    let index = random.below(node.count)
                    node = node.kind == .array ? node[index]! : Array(node.properties)[index].value
                }
                return node
            }
            var builder = DocumentBuilder()
            var model = JSONObject()
            builder.beginObject()
            for index in 0..<random.below(5) {
                let node = randomNode(sources[random.below(3)].root)
                let name = "p\((index * 7) % 5)\(index)"
                builder.property(name)
                builder.copy(node)
                model[name] = node.jsonValue
            }
            builder.endObject()
            let built = try builder.finish()
            #expect(built.jsonValue == .object(model), "seed \(seed)")
            #expect(built.jsonBytes == JSONValue.object(model).jsonBytes, "seed \(seed)")
            #expect(try Document(tapeBytes: built.tapeBytes) == built)
        }
    }
}
