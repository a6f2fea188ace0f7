#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A piece of a journal's content.
public struct JournalChunk: Sendable, Equatable {
    /// The journal offset of `bytes[0]`.
    public var begin: Int64
    public var bytes: [UInt8]

    public init(begin: Int64, bytes: [UInt8]) {
        self.begin = begin
        self.bytes = bytes
    }

    public var end: Int64 { begin + Int64(bytes.count) }
}

/// What a read yields: content, or an explicit jump over offsets that are no longer (or were
/// never) held: pruned by retention, or lost with a fragment. A read never skips silently.
public enum JournalReadItem: Sendable, Equatable {
    case chunk(JournalChunk)
    /// Offsets `from ..< to` are not available; the read continues at `to`.
    case jump(from: Int64, to: Int64)
}

/// Reads a journal from an offset, as an AsyncSequence of chunks (and jumps), across sealed
/// fragments (decompressing as it goes) and spools, in offset order.
///
/// Without `blocking`, the sequence ends at the head as of each step (or at `end`). With it,
/// the sequence waits at the head and resumes when a commit moves it (no polling), ending only
/// at `end`, when the journal closes, or when the task is cancelled. Errors (`corruptFragment`,
/// `corruptSpool`, I/O) end the sequence; bytes that fail a check are never yielded.
public struct JournalReader: AsyncSequence, Sendable {
    public typealias Element = JournalReadItem

    public let journal: Journal
    /// The first offset to read (-1 was resolved to the head when the reader was made).
    public let begin: Int64
    /// Stop before this offset, when set.
    public let end: Int64?
    public let blocking: Bool

    /// Largest chunk read from a spool at a time. 1 MiB, like a fragment frame.
    static let spoolChunkBytesMax = 1 << 20

    public func makeAsyncIterator() -> Iterator {
        Iterator(journal: journal, offset: begin, end: end, blocking: blocking)
    }

    public struct Iterator: AsyncIteratorProtocol {
        let journal: Journal
        /// The next offset to yield.
        public private(set) var offset: Int64
        let end: Int64?
        let blocking: Bool
        private var fragmentReader: FragmentReader?
        private var spoolCursor: SpoolCursor?

        init(journal: Journal, offset: Int64, end: Int64?, blocking: Bool) {
            self.journal = journal
            self.offset = offset
            self.end = end
            self.blocking = blocking
        }

        public mutating func next() async throws -> JournalReadItem? {
            while true {
                if let end, offset >= end { return nil }
                if let reader = fragmentReader {
                    guard let (chunkBegin, bytes) = try reader.next() else {
                        fragmentReader = nil
                        continue
                    }
                    let chunkEnd = chunkBegin + Int64(bytes.count)
                    if chunkEnd <= offset { continue }
                    let from = Int(offset - chunkBegin)
                    let to = Int(Swift.min(chunkEnd, end ?? chunkEnd) - chunkBegin)
                    let chunk = JournalChunk(begin: offset, bytes: from == 0 && to == bytes.count ? bytes : Array(bytes[from..<to]))
                    offset = chunk.end
                    if let end, offset >= end { fragmentReader = nil }
                    return .chunk(chunk)
                }
                switch journal.locate(offset) {
                case .fragment(let fragment):
                    do {
                        fragmentReader = try FragmentReader(fragment: fragment, file: journal.store.open(fragment))
                    } catch let error as JournalError {
                        // Pruned between locating and opening: locate again (it reports the jump).
                        if case .io(_, _, let number) = error, number == ENOENT, !journal.holds(fragment) { continue }
                        throw error
                    }
                case .spool(let spool, let limit):
                    if spoolCursor?.spool !== spool { spoolCursor = SpoolCursor(spool: spool) }
                    let bytes = try spoolCursor!.read(from: offset, limit: Swift.min(limit, end ?? limit),
                                                      maxBytes: JournalReader.spoolChunkBytesMax)
                    let chunk = JournalChunk(begin: offset, bytes: bytes)
                    offset = chunk.end
                    return .chunk(chunk)
                case .gap(let next):
                    let from = offset
                    offset = next
                    return .jump(from: from, to: next)
                case .head(let head):
                    if offset > head { throw JournalError.offsetBeyondHead(offset: offset, head: head) }
                    guard blocking, !Task.isCancelled else { return nil }
                    guard await journal.waitForHead(beyond: offset) else { return nil }
                }
            }
        }
    }
}

extension Journal {
    /// A reader from `offset` (-1: the head) up to `end` (nil: no end).
    /// Throws `invalidOffset` for offsets below -1 or an end before the begin, and
    /// `offsetBeyondHead` for an offset past the head.
    public func read(from offset: Int64, to end: Int64? = nil, blocking: Bool = false) throws -> JournalReader {
        guard offset >= -1 else { throw JournalError.invalidOffset(offset, reason: "offsets are -1 (the head) or above") }
        let head = self.head
        let begin = offset == -1 ? head : offset
        guard begin <= head else { throw JournalError.offsetBeyondHead(offset: begin, head: head) }
        if let end, end < begin {
            throw JournalError.invalidOffset(end, reason: "the end is before the begin offset \(begin)")
        }
        if blocking, isReadOnly {
            throw JournalError.readOnly(name: name.rawValue, operation: "block at the head (another process appends)")
        }
        return JournalReader(journal: self, begin: begin, end: end, blocking: blocking)
    }

    /// Where a read at `offset` finds its bytes.
    enum ReadSource {
        case fragment(SealedFragment)
        /// A spool, readable below `limit` (its end, or the committed head).
        case spool(Spool, limit: Int64)
        /// Nothing holds `offset`; the next held offset is `next`.
        case gap(next: Int64)
        /// `offset` is at or past the committed head.
        case head(Int64)
    }

    func locate(_ offset: Int64) -> ReadSource {
        state.withLock { state in
            let committed = state.committedEnd
            if offset >= committed { return .head(committed) }
            var next = committed
            switch state.index.locate(offset) {
            case .fragment(let fragment): return .fragment(fragment)
            case .gap(let fragmentBegin): next = min(next, fragmentBegin)
            case .beyond: break
            }
            for spool in state.rolledSpools + (state.activeSpool.map { [$0] } ?? []) {
                let spoolEnd = min(spool.end, committed)
                if spool.begin <= offset && offset < spoolEnd { return .spool(spool, limit: spoolEnd) }
                if spool.begin > offset { next = min(next, spool.begin) }
            }
            return .gap(next: next)
        }
    }

    /// True while `fragment` is in the index.
    func holds(_ fragment: SealedFragment) -> Bool {
        state.withLock { $0.index.fragments.contains(fragment) }
    }

    /// Waits until the committed head moves past `offset`. Returns false when the journal
    /// closed (or the task was cancelled) instead.
    func waitForHead(beyond offset: Int64) async -> Bool {
        let id = state.withLock { state -> UInt64 in
            state.nextWaiterID += 1
            return state.nextWaiterID
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let wait = state.withLock { state -> Bool in
                    guard state.committedEnd <= offset, !state.closed, !Task.isCancelled else { return false }
                    state.headWaiters[id] = (offset, continuation)
                    return true
                }
                if !wait { continuation.resume() }
            }
        } onCancel: {
            let waiter = state.withLock { $0.headWaiters.removeValue(forKey: id) }
            waiter?.continuation.resume()
        }
        return state.withLock { state in state.committedEnd > offset }
    }
}
