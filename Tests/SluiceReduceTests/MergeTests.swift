import Testing
import SluiceDocument
import SluiceReduce
import SluiceSchema

@Suite struct MergeTests {
    @Test func semanticsExample() throws {
        // SEMANTICS.md §3: {a:1,b:1} ⊕ {a:1,c:1} with sum on a → {a:2,b:1,c:1}.
        let plan = ReduceAnnotationPlan.mergeRoot(["a": ReduceAnnotationPlan(.sum)])
        #expect(canonical(try reduce(#"{"a":1,"b":1}"#, #"{"a":1,"c":1}"#, plan).document) == #"{"a":2,"b":1,"c":1}"#)
    }

    @Test func objectsRecurseWithTheirOwnStrategies() {
        let plan = ReduceAnnotationPlan.mergeRoot([
            "counts": ReduceAnnotationPlan(.merge, additionalProperties: ReduceAnnotationPlan(.sum)),
            "first": ReduceAnnotationPlan(.firstWriteWins),
            "deep": ReduceAnnotationPlan(.merge, properties: ["deeper": ReduceAnnotationPlan(.merge, properties: ["max": ReduceAnnotationPlan(.maximize)])]),
        ])
        runSteps(plan, [
            .partial(#"{"counts":{"a":1},"first":"x","deep":{"deeper":{"max":3,"k":1}}}"#,
                     .gives(#"{"counts":{"a":1},"deep":{"deeper":{"k":1,"max":3}},"first":"x"}"#)),
            .partial(#"{"counts":{"a":2,"b":5},"first":"y","deep":{"deeper":{"max":1,"k":2}}}"#,
                     .gives(#"{"counts":{"a":3,"b":5},"deep":{"deeper":{"k":2,"max":3}},"first":"x"}"#)),
            .partial(#"{"counts":{"0":1},"other":[1]}"#,
                     .gives(#"{"counts":{"0":1,"a":3,"b":5},"deep":{"deeper":{"k":2,"max":3}},"first":"x","other":[1]}"#)),
        ])
    }

    @Test func arraysByIndexTheLongerExtends() {
        // Flow's sequence: items maximize, the array merges by index.
        let plan = ReduceAnnotationPlan(.merge, items: ReduceAnnotationPlan(.maximize))
        runSteps(plan, [
            .partial("[]", .gives("[]")),
            .partial(#""whoops""#, .fails(.mergeExpectsObjectsOrArrays)),
            .partial("[0,1,0]", .gives("[0,1,0]")),
            .partial("[3,0,2]", .gives("[3,1,2]")),
            .partial(#"[-1,0,4,"a"]"#, .gives(#"[3,1,4,"a"]"#)),
            .partial(#"[0,32.6,0,"b"]"#, .gives(#"[3,32.6,4,"b"]"#)),
            .partial("[9]", .gives(#"[9,32.6,4,"b"]"#)),
            .partial("{}", .fails(.mergeExpectsObjectsOrArrays)),
        ])
    }

    @Test func orderedScalarsByTheWholeValue() {
        // Flow's sequence: key [""] orders scalars naturally; null is lastWriteWins.
        let plan = ReduceAnnotationPlan(.merge, key: [""], byKind: [.null: .lastWriteWins])
        runSteps(plan, [
            .partial("[5,9]", .gives("[5,9]")),
            .partial("[7]", .gives("[5,7,9]")),
            .partial("[2,4,5]", .gives("[2,4,5,7,9]")),
            .partial("[1,2,7,10]", .gives("[1,2,4,5,7,9,10]")),
            // After a null, merges keep the null.
            .partial("null", .gives("null")),
            .partial("[1,2]", .gives("null")),
        ])
    }

    @Test func orderedObjectsMergeDeeplyByKey() {
        // Flow's sequence: items keyed by /k, other properties summed.
        let item = ReduceAnnotationPlan(.merge, properties: ["k": ReduceAnnotationPlan()], additionalProperties: ReduceAnnotationPlan(.sum))
        let plan = ReduceAnnotationPlan(.merge, key: ["/k"], items: item)
        runSteps(plan, [
            .partial(#"[{"k":5,"n":1},{"k":9,"n":1}]"#, .gives(#"[{"k":5,"n":1},{"k":9,"n":1}]"#)),
            .partial(#"[{"k":7,"m":1}]"#, .gives(#"[{"k":5,"n":1},{"k":7,"m":1},{"k":9,"n":1}]"#)),
            .partial(#"[{"k":5,"m":1},{"k":9,"n":1}]"#, .gives(#"[{"k":5,"m":1,"n":1},{"k":7,"m":1},{"k":9,"n":2}]"#)),
            .partial(#"[{"k":3,"m":1},{"k":8,"m":1}]"#, .gives(#"[{"k":3,"m":1},{"k":5,"m":1,"n":1},{"k":7,"m":1},{"k":8,"m":1},{"k":9,"n":2}]"#)),
        ])
    }

    @Test func keyedArraysMustBeSortedAndUnique() {
        let plan = ReduceAnnotationPlan(.merge, key: ["/k"])
        do {
            _ = try reduce(#"[{"k":1}]"#, #"[{"k":3},{"k":2}]"#, plan)
            Issue.record("an unsorted right array merged")
        } catch {
            #expect(error.reason == .mergeArrayNotSortedByKey(.right))
            #expect(error.left == #"[{"k":1}]"#)
            #expect(error.right == #"[{"k":3},{"k":2}]"#)
        }
        #expect(throws: ReduceError.self) { try reduce(#"[{"k":1}]"#, #"[{"k":2},{"k":2}]"#, plan) }
        do {
            _ = try reduce(#"[{"k":2},{"k":1}]"#, #"[{"k":3}]"#, plan)
            Issue.record("an unsorted left array merged")
        } catch {
            #expect(error.reason == .mergeArrayNotSortedByKey(.left))
        }
        // Missing keys order first; two of them are a repeat.
        #expect(canonical(try! reduce(#"[{"x":1},{"k":1}]"#, #"[{"k":0}]"#, plan).document) == #"[{"x":1},{"k":0},{"k":1}]"#)
        #expect(throws: ReduceError.self) { try reduce("[]", #"[{"x":1},{"y":1}]"#, plan) }
    }

    @Test func nullOnTheLeftStaysNullAndOtherMismatchesFail() throws {
        let plan = ReduceAnnotationPlan(.merge)
        #expect(canonical(try reduce("null", #"{"a":1}"#, plan).document) == "null")
        #expect(canonical(try reduce("null", "[1]", plan).document) == "null")
        for (left, right) in [(#"{"a":1}"#, "[1]"), ("[1]", #"{"a":1}"#), ("1", "{}"), (#""s""#, "[]"), ("{}", "null"), ("{}", "1"), ("true", "{}")] {
            do {
                _ = try reduce(left, right, plan)
                Issue.record("\(left) ⊕ \(right) merged")
            } catch {
                #expect(error.reason == .mergeExpectsObjectsOrArrays)
            }
        }
        // A scalar reduced into nothing by merge is an error too.
        #expect(throws: ReduceError.self) { try reduce(nil, "1", plan) }
    }

    @Test func errorsNameTheDeepPointer() {
        let plan = ReduceAnnotationPlan.mergeRoot([
            "a": ReduceAnnotationPlan(.merge, items: ReduceAnnotationPlan(.merge, properties: ["n/m": ReduceAnnotationPlan(.sum)])),
        ])
        do {
            _ = try reduce(#"{"a":[{},{"n/m":1}]}"#, #"{"a":[{},{"n/m":"x"}]}"#, plan)
            Issue.record("expected an error")
        } catch {
            #expect(error.pointer == "/a/1/n~1m")
            #expect(error.reason == .sumExpectsNumbers)
            #expect(error.left == "1")
            #expect(error.right == #""x""#)
            #expect(error.description == #"reducing /a/1/n~1m: 'sum' expects numbers; left: 1, right: "x""#)
        }
    }

    @Test func fullReductionsIntoNothingWalkOnlyWhereNeeded() throws {
        // Without delete or set annotations, a full reduction into nothing returns the document.
        let plan = ReduceAnnotationPlan.mergeRoot(["n": ReduceAnnotationPlan(.sum)])
        let outcome = try reduce(nil, #"{"n":1,"x":{"y":[1,2]}}"#, plan, mode: .full)
        #expect(canonical(outcome.document) == #"{"n":1,"x":{"y":[1,2]}}"#)
        #expect(!outcome.removedLocations)
        #expect(!outcome.isDeleted)
    }
}
