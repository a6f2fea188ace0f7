import Testing
@testable import SluiceSchema
import SluiceDocument

@Suite struct SchemaTextInferenceTests {
    func infer(_ schema: String, _ pointer: JSONPointer) throws -> LocationInference {
        SchemaTextInference.infer(try JSONValue(parsing: schema), at: pointer)
    }

    @Test func requiredPropertiesWithTypes() throws {
        let schema = ##"{"type":"object","required":["id","customer"],"properties":{"id":{"type":"integer"},"customer":{"type":"object","required":["cid"],"properties":{"cid":{"type":"string"},"tier":{"enum":["a","b"]}}},"amount":{"type":["number","null"],"default":0}}}"##
        #expect(try infer(schema, "/id") == LocationInference(mustExist: true, types: .integer))
        #expect(try infer(schema, "/customer/cid") == LocationInference(mustExist: true, types: .string))
        #expect(try infer(schema, "/customer/tier") == LocationInference(mustExist: false, types: .string))
        #expect(try infer(schema, "/amount") == LocationInference(mustExist: false, types: [.integer, .number, .null], defaultValue: 0))
        #expect(try infer(schema, "/nope") == .unknown)
    }

    @Test func referencesAndApplicators() throws {
        let schema = ##"{"$defs":{"key":{"type":"string"}},"allOf":[{"required":["k"]},{"properties":{"k":{"$ref":"#/$defs/key"}}}]}"##
        #expect(try infer(schema, "/k") == LocationInference(mustExist: true, types: .string))
        let union = ##"{"type":"object","oneOf":[{"required":["k"],"properties":{"k":{"type":"string"}}},{"required":["k"],"properties":{"k":{"type":"integer"}}}]}"##
        #expect(try infer(union, "/k") == LocationInference(mustExist: true, types: [.string, .integer]))
        let partial = ##"{"anyOf":[{"required":["k"]},{}]}"##
        #expect(try infer(partial, "/k").mustExist == false)
        let cycle = ##"{"$ref":"#"}"##
        #expect(try infer(cycle, "/k") == .unknown)
    }

    @Test func aParentThatMayNotBeAnObjectDoesNotGuaranteeItsChild() throws {
        let schema = ##"{"type":"object","required":["a"],"properties":{"a":{"type":["object","null"],"required":["b"],"properties":{"b":{"type":"string"}}}}}"##
        #expect(try infer(schema, "/a/b").mustExist == false)
    }

    @Test func topLevelProperties() throws {
        let schema = try JSONValue(parsing: ##"{"properties":{"b":{"type":"string"},"a":{"type":"integer"}},"required":["a"],"allOf":[{"properties":{"c":{}}}]}"##)
        let found = SchemaTextInference.topLevelProperties(schema)
        #expect(found.map(\.name) == ["a", "b", "c"])
        #expect(found[0].inference == LocationInference(mustExist: true, types: .integer))
    }
}
