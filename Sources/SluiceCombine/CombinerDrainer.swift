// CombinerDrainer: the draining side of the combiner's lifecycle.
import SluiceDocument
import SluiceReduce

/// Yields a drained combiner's documents in packed-key order, one per key (more only where
/// `associative: false` kept a partial combine's documents apart), each validated. Reads the
/// spilled runs and the in-memory table together (a k-way merge); the documents of one key
/// reduce fronts first, then in the order they were added.
public struct CombinerDrainer: ~Copyable {
    var engine: CombineEngine
    var table: KeyTable
    /// Table entries in packed-key order, and the next one to drain.
    let order: [Int]
    var orderPosition = 0
    /// Bytes of the documents the table still holds (drained entries are released).
    var documentBytes: Int
    let file: SpillFile?
    var readers: [SpillRunReader] = []
    var records: [GroupRecord] = []
    var pending: [DrainedDocument] = []
    /// Decodes accumulated tape bytes into recycled storages.
    var decoder = JSONParser(depthMax: JSONParser.depthMaxLimit)
    var pendingPosition = 0
    /// The most `memoryBytes` ever was, while accumulating and while draining.
    public private(set) var peakMemoryBytes: Int

    init(engine: CombineEngine, table: KeyTable, documentBytes: Int, file: SpillFile?, runs: [SpillRun],
         peakMemoryBytes: Int) throws(CombineError) {
        self.engine = engine
        self.table = table
        self.documentBytes = documentBytes
        self.file = file
        self.peakMemoryBytes = peakMemoryBytes
        self.order = table.sortedIndices()
        var runs = runs
        let fanInMax = engine.configuration.mergeFanInMax
        // Merge the oldest runs until the runs and the table fit one merge.
        while runs.count + (table.count > 0 ? 1 : 0) > fanInMax {
            let group = Array(runs.prefix(fanInMax))
            let merged = try mergeRuns(group)
            runs = [merged] + runs.dropFirst(group.count)
        }
        for run in runs { readers.append(try SpillRunReader(file: file!, run: run)) }
        notePeak()
    }

    public var statistics: CombinerStatistics { engine.statistics }

    /// Bytes held now: the table's remaining documents and index, and the run readers'
    /// buffers.
    public var memoryBytes: Int {
        var bytes = documentBytes + table.indexBytes + order.capacity * MemoryLayout<Int>.stride + KeyTable.arrayHeaderBytes
        for reader in readers { bytes += reader.bufferBytes }
        return bytes
    }

    private mutating func notePeak() {
        let memory = memoryBytes
        if memory > peakMemoryBytes { peakMemoryBytes = memory }
    }

    /// The next drained document, or nil when every key was drained.
    public mutating func next() throws(CombineError) -> DrainedDocument? {
        while true {
            if pendingPosition < pending.count {
                pendingPosition += 1
                return pending[pendingPosition - 1]
            }
            pending.removeAll(keepingCapacity: true)
            pendingPosition = 0
            guard try drainNextKey() else { return nil }
        }
    }

    /// Gathers and finishes the records of the smallest key left; false when none is left.
    private mutating func drainNextKey() throws(CombineError) -> Bool {
        if readers.isEmpty, engine.configuration.mode == .partial, orderPosition < order.count {
            // Nothing spilled, partial mode: a key whose one document is in memory is that
            // document, validated (what `finish` does, without gathering records).
            let entry = order[orderPosition]
            if table[entry].front == nil, table[entry].heldBack.isEmpty,
               let document = table[entry].lastDocument(decoder: &decoder) {
                let key = table.withKey(entry) { Array($0) }
                documentBytes -= table[entry].heldBytes
                table[entry].last = nil
                table[entry].lastTapeBytes = []
                orderPosition += 1
                notePeak()
                try key.withBytes { key throws(CombineError) in _ = try engine.validate(document, key: key) }
                engine.statistics.documentsDrained += 1
                pending.append(DrainedDocument(packedKey: key, document: document, isDeleted: false))
                return true
            }
        }
        var smallest: Int? = nil
        for index in readers.indices where readers[index].document != nil {
            if let current = smallest {
                if Self.compare(readers[index].key, readers[current].key) < 0 { smallest = index }
            } else {
                smallest = index
            }
        }
        let tableIndex = orderPosition < order.count ? order[orderPosition] : nil
        var key: [UInt8]
        var takesTable = false
        switch (smallest, tableIndex) {
        case (nil, nil):
            return false
        case (nil, let entry?):
            key = table.withKey(entry) { Array($0) }
            takesTable = true
        case (let reader?, nil):
            key = readers[reader].key
        case (let reader?, let entry?):
            key = readers[reader].key
            let order = table.withKey(entry) { tableKey in key.withUnsafeBytes { compareBytes(tableKey, $0) } }
            if order <= 0 {
                if order < 0 { key = table.withKey(entry) { Array($0) } }
                takesTable = true
            }
        }
        records.removeAll(keepingCapacity: true)
        for index in readers.indices {
            while let document = readers[index].document, readers[index].key == key {
                records.append(GroupRecord(document: document, flags: readers[index].flags))
                try readers[index].advance()
            }
        }
        if takesTable, let entry = tableIndex {
            if let front = table[entry].front { records.append(GroupRecord(document: front, flags: .front)) }
            for document in table[entry].heldBack { records.append(GroupRecord(document: document, flags: .heldBack)) }
            if let last = table[entry].lastDocument() { records.append(GroupRecord(document: last, flags: [])) }
            documentBytes -= table[entry].heldBytes
            table[entry].front = nil
            table[entry].heldBack = []
            table[entry].last = nil
            table[entry].lastTapeBytes = []
            orderPosition += 1
        }
        notePeak()
        let groupRecords = records
        try key.withBytes { key throws(CombineError) in try engine.finish(groupRecords, key: key, into: &pending) }
        records.removeAll(keepingCapacity: true)
        return true
    }

    /// Merges `runs` (consecutive, oldest first) into one new run of partial combinations.
    private mutating func mergeRuns(_ runs: [SpillRun]) throws(CombineError) -> SpillRun {
        var readers: [SpillRunReader] = []
        for run in runs { readers.append(try SpillRunReader(file: file!, run: run)) }
        var writer = SpillRunWriter(file: file!, blockBytesTarget: engine.configuration.spillBlockBytesTarget)
        var group: [GroupRecord] = []
        while true {
            var smallest: Int? = nil
            for index in readers.indices where readers[index].document != nil {
                if smallest == nil || Self.compare(readers[index].key, readers[smallest!].key) < 0 { smallest = index }
            }
            guard let smallest else { break }
            let key = readers[smallest].key
            group.removeAll(keepingCapacity: true)
            for index in readers.indices {
                while let document = readers[index].document, readers[index].key == key {
                    group.append(GroupRecord(document: document, flags: readers[index].flags))
                    try readers[index].advance()
                }
            }
            let records = group
            try key.withBytes { key throws(CombineError) in
                let (front, chain) = try engine.combine(records, key: key)
                if let front { try writer.append(key: key, document: front, flags: .front) }
                for record in chain { try writer.append(key: key, document: record.document, flags: record.flags.subtracting(.front)) }
            }
            var memory = memoryBytes + writer.bufferBytes
            for reader in readers { memory += reader.bufferBytes }
            if memory > peakMemoryBytes { peakMemoryBytes = memory }
        }
        let run = try writer.finish()
        engine.statistics.mergePasses += 1
        engine.statistics.spilledBytes += run.length
        engine.statistics.spilledDocuments += run.records
        return run
    }

    static func compare(_ left: [UInt8], _ right: [UInt8]) -> Int {
        left.withUnsafeBytes { a in right.withUnsafeBytes { b in compareBytes(a, b) } }
    }
}
