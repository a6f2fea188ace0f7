import Testing
import SluiceDocument
import SluiceReduce
import SluiceSchema

@Suite struct JSONSchemaMergeTests {
    let plan = ReduceAnnotationPlan(.jsonSchemaMerge)

    @Test func semanticsExample() throws {
        // SEMANTICS.md §3: {type:string} ⊕ {type:integer} → either.
        #expect(canonical(try reduce(#"{"type":"string"}"#, #"{"type":"integer"}"#, plan).document)
                == #"{"anyOf":[{"type":"string"},{"type":"integer"}]}"#)
    }

    @Test func unionStaysFlatAndWithoutRepeats() {
        runSteps(plan, [
            .partial(#"{"type":"string"}"#, .gives(#"{"type":"string"}"#)),
            .partial(#"{"type":"string"}"#, .gives(#"{"type":"string"}"#)),
            .partial(#"{"type":"integer"}"#, .gives(#"{"anyOf":[{"type":"string"},{"type":"integer"}]}"#)),
            .partial(#"{"anyOf":[{"type":"null"},{"type":"string"}]}"#,
                     .gives(#"{"anyOf":[{"type":"string"},{"type":"integer"},{"type":"null"}]}"#)),
            .partial("false", .gives(#"{"anyOf":[{"type":"string"},{"type":"integer"},{"type":"null"}]}"#)),
            .partial("true", .gives("true")),
            .partial(#"{"type":"string"}"#, .gives("true")),
        ])
        runSteps(plan, [
            .partial("false", .gives("false")),
            .partial("false", .gives("false")),
            .partial(#"{"anyOf":[]}"#, .gives("false")),
            .partial(#"{"minimum":1}"#, .gives(#"{"minimum":1}"#)),
        ])
    }

    @Test func onlySchemasMerge() {
        for (left, right) in [("1", "{}"), ("{}", "[]"), ("null", "{}"), (#""s""#, "true")] {
            #expect(throws: ReduceError.self, "\(left) ⊕ \(right)") { try reduce(left, right, plan) }
        }
        #expect(throws: ReduceError.self) { try reduce(nil, "[]", plan) }
    }
}
