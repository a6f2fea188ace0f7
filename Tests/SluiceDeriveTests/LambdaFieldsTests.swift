import Testing
import SluiceDerive
import SluiceDocument

@Suite struct LambdaFieldsTests {
    /// Fields and their canonical parameters (docs/derivations.md "Parameters"), and each
    /// parameter resolving back to its field.
    @Test func canonicalParametersRoundTrip() {
        let vectors = [
            ("Simple", "$Simple"), ("under_Score", "$under_Score"), ("with space", "$with_space"),
            ("with-hyphen", "$with_hyphen"), ("äëïöü/4-2", "$äëïöü$4_2"), ("With/Nesting", "$With$Nesting"),
            ("with$Dollar", "$p::(with$Dollar)"), ("With/Nesting/and+special-hyphen", "$p::(With/Nesting/and+special-hyphen)"),
            ("hello, world!", "$p::(hello,_world!)"), ("flow_document", "$flow_document"), ("_meta/uuid", "$_meta$uuid"),
        ]
        let fields = LambdaFields(fields: vectors.map { LambdaField(field: $0.0, pointer: .root) })
        for (field, parameter) in vectors {
            #expect(LambdaFields.canonicalParameter(field) == parameter)
            #expect((try? fields.resolve(parameter).get())?.field == field, "\(parameter)")
        }
    }

    @Test func unknownParametersSuggestTheClosestField() {
        let fields = LambdaFields(schema: try! JSONValue(parsing: """
            {"type":"object","properties":{"amount":{"type":"number"},"customer":{"type":"object",
             "properties":{"first-name":{"type":"string"}}}}}
            """))
        #expect(fields.resolve("$amout") == .failure(UnknownParameter(parameter: "$amout", suggestion: "$amount")))
        #expect(fields.resolve("$customer$first_nam") == .failure(UnknownParameter(parameter: "$customer$first_nam",
                                                                                    suggestion: "$customer$first_name")))
        #expect(String(describing: try! #require(fields.resolve("$amout").failureValue))
                == "parameter $amout is not a field of the source (did you mean $amount?)")
        #expect((try? fields.resolve("$customer$first_name").get())?.pointer == "/customer/first-name")
        #expect((try? fields.resolve("$flow_document").get())?.pointer == .root)
        #expect((try? fields.resolve("$_meta$op").get())?.pointer == "/_meta/op")
    }

    @Test func schemaLocationsFollowReferencesAndBranches() {
        let schema = try! JSONValue(parsing: """
            {"$defs":{"address":{"type":"object","properties":{"city":{"type":"string"}}},
                      "node":{"type":"object","properties":{"child":{"$ref":"#/$defs/node"},"v":{}}}},
             "type":"object",
             "properties":{"id":{},"home":{"$ref":"#/$defs/address"},"tree":{"$ref":"#/$defs/node"}},
             "allOf":[{"properties":{"extra":{"type":"integer"}}}],
             "if":{"properties":{"kind":{"const":"a"}}},"then":{"properties":{"a-only":{}}}}
            """)
        let fields = LambdaFields(schema: schema, projections: [("region", "/home/city")])
        let names = fields.fields.map(\.field)
        for expected in ["region", "id", "home", "home/city", "tree", "tree/child", "tree/v", "extra", "kind", "a-only",
                         "_meta/uuid", "_meta/op", "flow_document"] {
            #expect(names.contains(expected), "\(expected) in \(names)")
        }
        // A recursive reference is followed once per path, not forever.
        #expect(!names.contains("tree/child/child"))
        #expect(fields.field(named: "region")?.pointer == "/home/city")
        #expect((try? fields.resolve("$a_only").get())?.field == "a-only")
    }
}

extension Result {
    var failureValue: Failure? { if case .failure(let error) = self { error } else { nil } }
}
