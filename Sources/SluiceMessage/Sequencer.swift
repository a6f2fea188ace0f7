// The read side of exactly-once: turns one journal's read-uncommitted messages into the
// read-committed stream. The rules are tabled in docs/messages.md; this file implements them.

/// A message read from a journal but not yet sequenced.
public struct Envelope<Message> {
    public var uuid: MessageUUID
    /// Journal offset of the message's first byte.
    public var begin: Int64
    /// Journal offset one past the message's last byte.
    public var end: Int64
    public var message: Message

    public init(uuid: MessageUUID, begin: Int64, end: Int64, message: Message) {
        precondition(begin <= end, "an envelope's begin must not pass its end")
        self.uuid = uuid
        self.begin = begin
        self.end = end
        self.message = message
    }
}

extension Envelope: Sendable where Message: Sendable {}

/// What the sequencer decided about one message.
public enum SequencerOutcome<Message> {
    /// A message already acknowledged (or out of order within its span): dropped.
    case duplicate
    /// A CONTINUE message, held until its producer acknowledges or rolls back.
    case held
    /// A held span was discarded. `discarded` counts the messages dropped from memory (a span
    /// that spilled counts only what was still in memory). `regressed` is set when the ACK's
    /// clock was below the last acknowledged one: an upstream checkpoint went backwards.
    case rolledBack(discarded: Int, regressed: Bool)
    /// Messages now committed, in journal order (an OUTSIDE message delivers itself).
    case deliver([Envelope<Message>])
    /// A commit whose span is not (entirely) in memory: the caller reads `request.begin ..<
    /// request.end` of the journal and delivers the messages `request.accept` takes.
    case replay(ReplayRequest)
}

/// A committed span the sequencer no longer holds in memory (it spilled, or the span began
/// before a restored checkpoint). The caller re-reads the range and filters with `accept`.
public struct ReplayRequest: Sendable, Hashable {
    public let producer: ProducerID
    /// Offset of the span's first message.
    public let begin: Int64
    /// Offset of the ACK that committed the span (exclusive end of the range to re-read).
    public let end: Int64
    /// Messages with clocks above this and at most `clockThrough` are committed.
    public let clockAfter: MessageClock
    public let clockThrough: MessageClock
    private var lastAccepted: MessageClock

    init(producer: ProducerID, begin: Int64, end: Int64, clockAfter: MessageClock, clockThrough: MessageClock) {
        self.producer = producer
        self.begin = begin
        self.end = end
        self.clockAfter = clockAfter
        self.clockThrough = clockThrough
        self.lastAccepted = clockAfter
    }

    /// True if the message with this UUID, read in order from the range, is part of the
    /// committed span. Call it once per message, in journal order.
    public mutating func accept(_ uuid: MessageUUID) -> Bool {
        guard uuid.producer == producer, uuid.flags == .continueTransaction else { return false }
        let clock = uuid.clock
        guard clock > lastAccepted, clock <= clockThrough else { return false }
        lastAccepted = clock
        return true
    }
}

/// Sequences one journal's messages into read-committed order.
///
/// Invariants: for every producer, `lastAck <= maxClock`; a producer has a pending span iff
/// `begin >= 0`; `heldBytes` is the sum of the sizes of all held messages in memory and
/// never exceeds `heldBytesMax`.
public struct Sequencer<Message> {
    private struct ProducerState {
        var lastAck: MessageClock
        var maxClock: MessageClock
        var begin: Int64 = -1
        var held: [Envelope<Message>] = []
        /// Bytes of `held`.
        var heldBytes = 0
        /// The span is pending but (part of) it is not in `held`: its ACK must replay.
        var spilled = false
    }

    /// Default budget of held message bytes per journal: large enough that ordinary
    /// transactions commit from memory, small enough for many journals per process.
    public static var defaultHeldBytesMax: Int { 32 << 20 }

    /// Offset one past the last message sequenced.
    public private(set) var readThrough: Int64
    public let heldBytesMax: Int
    private var producers: [ProducerID: ProducerState] = [:]
    private var heldBytes = 0

    public init(checkpoint: SequencerCheckpoint = SequencerCheckpoint(), heldBytesMax: Int = Sequencer.defaultHeldBytesMax) {
        precondition(heldBytesMax >= 0, "heldBytesMax must not be negative")
        self.readThrough = checkpoint.readThrough
        self.heldBytesMax = heldBytesMax
        for entry in checkpoint.producers {
            let clock = MessageClock(rawValue: entry.lastAck)
            producers[ProducerID(rawValue: entry.producer)] = ProducerState(
                lastAck: clock, maxClock: clock, begin: entry.begin,
                spilled: entry.begin >= 0)
        }
    }

    /// Number of messages currently held in memory.
    public var heldCount: Int { producers.values.reduce(0) { $0 + $1.held.count } }

    /// True if some producer has a pending (unacknowledged) span.
    public var hasPending: Bool { producers.values.contains { $0.begin >= 0 } }

    /// Applies the next message of the journal, in offset order.
    public mutating func sequence(_ envelope: Envelope<Message>) -> SequencerOutcome<Message> {
        precondition(envelope.begin >= readThrough, "messages must be sequenced in journal order")
        readThrough = envelope.end
        let uuid = envelope.uuid
        let clock = uuid.clock
        if clock.rawValue == 0 {
            return .deliver([envelope])  // No producer clock: committed as it stands.
        }
        let producer = uuid.producer
        // Take the state out of the dictionary so it is uniquely referenced: appending to its
        // held messages must not copy them (that made long spans quadratic).
        var state = producers.removeValue(forKey: producer)
            ?? ProducerState(lastAck: MessageClock(rawValue: clock.rawValue - 1),
                             maxClock: MessageClock(rawValue: clock.rawValue - 1))
        defer { producers[producer] = state }

        switch uuid.flags {
        case .continueTransaction:
            if clock <= state.lastAck || clock <= state.maxClock { return .duplicate }
            if state.begin < 0 { state.begin = envelope.begin }
            state.maxClock = clock
            if !state.spilled {
                let size = Int(envelope.end - envelope.begin)
                if heldBytes + size <= heldBytesMax {
                    state.held.append(envelope)
                    state.heldBytes += size
                    heldBytes += size
                } else {
                    heldBytes -= state.heldBytes
                    state.held.removeAll()
                    state.heldBytes = 0
                    state.spilled = true
                }
            }
            return .held

        case .acknowledgeTransaction:
            if clock <= state.lastAck {
                let regressed = clock < state.lastAck
                let discarded = resetSpan(&state, lastAck: clock)
                return .rolledBack(discarded: discarded, regressed: regressed)
            }
            let previousAck = state.lastAck
            let begin = state.begin
            let spilled = state.spilled
            let held = state.held
            _ = resetSpan(&state, lastAck: clock)
            if begin < 0 { return .deliver([]) }
            if spilled {
                return .replay(ReplayRequest(producer: producer, begin: begin, end: envelope.begin,
                                             clockAfter: previousAck, clockThrough: clock))
            }
            return .deliver(held.filter { $0.uuid.clock <= clock })

        default:  // OUTSIDE, and unknown flags, which are treated as OUTSIDE.
            if clock <= state.lastAck { return .duplicate }
            _ = resetSpan(&state, lastAck: clock)  // A pending span of this producer is abandoned.
            return .deliver([envelope])
        }
    }

    /// Moves the read-through offset over bytes that can no longer be read (a range pruned by
    /// retention). Messages in the range are lost to this reader; the caller reports the jump.
    public mutating func skip(to offset: Int64) {
        precondition(offset >= readThrough, "a skip moves forward")
        readThrough = offset
    }

    /// Moves the read-through offset back to the start of a compacted fragment that holds it:
    /// a reader resuming inside a compacted range reads the range's reduced documents from its
    /// start (docs/compaction.md). Those documents carry no UUID, so producer states are kept.
    public mutating func rewind(to offset: Int64) {
        precondition(offset <= readThrough, "a rewind moves backward")
        readThrough = offset
    }

    /// Clears a producer's span and sets its acknowledged clock; returns how many held
    /// messages were dropped from memory.
    private mutating func resetSpan(_ state: inout ProducerState, lastAck: MessageClock) -> Int {
        let dropped = state.held.count
        heldBytes -= state.heldBytes
        state = ProducerState(lastAck: lastAck, maxClock: lastAck)
        assert(heldBytes >= 0)
        return dropped
    }

    /// The state to persist with a reader's checkpoint. Producers with nothing pending whose
    /// last acknowledgement is older than `pruneHorizonNanoseconds` before the newest one seen
    /// are forgotten (0 disables pruning), so checkpoints do not grow with every task restart.
    public mutating func checkpoint(pruneHorizonNanoseconds: UInt64 = SequencerCheckpoint.defaultPruneHorizonNanoseconds) -> SequencerCheckpoint {
        if pruneHorizonNanoseconds > 0, let newest = producers.values.map(\.lastAck).max() {
            let horizon = newest.unixNanoseconds > pruneHorizonNanoseconds
                ? newest.unixNanoseconds - pruneHorizonNanoseconds : 0
            producers = producers.filter { $0.value.begin >= 0 || $0.value.lastAck.unixNanoseconds >= horizon }
        }
        let entries = producers
            .map { SequencerCheckpoint.Producer(producer: $0.key.rawValue, lastAck: $0.value.lastAck.rawValue, begin: $0.value.begin) }
            .sorted { $0.producer < $1.producer }
        return SequencerCheckpoint(readThrough: readThrough, producers: entries)
    }
}

/// A journal sequencer's persistent state: where reading resumes and what each producer has
/// acknowledged. Encoded into task checkpoints (Codable; JSON in practice).
public struct SequencerCheckpoint: Codable, Hashable, Sendable {
    public struct Producer: Codable, Hashable, Sendable {
        /// The producer id's 48 bits.
        public var producer: UInt64
        /// Raw clock of the last acknowledged message.
        public var lastAck: UInt64
        /// Offset of the first message of a pending span, or -1.
        public var begin: Int64

        public init(producer: UInt64, lastAck: UInt64, begin: Int64) {
            self.producer = producer
            self.lastAck = lastAck
            self.begin = begin
        }
    }

    /// Offset to resume reading from.
    public var readThrough: Int64
    public var producers: [Producer]

    public init(readThrough: Int64 = 0, producers: [Producer] = []) {
        self.readThrough = readThrough
        self.producers = producers
    }

    /// Seven days: far longer than any task restart, so a re-sent ACK intent always finds its
    /// producer's state.
    public static let defaultPruneHorizonNanoseconds: UInt64 = 7 * 24 * 3600 * 1_000_000_000
}
