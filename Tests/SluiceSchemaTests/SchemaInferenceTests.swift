import Testing
import SluiceDocument
@testable import SluiceSchema

/// `Schema.shape(at:)` and `Schema.projections()`: types and existence of locations, found
/// without a document (materializations choose typed columns with them).
@Suite struct SchemaInferenceTests {
    static func shape(_ schemaText: String, _ pointer: JSONPointer) throws -> LocationShape {
        try schema(schemaText).shape(at: pointer)
    }

    @Test func typesAndRequiredOfTopLevelProperties() throws {
        let text = ##"""
            {"type": "object", "required": ["id", "n"],
             "properties": {"id": {"type": "string"}, "n": {"type": "integer"}, "x": {"type": "number"},
                            "flag": {"type": ["boolean", "null"]}, "tags": {"type": "array"}, "any": {}}}
            """##
        #expect(try Self.shape(text, "/id") == LocationShape(types: .string, mustExist: true))
        #expect(try Self.shape(text, "/n") == LocationShape(types: .integer, mustExist: true))
        #expect(try Self.shape(text, "/x") == LocationShape(types: [.integer, .number], mustExist: false))
        #expect(try Self.shape(text, "/flag") == LocationShape(types: [.boolean, .null], mustExist: false))
        #expect(try Self.shape(text, "/tags") == LocationShape(types: .array, mustExist: false))
        #expect(try Self.shape(text, "/any") == LocationShape(types: .all, mustExist: false))
        #expect(try Self.shape(text, "/missing") == LocationShape(types: .all, mustExist: false))
        #expect(try Self.shape(text, "") == LocationShape(types: .object, mustExist: true))
        #expect(try schema(text).projections().map(\.field) == ["any", "flag", "id", "n", "tags", "x"])
    }

    @Test func nestedLocationsNeedEveryStepRequired() throws {
        let text = ##"""
            {"type": "object", "required": ["customer"],
             "properties": {"customer": {"type": "object", "required": ["cid"],
                                          "properties": {"cid": {"type": "string"}, "tier": {"enum": ["gold", "silver"]}}},
                            "other": {"properties": {"deep": {"const": 3}}, "required": ["deep"]}}}
            """##
        #expect(try Self.shape(text, "/customer/cid") == LocationShape(types: .string, mustExist: true))
        #expect(try Self.shape(text, "/customer/tier") == LocationShape(types: .string, mustExist: false))
        // `other` itself is optional, so its required child is not promised.
        #expect(try Self.shape(text, "/other/deep") == LocationShape(types: .integer, mustExist: false))
    }

    @Test func referencesAndAllOfIntersectAnyOfUnites() throws {
        let text = ##"""
            {"$defs": {"count": {"type": "integer"}, "label": {"type": ["string", "integer"]}},
             "allOf": [{"required": ["a"]}, {"properties": {"a": {"$ref": "#/$defs/label"}}}],
             "properties": {"a": {"type": ["integer", "boolean"]}, "c": {"$ref": "#/$defs/count"}},
             "anyOf": [{"properties": {"b": {"type": "string"}}, "required": ["b"]},
                       {"properties": {"b": {"type": "integer"}}}]}
            """##
        #expect(try Self.shape(text, "/a") == LocationShape(types: .integer, mustExist: true))
        #expect(try Self.shape(text, "/b") == LocationShape(types: [.string, .integer], mustExist: false))
        #expect(try Self.shape(text, "/c") == LocationShape(types: .integer, mustExist: false))
        #expect(try schema(text).projections().map(\.field) == ["a", "b", "c"])
    }

    @Test func conditionalsAndItems() throws {
        let text = ##"""
            {"if": {"properties": {"k": {"const": 1}}}, "then": {"properties": {"v": {"type": "string"}}},
             "else": {"properties": {"v": {"type": "boolean"}}},
             "properties": {"list": {"prefixItems": [{"type": "string"}], "items": {"type": "number"}}}}
            """##
        #expect(try Self.shape(text, "/v") == LocationShape(types: [.string, .boolean], mustExist: false))
        #expect(try Self.shape(text, "/list/0").types == .string)
        #expect(try Self.shape(text, "/list/3").types == [.integer, .number])
    }

    @Test func recursiveSchemasTerminate() throws {
        let text = ##"{"properties": {"child": {"$ref": "#"}, "n": {"type": "integer"}}}"##
        #expect(try Self.shape(text, "/child/child/child/n").types == .integer)
        #expect(try Self.shape(text, "/n") == LocationShape(types: .integer, mustExist: false))
        #expect(try schema(text).projections().map(\.field) == ["child", "n"])
        #expect(JSONTypeSet([.integer, .number, .null]).description == "null, number")
    }
}
