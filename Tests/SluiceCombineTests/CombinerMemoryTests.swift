import Testing
import SluiceCombine
import SluiceDocument
import SluiceReduce
import SluiceSchema
import SluiceWorkload

/// The combiner's memory stays within its budget plus a constant, whatever the input size.
@Suite struct CombinerMemoryTests {
    /// The standard workload's reduction: root merge, sum amount and qty, maximize ts.
    static let plan = ReduceAnnotationPlan(.merge, properties: [
        "amount": ReduceAnnotationPlan(.sum), "qty": ReduceAnnotationPlan(.sum), "ts": ReduceAnnotationPlan(.maximize),
    ])

    struct Run {
        var peakAccumulating = 0
        var peakDraining = 0
        var largestDocumentBytes = 0
        var statistics = CombinerStatistics()
        var drained: [String] = []
    }

    /// Combines `documents` of the standard workload by /id within `budget`.
    func run(documents: Int, keys: Int, budget: Int, blockBytes: Int = 4096, fanIn: Int = 4) throws -> Run {
        let configuration = CombinerConfiguration(key: KeyExtractor(pointers: ["/id"]), memoryBudgetBytes: budget,
                                                  spillBlockBytesTarget: blockBytes, mergeFanInMax: fanIn)
        var combiner = Combiner(configuration: configuration, validator: Self.plan)
        var result = Run()
        var parser = JSONParser()
        var generator = WorkloadGenerator(WorkloadSpec(documents: documents, keys: keys))
        var line: [UInt8] = []
        while true {
            line.removeAll(keepingCapacity: true)
            guard generator.appendNext(to: &line) else { break }
            let document = try parser.parse(line)
            result.largestDocumentBytes = max(result.largestDocumentBytes, document.memoryBytes)
            try combiner.add(document)
            // After every add the held bytes are within the budget (a spill brought them back).
            #expect(combiner.memoryBytes <= budget || combiner.keyCount == 0)
        }
        result.peakAccumulating = combiner.peakMemoryBytes
        var drainer = try combiner.drain()
        while let drained = try drainer.next() {
            // Sums of doubles depend on their grouping in the last bits (spills group
            // differently): compare amounts in cents.
            var value = drained.document.jsonValue
            if let amount = value["amount"]?.number?.doubleValue { value["amount"] = .double((amount * 100).rounded() / 100) }
            result.drained.append(canonical(try Document(value)))
        }
        result.peakDraining = drainer.peakMemoryBytes
        result.statistics = drainer.statistics
        return result
    }

    @Test func peakMemoryIsTheBudgetPlusAConstant() throws {
        let budget = 64 << 10
        let blockBytes = 4096
        let fanIn = 4
        let small = try run(documents: 2_000, keys: 400, budget: budget, blockBytes: blockBytes, fanIn: fanIn)
        let large = try run(documents: 8_000, keys: 1_600, budget: budget, blockBytes: blockBytes, fanIn: fanIn)
        // The constant: the largest reduced document twice (the one over the budget, and the
        // reduction's result), the spill writer's buffers, and while draining one block (and
        // its compressed copy) and one document per run read at once, plus a merge's writer.
        let document = 2 * large.largestDocumentBytes + 4096
        let buffers = 2 * (blockBytes + document) + 1024
        let accumulatingBound = budget + document + buffers
        let drainingBound = budget + (fanIn + 1) * buffers
        for result in [small, large] {
            #expect(result.statistics.spills > 4)
            #expect(result.peakAccumulating <= accumulatingBound, "peak \(result.peakAccumulating) > \(accumulatingBound)")
            #expect(result.peakDraining <= drainingBound, "peak \(result.peakDraining) > \(drainingBound)")
            #expect(result.peakAccumulating >= budget / 2)
        }
        // Four times the input: more spills and merge passes, the same bound.
        #expect(large.statistics.spills > 2 * small.statistics.spills)
        #expect(large.statistics.mergePasses > small.statistics.mergePasses)
        #expect(large.drained.count == 1_600)
        // And the same result as without spilling.
        let unbounded = try run(documents: 8_000, keys: 1_600, budget: CombinerConfiguration.memoryBudgetBytesDefault)
        #expect(unbounded.statistics.spills == 0)
        #expect(unbounded.drained == large.drained)
    }

    @Test func memoryCountsDocumentsAndTheIndex() throws {
        var combiner = Combiner(configuration: CombinerConfiguration(key: KeyExtractor(pointers: ["/id"])), validator: Self.plan)
        let empty = combiner.memoryBytes
        #expect(empty > 0 && empty < 64 << 10)
        var held = 0
        for index in 0..<1000 {
            let document = try Document(parsing: #"{"id":\#(index),"note":"\#(String(repeating: "x", count: 100))"}"#)
            held += document.memoryBytes
            try combiner.add(document)
        }
        // Documents plus at least 16 bytes of index per key (entry, slots, key bytes).
        #expect(combiner.memoryBytes >= empty + held + 16 * 1000)
        #expect(combiner.memoryBytes <= empty + held + 200 * 1000)
        #expect(combiner.peakMemoryBytes == combiner.memoryBytes)
    }

    @Test func aZeroBudgetSpillsEveryDocument() throws {
        let result = try run(documents: 300, keys: 50, budget: 0, blockBytes: 1024, fanIn: 2)
        #expect(result.statistics.spills == 300)
        #expect(result.statistics.mergePasses == 298)  // two runs at a time until two are left
        #expect(result.drained.count == 50)
        let unbounded = try run(documents: 300, keys: 50, budget: CombinerConfiguration.memoryBudgetBytesDefault)
        #expect(result.drained == unbounded.drained)
    }
}
