import Testing
import SluiceDocument
import SluiceReduce
import SluiceSchema

@Suite struct AppendTests {
    @Test func semanticsExample() throws {
        // SEMANTICS.md §3: [1,2] ⊕ [3] → [1,2,3].
        #expect(canonical(try reduce("[1,2]", "[3]", ReduceAnnotationPlan(.append)).document) == "[1,2,3]")
    }

    @Test func flowSequence() {
        // Null is lastWriteWins, everything else appends (a schema's if/then on type).
        let plan = ReduceAnnotationPlan(.append, byKind: [.null: .lastWriteWins])
        runSteps(plan, [
            .partial("[]", .gives("[]")),
            .partial(#""whoops""#, .fails(.appendExpectsArrays)),
            .partial("[0,1]", .gives("[0,1]")),
            .partial("[2,3,4]", .gives("[0,1,2,3,4]")),
            .partial(#"[-1,"a"]"#, .gives(#"[0,1,2,3,4,-1,"a"]"#)),
            .partial("{}", .fails(.appendExpectsArrays)),
            .partial("null", .gives("null")),
            // An earlier null stays null.
            .partial("[5,6,4]", .gives("null")),
            .full("[7]", .gives("null")),
        ])
    }

    @Test func rightNullWithoutALastWriteWinsOverrideIsAnError() throws {
        #expect(throws: ReduceError.self) { try reduce("[1]", "null", ReduceAnnotationPlan(.append)) }
        #expect(throws: ReduceError.self) { try reduce("{}", "[1]", ReduceAnnotationPlan(.append)) }
        #expect(throws: ReduceError.self) { try reduce("1", "[1]", ReduceAnnotationPlan(.append)) }
    }

    @Test func nestedAppendsAndFirstAppearance() {
        let plan = ReduceAnnotationPlan.mergeRoot(["log": ReduceAnnotationPlan(.append)])
        runSteps(plan, [
            .partial(#"{"id":1}"#, .gives(#"{"id":1}"#)),
            .partial(#"{"log":[{"at":1}]}"#, .gives(#"{"id":1,"log":[{"at":1}]}"#)),
            .partial(#"{"log":[{"at":2},[3]]}"#, .gives(#"{"id":1,"log":[{"at":1},{"at":2},[3]]}"#)),
            .partial(#"{"log":"no"}"#, .fails(.appendExpectsArrays, at: "/log")),
        ])
        // A property first seen on the right must still be an array.
        #expect(throws: ReduceError.self) { try reduce(#"{"id":1}"#, #"{"log":1}"#, plan) }
    }

    @Test func elementsOfTheRightAreTakenAsTheyAre() {
        // Annotations inside appended elements do not apply.
        let plan = ReduceAnnotationPlan(.append, items: ReduceAnnotationPlan(.sum))
        runSteps(plan, [
            .partial("[1]", .gives("[1]")),
            .partial(#"["x"]"#, .gives(#"[1,"x"]"#)),
        ])
    }
}
