import Testing
import SluiceDocument
@testable import SluiceSchema

/// What an invalid document reports: pointer, keyword, locations, words a person can act on.
@Suite struct ValidationErrorTests {
    static func errors(_ schemaText: String, _ documentText: String, options: SchemaOptions = SchemaOptions()) throws -> ValidationFailure {
        let compiled = try schema(schemaText, options: options)
        var validator = compiled.validator()
        let failure = validator.errors(document(documentText))
        return try #require(failure)
    }

    @Test func oneErrorHasEveryLocation() throws {
        let failure = try Self.errors(##"""
            {"$id": "https://example.com/order.json",
             "properties": {"customer": {"$ref": "#/$defs/customer"}},
             "$defs": {"customer": {"properties": {"tier": {"enum": ["bronze", "silver", "gold"]}}}}}
            """##, ##"{"customer": {"tier": "platinum"}}"##)
        #expect(failure.errors.count == 1)
        let error = failure.errors[0]
        #expect(error.instanceLocation == "/customer/tier")
        #expect(error.keyword == "enum")
        #expect(error.keywordLocation == "/properties/customer/$ref/properties/tier/enum")
        #expect(error.absoluteKeywordLocation == "https://example.com/order.json#/$defs/customer/properties/tier/enum")
        #expect(error.message == ##""platinum" is not one of "bronze", "gold", "silver""##)
        #expect(error.description == ##"/customer/tier: "platinum" is not one of "bronze", "gold", "silver" (enum at https://example.com/order.json#/$defs/customer/properties/tier/enum)"##)
        #expect(!failure.isTruncated)
    }

    @Test func messagesSayWhatIsWrongAndWhatIsRight() throws {
        let text = ##"""
            {"type": "object", "required": ["id", "ts"], "additionalProperties": false,
             "properties": {"id": {"type": "string", "pattern": "^key-[0-9]{6}$"},
                            "ts": {"type": "string", "format": "date-time"},
                            "qty": {"type": "integer", "minimum": 1},
                            "tags": {"type": "array", "maxItems": 1, "uniqueItems": true}}}
            """##
        let failure = try Self.errors(text, ##"{"id": "k-1", "qty": 0.5, "tags": ["a", "a"], "extra": true}"##)
        let lines = failure.errors.map(\.description)
        #expect(lines.contains(##"(root): missing required property "ts" (required at urn:sluice:schema#/required)"##))
        #expect(lines.contains(##"/id: "k-1" does not match the pattern "^key-[0-9]{6}$" (pattern at urn:sluice:schema#/properties/id/pattern)"##))
        #expect(lines.contains("/qty: expected integer, found number 0.5 (type at urn:sluice:schema#/properties/qty/type)"))
        #expect(lines.contains("/qty: 0.5 is less than the minimum 1 (minimum at urn:sluice:schema#/properties/qty/minimum)"))
        #expect(lines.contains("/tags: the array has 2 items, more than the maximum 1 (maxItems at urn:sluice:schema#/properties/tags/maxItems)"))
        #expect(lines.contains("/tags: items 0 and 1 are equal; uniqueItems requires distinct items (uniqueItems at urn:sluice:schema#/properties/tags/uniqueItems)"))
        #expect(lines.contains(##"/extra: property "extra" is not allowed (additionalProperties is false; the schema lists "id", "qty", "tags", "ts") (additionalProperties at urn:sluice:schema#/additionalProperties)"##))
        #expect(failure.errors.count == 7)

        let format = try Self.errors(text, ##"{"id": "key-000001", "ts": "2024-02-30T00:00:00Z"}"##)
        #expect(format.errors.map(\.message) == [##""2024-02-30T00:00:00Z" is not a valid date-time: expected an RFC 3339 date-time such as 2024-01-01T00:00:00.229Z"##])
        #expect(format.errors[0].instanceLocation == "/ts")
    }

    @Test func anyOfAndOneOfSayWhyEachBranchFailed() throws {
        let anyOf = try Self.errors(##"{"anyOf": [{"type": "string"}, {"type": "integer", "minimum": 10}]}"##, "5")
        #expect(anyOf.errors.map(\.message) == ["5 matches none of the 2 subschemas of anyOf: #0: expected string, found integer 5; #1: 5 is less than the minimum 10"])
        #expect(anyOf.errors[0].keywordLocation == "/anyOf")
        #expect(anyOf.errors[0].description == "(root): 5 matches none of the 2 subschemas of anyOf: #0: expected string, found integer 5; #1: 5 is less than the minimum 10 (anyOf at urn:sluice:schema#/anyOf)")
        let oneOf = try Self.errors(##"{"oneOf": [{"type": "number"}, {"type": "integer"}]}"##, "5")
        #expect(oneOf.errors.map(\.message) == ["5 matches 2 subschemas of oneOf (#0, #1); it must match exactly one"])
        let nested = try Self.errors(##"{"anyOf": [{"properties": {"a": {"type": "string"}}}, {"required": ["b"]}]}"##, ##"{"a": 1}"##)
        #expect(nested.errors.map(\.message) == [##"{"a":1} matches none of the 2 subschemas of anyOf: #0: /a: expected string, found integer 1; #1: missing required property "b""##])
    }

    @Test func falseSchemasAndUnevaluated() throws {
        let failure = try Self.errors(##"{"properties": {"a": false}, "unevaluatedProperties": false}"##, ##"{"a": 1, "b": 2}"##)
        #expect(failure.errors.map(\.description) == [
            "/a: no value is allowed here (the schema is false) (false at urn:sluice:schema#/properties/a)",
            ##"/b: property "b" is not allowed (unevaluatedProperties is false and no subschema evaluates it) (unevaluatedProperties at urn:sluice:schema#/unevaluatedProperties)"##,
        ])
        #expect(failure.errors[0].keywordLocation == "/properties/a")
    }

    @Test func theErrorLimitCutsTheListAndSaysSo() throws {
        var properties: [String] = []
        for index in 0..<30 { properties.append("\"p\(index)\": \(index)") }
        let failure = try Self.errors(##"{"additionalProperties": {"type": "string"}}"##, "{" + properties.joined(separator: ",") + "}",
                                      options: SchemaOptions(errorLimit: 10))
        #expect(failure.errors.count == 10)
        #expect(failure.isTruncated)
        #expect(failure.description.hasSuffix("… and possibly more (stopped after 10 errors)"))
    }

    @Test func propertyNamesPointAtTheProperty() throws {
        let failure = try Self.errors(##"{"propertyNames": {"maxLength": 3}}"##, ##"{"long name": 1, "ok": 2}"##)
        #expect(failure.errors.map(\.description) == [##"/long name: property name "long name" does not match propertyNames (propertyNames at urn:sluice:schema#/propertyNames)"##])
    }

    @Test func referenceCyclesThatConsumeNothingFailWithAMessage() throws {
        // A $dynamicRef cycle cannot be seen when compiling; evaluation stops at its depth limit.
        let compiled = try schema(##"{"$dynamicAnchor": "loop", "$defs": {"d": {"$dynamicRef": "#loop"}}, "allOf": [{"$ref": "#/$defs/d"}]}"##)
        var validator = compiled.validator()
        let found = validator.errors(document("1"))
        let failure = try #require(found)
        #expect(failure.errors[0].message.contains("nested deeper than \(SchemaValidator.evaluationDepthMax)"))
    }
}
