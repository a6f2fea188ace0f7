import Testing
import SluiceDocument
import SluiceReduce
import SluiceSchema

/// lastWriteWins (also where nothing is annotated), firstWriteWins, `delete: true` and
/// `associative: false`.
@Suite struct WriteWinsTests {
    @Test func semanticsExamples() throws {
        // SEMANTICS.md §3: "a" ⊕ "b" → "b" and → "a".
        #expect(canonical(try reduce(#""a""#, #""b""#, ReduceAnnotationPlan(.lastWriteWins)).document) == #""b""#)
        #expect(canonical(try reduce(#""a""#, #""b""#, ReduceAnnotationPlan(.firstWriteWins)).document) == #""a""#)
    }

    @Test func lastWriteWinsTakesTheLaterValueEvenNull() {
        runSteps(ReduceAnnotationPlan(.lastWriteWins), [
            .partial(#""foo""#, .gives(#""foo""#)),
            .partial(#"{"n":42}"#, .gives(#"{"n":42}"#)),
            .partial("null", .gives("null")),
            .partial("[1,2]", .gives("[1,2]")),
            .full("3.5", .gives("3.5")),
        ])
    }

    @Test func unannotatedLocationsAreLastWriteWins() {
        // No annotation at all: the right document replaces the left, even below the root.
        runSteps(ReduceAnnotationPlan(), [
            .partial(#"{"a":1,"b":{"c":1}}"#, .gives(#"{"a":1,"b":{"c":1}}"#)),
            .partial(#"{"b":{"d":2}}"#, .gives(#"{"b":{"d":2}}"#)),
        ])
        // Under a root merge, unannotated properties take the right value.
        runSteps(.mergeRoot([:]), [
            .partial(#"{"a":1,"b":{"c":1}}"#, .gives(#"{"a":1,"b":{"c":1}}"#)),
            .partial(#"{"b":{"d":2},"e":null}"#, .gives(#"{"a":1,"b":{"d":2},"e":null}"#)),
        ])
    }

    @Test func annotationsBelowALastWriteWinsParentDoNotApply() {
        // A parent of an annotated location must merge: below lastWriteWins the right value
        // is taken whole, whatever its children say.
        let plan = ReduceAnnotationPlan.mergeRoot(["a": ReduceAnnotationPlan(.lastWriteWins, properties: ["n": ReduceAnnotationPlan(.sum)])])
        runSteps(plan, [
            .partial(#"{"a":{"n":1}}"#, .gives(#"{"a":{"n":1}}"#)),
            .partial(#"{"a":{"n":2}}"#, .gives(#"{"a":{"n":2}}"#)),
        ])
    }

    @Test func firstWriteWinsKeepsTheEarlierValue() {
        runSteps(ReduceAnnotationPlan(.firstWriteWins), [
            .partial(#""foo""#, .gives(#""foo""#)),
            .partial(#"{"n":42}"#, .gives(#""foo""#)),
            .partial("null", .gives(#""foo""#)),
            .full("1", .gives(#""foo""#)),
        ])
        // A property first seen later is taken.
        runSteps(.mergeRoot(["a": ReduceAnnotationPlan(.firstWriteWins)]), [
            .partial(#"{"b":1}"#, .gives(#"{"b":1}"#)),
            .partial(#"{"a":"x"}"#, .gives(#"{"a":"x","b":1}"#)),
            .partial(#"{"a":"y","b":2}"#, .gives(#"{"a":"x","b":2}"#)),
        ])
    }

    @Test func deleteAtTheRootMarksTheDocumentDeletedInFullReductionsOnly() {
        // A CDC-style schema: `_meta.op == "d"` documents are tombstones (here: by kind of op).
        let deleting = ReduceAnnotation(strategy: .merge, delete: true)
        let plan = ReduceAnnotationPlan(.merge, byKind: [:], properties: [:])
        let tombstones = ReduceAnnotationPlan(deleting)
        var reducer = Reducer()
        let base = document(#"{"id":1,"a":1,"b":2}"#)
        let tombstone = document(#"{"id":1,"_meta":{"op":"d"}}"#)
        // Partial: the tombstone is kept (merged), not flagged.
        let partial = try! reducer.reduce(base, tombstone, annotations: tombstones.annotations(for: tombstone), mode: .partial)
        #expect(canonical(partial.document) == #"{"_meta":{"op":"d"},"a":1,"b":2,"id":1}"#)
        #expect(!partial.isDeleted)
        // Full: the same document, flagged deleted: the key is to be removed.
        let full = try! reducer.reduce(base, tombstone, annotations: tombstones.annotations(for: tombstone), mode: .full)
        #expect(full.isDeleted)
        // A later ordinary document reduced fully into a kept tombstone is not deleted.
        let later = document(#"{"id":1,"a":5}"#)
        let revived = try! reducer.reduce(partial.document, later, annotations: plan.annotations(for: later), mode: .full)
        #expect(!revived.isDeleted)
        #expect(canonical(revived.document) == #"{"_meta":{"op":"d"},"a":5,"b":2,"id":1}"#)
    }

    @Test func deletedPropertiesAreKeptByPartialAndRemovedByFullReductions() {
        let plan = ReduceAnnotationPlan.mergeRoot([
            "gone": ReduceAnnotationPlan(.lastWriteWins, delete: true),
            "obj": ReduceAnnotationPlan(.merge, properties: ["x": ReduceAnnotationPlan(.merge, delete: true)]),
        ])
        runSteps(plan, [
            .partial(#"{"gone":1,"keep":1,"obj":{"x":{"a":1},"y":1}}"#, .gives(#"{"gone":1,"keep":1,"obj":{"x":{"a":1},"y":1}}"#)),
            .partial(#"{"gone":2,"obj":{"x":{"b":2}}}"#, .gives(#"{"gone":2,"keep":1,"obj":{"x":{"a":1,"b":2},"y":1}}"#)),
            .full(#"{"gone":3,"obj":{"x":{}}}"#, .gives(#"{"keep":1,"obj":{"y":1}}"#)),
        ])
        // Reduced into nothing in a full reduction, a document loses its tombstones too.
        let outcome = try! reduce(nil, #"{"gone":2,"keep":1,"obj":{"x":{"b":2},"y":1}}"#, plan, mode: .full)
        #expect(canonical(outcome.document) == #"{"keep":1,"obj":{"y":1}}"#)
        #expect(outcome.removedLocations)
        // Reduced into nothing partially, it is itself (the same tape).
        let kept = try! reduce(nil, #"{"gone":2}"#, plan, mode: .partial)
        #expect(canonical(kept.document) == #"{"gone":2}"#)
        #expect(!kept.removedLocations)
    }

    @Test func deleteOnlyAppliesToMergeAndLastWriteWins() {
        let plan = ReduceAnnotationPlan.mergeRoot(["n": ReduceAnnotationPlan(.sum, delete: true)])
        runSteps(plan, [
            .partial(#"{"n":1}"#, .gives(#"{"n":1}"#)),
            .full(#"{"n":2}"#, .gives(#"{"n":3}"#)),
        ])
    }

    @Test func deletedArrayElementsAreRemovedByFullReductions() {
        let plan = ReduceAnnotationPlan(.merge, items: ReduceAnnotationPlan(.lastWriteWins, byKind: [.null: ReduceAnnotation(strategy: .lastWriteWins, delete: true)]))
        runSteps(plan, [
            .partial("[1,2,3]", .gives("[1,2,3]")),
            .partial("[4,null]", .gives("[4,null,3]")),
            .full("[5,null]", .gives("[5,3]")),
        ])
    }

    @Test func notAssociativeLastWriteWins() {
        // Flow's own sequence: integers are `associative: false`, other kinds reduce as usual.
        let plan = ReduceAnnotationPlan(.lastWriteWins, byKind: [.number: ReduceAnnotation(strategy: .lastWriteWins, associative: false)])
        runSteps(plan, [
            .partial(#""foo""#, .gives(#""foo""#)),
            .partial(#"{"n":42}"#, .gives(#"{"n":42}"#)),
            .partial("null", .gives("null")),
            .partial("42", .fails(.notAssociative)),
            // A full reduction may take the value.
            .full("42", .gives("42")),
            // A partial one may reduce equal values.
            .partial("42", .gives("42")),
            .partial("52", .fails(.notAssociative)),
            // The right side decides: a string reduces associatively into the number.
            .partial(#""foo""#, .gives(#""foo""#)),
        ])
    }

    @Test func notAssociativeOtherStrategiesNeverReducePartially() {
        let plan = ReduceAnnotationPlan.mergeRoot(["n": ReduceAnnotationPlan(.sum, associative: false)])
        runSteps(plan, [
            .partial(#"{"n":1}"#, .gives(#"{"n":1}"#)),
            .partial(#"{"n":1}"#, .fails(.notAssociative, at: "/n")),
            .full(#"{"n":1}"#, .gives(#"{"n":2}"#)),
            // A property the left does not have reduces into nothing: no conflict.
            .partial(#"{"m":1}"#, .gives(#"{"m":1,"n":2}"#)),
        ])
    }
}
