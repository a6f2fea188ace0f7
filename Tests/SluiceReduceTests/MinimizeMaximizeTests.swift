import Testing
import SluiceDocument
import SluiceReduce
import SluiceSchema

@Suite struct MinimizeMaximizeTests {
    @Test func semanticsExample() throws {
        // SEMANTICS.md §3: maximize "abc" ⊕ "def" → "def".
        #expect(canonical(try reduce(#""abc""#, #""def""#, ReduceAnnotationPlan(.maximize)).document) == #""def""#)
        #expect(canonical(try reduce(#""abc""#, #""def""#, ReduceAnnotationPlan(.minimize)).document) == #""abc""#)
    }

    @Test func simpleSequences() {
        runSteps(ReduceAnnotationPlan(.minimize), [
            .partial("3", .gives("3")), .partial("4", .gives("3")), .partial("3", .gives("3")), .partial("2", .gives("2")),
        ])
        runSteps(ReduceAnnotationPlan(.maximize), [
            .partial("3", .gives("3")), .partial("4", .gives("4")), .partial("4", .gives("4")), .partial("2", .gives("4")),
        ])
    }

    @Test func semanticOrderAcrossKinds() {
        // null < false < true < numbers < strings < arrays < objects.
        runSteps(ReduceAnnotationPlan(.maximize), [
            .partial("null", .gives("null")),
            .partial("false", .gives("false")),
            .partial("true", .gives("true")),
            .partial("-1", .gives("-1")),
            .partial("18446744073709551615", .gives("18446744073709551615")),
            .partial("1e300", .gives("1e300")),
            .partial(#""""#, .gives(#""""#)),
            .partial(#""a""#, .gives(#""a""#)),
            .partial("[]", .gives("[]")),
            .partial("[0]", .gives("[0]")),
            .partial("{}", .gives("{}")),
            .partial("[1]", .gives("{}")),
        ])
        runSteps(ReduceAnnotationPlan(.minimize), [
            .partial("{}", .gives("{}")), .partial("[1]", .gives("[1]")), .partial(#""x""#, .gives(#""x""#)),
            .partial("2", .gives("2")), .partial("true", .gives("true")), .partial("null", .gives("null")), .partial("false", .gives("null")),
        ])
    }

    @Test func equalValuesWithoutAKeyTakeTheLaterOne() throws {
        // 20 and 20.0 are equal: the later one is taken, in its own representation.
        #expect(canonical(try reduce("20", "20.0", ReduceAnnotationPlan(.maximize)).document) == "20.0")
        #expect(canonical(try reduce("20.0", "20", ReduceAnnotationPlan(.minimize)).document) == "20")
        // Equal objects: the later one (it may differ in representation only).
        #expect(canonical(try reduce(#"{"a":1}"#, #"{"a":1.0}"#, ReduceAnnotationPlan(.maximize)).document) == #"{"a":1.0}"#)
    }

    @Test func timestampsAsStrings() throws {
        let plan = ReduceAnnotationPlan.mergeRoot(["ts": ReduceAnnotationPlan(.maximize)])
        runSteps(plan, [
            .partial(#"{"ts":"2024-01-01T00:00:00.229Z"}"#, .gives(#"{"ts":"2024-01-01T00:00:00.229Z"}"#)),
            .partial(#"{"ts":"2024-01-01T00:00:00.100Z"}"#, .gives(#"{"ts":"2024-01-01T00:00:00.229Z"}"#)),
            .partial(#"{"ts":"2024-01-02T00:00:00.000Z"}"#, .gives(#"{"ts":"2024-01-02T00:00:00.000Z"}"#)),
        ])
    }

    @Test func minimizeByKeyMergesEqualKeysDeeply() {
        // Flow's sequence.
        let plan = ReduceAnnotationPlan(.minimize, key: ["/k"], properties: ["n": ReduceAnnotationPlan(.sum)])
        runSteps(plan, [
            .partial(#"{"k":3,"n":1}"#, .gives(#"{"k":3,"n":1}"#)),
            .partial(#"{"k":4,"n":1}"#, .gives(#"{"k":3,"n":1}"#)),
            .partial(#"{"k":3,"n":1,"!":true}"#, .gives(#"{"k":3,"n":2,"!":true}"#)),
            .partial(#"{"k":4,"n":1,"!":false}"#, .gives(#"{"k":3,"n":2,"!":true}"#)),
            .partial(#"{"k":3,"n":1}"#, .gives(#"{"k":3,"n":3,"!":true}"#)),
            .partial(#"{"k":2,"n":1}"#, .gives(#"{"k":2,"n":1}"#)),
            // null orders before an integer.
            .partial(#"{"k":null,"n":-1}"#, .gives(#"{"k":null,"n":-1}"#)),
            // A missing key orders before null.
            .partial(#"{"n":1,"whoops":true}"#, .gives(#"{"n":1,"whoops":true}"#)),
            // Keys both missing are equal: a deep merge of an object and a number fails.
            .partial("42", .fails(.mergeExpectsObjectsOrArrays)),
        ])
    }

    @Test func maximizeByKeyOfArrays() {
        // Arrays keyed by their first element; numbers in them sum when keys are equal.
        let plan = ReduceAnnotationPlan(.maximize, key: ["/0"], items: ReduceAnnotationPlan(byKind: [.number: ReduceAnnotation(strategy: .sum)]))
        runSteps(plan, [
            .partial(#"["a",3]"#, .gives(#"["a",3]"#)),
            .partial(#"["b",1]"#, .gives(#"["b",1]"#)),
            .partial(#"["a",5]"#, .gives(#"["b",1]"#)),
            .partial(#"["b",2,"."]"#, .gives(#"["b",3,"."]"#)),
            // Equal keys, but an object does not merge into an array.
            .partial(#"{"0":"b"}"#, .fails(.mergeExpectsObjectsOrArrays)),
            .partial(#"["b",1,"!"]"#, .gives(#"["b",4,"!"]"#)),
            // A missing key orders first.
            .partial("[]", .gives(#"["b",4,"!"]"#)),
            .partial("32", .gives(#"["b",4,"!"]"#)),
        ])
    }

    @Test func aLargerKeyIsTakenAndReducedIntoNothing() {
        // In a full reduction, the winning right value still loses its tombstones.
        let plan = ReduceAnnotationPlan(.maximize, key: ["/v"], properties: ["gone": ReduceAnnotationPlan(.lastWriteWins, delete: true)])
        runSteps(plan, [
            .partial(#"{"v":1,"a":1}"#, .gives(#"{"a":1,"v":1}"#)),
            .partial(#"{"v":2,"gone":1}"#, .gives(#"{"gone":1,"v":2}"#)),
            .full(#"{"v":3,"gone":1,"b":1}"#, .gives(#"{"b":1,"v":3}"#)),
        ])
    }

    @Test func compositeKeys() {
        let plan = ReduceAnnotationPlan(.minimize, key: ["/a", "/b"])
        runSteps(plan, [
            .partial(#"{"a":1,"b":5,"x":1}"#, .gives(#"{"a":1,"b":5,"x":1}"#)),
            .partial(#"{"a":1,"b":4,"x":2}"#, .gives(#"{"a":1,"b":4,"x":2}"#)),
            .partial(#"{"a":1,"b":4,"y":3}"#, .gives(#"{"a":1,"b":4,"x":2,"y":3}"#)),
            .partial(#"{"a":0,"b":9}"#, .gives(#"{"a":0,"b":9}"#)),
            .partial(#"{"a":0}"#, .gives(#"{"a":0}"#)),
        ])
    }

    /// Regression (AssociativityPropertyTests, seed 2773532954): a keyed maximize value with
    /// nothing to its left, in a full reduction, must lose its set terms as it does when it
    /// wins against a left value; otherwise F(a) ⊕ (b ⊕ c) kept an `intersect` that
    /// F(F(a) ⊕ b) ⊕ c dropped.
    @Test func keyedMaximizeIntoNothingIsMergedIntoNothing() throws {
        let plan = ReduceAnnotationPlan.mergeRoot(["d": ReduceAnnotationPlan(.maximize, key: ["/k"], properties: ["s": ReduceAnnotationPlan(.set)])])
        let outcome = try reduce(#"{"x":"z"}"#, #"{"d":{"k":2,"s":{"intersect":{"m4":1}}}}"#, plan, mode: .full)
        #expect(canonical(outcome.document) == #"{"d":{"k":2,"s":{}},"x":"z"}"#)
        let sequential = try reduce(#"{"d":{"k":0}}"#, #"{"d":{"k":2,"s":{"intersect":{"m4":1}}}}"#, plan, mode: .full)
        #expect(canonical(sequential.document) == #"{"d":{"k":2,"s":{}}}"#)
    }
}
