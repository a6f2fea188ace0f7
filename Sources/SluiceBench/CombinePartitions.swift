// PartitionedCombine: one collection's combine on several threads, as an engine runs it on
// every core.
//
// Keys are partitioned by a hash of the packed key: each of the N workers owns one partition
// and its own `Combiner`. The input is cut into chunks of whole lines; a worker with nothing
// to combine claims the next chunk nobody has claimed and parses it (parsing and key packing,
// the share of the work that does not depend on the key, so a worker that gets less
// processor time on a busy machine parses less), keeps the documents of its own keys and
// hands the others to their owners as tape bytes in one batch per chunk and owner. Each worker
// validates and combines its keys' documents chunk by chunk in input order (batches it parsed
// and batches it received, by chunk number), so every key's documents reduce in the order of
// the input, exactly as on one thread: the drained documents are the same, byte for byte.
// Finally each worker drains its combiner (validating and serializing each document), all at
// once.
//
// Limits: a worker parses at most `chunksAheadMax` chunks ahead of the one it must combine
// next, and hands off through at most `chunksAheadMax × (N − 1)` batch buffers of its own,
// which come back empty once their documents are combined; a worker that can do nothing
// else waits. Batches are byte arrays allocated and freed by the worker that owns them, and
// received documents are decoded by the worker that combines them, so no thread frees memory
// another allocated (glibc's allocator contends on that).
import Dispatch
import Foundation
import Synchronization
import SluiceCombine
import SluiceDocument
import SluiceSchema

enum PartitionedCombine {
    /// Input bytes per chunk: 256 KiB, about 600 workload documents. Small enough that a
    /// chunk's documents are still in cache when combined, large enough that hand-offs are rare.
    static let chunkBytes = 256 << 10
    /// Chunks a worker may parse ahead of the next one it combines (memory: about this many
    /// chunks' documents per worker as tape bytes, ~2× their JSON size each, so ~8 MiB at
    /// most). Enough that a worker descheduled for a few milliseconds on a busy machine does not
    /// stall the others at once (4 measured slower than 8 and 16 on this shared machine).
    static let chunksAheadMax = 16
    /// A batch's initial capacity: a chunk's documents as tape bytes (about twice the JSON).
    static let batchCapacityBytes = 2 * chunkBytes + (64 << 10)
    /// Documents given to `Combiner.add(contentsOf:)` at once: enough for the processor to
    /// fetch their keys' table entries together, few enough that what it fetched is still in
    /// cache when each is combined (16 and 64 measured no faster).
    static let combineBatchDocuments = 32

    /// What one worker did.
    struct WorkerResult: Sendable {
        var statistics: CombinerStatistics
        var peakMemoryBytes: Int
        var keys: Int
        var outputBytes: Int
        var outputChecksum: UInt64
    }

    /// Runs `workers` workers over `input` (this thread is worker 0); returns their results.
    static func run(input: InputSource, workers: Int, configuration: CombinerConfiguration) throws -> [WorkerResult] {
        let exchange = PartitionExchange(workers: workers, buffersPerWorker: chunksAheadMax * (workers - 1),
                                         bufferCapacityBytes: batchCapacityBytes)
        let schema = try WorkloadSchema.schema()
        let results = Mutex<[WorkerResult?]>(Array(repeating: nil, count: workers))
        let finished = DispatchSemaphore(value: 0)
        for index in 1..<max(workers, 1) {
            Thread {
                do {
                    let result = try work(index, input: input, workers: workers, exchange: exchange, schema: schema,
                                          configuration: configuration)
                    results.withLock { $0[index] = result }
                } catch {
                    exchange.fail("worker \(index): \(error)")
                }
                finished.signal()
            }.start()
        }
        var firstError: (any Error)? = nil
        do {
            let result = try work(0, input: input, workers: workers, exchange: exchange, schema: schema, configuration: configuration)
            results.withLock { $0[0] = result }
        } catch {
            exchange.fail("worker 0: \(error)")
            firstError = error
        }
        for _ in 1..<max(workers, 1) { finished.wait() }
        if let firstError { throw firstError }
        if let failure = exchange.failure { throw BenchmarkFailure(message: failure) }
        return results.withLock { $0.map { $0! } }
    }

    static func work(_ index: Int, input: InputSource, workers: Int, exchange: PartitionExchange, schema: Schema,
                     configuration: CombinerConfiguration) throws -> WorkerResult {
        var worker = try PartitionWorker(index: index, workers: workers, input: input, exchange: exchange, schema: schema,
                                         configuration: configuration)
        try worker.combineAll()
        return try worker.drain()
    }

    /// The partition of a packed key among `workers`: a hash unlike the combiner's own (its
    /// table's slots would otherwise see every key of a partition land on the same residue).
    @inline(__always)
    static func partition(_ key: UnsafeRawBufferPointer, workers: Int) -> Int {
        guard workers > 1 else { return 0 }
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325  // FNV-1a
        for byte in key { hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01B3 }
        return Int((hash >> 32) % UInt64(workers))
    }
}

/// Documents of one input chunk for one partition, as tape bytes: per document, its length
/// (UInt32 little-endian) and `Document.tapeBytes`, then (in a validated batch) its reduce
/// annotations' slots, one UInt16 per tape entry (`ReduceAnnotations.withSlots`).
struct PartitionBatch: Sendable {
    /// The worker whose buffer this is (it gets it back empty).
    let owner: Int
    var chunk = -1
    var bytes: [UInt8] = []
    var documents = 0
    /// The documents were validated when parsed and carry their annotations' slots.
    var isValidated = false

    init(owner: Int, capacityBytes: Int) {
        self.owner = owner
        bytes.reserveCapacity(capacityBytes)
    }

    mutating func append(_ document: Document) {
        let lengthOffset = bytes.count
        withUnsafeBytes(of: UInt32(0)) { bytes.append(contentsOf: $0) }
        document.appendTapeBytes(to: &bytes)
        let length = UInt32(bytes.count - lengthOffset - 4)
        bytes.withUnsafeMutableBytes { $0.storeBytes(of: length.littleEndian, toByteOffset: lengthOffset, as: UInt32.self) }
        documents += 1
    }

    /// Appends a validated document and its annotations' slots.
    mutating func append(_ document: Document, annotations: ReduceAnnotations) {
        append(document)
        annotations.withSlots { slots in
            bytes.append(contentsOf: UnsafeRawBufferPointer(slots))
        }
    }

    /// The tape bytes of the document at `offset` in `bytes`, its slots (empty unless
    /// validated), and the offset of the next.
    func record(_ bytes: UnsafeRawBufferPointer, at offset: Int) -> (tape: UnsafeRawBufferPointer, slots: UnsafeRawBufferPointer, next: Int) {
        let length = Int(UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: UInt32.self)))
        let tape = UnsafeRawBufferPointer(rebasing: bytes[(offset + 4)..<(offset + 4 + length)])
        guard isValidated else { return (tape, UnsafeRawBufferPointer(rebasing: bytes[0..<0]), offset + 4 + length) }
        let entryCount = Int(UInt32(littleEndian: tape.loadUnaligned(fromByteOffset: 4, as: UInt32.self)))
        let slotsEnd = offset + 4 + length + 2 * entryCount
        return (tape, UnsafeRawBufferPointer(rebasing: bytes[(offset + 4 + length)..<slotsEnd]), slotsEnd)
    }

    mutating func reset() {
        chunk = -1
        bytes.removeAll(keepingCapacity: true)
        documents = 0
        isValidated = false
    }
}

/// Where workers leave batches for each other and get their empty ones back. Sendable: the
/// lists are behind mutexes; the semaphores wake a worker when something arrives for it.
final class PartitionExchange: Sendable {
    final class Mailbox: Sendable {
        /// Batches for this worker, in any order (it takes them by chunk number).
        let arrived = Mutex<[PartitionBatch]>([])
        /// This worker's empty batch buffers.
        let empty = Mutex<[PartitionBatch]>([])
        /// Signalled whenever either list gains a batch, or a worker fails.
        let wakeup = DispatchSemaphore(value: 0)
    }

    let mailboxes: [Mailbox]
    private let failureMessage = Mutex<String?>(nil)
    /// The next chunk nobody has claimed to parse.
    private let unclaimedChunk = Atomic<Int>(0)

    /// Claims the next chunk to parse (in input order, whoever asks first), or nil when
    /// every one of the `chunkCount` chunks is claimed.
    func claimChunk(chunkCount: Int) -> Int? {
        let chunk = unclaimedChunk.wrappingAdd(1, ordering: .relaxed).oldValue
        return chunk < chunkCount ? chunk : nil
    }

    init(workers: Int, buffersPerWorker: Int, bufferCapacityBytes: Int) {
        var mailboxes: [Mailbox] = []
        for worker in 0..<workers {
            let mailbox = Mailbox()
            mailbox.empty.withLock { list in
                for _ in 0..<buffersPerWorker { list.append(PartitionBatch(owner: worker, capacityBytes: bufferCapacityBytes)) }
            }
            mailboxes.append(mailbox)
        }
        self.mailboxes = mailboxes
    }

    func send(_ batch: PartitionBatch, to worker: Int) {
        mailboxes[worker].arrived.withLock { $0.append(batch) }
        mailboxes[worker].wakeup.signal()
    }

    /// The batch of chunk `chunk` for `worker`, if it has arrived.
    func take(chunk: Int, for worker: Int) -> PartitionBatch? {
        mailboxes[worker].arrived.withLock { list in
            guard let position = list.firstIndex(where: { $0.chunk == chunk }) else { return nil }
            return list.remove(at: position)
        }
    }

    /// Returns an emptied batch to its owner.
    func giveBack(_ batch: PartitionBatch) {
        var batch = batch
        batch.reset()
        let owner = batch.owner
        mailboxes[owner].empty.withLock { $0.append(batch) }
        mailboxes[owner].wakeup.signal()
    }

    func emptyCount(_ worker: Int) -> Int { mailboxes[worker].empty.withLock { $0.count } }

    func takeEmpty(_ worker: Int) -> PartitionBatch? { mailboxes[worker].empty.withLock { $0.popLast() } }

    /// Blocks `worker` until something arrives for it; throws if a worker failed.
    func wait(_ worker: Int) throws {
        mailboxes[worker].wakeup.wait()
        if let failure { throw BenchmarkFailure(message: failure) }
    }

    var failure: String? { failureMessage.withLock { $0 } }

    /// Records the first failure and wakes every worker so that none waits for the failed one.
    func fail(_ message: String) {
        failureMessage.withLock { if $0 == nil { $0 = message } }
        for mailbox in mailboxes { mailbox.wakeup.signal() }
    }
}

/// One worker: parses its chunks, hands documents to their partitions' owners, combines its
/// own partition in input order, drains it.
struct PartitionWorker: ~Copyable {
    let index: Int
    let workers: Int
    let input: InputSource
    let exchange: PartitionExchange
    let key: KeyExtractor
    let chunkCount: Int
    var combiner: Combiner
    /// Validates the documents this worker hands to others (their owners add them with the
    /// annotations, so the work of validating follows the parsing, which any free worker
    /// does); a copy of it validates in the combiner (same annotation table).
    var validator: SchemaValidator
    var validations = 0
    var parser = JSONParser()
    let reader: InputReader
    var chunkBuffer: [UInt8] = []
    var keyScratch: [UInt8] = []
    /// Every chunk before this one is combined.
    var nextChunk = 0
    /// Every chunk has been claimed (by some worker).
    var claimsDone = false
    /// This worker's own documents of chunks parsed before their turn to combine (as tape
    /// bytes, so that their storages are not held meanwhile), in chunk order; and the buffers
    /// of those combined, for reuse.
    var held: [PartitionBatch] = []
    var spareBatches: [PartitionBatch] = []
    /// Documents decoded from a batch, and those of a chunk in turn, before they are added;
    /// annotations rebuilt from a batch's slots, over slot arrays reused once dropped.
    var received: [Document] = []
    var receivedAnnotations: [ReduceAnnotations] = []
    var slotArrays: [[UInt16]] = Array(repeating: [], count: PartitionedCombine.combineBatchDocuments)
    var ownScratch: [Document] = []

    init(index: Int, workers: Int, input: InputSource, exchange: PartitionExchange, schema: Schema,
         configuration: CombinerConfiguration) throws {
        let validator = schema.validator()
        self.validator = validator
        self.reader = try InputReader(input)
        self.index = index
        self.workers = workers
        self.input = input
        self.exchange = exchange
        self.key = configuration.key
        self.chunkCount = input.chunkCount(PartitionedCombine.chunkBytes)
        self.combiner = Combiner(configuration: configuration, validator: validator)
        keyScratch.reserveCapacity(256)
        chunkBuffer.reserveCapacity(PartitionedCombine.chunkBytes + InputSource.overrunBytes + 1)
    }

    /// Parses, hands off and combines until every chunk is combined. A worker combines when
    /// its next chunk's documents are here, else parses the next chunk nobody has claimed (so
    /// a worker that gets less processor time parses less), else waits.
    mutating func combineAll() throws {
        while nextChunk < chunkCount {
            if try combineNextChunk() { continue }
            if !claimsDone && held.count < PartitionedCombine.chunksAheadMax && exchange.emptyCount(index) >= workers - 1 {
                if let chunk = exchange.claimChunk(chunkCount: chunkCount) {
                    try parse(chunk)
                } else {
                    claimsDone = true
                }
                continue
            }
            try exchange.wait(index)
        }
    }

    /// Combines chunk `nextChunk` if its documents for this worker are here (parsed by this
    /// worker and held, or sent by another).
    private mutating func combineNextChunk() throws -> Bool {
        if let first = held.first, first.chunk == nextChunk {
            held.removeFirst()
            try combine(first)
            var spare = first
            spare.reset()
            spareBatches.append(spare)
        } else if let batch = exchange.take(chunk: nextChunk, for: index) {
            try combine(batch)
            exchange.giveBack(batch)
        } else {
            return false
        }
        nextChunk += 1
        return true
    }

    /// Decodes the documents of `batch` (into the parser's recycled storages) and adds them,
    /// `combineBatchDocuments` at a time.
    private mutating func combine(_ batch: PartitionBatch) throws {
        var documents: [Document] = []
        var annotations: [ReduceAnnotations] = []
        swap(&documents, &received)
        swap(&annotations, &receivedAnnotations)
        defer {
            swap(&documents, &received)
            swap(&annotations, &receivedAnnotations)
        }
        var offset = 0
        var remaining = batch.documents
        let table = validator.annotationTable
        while remaining > 0 {
            documents.removeAll(keepingCapacity: true)
            annotations.removeAll(keepingCapacity: true)
            batch.bytes.withUnsafeBytes { bytes in
                while remaining > 0 && documents.count < PartitionedCombine.combineBatchDocuments {
                    let record = batch.record(bytes, at: offset)
                    documents.append(parser.document(uncheckedTapeBytes: record.tape))
                    if batch.isValidated {
                        // Slot arrays are reused: the annotations over them were dropped above.
                        let slot = documents.count - 1
                        slotArrays[slot].removeAll(keepingCapacity: true)
                        slotArrays[slot].append(contentsOf: repeatElement(0, count: record.slots.count / 2))
                        slotArrays[slot].withUnsafeMutableBytes { $0.copyMemory(from: record.slots) }
                        annotations.append(ReduceAnnotations(slots: slotArrays[slot], sharedTable: table))
                    }
                    offset = record.next
                    remaining -= 1
                }
            }
            if batch.isValidated {
                try combiner.add(contentsOf: documents[...], annotations: annotations[...])
            } else {
                try combiner.add(contentsOf: documents)
            }
        }
        documents.removeAll(keepingCapacity: true)
        annotations.removeAll(keepingCapacity: true)
    }

    /// Parses this worker's next chunk: its own documents are combined at once when the chunk
    /// is next in turn (else kept as tape bytes until it is), the others batched to their
    /// owners.
    private mutating func parse(_ chunk: Int) throws {
        let inTurn = chunk == nextChunk
        var batches: [PartitionBatch?] = []
        for partition in 0..<workers {
            var batch: PartitionBatch?
            if partition != index {
                batch = exchange.takeEmpty(index)
                batch?.isValidated = true
            } else if !inTurn {
                batch = spareBatches.popLast() ?? PartitionBatch(owner: index, capacityBytes: PartitionedCombine.batchCapacityBytes)
            }
            batch?.chunk = chunk
            batches.append(batch)
        }
        var own: [Document] = []
        swap(&own, &ownScratch)
        defer { swap(&own, &ownScratch) }
        own.removeAll(keepingCapacity: true)
        var buffer: [UInt8] = []
        swap(&buffer, &chunkBuffer)
        defer { swap(&buffer, &chunkBuffer) }
        try input.withChunk(chunk, chunkBytes: PartitionedCombine.chunkBytes, reader: reader, buffer: &buffer) { bytes in
            var splitter = JSONLinesSplitter()
            try splitter.feed(bytes) { line, _ in try route(line, own: &own, batches: &batches) }
            try splitter.finish { line, _ in try route(line, own: &own, batches: &batches) }
        }
        for partition in 0..<workers where partition != index {
            exchange.send(batches[partition]!, to: partition)
        }
        if inTurn {
            try combiner.add(contentsOf: own)
            own.removeAll(keepingCapacity: true)
            nextChunk += 1
        } else {
            held.append(batches[index]!)
        }
    }

    /// Parses one line and sends its document where its key belongs: to `own` (combined 32 at
    /// a time) when this worker owns the key and the chunk is in turn, else to a batch.
    private mutating func route(_ line: UnsafeRawBufferPointer, own: inout [Document], batches: inout [PartitionBatch?]) throws {
        let document = try parser.parse(line)
        keyScratch.removeAll(keepingCapacity: true)
        key.pack(document, into: &keyScratch)
        let partition = keyScratch.withUnsafeBytes { PartitionedCombine.partition($0, workers: workers) }
        if partition != index {
            let annotations: ReduceAnnotations
            do {
                annotations = try validator.validate(document)
            } catch {
                // The combiner's own error for an invalid document.
                let values = key.extract(document).map { "\($0)" }.joined(separator: ", ")
                throw CombineError.invalidDocument(key: "[" + values + "]", reason: "\(error)")
            }
            validations += 1
            batches[partition]!.append(document, annotations: annotations)
        } else if batches[index] != nil {
            batches[index]!.append(document)
        } else {
            own.append(document)
            if own.count == PartitionedCombine.combineBatchDocuments {
                try combiner.add(contentsOf: own)
                own.removeAll(keepingCapacity: true)
            }
        }
    }

    /// Drains the combiner: each document validated (by the drainer) and serialized.
    consuming func drain() throws -> PartitionedCombine.WorkerResult {
        var drainer = try combiner.drain()
        var output: [UInt8] = []
        output.reserveCapacity(CombineOutput.flushBytes + 65536)
        var outputBytes = 0
        var checksum: UInt64 = 0
        var keys = 0
        while let drained = try drainer.next() {
            let start = output.count
            JSONSerializer.append(drained.document, to: &output)
            output.append(0x0A)
            checksum &+= output[start...].withUnsafeBytes { CombineOutput.hash($0) }
            keys += 1
            if output.count >= CombineOutput.flushBytes {
                outputBytes += output.count
                output.removeAll(keepingCapacity: true)
            }
        }
        outputBytes += output.count
        var statistics = drainer.statistics
        statistics.validations += validations
        return PartitionedCombine.WorkerResult(statistics: statistics, peakMemoryBytes: drainer.peakMemoryBytes, keys: keys,
                                               outputBytes: outputBytes, outputChecksum: checksum)
    }
}

/// The drained documents' JSON lines: written into a reused buffer, counted and hashed.
enum CombineOutput {
    /// The buffer is emptied past this size (1 MiB).
    static let flushBytes = 1 << 20

    /// A hash of one output line (eight bytes at a time, multiply and xor-shift): summed over
    /// lines, a checksum independent of their order.
    static func hash(_ bytes: UnsafeRawBufferPointer) -> UInt64 {
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325 ^ UInt64(bytes.count)
        var index = 0
        // Safety: loads stay inside `bytes`.
        while index + 8 <= bytes.count {
            hash = (hash ^ bytes.loadUnaligned(fromByteOffset: index, as: UInt64.self)) &* 0x9E37_79B9_7F4A_7C15
            hash ^= hash >> 29
            index += 8
        }
        while index < bytes.count {
            hash = (hash ^ UInt64(bytes[index])) &* 0x0000_0100_0000_01B3
            index += 1
        }
        return hash ^ (hash >> 32)
    }
}
