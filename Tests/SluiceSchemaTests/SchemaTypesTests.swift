import Testing
import SluiceDocument
import SluiceSchema

@Suite struct SchemaTypesTests {
    @Test func typesAtLocations() throws {
        let schema = try Schema([
            "type": "object",
            "properties": [
                "qty": ["type": ["integer", "null"]],
                "price": ["$ref": "#/$defs/money"],
                "either": ["anyOf": [["type": "string"], ["type": "boolean"]]],
                "free": [:],
                "tags": ["type": "array", "items": ["type": "string"]],
            ],
            "additionalProperties": ["type": "number"],
            "$defs": ["money": ["type": "number"]],
        ])
        #expect(schema.types(at: "/qty") == [.integer, .null])
        #expect(schema.types(at: "/price") == [.integer, .number])
        #expect(schema.types(at: "/either") == [.string, .boolean])
        #expect(schema.types(at: "/free") == nil)
        #expect(schema.types(at: "/tags/3") == [.string])
        #expect(schema.types(at: "/other") == [.integer, .number])
        #expect(schema.types(at: "") == [.object])
        #expect(JSONTypeSet.number.allowsInteger)
        #expect(!JSONTypeSet.string.allowsInteger)
        #expect(JSONTypeSet([.null, .integer]).description == "null, integer")
    }
}
