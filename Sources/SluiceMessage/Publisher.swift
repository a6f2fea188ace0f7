// The write side of exactly-once: stamps a transaction's messages with UUIDs and produces the
// ACK intents that commit it (docs/messages.md, "Transactions and ACK intents").

/// An ACK message to append to `journal` once the transaction's checkpoint is durable.
/// Persisted with the checkpoint and appended again after a restart.
public struct AckIntent: Codable, Hashable, Sendable {
    public var journal: String
    public var uuid: MessageUUID

    public init(journal: String, uuid: MessageUUID) {
        self.journal = journal
        self.uuid = uuid
    }
}

extension MessageUUID: Codable {
    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        do {
            try self.init(parsing: text)
        } catch {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: error.description))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}

/// Assigns UUIDs for one producer. Not shared between tasks: each task session owns one,
/// with a fresh random producer id (docs/messages.md, rule 1).
public struct Publisher: Sendable {
    public let producer: ProducerID
    public private(set) var clock: MessageClock
    /// Journals written by CONTINUE messages since the last `acknowledgements()`, in first-write order.
    private var pendingJournals: [String] = []
    private var pendingJournalSet: Set<String> = []

    public init(producer: ProducerID = .random(), clock: MessageClock) {
        self.producer = producer
        self.clock = clock
    }

    /// Moves the clock forward to a wall-clock time (never backwards).
    public mutating func updateClock(unixNanoseconds: UInt64) {
        clock.update(unixNanoseconds: unixNanoseconds)
    }

    /// The UUID of the next message of the current transaction, to be appended to `journal`.
    public mutating func continueUUID(journal: String) -> MessageUUID {
        if pendingJournalSet.insert(journal).inserted { pendingJournals.append(journal) }
        return MessageUUID(producer: producer, clock: clock.tick(), flags: .continueTransaction)
    }

    /// The UUID of a message outside any transaction (committed on its own).
    public mutating func outsideUUID() -> MessageUUID {
        MessageUUID(producer: producer, clock: clock.tick(), flags: .outsideTransaction)
    }

    /// True if CONTINUE messages were stamped since the last `acknowledgements()`.
    public var hasPendingTransaction: Bool { !pendingJournals.isEmpty }

    /// Ends the transaction: one ACK intent per journal written, all with one clock above
    /// every CONTINUE clock of the transaction. An empty transaction has no intents.
    public mutating func acknowledgements() -> [AckIntent] {
        guard !pendingJournals.isEmpty else { return [] }
        let uuid = MessageUUID(producer: producer, clock: clock.tick(), flags: .acknowledgeTransaction)
        defer {
            pendingJournals.removeAll()
            pendingJournalSet.removeAll()
        }
        return pendingJournals.map { AckIntent(journal: $0, uuid: uuid) }
    }
}
