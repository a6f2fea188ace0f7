import Testing
@testable import SluiceCombine
import SluiceDocument

@Suite struct KeyTableTests {
    /// The sizes docs/reduce.md's memory model counts per key.
    @Test func layout() {
        #expect(MemoryLayout<CombinerEntry>.stride == 40)
        #expect(MemoryLayout<KeyLocation>.stride == 32)
        #expect(MemoryLayout<Int32>.stride == 4)
    }

    @Test func findsInsertsAndSortsKeysOfEveryLength() {
        var table = KeyTable()
        var keys: [[UInt8]] = []
        for length in 0..<40 {
            for seed in 0..<30 { keys.append((0..<length).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ seed &* 7) }) }
        }
        var unique = Set<[UInt8]>()
        for key in keys {
            let (index, inserted) = key.withUnsafeBytes { table.findOrInsert($0) }
            #expect(inserted == unique.insert(key).inserted)
            table.withKey(index) { #expect(Array($0) == key) }
        }
        #expect(table.count == unique.count)
        // Grew past the initial slots, and still finds every key.
        #expect(unique.count > KeyTable.initialSlotCount / 2)
        for key in unique {
            let (_, inserted) = key.withUnsafeBytes { table.findOrInsert($0) }
            #expect(!inserted)
        }
        let sorted = table.sortedIndices().map { index in table.withKey(index) { Array($0) } }
        #expect(sorted == unique.sorted { $0.lexicographicallyPrecedes($1) })
        table.removeAll()
        #expect(table.count == 0)
        let (_, inserted) = keys[5].withUnsafeBytes { table.findOrInsert($0) }
        #expect(inserted)
    }
}
