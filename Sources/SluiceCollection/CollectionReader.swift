public import SluiceDocument
public import SluiceJournal
public import SluiceMessage

/// A committed document of a collection, with where it was read.
public struct CommittedDocument: Sendable {
    public let journal: JournalName
    /// Offsets of the document's line in its journal.
    public let begin: Int64
    public let end: Int64
    public let uuid: MessageUUID
    public let document: Document
}

/// Where a collection reader resumes: per journal, its sequencer's checkpoint.
public typealias CollectionCheckpoint = [String: SequencerCheckpoint]

/// Reads the committed documents of a collection across its partition journals
/// (docs/collections.md, "Read path"). Each journal has its own sequencer; replays the
/// sequencers ask for are served by re-reading the journal. Journals are read one after the
/// other, each to its head as of the read, in name order. A checkpoint taken between reads
/// resumes exactly after the last document delivered.
public final class CollectionReader {
    public let collection: CollectionSpec
    public let registry: JournalRegistry
    public let selector: PartitionSelector
    public let heldBytesMax: Int
    /// Lines larger than this are refused (the journal holds them, but a reader cannot).
    public var documentBytesMax = 64 << 20
    private var sequencers: [JournalName: Sequencer<Document>] = [:]
    private var parser = JSONParser()
    /// Ranges that could not be read (pruned by retention): documents lost to this reader.
    public private(set) var skippedRanges: [(journal: JournalName, from: Int64, to: Int64)] = []

    public init(collection: CollectionSpec, registry: JournalRegistry, selector: PartitionSelector = PartitionSelector(),
                checkpoint: CollectionCheckpoint = [:], heldBytesMax: Int = Sequencer<Document>.defaultHeldBytesMax) throws {
        self.collection = collection
        self.registry = registry
        self.selector = selector
        self.heldBytesMax = heldBytesMax
        for (name, state) in checkpoint {
            sequencers[try JournalName(name)] = Sequencer(checkpoint: state, heldBytesMax: heldBytesMax)
        }
    }

    /// The selected journals of the collection that exist now, sorted.
    public func journals() throws -> [JournalName] {
        try registry.journalNames(withPrefix: collection.journalPrefix).filter { name in
            guard let values = PartitionNames.partitionValues(of: name, in: collection) else { return false }
            return selector.matches(values)
        }
    }

    /// The reader's checkpoint: where each journal resumes and its producers' states.
    public func checkpoint() -> CollectionCheckpoint {
        var result: CollectionCheckpoint = [:]
        for name in sequencers.keys.sorted() { result[name.rawValue] = sequencers[name]!.checkpoint() }
        return result
    }

    /// Offset each journal has been read through.
    public func readThrough(_ journal: JournalName) -> Int64 { sequencers[journal]?.readThrough ?? 0 }

    /// Bytes of the selected journals not yet read, and their total size (for progress).
    public func lag() throws -> (behindBytes: Int64, totalBytes: Int64) {
        var behind: Int64 = 0
        var total: Int64 = 0
        for name in try journals() {
            guard let journal = try registry.existingJournal(name) else { continue }
            behind += max(0, journal.head - readThrough(name))
            total += journal.head
        }
        return (behind, total)
    }

    /// True if every selected journal has been read to its head.
    public func isCaughtUp() throws -> Bool {
        for name in try journals() {
            guard let journal = try registry.existingJournal(name) else { continue }
            if readThrough(name) < journal.head { return false }
        }
        return true
    }

    /// Delivers committed documents to `body`, reading every selected journal up to its head
    /// (without waiting), and returns how many were delivered. Stops early once `limit`
    /// documents were delivered, at a message boundary (an ACK's documents all go together).
    @discardableResult
    public func read(limit: Int = Int.max, _ body: (CommittedDocument) throws -> Void) async throws -> Int {
        var delivered = 0
        for name in try journals() where delivered < limit {
            guard let journal = try registry.existingJournal(name) else { continue }
            delivered += try await read(journal, limit: limit - delivered, body)
        }
        return delivered
    }

    /// Waits until a selected journal has bytes past where this reader is, a new journal of
    /// the collection appears, or `timeoutSeconds` pass. Returns true unless it timed out.
    public func waitForMore(timeoutSeconds: Double) async throws -> Bool {
        try await waitPoint().wait(timeoutSeconds: timeoutSeconds)
    }

    /// Where this reader is now, as a value other tasks can wait on (readers themselves are
    /// not Sendable; a task waiting on several readers races their wait points).
    public func waitPoint() throws -> ReaderWaitPoint {
        var targets: [(Journal, Int64)] = []
        for name in try journals() {
            guard let journal = try registry.existingJournal(name) else { continue }
            targets.append((journal, readThrough(name)))
        }
        return ReaderWaitPoint(targets: targets, registry: registry, prefix: collection.journalPrefix)
    }

    // MARK: - One journal

    private func read(_ journal: Journal, limit: Int, _ body: (CommittedDocument) throws -> Void) async throws -> Int {
        let name = journal.name
        var sequencer = sequencers[name] ?? Sequencer(heldBytesMax: heldBytesMax)
        defer { sequencers[name] = sequencer }
        // Resuming inside a compacted range: its reduced documents are read from its start.
        let resume = sequencer.readThrough
        if let compacted = journal.fragments.first(where: { $0.name.isCompacted && $0.begin < resume && resume < $0.end }) {
            sequencer.rewind(to: compacted.begin)
        }
        var delivered = 0
        var carry: [UInt8] = []
        var carryBegin = sequencer.readThrough
        var parser = self.parser  // a local: no exclusivity checks per line
        defer { self.parser = parser }
        let head = journal.head
        guard carryBegin < head else { return 0 }
        reading: for try await item in try journal.read(from: carryBegin, to: head) {
            switch item {
            case .jump(let from, let to):
                skippedRanges.append((name, from, to))
                carry = []
                sequencer.skip(to: to)
                carryBegin = to
            case .chunk(let chunk):
                if carry.isEmpty {
                    carryBegin = chunk.begin
                    carry = chunk.bytes
                } else {
                    carry += chunk.bytes
                }
                // Sequence the complete lines; a replay is served (awaited) between lines.
                while true {
                    var replay: ReplayRequest?
                    var lineStart = 0
                    try carry.withUnsafeBytes { bytes in
                        while delivered < limit, replay == nil, let newline = bytes[lineStart...].firstIndex(of: 0x0A) {
                            let line = UnsafeRawBufferPointer(rebasing: bytes[lineStart..<newline])
                            let begin = carryBegin + Int64(lineStart)
                            let end = carryBegin + Int64(newline + 1)
                            lineStart = newline + 1
                            switch try Self.sequence(line, begin: begin, end: end, journal: name, sequencer: &sequencer, parser: &parser) {
                            case .delivered(let envelopes):
                                for envelope in envelopes {
                                    try body(CommittedDocument(journal: name, begin: envelope.begin, end: envelope.end,
                                                               uuid: envelope.uuid, document: envelope.message))
                                }
                                delivered += envelopes.count
                            case .replay(let request):
                                replay = request
                            }
                        }
                    }
                    carry.removeFirst(lineStart)
                    carryBegin += Int64(lineStart)
                    if let replay {
                        delivered += try await self.replay(replay, journal: journal, body)
                        continue
                    }
                    break
                }
                if carry.count > documentBytesMax {
                    throw CollectionError.lineTooLarge(journal: name.rawValue, offset: carryBegin, bytes: carry.count,
                                                       limit: documentBytesMax)
                }
                if delivered >= limit { break reading }
            }
        }
        // A trailing partial line (no newline yet) stays unread: it is read again next time.
        return delivered
    }

    private enum LineOutcome {
        case delivered([Envelope<Document>])
        case replay(ReplayRequest)
    }

    /// Sequences one line.
    private static func sequence(_ line: UnsafeRawBufferPointer, begin: Int64, end: Int64, journal: JournalName,
                                 sequencer: inout Sequencer<Document>, parser: inout JSONParser) throws -> LineOutcome {
        if Self.isBlank(line) {
            sequencer.skip(to: end)
            return .delivered([])
        }
        let (document, uuid) = try parse(line, parser: &parser, journal: journal, offset: begin)
        switch sequencer.sequence(Envelope(uuid: uuid, begin: begin, end: end, message: document)) {
        case .duplicate, .held, .rolledBack: return .delivered([])
        case .deliver(let envelopes): return .delivered(envelopes)
        case .replay(let request): return .replay(request)
        }
    }

    /// Re-reads `request.begin ..< request.end` and delivers what the request accepts.
    private func replay(_ request: ReplayRequest, journal: Journal, _ body: (CommittedDocument) throws -> Void) async throws -> Int {
        var request = request
        var bytes: [UInt8] = []
        var rangeBegin = request.begin
        for try await item in try journal.read(from: request.begin, to: request.end) {
            switch item {
            case .chunk(let chunk): bytes += chunk.bytes
            case .jump(let from, let to):
                skippedRanges.append((journal.name, from, to))
                bytes = []
                rangeBegin = to
            }
        }
        var delivered = 0
        var lineStart = 0
        var parser = JSONParser()
        try bytes.withUnsafeBytes { raw in
            while let newline = raw[lineStart...].firstIndex(of: 0x0A) {
                let line = UnsafeRawBufferPointer(rebasing: raw[lineStart..<newline])
                let begin = rangeBegin + Int64(lineStart)
                let end = rangeBegin + Int64(newline + 1)
                lineStart = newline + 1
                if Self.isBlank(line) { continue }
                let (document, uuid) = try Self.parse(line, parser: &parser, journal: journal.name, offset: begin)
                if request.accept(uuid) {
                    try body(CommittedDocument(journal: journal.name, begin: begin, end: end, uuid: uuid, document: document))
                    delivered += 1
                }
            }
        }
        return delivered
    }

    private static func parse(_ line: UnsafeRawBufferPointer, parser: inout JSONParser, journal: JournalName,
                              offset: Int64) throws -> (Document, MessageUUID) {
        let document: Document
        do {
            document = try parser.parse(line)
        } catch {
            throw CollectionError.badJournalLine(journal: journal.rawValue, offset: offset, reason: "not a JSON document: \(error)")
        }
        guard let uuid = Framing.uuid(of: document) else {
            throw CollectionError.badJournalLine(journal: journal.rawValue, offset: offset, reason: "/_meta/uuid is not a UUID")
        }
        return (document, uuid)
    }

    private static func isBlank(_ line: UnsafeRawBufferPointer) -> Bool {
        line.allSatisfy { $0 == 0x20 || $0 == 0x0D || $0 == 0x09 }
    }
}

/// A reader's position, to wait on from any task: see `CollectionReader.waitPoint()`.
public struct ReaderWaitPoint: Sendable {
    let targets: [(Journal, Int64)]
    let registry: JournalRegistry
    let prefix: String

    /// True at once if some journal already has more.
    public var hasMore: Bool { targets.contains { $0.0.head > $0.1 } }

    /// Waits until a journal moves past its offset, a journal with the prefix is created, or
    /// the timeout passes. Returns true unless it timed out.
    public func wait(timeoutSeconds: Double) async throws -> Bool {
        try await Self.waitAny([self], timeoutSeconds: timeoutSeconds)
    }

    /// Waits on several wait points at once.
    public static func waitAny(_ points: [ReaderWaitPoint], timeoutSeconds: Double) async throws -> Bool {
        if points.contains(where: \.hasMore) { return true }
        guard let registry = points.first?.registry else {
            try? await Task.sleep(nanoseconds: UInt64(timeoutSeconds * 1_000_000_000))
            return false
        }
        let creations = registry.creations()
        let prefixes = points.map(\.prefix)
        return try await withThrowingTaskGroup(of: Bool.self) { group in
            for point in points {
                for (journal, offset) in point.targets {
                    group.addTask {
                        for try await _ in try journal.read(from: offset, blocking: true) { return true }
                        return false
                    }
                }
            }
            group.addTask {
                for await name in creations where prefixes.contains(where: { name.rawValue.hasPrefix($0) }) { return true }
                return false
            }
            group.addTask {
                try? await Task.sleep(nanoseconds: UInt64(timeoutSeconds * 1_000_000_000))
                return false
            }
            let result = try await group.next() ?? false
            group.cancelAll()
            return result
        }
    }
}
