// Combiner: the accumulating side of the combiner's lifecycle.
public import SluiceDocument
import SluiceReduce
public import SluiceSchema

/// Combines documents by key within a memory budget.
///
///     var combiner = Combiner(configuration: CombinerConfiguration(key: KeyExtractor(pointers: ["/id"])),
///                             validator: validator)
///     for document in documents { try combiner.add(document) }
///     var drainer = try combiner.drain()            // consumes the combiner
///     while let drained = try drainer.next() { … }  // packed-key order
///
/// `add` validates the document (its annotations choose the strategies), then reduces it
/// partially into the document already held for its key; where `associative: false` refuses,
/// both are kept, in order. A `front` document (loaded from a store) is the left-most of its
/// key, whenever it is added.
///
/// Memory: documents (`Document.memoryBytes`) and the index (entries, slots, key arena, by
/// capacity) are counted in `memoryBytes`; when an `add` takes it past the budget, the table is
/// sorted by key and written to the spill file as a run, and starts again empty. Draining
/// merges the runs and the table. Peak memory is the budget plus one document plus the spill
/// writer's buffers, whatever the input size.
public struct Combiner: ~Copyable {
    var engine: CombineEngine
    var table = KeyTable()
    /// Bytes of the documents the table holds.
    var documentBytes = 0
    var keyScratch: [UInt8] = []
    var file: SpillFile? = nil
    var runs: [SpillRun] = []
    /// Packed keys of a batch (`add(contentsOf:)`), back to back, and where each ends.
    private var batchKeys: [UInt8] = []
    private var batchKeyEnds: [Int] = []
    private var batchFound: [Int32] = []
    /// Where `KeyTable.touch` results go, so that its reads are not optimized away.
    private var touched: UInt64 = 0
    /// The most `memoryBytes` (plus spill buffers while spilling) ever was.
    public private(set) var peakMemoryBytes = 0

    public init(configuration: CombinerConfiguration, validator: some DocumentValidator) {
        engine = CombineEngine(validator: validator, configuration: configuration)
        keyScratch.reserveCapacity(256)
    }

    public var configuration: CombinerConfiguration { engine.configuration }
    public var statistics: CombinerStatistics { engine.statistics }

    /// Bytes held now: documents plus the index (by capacity) plus the key scratch.
    public var memoryBytes: Int { documentBytes + table.indexBytes + keyScratch.capacity + KeyTable.arrayHeaderBytes }

    /// Keys held in memory now.
    public var keyCount: Int { table.count }

    /// Validates `document` and reduces it into what is held for its key. A `front` document
    /// is the left-most of its key (a stored value that the others reduce into).
    public mutating func add(_ document: Document, front: Bool = false) throws(CombineError) {
        keyScratch.removeAll(keepingCapacity: true)
        engine.configuration.key.pack(document, into: &keyScratch)
        let scratch = keyScratch
        try scratch.withBytes { key throws(CombineError) in try add(document, key: key, front: front) }
    }

    /// Validates and adds `document`, whose packed key is `key`; spills past the budget.
    private mutating func add(_ document: Document, key: UnsafeRawBufferPointer, front: Bool) throws(CombineError) {
        engine.statistics.documentsAdded += 1
        let annotations = try engine.validate(document, key: key)
        try add(document, annotations, key: key, front: front)
        try noteMemory()
    }

    /// Adds a document validated elsewhere, whose packed key is `packedKey`; spills past the
    /// budget.
    private mutating func add(_ document: Document, _ annotations: ReduceAnnotations, packedKey: UnsafeRawBufferPointer,
                              front: Bool) throws(CombineError) {
        engine.statistics.documentsAdded += 1
        try add(document, annotations, key: packedKey, front: front)
        try noteMemory()
    }

    /// Records the peak and spills past the budget.
    private mutating func noteMemory() throws(CombineError) {
        let memory = memoryBytes
        if memory > peakMemoryBytes { peakMemoryBytes = memory }
        if memory > engine.configuration.memoryBudgetBytes { try spill() }
    }

    /// Adds `documents` in order, as `add(_:front:)` one by one would (on an error, those before
    /// the failing one are added, the rest are not). Faster over a large table: the keys'
    /// entries and accumulated tapes are first looked up for the whole batch, so the
    /// processor fetches them from memory together rather than one after another.
    public mutating func add(contentsOf documents: [Document], front: Bool = false) throws(CombineError) {
        try add(contentsOf: documents[...], front: front)
    }

    /// `add(contentsOf:front:)` over a slice.
    public mutating func add(contentsOf documents: ArraySlice<Document>, front: Bool = false) throws(CombineError) {
        packBatchKeys(documents)
        let keys = batchKeys
        try keys.withBytes { keys throws(CombineError) in
            var start = 0
            for (document, end) in zip(documents, batchKeyEnds) {
                try add(document, key: UnsafeRawBufferPointer(rebasing: keys[start..<end]), front: front)
                start = end
            }
        }
    }

    /// `add(_:annotations:front:)` for a batch of documents validated elsewhere, in order,
    /// looked up together first as in `add(contentsOf:front:)`.
    public mutating func add(contentsOf documents: ArraySlice<Document>, annotations: ArraySlice<ReduceAnnotations>,
                             front: Bool = false) throws(CombineError) {
        precondition(documents.count == annotations.count, "one annotations per document")
        packBatchKeys(documents)
        let keys = batchKeys
        try keys.withBytes { keys throws(CombineError) in
            var start = 0
            for ((document, documentAnnotations), end) in zip(zip(documents, annotations), batchKeyEnds) {
                precondition(documentAnnotations.entryCount == document.entryCount, "annotations of another document")
                try add(document, documentAnnotations, packedKey: UnsafeRawBufferPointer(rebasing: keys[start..<end]), front: front)
                start = end
            }
        }
    }

    /// Packs the keys of a batch into `batchKeys` and has the table fetch their entries.
    private mutating func packBatchKeys(_ documents: ArraySlice<Document>) {
        batchKeys.removeAll(keepingCapacity: true)
        batchKeyEnds.removeAll(keepingCapacity: true)
        for document in documents {
            engine.configuration.key.pack(document, into: &batchKeys)
            batchKeyEnds.append(batchKeys.count)
        }
        let keys = batchKeys
        touched &+= keys.withUnsafeBytes { keys in table.touch(keys: keys, ends: batchKeyEnds, found: &batchFound) }
    }

    /// Adds a document that was validated elsewhere (for example on another thread, while this
    /// one combines): `annotations` must be what the combiner's validator returns for it.
    /// Drained documents are still validated by the combiner's validator.
    public mutating func add(_ document: Document, annotations: ReduceAnnotations, front: Bool = false) throws(CombineError) {
        precondition(annotations.entryCount == document.entryCount, "annotations of another document")
        keyScratch.removeAll(keepingCapacity: true)
        engine.configuration.key.pack(document, into: &keyScratch)
        let scratch = keyScratch
        try scratch.withBytes { key throws(CombineError) in try add(document, annotations, packedKey: key, front: front) }
    }

    private mutating func add(_ document: Document, _ annotations: ReduceAnnotations, key: UnsafeRawBufferPointer, front: Bool) throws(CombineError) {
        let (index, _) = table.findOrInsert(key)
        if front {
            if let left = table[index].front {
                guard let reduced = try engine.reduce(left, document, annotations, mode: .partial, key: key) else {
                    throw CombineError.frontsNotAssociative(key: CombineError.describe(packedKey: key))
                }
                table[index].front = reduced.document
            } else {
                table[index].front = document
            }
        } else if !table[index].lastTapeBytes.isEmpty {
            // Flat merges accumulate as tape bytes; anything else decodes them first.
            if engine.reducer.reduce(intoTapeBytes: &table[index].lastTapeBytes, document, annotations: annotations) {
                engine.statistics.reductions += 1
            } else {
                let left = table[index].lastDocument()!
                table[index].lastTapeBytes = []
                try reduceGenerally(left, document, annotations, index: index, key: key)
            }
        } else if let left = table[index].last {
            var bytes: [UInt8] = []
            if engine.reducer.mayFlatMerge(annotations) {
                left.appendTapeBytes(to: &bytes)
            }
            if !bytes.isEmpty && engine.reducer.reduce(intoTapeBytes: &bytes, document, annotations: annotations) {
                table[index].last = nil
                table[index].lastTapeBytes = bytes
                engine.statistics.reductions += 1
            } else {
                try reduceGenerally(left, document, annotations, index: index, key: key)
            }
        } else if table[index].heldBack.isEmpty && engine.reducer.mayFlatMerge(annotations) {
            // The key's first document, where later ones may flat-merge into it: kept as tape
            // bytes (the document itself is not held, so its storage is reused at once).
            var bytes: [UInt8] = []
            let size = 16 + 16 * document.entryCount + document.stringByteCount
            bytes.reserveCapacity(size + size / 8)
            document.appendTapeBytes(to: &bytes)
            table[index].lastTapeBytes = bytes
        } else {
            table[index].last = document
        }
        documentBytes += table[index].recount()
    }

    /// Reduces `document` into `left`, the key's last document; where `associative: false`
    /// refuses, keeps `left` apart and starts again from `document`.
    private mutating func reduceGenerally(_ left: Document, _ document: Document, _ annotations: ReduceAnnotations, index: Int,
                                          key: UnsafeRawBufferPointer) throws(CombineError) {
        if let reduced = try engine.reduce(left, document, annotations, mode: .partial, key: key) {
            table[index].last = reduced.document
        } else {
            table[index].heldBack.append(left)
            table[index].last = document
        }
    }

    /// Writes the table as a sorted run and empties it.
    mutating func spill() throws(CombineError) {
        guard table.count > 0 else { return }
        if file == nil { file = try SpillFile(directory: engine.configuration.temporaryDirectory) }
        var writer = SpillRunWriter(file: file!, blockBytesTarget: engine.configuration.spillBlockBytesTarget)
        for index in table.sortedIndices() {
            let entry = table[index]
            let range = table.locations[index].range
            try table.keyArena.withBytes { arena throws(CombineError) in
                let key = UnsafeRawBufferPointer(rebasing: arena[range])
                if let front = entry.front { try writer.append(key: key, document: front, flags: .front) }
                for document in entry.heldBack { try writer.append(key: key, document: document, flags: .heldBack) }
                if let last = entry.last {
                    try writer.append(key: key, document: last, flags: [])
                } else if !entry.lastTapeBytes.isEmpty {
                    try entry.lastTapeBytes.withBytes { bytes throws(CombineError) in try writer.append(key: key, tapeBytes: bytes, flags: []) }
                }
            }
        }
        let memory = memoryBytes + writer.bufferBytes
        if memory > peakMemoryBytes { peakMemoryBytes = memory }
        let run = try writer.finish()
        runs.append(run)
        engine.statistics.spills += 1
        engine.statistics.spilledBytes += run.length
        engine.statistics.spilledDocuments += run.records
        table.removeAll()
        documentBytes = 0
    }

    /// Ends accumulating: the combiner becomes a drainer that yields the combined documents in
    /// packed-key order. Runs beyond `mergeFanInMax` are merged first.
    public consuming func drain() throws(CombineError) -> CombinerDrainer {
        try CombinerDrainer(engine: engine, table: table, documentBytes: documentBytes, file: file, runs: runs,
                            peakMemoryBytes: peakMemoryBytes)
    }
}
