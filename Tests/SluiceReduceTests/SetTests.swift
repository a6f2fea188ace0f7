import Testing
import SluiceDocument
import SluiceReduce
import SluiceSchema

@Suite struct SetTests {
    @Test func semanticsExample() throws {
        // SEMANTICS.md §3, full: {add:{a:1,b:1}} ⊕ {remove:{b:0}} → {add:{a:1}}.
        let outcome = try reduce(#"{"add":{"a":1,"b":1}}"#, #"{"remove":{"b":0}}"#, ReduceAnnotationPlan(.set), mode: .full)
        #expect(canonical(outcome.document) == #"{"add":{"a":1}}"#)
        #expect(outcome.removedLocations)
        // The same partially keeps the removal for earlier documents.
        let partial = try reduce(#"{"add":{"a":1,"b":1}}"#, #"{"remove":{"b":0}}"#, ReduceAnnotationPlan(.set))
        #expect(canonical(partial.document) == #"{"add":{"a":1},"remove":{"b":0}}"#)
    }

    @Test func arraySequence() {
        // Flow's sequence: members are [id, count] arrays keyed by /0; counts sum.
        let entry = ReduceAnnotationPlan(.merge, items: ReduceAnnotationPlan(byKind: [.number: ReduceAnnotation(strategy: .sum)]))
        let members = ReduceAnnotationPlan(items: entry)
        let plan = ReduceAnnotationPlan(.set, key: ["/0"], properties: ["add": members])
        // (The key element sums too when equal; members are distinguished by it, so that only
        // matters for equal ids, which this sequence keeps at 55 and 22 below.)
        let idsOnly = ReduceAnnotationPlan(.merge, items: nil)
        _ = idsOnly
        runSteps(plan, [
            .partial(#"{"add":[[55,1]]}"#, .gives(#"{"add":[[55,1]]}"#)),
            .partial(#"{"add":[[99,1]]}"#, .gives(#"{"add":[[55,1],[99,1]]}"#)),
        ])
        // With only the count summed (as Flow's schema does with per-index items), via objects:
        let counts = ReduceAnnotationPlan(.set, key: ["/id"], properties: [
            "add": ReduceAnnotationPlan(items: ReduceAnnotationPlan(.merge, properties: ["n": ReduceAnnotationPlan(.sum)])),
        ])
        runSteps(counts, [
            .partial(#"{"add":[{"id":55,"n":1}]}"#, .gives(#"{"add":[{"id":55,"n":1}]}"#)),
            .partial(#"{"add":[{"id":99,"n":1}]}"#, .gives(#"{"add":[{"id":55,"n":1},{"id":99,"n":1}]}"#)),
            .partial(#"{"remove":[{"id":99}],"add":[{"id":22,"n":1},{"id":55,"n":1}]}"#,
                     .gives(#"{"add":[{"id":22,"n":1},{"id":55,"n":2}],"remove":[{"id":99}]}"#)),
            .partial(#"{"remove":[{"id":55}],"add":[{"id":22,"n":3},{"id":55,"n":1}]}"#,
                     .gives(#"{"add":[{"id":22,"n":4},{"id":55,"n":1}],"remove":[{"id":55},{"id":99}]}"#)),
            // Full reductions apply and drop "remove".
            .full(#"{"remove":[{"id":88}],"add":[{"id":11,"n":1},{"id":22,"n":2}]}"#,
                  .gives(#"{"add":[{"id":11,"n":1},{"id":22,"n":6},{"id":55,"n":1}]}"#)),
            .full(#"{"remove":[{"id":55}]}"#, .gives(#"{"add":[{"id":11,"n":1},{"id":22,"n":6}]}"#)),
            .partial(#"{"intersect":[{"id":22},{"id":33}]}"#, .gives(#"{"add":[{"id":22,"n":6}],"intersect":[{"id":22},{"id":33}]}"#)),
            .partial(#"{"add":[{"id":22,"n":2},{"id":33,"n":1}]}"#,
                     .gives(#"{"add":[{"id":22,"n":8},{"id":33,"n":1}],"intersect":[{"id":22},{"id":33}]}"#)),
            .partial(#"{"intersect":[{"id":33},{"id":44}],"add":[{"id":22,"n":1},{"id":33,"n":1}]}"#,
                     .gives(#"{"add":[{"id":22,"n":1},{"id":33,"n":2}],"intersect":[{"id":33}]}"#)),
            .partial(#"{"remove":[{"id":33}],"add":[{"id":22,"n":1},{"id":33,"n":1}]}"#,
                     .gives(#"{"add":[{"id":22,"n":2},{"id":33,"n":1}],"intersect":[]}"#)),
            // Full reductions apply and drop "intersect".
            .full(#"{"add":[{"id":33,"n":1}]}"#, .gives(#"{"add":[{"id":22,"n":2},{"id":33,"n":2}]}"#)),
            .partial(#"{"remove":[{"id":33}]}"#, .gives(#"{"add":[{"id":22,"n":2}],"remove":[{"id":33}]}"#)),
        ])
    }

    @Test func objectSequence() {
        // Flow's sequence: members are properties, their values summed.
        let plan = ReduceAnnotationPlan(.set, properties: ["add": ReduceAnnotationPlan(additionalProperties: ReduceAnnotationPlan(.sum))])
        runSteps(plan, [
            .partial(#"{"add":{"55":1}}"#, .gives(#"{"add":{"55":1}}"#)),
            .partial(#"{"add":{"99":1}}"#, .gives(#"{"add":{"55":1,"99":1}}"#)),
            .partial(#"{"remove":{"99":0},"add":{"22":1,"55":1}}"#, .gives(#"{"remove":{"99":0},"add":{"22":1,"55":2}}"#)),
            .partial(#"{"remove":{"55":0},"add":{"22":3,"55":1}}"#, .gives(#"{"remove":{"55":0,"99":0},"add":{"22":4,"55":1}}"#)),
            .full(#"{"remove":{"88":0},"add":{"11":1,"22":2}}"#, .gives(#"{"add":{"11":1,"22":6,"55":1}}"#)),
            .full(#"{"remove":{"55":0}}"#, .gives(#"{"add":{"11":1,"22":6}}"#)),
            .partial(#"{"intersect":{"22":0,"33":0}}"#, .gives(#"{"intersect":{"22":0,"33":0},"add":{"22":6}}"#)),
            .partial(#"{"add":{"22":2,"33":1}}"#, .gives(#"{"intersect":{"22":0,"33":0},"add":{"22":8,"33":1}}"#)),
            .partial(#"{"intersect":{"33":0,"44":0},"add":{"22":1,"33":1}}"#, .gives(#"{"intersect":{"33":0},"add":{"22":1,"33":2}}"#)),
            .partial(#"{"remove":{"33":0},"add":{"22":1,"33":1}}"#, .gives(#"{"intersect":{},"add":{"22":2,"33":1}}"#)),
            .full(#"{"add":{"33":1}}"#, .gives(#"{"add":{"22":2,"33":2}}"#)),
            .partial(#"{"remove":{"33":0}}"#, .gives(#"{"add":{"22":2},"remove":{"33":0}}"#)),
        ])
    }

    @Test func scalarMembersInNaturalOrderWithoutAKey() {
        let plan = ReduceAnnotationPlan(.set)
        runSteps(plan, [
            .partial(#"{"add":["b","d"]}"#, .gives(#"{"add":["b","d"]}"#)),
            .partial(#"{"add":["a","c","d"]}"#, .gives(#"{"add":["a","b","c","d"]}"#)),
            .partial(#"{"remove":["b","z"]}"#, .gives(#"{"add":["a","c","d"],"remove":["b","z"]}"#)),
            .full(#"{"intersect":["c","d","e"]}"#, .gives(#"{"add":["c","d"]}"#)),
        ])
    }

    @Test func malformedSets() {
        let plan = ReduceAnnotationPlan(.set)
        let cases: [(String?, String)] = [
            (nil, "42"),
            (nil, #"{"add":{},"intersect":[]}"#),
            (#"{"add":{}}"#, #"{"intersect":[]}"#),
            (nil, #"{"intersect":[],"remove":[]}"#),
            (nil, #"{"add":[],"other":[]}"#),
            (nil, #"{"add":1}"#),
            (#"{"intersect":[]}"#, "42"),
        ]
        for (left, right) in cases {
            do {
                _ = try reduce(left, right, plan)
                Issue.record("\(left ?? "nothing") ⊕ \(right) reduced")
            } catch {
                if case .setMalformed = error.reason {} else { Issue.record("\(error)") }
            }
        }
        // Either side may be empty.
        #expect(canonical(try! reduce("{}", #"{"add":{},"remove":{}}"#, plan).document) == #"{"add":{},"remove":{}}"#)
        #expect(canonical(try! reduce(#"{"add":[],"remove":[]}"#, "{}", plan).document) == #"{"add":[],"remove":[]}"#)
    }

    @Test func arrayMembersMustBeSortedAndUnique() {
        let plan = ReduceAnnotationPlan(.set, key: ["/id"])
        for (left, right) in [(#"{"add":[{"id":1}]}"#, #"{"add":[{"id":3},{"id":2}]}"#),
                              (#"{"add":[{"id":2},{"id":1}]}"#, #"{"add":[{"id":3}]}"#),
                              (#"{"add":[{"id":1}]}"#, #"{"remove":[{"id":2},{"id":2}]}"#)] {
            do {
                _ = try reduce(left, right, plan)
                Issue.record("\(left) ⊕ \(right) reduced")
            } catch {
                if case .setArrayNotSortedByKey = error.reason {} else { Issue.record("\(error)") }
            }
        }
    }

    @Test func fullReductionIntoNothingDropsTerms() throws {
        let plan = ReduceAnnotationPlan.mergeRoot(["s": ReduceAnnotationPlan(.set)])
        let outcome = try reduce(nil, #"{"s":{"add":{"a":1},"remove":{"b":1}}}"#, plan, mode: .full)
        #expect(canonical(outcome.document) == #"{"s":{"add":{"a":1}}}"#)
        #expect(outcome.removedLocations)
    }
}
