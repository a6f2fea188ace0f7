import Foundation
public import SluiceCombine
public import SluiceDocument
public import SluiceJournal
public import SluiceMessage

/// Key compaction of a collection's journals (docs/compaction.md): sealed fragments are
/// rewritten so that each key keeps one fully reduced document. The journal offers the atomic
/// replacement; this layer knows keys and reductions.
public enum CollectionCompactor {
    /// What one compaction of one journal did.
    public struct Report: Sendable, CustomStringConvertible {
        public var journal: JournalName
        /// The offsets the compacted fragment covers.
        public var begin: Int64
        public var end: Int64
        public var fragmentsReplaced: Int
        /// Stored (compressed) bytes of the replaced fragments and of the compacted one.
        public var storedBytesBefore: Int64
        public var storedBytesAfter: Int64
        public var documentsRead: Int
        public var documentsWritten: Int
        public var tombstonesDropped: Int

        public var description: String {
            "\(journal): compacted \(begin)..<\(end) (\(fragmentsReplaced) fragments, \(documentsRead) documents → "
                + "\(documentsWritten) documents, \(storedBytesBefore) → \(storedBytesAfter) stored bytes"
                + (tombstonesDropped > 0 ? ", \(tombstonesDropped) deleted keys dropped)" : ")")
        }
    }

    /// Why nothing was compacted.
    public enum Skip: Error, Sendable, Equatable, CustomStringConvertible {
        case noSealedFragments
        case transactionsPending
        case wouldNotShrink(contentBytes: Int, rangeBytes: Int64)

        public var description: String {
            switch self {
            case .noSealedFragments: return "no sealed fragments to compact"
            case .transactionsPending: return "every sealed fragment ends inside a pending transaction"
            case .wouldNotShrink(let content, let range):
                return "the reduced documents (\(content) bytes) would not fit the range (\(range) bytes)"
            }
        }
    }

    /// Compacts the longest run of sealed fragments from the journal's start that ends where no
    /// transaction is pending, and at or before `throughOffset` (readers past it keep exact
    /// offsets; see docs/compaction.md for readers inside). Tombstones (deleted keys) are
    /// dropped when every replaced fragment is older than `tombstoneRetentionSeconds`.
    public static func compact(_ journal: Journal, collection: CollectionSpec, throughOffset: Int64? = nil,
                               tombstoneRetentionSeconds: Int64 = 24 * 3600,
                               nowNanoseconds: Int64? = nil,
                               combinerBudgetBytes: Int = CombinerConfiguration.memoryBudgetBytesDefault)
        async throws -> Result<Report, Skip>
    {
        let nowNanoseconds = nowNanoseconds ?? Int64(Date().timeIntervalSince1970 * 1_000_000_000)
        var candidates = journal.compactableFragments
        if let throughOffset { candidates = candidates.filter { $0.end <= throughOffset } }
        guard let first = candidates.first else { return .failure(.noSealedFragments) }

        // Pass 1: the fragment boundaries where no transaction is pending.
        var sequencer = Sequencer<Void>(checkpoint: SequencerCheckpoint(readThrough: first.begin), heldBytesMax: 0)
        var parser = JSONParser()
        var cleanEnds: Set<Int64> = []
        let boundaries = Set(candidates.map(\.end))
        try await forEachLine(journal, from: first.begin, to: candidates.last!.end) { line, begin, end in
            let document = try parse(line, &parser, journal: journal.name, offset: begin)
            _ = sequencer.sequence(Envelope(uuid: Framing.uuid(of: document) ?? .zero, begin: begin, end: end, message: ()))
            if boundaries.contains(end), !sequencer.hasPending { cleanEnds.insert(end) }
        } atBlank: { end in
            sequencer.skip(to: end)
            if boundaries.contains(end), !sequencer.hasPending { cleanEnds.insert(end) }
        }
        guard let end = candidates.map(\.end).filter(cleanEnds.contains).max() else {
            return .failure(.transactionsPending)
        }
        let originals = candidates.filter { $0.end <= end }

        // Pass 2: the committed documents of the range, fully reduced by key.
        var combiner = Combiner(configuration: CombinerConfiguration(key: collection.key, mode: .full,
                                                                      memoryBudgetBytes: combinerBudgetBytes),
                                validator: collection.readSchema.validator())
        var reading = Sequencer<Document>(checkpoint: SequencerCheckpoint(readThrough: first.begin))
        var documentsRead = 0
        var replayFailure: ReplayRequest?
        try await forEachLine(journal, from: first.begin, to: end) { line, begin, end in
            let document = try parse(line, &parser, journal: journal.name, offset: begin)
            switch reading.sequence(Envelope(uuid: Framing.uuid(of: document) ?? .zero, begin: begin, end: end, message: document)) {
            case .deliver(let envelopes):
                for envelope in envelopes {
                    try combiner.add(DocumentMeta.removingUUID(envelope.message))
                    documentsRead += 1
                }
            case .replay(let request): replayFailure = request  // cannot happen: the budget holds whole ranges
            case .duplicate, .held, .rolledBack: break
            }
        } atBlank: { end in
            reading.skip(to: end)
        }
        precondition(replayFailure == nil, "compaction reads with an unbounded sequencer")

        let dropTombstones = originals.allSatisfy {
            nowNanoseconds - $0.modificationTimeNanoseconds >= tombstoneRetentionSeconds * 1_000_000_000
        }
        var drainer = try combiner.drain()
        let rangeBytes = end - first.begin
        var written: Int64 = 0
        var documentsWritten = 0
        var tombstonesDropped = 0
        var padding = false
        // Documents first, then blank lines up to the range's length (docs/compaction.md).
        let compacted: SealedFragment
        do {
            compacted = try journal.replaceFragments(originals) {
            if !padding {
                var chunk: [UInt8] = []
                while chunk.count < 1 << 20, let drained = try drainer.next() {
                    if drained.isDeleted, dropTombstones {
                        tombstonesDropped += 1
                        continue
                    }
                    JSONSerializer.append(drained.document, to: &chunk)
                    chunk.append(0x0A)
                    documentsWritten += 1
                }
                if !chunk.isEmpty {
                    guard written + Int64(chunk.count) <= rangeBytes else {
                        written += Int64(chunk.count)
                        throw CompactionAborted()
                    }
                    written += Int64(chunk.count)
                    return chunk
                }
                padding = true
            }
            return Self.padding(count: rangeBytes - written, written: &written)
            }
        } catch is CompactionAborted {
            return .failure(.wouldNotShrink(contentBytes: Int(written), rangeBytes: rangeBytes))
        }
        return .success(Report(journal: journal.name, begin: first.begin, end: end, fragmentsReplaced: originals.count,
                               storedBytesBefore: originals.reduce(0) { $0 + $1.storedSizeBytes },
                               storedBytesAfter: compacted.storedSizeBytes, documentsRead: documentsRead,
                               documentsWritten: documentsWritten, tombstonesDropped: tombstonesDropped))
    }

    struct CompactionAborted: Error {}

    /// Blank lines (4,095 spaces and a newline each) to fill `count` bytes, in pieces of up to
    /// 1 MiB; nil when nothing is left.
    static func padding(count: Int64, written: inout Int64) -> [UInt8]? {
        guard count > 0 else { return nil }
        let size = Int(min(count, 1 << 20))
        var piece = [UInt8](repeating: 0x20, count: size)
        var position = 4_095
        while position < size {
            piece[position] = 0x0A
            position += 4_096
        }
        piece[size - 1] = 0x0A  // every piece ends a line, so documents never join padding
        written += Int64(size)
        return piece
    }

    private static func parse(_ line: UnsafeRawBufferPointer, _ parser: inout JSONParser, journal: JournalName,
                              offset: Int64) throws -> Document {
        do {
            return try parser.parse(line)
        } catch {
            throw CollectionError.badJournalLine(journal: journal.rawValue, offset: offset, reason: "not a JSON document: \(error)")
        }
    }

    /// Calls `body` for each non-blank line of `[from, to)` with its offsets, `atBlank` for blank ones.
    static func forEachLine(_ journal: Journal, from: Int64, to: Int64,
                            _ body: (UnsafeRawBufferPointer, Int64, Int64) throws -> Void,
                            atBlank: (Int64) -> Void) async throws {
        var carry: [UInt8] = []
        var carryBegin = from
        for try await item in try journal.read(from: from, to: to) {
            switch item {
            case .jump(_, let to):
                throw JournalError.inconsistentStore(path: journal.directory, reason: "offsets before \(to) are missing; compaction needs the whole range")
            case .chunk(let chunk):
                if carry.isEmpty { carryBegin = chunk.begin }
                carry += chunk.bytes
                var lineStart = 0
                try carry.withUnsafeBytes { bytes in
                    while let newline = bytes[lineStart...].firstIndex(of: 0x0A) {
                        let line = UnsafeRawBufferPointer(rebasing: bytes[lineStart..<newline])
                        let begin = carryBegin + Int64(lineStart)
                        let end = carryBegin + Int64(newline + 1)
                        lineStart = newline + 1
                        if line.allSatisfy({ $0 == 0x20 || $0 == 0x0D || $0 == 0x09 }) {
                            atBlank(end)
                        } else {
                            try body(line, begin, end)
                        }
                    }
                }
                carry.removeFirst(lineStart)
                carryBegin += Int64(lineStart)
            }
        }
    }
}

/// When to compact automatically, like Kafka's `min.cleanable.dirty.ratio`: the share of a
/// journal's compactable bytes that are not yet compacted.
public struct CompactionPolicy: Sendable, Hashable {
    /// Compact once at least this share of the compactable stored bytes is dirty.
    public var minDirtyRatio: Double
    /// And at least this many dirty stored bytes (small journals are not worth rewriting).
    public var minDirtyBytes: Int64

    /// Half dirty, as Kafka's default; 1 MiB so tiny journals are left alone.
    public init(minDirtyRatio: Double = 0.5, minDirtyBytes: Int64 = 1 << 20) {
        precondition((0...1).contains(minDirtyRatio), "a ratio is between 0 and 1")
        self.minDirtyRatio = minDirtyRatio
        self.minDirtyBytes = minDirtyBytes
    }

    /// Stored bytes of the compactable fragments: clean (a leading compacted fragment) and dirty (the rest).
    public static func measure(_ journal: Journal) -> (cleanBytes: Int64, dirtyBytes: Int64) {
        let fragments = journal.compactableFragments
        var clean: Int64 = 0
        var dirty: Int64 = 0
        for (index, fragment) in fragments.enumerated() {
            if index == 0, fragment.name.isCompacted { clean += fragment.storedSizeBytes } else { dirty += fragment.storedSizeBytes }
        }
        return (clean, dirty)
    }

    public func shouldCompact(_ journal: Journal) -> Bool {
        let (clean, dirty) = Self.measure(journal)
        guard dirty >= minDirtyBytes, clean + dirty > 0 else { return false }
        return Double(dirty) / Double(clean + dirty) >= minDirtyRatio
    }
}
