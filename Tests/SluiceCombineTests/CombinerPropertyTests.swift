import Testing
import SluiceCombine
import SluiceDocument
import SluiceReduce
import SluiceSchema
import SluiceWorkload

/// Combining a seeded workload in any interleaving that keeps each key's order gives what a
/// naive fold of each key's documents in order gives, with and without spills.
@Suite struct CombinerPropertyTests {
    struct Budget: Sendable, CustomStringConvertible {
        let bytes: Int
        let fanIn: Int
        var description: String { "budget \(bytes) B, fan-in \(fanIn)" }
    }

    static let budgets = [
        Budget(bytes: CombinerConfiguration.memoryBudgetBytesDefault, fanIn: 16),  // never spills
        Budget(bytes: 4096, fanIn: 16),  // spills often
        Budget(bytes: 0, fanIn: 2),  // spills every document, merges in many passes
    ]

    static let seeds: [UInt64] = (0..<12).map { 0xC0B1_0000 + $0 }

    @Test(arguments: seeds, [ReductionMode.partial, .full])
    func combinerEqualsTheReferenceFold(seed: UInt64, mode: ReductionMode) throws {
        var random = SplitMix64(seed: seed)
        var generator = WorkloadDocuments(random: SplitMix64(seed: seed ^ 0x5EED), allowsDelete: mode == .partial)
        let keyCount = 1 + random.below(30)
        // Each key's documents in order, and (full mode) sometimes a front document.
        var perKey: [[Document]] = (0..<keyCount).map { key in (0..<(1 + random.below(8))).map { _ in generator.document(key: key) } }
        var fronts: [[Document]] = Array(repeating: [], count: keyCount)
        if mode == .full {
            for key in 0..<keyCount where random.below(3) == 0 {
                // A stored value: fully reduced already (no tombstones, no set terms).
                let stored = try referenceReduce([], [generator.document(key: key)], plan: workloadPlan, mode: .full).0
                fronts[key] = [stored]
            }
        } else {
            // Partial mode: an empty key list is not possible; make one key long.
            perKey[0] += (0..<20).map { _ in generator.document(key: 0) }
        }
        // An interleaving that keeps each key's order; fronts go anywhere.
        var cursors = Array(repeating: 0, count: keyCount)
        var order: [(Document, Bool)] = []
        var frontsLeft = fronts.enumerated().flatMap { key, documents in documents.map { (key, $0) } }
        while order.count < perKey.map(\.count).reduce(0, +) + fronts.map(\.count).reduce(0, +) {
            if !frontsLeft.isEmpty && random.below(10) == 0 {
                order.append((frontsLeft.removeLast().1, true))
                continue
            }
            let key = random.below(keyCount)
            if cursors[key] < perKey[key].count {
                order.append((perKey[key][cursors[key]], false))
                cursors[key] += 1
            } else if let index = frontsLeft.firstIndex(where: { $0.0 == key }) {
                order.append((frontsLeft.remove(at: index).1, true))
            }
        }
        // The reference, per packed key.
        let extractor = KeyExtractor(pointers: ["/id"])
        var expected: [([UInt8], String, Bool)] = []
        for key in 0..<keyCount {
            let (document, isDeleted) = try referenceReduce(fronts[key], perKey[key], plan: workloadPlan, mode: mode)
            expected.append((extractor.packed(perKey[key][0]), canonical(document), isDeleted))
        }
        expected.sort { $0.0.lexicographicallyPrecedes($1.0) }

        for budget in Self.budgets {
            let configuration = CombinerConfiguration(key: extractor, mode: mode, memoryBudgetBytes: budget.bytes,
                                                      spillBlockBytesTarget: 1024, mergeFanInMax: budget.fanIn)
            var combiner = Combiner(configuration: configuration, validator: workloadPlan)
            for (document, front) in order { try combiner.add(document, front: front) }
            var drainer = try combiner.drain()
            let drained = try drainAll(&drainer)
            let actual = drained.map { ($0.packedKey, canonical($0.document), $0.isDeleted) }
            #expect(actual.count == expected.count, "seed \(seed), \(mode), \(budget)")
            for (a, e) in zip(actual, expected) {
                #expect(a.0 == e.0 && a.1 == e.1 && a.2 == e.2, "seed \(seed), \(mode), \(budget): \(a.1) vs \(e.1)")
            }
            if budget.bytes == 0 { #expect(drainer.statistics.spills == order.count) }

            // The same documents in batches of random sizes (`add(contentsOf:)`) give the same.
            var batched = Combiner(configuration: configuration, validator: workloadPlan)
            var position = 0
            while position < order.count {
                let front = order[position].1
                var end = position
                let size = 1 + random.below(40)
                while end < order.count && end - position < size && order[end].1 == front { end += 1 }
                try batched.add(contentsOf: order[position..<end].map(\.0), front: front)
                position = end
            }
            var batchedDrainer = try batched.drain()
            let batchedDrained = try drainAll(&batchedDrainer).map { ($0.packedKey, canonical($0.document), $0.isDeleted) }
            #expect(batchedDrained.count == actual.count, "seed \(seed), \(mode), \(budget), batched")
            for (a, e) in zip(batchedDrained, actual) {
                #expect(a.0 == e.0 && a.1 == e.1 && a.2 == e.2, "seed \(seed), \(mode), \(budget), batched: \(a.1) vs \(e.1)")
            }
        }
    }
}
