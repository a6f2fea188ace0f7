import Testing
import SluiceCombine
import SluiceDocument
import SluiceReduce
import SluiceSchema

/// A validator that rejects documents with a property "bad", and counts its calls.
struct RejectingValidator: DocumentValidator {
    let plan: ReduceAnnotationPlan
    var calls = 0

    struct Invalid: Error, CustomStringConvertible {
        let description: String
    }

    mutating func validate(_ document: Document) throws -> ReduceAnnotations {
        calls += 1
        if document["bad"] != nil { throw Invalid(description: "/bad is not allowed") }
        return plan.annotations(for: document)
    }
}

@Suite struct CombinerTests {
    let key = KeyExtractor(pointers: ["/key"])

    func combine(_ texts: [(String, Bool)], plan: ReduceAnnotationPlan, mode: ReductionMode = .partial,
                 budget: Int = CombinerConfiguration.memoryBudgetBytesDefault) throws -> [DrainedDocument] {
        var combiner = Combiner(configuration: CombinerConfiguration(key: key, mode: mode, memoryBudgetBytes: budget), validator: plan)
        for (text, front) in texts { try combiner.add(document(text), front: front) }
        var drainer = try combiner.drain()
        return try drainAll(&drainer)
    }

    @Test func combinesByKeyAndDrainsInPackedKeyOrder() throws {
        // Flow's memtable sequence: append by key, fronts first, defaults for a missing key.
        let plan = ReduceAnnotationPlan(.merge, properties: ["v": ReduceAnnotationPlan(.append)])
        let keyWithDefault = KeyExtractor(pointers: ["/key"], defaults: [.string("def")])
        for budget in [CombinerConfiguration.memoryBudgetBytesDefault, 0] {
            var combiner = Combiner(configuration: CombinerConfiguration(key: keyWithDefault, mode: .full, memoryBudgetBytes: budget), validator: plan)
            let inputs: [(String, Bool)] = [
                (#"{"key":"aaa","v":["apple"]}"#, false), (#"{"key":"aaa","v":["banana"]}"#, false),
                (#"{"key":"bbb","v":["carrot"]}"#, false), (#"{"key":"ccc","v":["grape"]}"#, true),
                (#"{"key":"def","v":["explicit-default"]}"#, false),
                (#"{"key":"bbb","v":["avocado"]}"#, true), (#"{"key":"bbb","v":["raisin"]}"#, false),
                (#"{"key":"ccc","v":["tomato"]}"#, false), (#"{"key":"ccc","v":["broccoli"]}"#, false),
                (#"{"key":"a","v":["before all"]}"#, false), (#"{"key":"ab","v":["first between"]}"#, false),
                (#"{"key":"bc","v":["between"]}"#, false), (#"{"key":"d","v":["after"]}"#, false),
                (#"{"v":["implicit-default"]}"#, false),
                (#"{"key":"bc","v":["second"]}"#, true), (#"{"key":"d","v":["all"]}"#, false),
            ]
            for (text, front) in inputs { try combiner.add(document(text), front: front) }
            var drainer = try combiner.drain()
            let drained = try drainAll(&drainer)
            #expect(drained.map { canonical($0.document) } == [
                #"{"key":"a","v":["before all"]}"#,
                #"{"key":"aaa","v":["apple","banana"]}"#,
                #"{"key":"ab","v":["first between"]}"#,
                #"{"key":"bbb","v":["avocado","carrot","raisin"]}"#,
                #"{"key":"bc","v":["second","between"]}"#,
                #"{"key":"ccc","v":["grape","tomato","broccoli"]}"#,
                #"{"key":"d","v":["after","all"]}"#,
                #"{"key":"def","v":["explicit-default","implicit-default"]}"#,
            ], "budget \(budget)")
            #expect(drained.allSatisfy { !$0.isDeleted })
            #expect(drained[0].packedKey == [0x02, 0x61, 0x00])
        }
    }

    @Test func keysOfDifferentTypesDrainInTupleOrder() throws {
        // Packed keys sort strings before integers (tuple order, not semantic order).
        let drained = try combine([(#"{"key":"b"}"#, false), (#"{"key":2}"#, false), (#"{"key":-1}"#, false),
                                   (#"{"key":"a"}"#, false), (#"{"key":true}"#, false), (#"{"key":2.0,"x":1}"#, false)],
                                  plan: ReduceAnnotationPlan(.merge))
        #expect(drained.map { canonical($0.document) } == [#"{"key":"a"}"#, #"{"key":"b"}"#, #"{"key":-1}"#, #"{"key":2.0,"x":1}"#, #"{"key":true}"#])
    }

    @Test func validatesAddedAndDrainedDocuments() throws {
        let plan = ReduceAnnotationPlan(.merge, properties: ["n": ReduceAnnotationPlan(.sum)])
        var combiner = Combiner(configuration: CombinerConfiguration(key: key), validator: RejectingValidator(plan: plan))
        try combiner.add(document(#"{"key":"a","n":1}"#))
        try combiner.add(document(#"{"key":"a","n":2}"#))
        try combiner.add(document(#"{"key":"b","n":2}"#))
        do {
            try combiner.add(document(#"{"key":"c","bad":1}"#))
            Issue.record("an invalid document was added")
        } catch {
            #expect("\(error)" == #"document of key ["c"] is invalid: /bad is not allowed"#)
        }
        #expect(combiner.statistics.documentsAdded == 4)
        #expect(combiner.statistics.validations == 4)
        var drainer = try combiner.drain()
        let drained = try drainAll(&drainer)
        #expect(drained.map { canonical($0.document) } == [#"{"key":"a","n":3}"#, #"{"key":"b","n":2}"#])
        // Once per added document, once per drained document.
        #expect(drainer.statistics.validations == 6)
        #expect(drainer.statistics.documentsDrained == 2)
        #expect(drainer.statistics.reductions == 1)
    }

    /// A batch stops at its first invalid document: those before it are added, those after
    /// it are not, as if they had been added one by one.
    @Test func aBatchStopsAtItsFirstInvalidDocument() throws {
        let plan = ReduceAnnotationPlan(.merge, properties: ["n": ReduceAnnotationPlan(.sum)])
        var combiner = Combiner(configuration: CombinerConfiguration(key: key), validator: RejectingValidator(plan: plan))
        let batch = [#"{"key":"a","n":1}"#, #"{"key":"b","n":2}"#, #"{"key":"c","bad":1}"#, #"{"key":"a","n":5}"#].map(document)
        do {
            try combiner.add(contentsOf: batch)
            Issue.record("an invalid document was added")
        } catch {
            #expect("\(error)" == #"document of key ["c"] is invalid: /bad is not allowed"#)
        }
        #expect(combiner.statistics.documentsAdded == 3)
        try combiner.add(contentsOf: [document(#"{"key":"a","n":2}"#)])
        var drainer = try combiner.drain()
        let drained = try drainAll(&drainer)
        #expect(drained.map { canonical($0.document) } == [#"{"key":"a","n":3}"#, #"{"key":"b","n":2}"#])
    }

    @Test func aDrainedDocumentThatIsInvalidIsAnError() throws {
        // The validator rejects a combination it accepted the parts of.
        let validator = ClosureValidator { document in
            if let n = document["n"]?.int64, n > 10 { throw RejectingValidator.Invalid(description: "/n above 10") }
            return ReduceAnnotationPlan(.merge, properties: ["n": ReduceAnnotationPlan(.sum)]).annotations(for: document)
        }
        var combiner = Combiner(configuration: CombinerConfiguration(key: key), validator: validator)
        try combiner.add(document(#"{"key":"a","n":6}"#))
        try combiner.add(document(#"{"key":"a","n":6}"#))
        var drainer = try combiner.drain()
        #expect(throws: CombineError.self) { _ = try drainer.next() }
    }

    @Test func reductionErrorsNameTheKey() throws {
        var combiner = Combiner(configuration: CombinerConfiguration(key: key),
                                validator: ReduceAnnotationPlan(.merge, properties: ["n": ReduceAnnotationPlan(.sum)]))
        try combiner.add(document(#"{"key":"x","n":1}"#))
        do {
            try combiner.add(document(#"{"key":"x","n":"one"}"#))
            Issue.record("expected an error")
        } catch {
            #expect("\(error)" == #"key ["x"]: reducing /n: 'sum' expects numbers; left: 1, right: "one""#)
        }
    }

    @Test func frontDocumentsAreTheLeftMostWheneverAdded() throws {
        let plan = ReduceAnnotationPlan(.merge, properties: ["n": ReduceAnnotationPlan(.sum), "log": ReduceAnnotationPlan(.append)])
        for mode in [ReductionMode.partial, .full] {
            for budget in [CombinerConfiguration.memoryBudgetBytesDefault, 0] {
                let drained = try combine([
                    (#"{"key":"a","n":1,"log":["one"],"v":"first"}"#, false),
                    (#"{"key":"a","n":2,"log":["two"]}"#, false),
                    (#"{"key":"a","n":100,"log":["stored"],"v":"stored","w":"stored"}"#, true),
                    (#"{"key":"b","n":5,"log":["b stored"]}"#, true),
                ], plan: plan, mode: mode, budget: budget)
                #expect(drained.map { canonical($0.document) } == [
                    #"{"key":"a","log":["stored","one","two"],"n":103,"v":"first","w":"stored"}"#,
                    #"{"key":"b","log":["b stored"],"n":5}"#,
                ], "\(mode), budget \(budget)")
            }
        }
    }

    @Test func tombstonesPartialAndFull() throws {
        // `_meta.op == "d"` documents delete (a schema's if/then; here by plan per document).
        let validator = ClosureValidator { document in
            let deleting = document[pointer: "/_meta/op"]?.string == "d"
            return ReduceAnnotationPlan(.merge, delete: deleting).annotations(for: document)
        }
        let inputs = [#"{"key":"a","x":1}"#, #"{"key":"a","_meta":{"op":"d"}}"#, #"{"key":"b","x":1}"#]
        for budget in [CombinerConfiguration.memoryBudgetBytesDefault, 0] {
            var partial = Combiner(configuration: CombinerConfiguration(key: key, mode: .partial, memoryBudgetBytes: budget), validator: validator)
            var full = Combiner(configuration: CombinerConfiguration(key: key, mode: .full, memoryBudgetBytes: budget), validator: validator)
            for text in inputs {
                try partial.add(document(text))
                try full.add(document(text))
            }
            var partialDrainer = try partial.drain()
            let kept = try drainAll(&partialDrainer)
            #expect(kept.map { canonical($0.document) } == [#"{"_meta":{"op":"d"},"key":"a","x":1}"#, #"{"key":"b","x":1}"#])
            #expect(kept.allSatisfy { !$0.isDeleted })
            var fullDrainer = try full.drain()
            let removed = try drainAll(&fullDrainer)
            #expect(removed.map(\.isDeleted) == [true, false])
        }
    }

    @Test func fullDrainRemovesTheTombstonesOfTheLeftMostDocument() throws {
        let plan = ReduceAnnotationPlan(.merge, properties: ["gone": ReduceAnnotationPlan(.lastWriteWins, delete: true),
                                                             "s": ReduceAnnotationPlan(.set)])
        let drained = try combine([(#"{"key":"a","gone":1,"s":{"add":{"m":1},"remove":{"z":1}},"x":1}"#, false)], plan: plan, mode: .full)
        #expect(drained.map { canonical($0.document) } == [#"{"key":"a","s":{"add":{"m":1}},"x":1}"#])
        let partial = try combine([(#"{"key":"a","gone":1,"x":1}"#, false)], plan: plan, mode: .partial)
        #expect(partial.map { canonical($0.document) } == [#"{"gone":1,"key":"a","x":1}"#])
    }

    @Test func notAssociativeDocumentsAreKeptApartUntilAFullReduction() throws {
        let validator = ReduceAnnotationPlan(.merge, properties: ["v": ReduceAnnotationPlan(.lastWriteWins, associative: false),
                                                                  "n": ReduceAnnotationPlan(.sum)])
        let inputs: [(String, Bool)] = [
            (#"{"key":"a","v":1,"n":1}"#, false), (#"{"key":"a","v":1,"n":1}"#, false),  // equal v: reduces
            (#"{"key":"a","v":2,"n":1}"#, false),  // refused: kept apart
            (#"{"key":"a","n":1}"#, false),  // reduces into the later one
            (#"{"key":"b","v":1}"#, false),
        ]
        for budget in [CombinerConfiguration.memoryBudgetBytesDefault, 0] {
            let partial = try combine(inputs, plan: validator, mode: .partial, budget: budget)
            #expect(partial.map { canonical($0.document) } == [#"{"key":"a","n":2,"v":1}"#, #"{"key":"a","n":2,"v":2}"#, #"{"key":"b","v":1}"#],
                    "budget \(budget)")
            let full = try combine(inputs, plan: validator, mode: .full, budget: budget)
            #expect(full.map { canonical($0.document) } == [#"{"key":"a","n":4,"v":2}"#, #"{"key":"b","v":1}"#], "budget \(budget)")
        }
    }

    @Test func anEmptyCombinerDrainsNothing() throws {
        let combiner = Combiner(configuration: CombinerConfiguration(key: key), validator: ReduceAnnotationPlan())
        var drainer = try combiner.drain()
        #expect(try drainer.next() == nil)
        #expect(try drainer.next() == nil)
    }

    @Test func documentsValidatedElsewhereAreNotValidatedAgainWhenAdded() throws {
        let plan = ReduceAnnotationPlan(.merge, properties: ["n": ReduceAnnotationPlan(.sum)])
        var combiner = Combiner(configuration: CombinerConfiguration(key: key), validator: RejectingValidator(plan: plan))
        for text in [#"{"key":"a","n":1}"#, #"{"key":"a","n":2}"#, #"{"key":"b","n":2}"#] {
            let document = document(text)
            try combiner.add(document, annotations: plan.annotations(for: document))
        }
        #expect(combiner.statistics.validations == 0)
        var drainer = try combiner.drain()
        let drained = try drainAll(&drainer)
        #expect(drained.map { canonical($0.document) } == [#"{"key":"a","n":3}"#, #"{"key":"b","n":2}"#])
        #expect(drainer.statistics.validations == 2)  // drained documents still are
    }
}
