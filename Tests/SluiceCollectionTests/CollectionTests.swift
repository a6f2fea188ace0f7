import Foundation
import Testing
@testable import SluiceCollection
import SluiceDocument
import SluiceJournal
import SluiceMessage
import SluiceSchema
import SluiceTestSupport

/// An orders collection partitioned by region, with a summing reduction.
func ordersCollection(partitioned: Bool = true) throws -> CollectionSpec {
    let schema = try Schema(JSONValue(parsing: """
    {"type": "object", "reduce": {"strategy": "merge"}, "required": ["id", "region"],
     "properties": {"id": {"type": "integer"}, "region": {"type": "string"},
                    "amount": {"type": "number", "reduce": {"strategy": "sum"}}}}
    """))
    return CollectionSpec(name: "acme/orders", key: ["/id"],
                          partitions: partitioned ? [PartitionField(field: "region", pointer: "/region")] : [],
                          writeSchema: schema, journalSpec: JournalSpec(fragmentLengthBytes: 64 << 10))
}

func document(_ text: String) throws -> Document { try Document(parsing: text) }

/// Reads everything committed now, as compact JSON without `_meta`.
func readAll(_ reader: CollectionReader) async throws -> [String] {
    var out: [String] = []
    try await reader.read { committed in
        var value = committed.document.jsonValue
        if case .object(var object) = value {
            object["_meta"] = nil
            value = .object(object)
        }
        out.append(value.description)
    }
    return out
}

@Suite struct PartitionNameTests {
    @Test func journalNamesEncodeValues() throws {
        let spec = try ordersCollection()
        #expect(try PartitionNames.journal(of: document(#"{"id":1,"region":"eu"}"#), in: spec).rawValue
                == "acme/orders/region=eu/pivot=00")
        #expect(try PartitionNames.journal(of: document(#"{"id":1,"region":"São Paulo/2"}"#), in: spec).rawValue
                == "acme/orders/region=S%C3%A3o%20Paulo%2F2/pivot=00")
        #expect(throws: CollectionError.missingPartition(collection: "acme/orders", field: "region", pointer: "/region")) {
            try PartitionNames.journal(of: document(#"{"id":1}"#), in: spec)
        }
        #expect(throws: CollectionError.self) { try PartitionNames.journal(of: document(#"{"id":1,"region":1.5}"#), in: spec) }
        let unpartitioned = try ordersCollection(partitioned: false)
        #expect(try PartitionNames.journal(of: document(#"{"id":1}"#), in: unpartitioned).rawValue == "acme/orders/pivot=00")
    }

    @Test func valuesRoundTripAndSelectorsMatch() throws {
        let spec = try ordersCollection()
        let name = try PartitionNames.journal(of: document(#"{"id":1,"region":"a=b%c"}"#), in: spec)
        let values = try #require(PartitionNames.partitionValues(of: name, in: spec))
        #expect(PartitionNames.decodeString(values["region"]!) == "a=b%c")
        #expect(PartitionNames.partitionValues(of: try JournalName("acme/other/pivot=00"), in: spec) == nil)
        #expect(PartitionNames.partitionValues(of: try JournalName("acme/orders/pivot=00"), in: spec) == nil)
        let selector = try PartitionSelector(includeValues: ["region": ["eu", "na"]], excludeValues: [:])
        #expect(selector.matches(["region": "eu"]))
        #expect(!selector.matches(["region": "apac"]))
        let excluding = try PartitionSelector(includeValues: [:], excludeValues: ["region": ["eu"]])
        #expect(!excluding.matches(["region": "eu"]) && excluding.matches(["region": "na"]))
    }
}

@Suite struct FramingTests {
    static let uuid = MessageUUID(producer: ProducerID(rawValue: 0x0102_0304_0506), clock: MessageClock(rawValue: 0x0123_4567_89AB_CDEF),
                                  flags: .continueTransaction)

    func framed(_ text: String) throws -> String {
        var out: [UInt8] = []
        Framing.appendLine(try document(text), uuid: Self.uuid, to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    @Test func uuidIsInjectedInSortedOrder() throws {
        #expect(try framed(#"{"b":1,"A":2}"#) == #"{"A":2,"_meta":{"uuid":"789abcde-3456-1012-bc01-010203040506"},"b":1}"# + "\n")
        #expect(try framed(#"{"A":1}"#) == #"{"A":1,"_meta":{"uuid":"789abcde-3456-1012-bc01-010203040506"}}"# + "\n")
        #expect(try framed(#"{}"#) == #"{"_meta":{"uuid":"789abcde-3456-1012-bc01-010203040506"}}"# + "\n")
        // Existing _meta properties are kept; an old uuid is replaced.
        #expect(try framed(#"{"_meta":{"op":"c","uuid":"x","webhookId":"w"},"z":[1]}"#)
                == #"{"_meta":{"op":"c","uuid":"789abcde-3456-1012-bc01-010203040506","webhookId":"w"},"z":[1]}"# + "\n")
        let line = try framed(#"{"a":"\u0001é"}"#)
        let parsed = try document(String(line.dropLast()))
        #expect(Framing.uuid(of: parsed) == Self.uuid)
        #expect(parsed["a"]?.string == "\u{1}é")
    }

    @Test func acknowledgementLines() throws {
        var out: [UInt8] = []
        let ack = MessageUUID(producer: ProducerID(rawValue: 0x0102_0304_0506), clock: MessageClock(rawValue: 5), flags: .acknowledgeTransaction)
        Framing.appendAcknowledgement(uuid: ack, to: &out)
        let text = String(decoding: out, as: UTF8.self)
        #expect(text == #"{"_meta":{"ack":true,"uuid":"00000000-0000-1000-9402-010203040506"}}"# + "\n")
        #expect(Framing.uuid(of: try document(String(text.dropLast()))) == ack)
        #expect(Framing.uuid(of: try document(#"{"a":1}"#)) == .zero)
        #expect(Framing.uuid(of: try document(#"{"_meta":{"uuid":"nope"}}"#)) == nil)
    }
}

@Suite struct CollectionReadWriteTests {
    @Test func transactionsBecomeVisibleOnlyWhenAcknowledged() async throws {
        let directory = TestDirectory("collection")
        defer { directory.remove() }
        let registry = JournalRegistry(path: directory.path)
        let spec = try ordersCollection()
        let publisher = TransactionPublisher(registry: registry)
        for text in [#"{"id":1,"region":"eu","amount":2}"#, #"{"id":2,"region":"na","amount":5}"#,
                     #"{"id":1,"region":"eu","amount":3}"#] {
            try publisher.add(try document(text), to: spec)
        }
        let intents = try await publisher.publish()
        #expect(Set(intents.map(\.journal)) == ["acme/orders/region=eu/pivot=00", "acme/orders/region=na/pivot=00"])

        let reader = try CollectionReader(collection: spec, registry: registry)
        #expect(try await readAll(reader) == [])  // written, not acknowledged
        try await TransactionPublisher.acknowledge(intents, registry: registry)
        // Same-key documents of one transaction were combined (partial reduction).
        #expect(try await readAll(reader) == [#"{"amount":5,"id":1,"region":"eu"}"#, #"{"amount":5,"id":2,"region":"na"}"#])
        #expect(try await readAll(reader) == [])
        #expect(try reader.isCaughtUp())
        await registry.close()
    }

    @Test func abandonedTransactionsAreRolledBackByReSentIntents() async throws {
        let directory = TestDirectory("collection")
        defer { directory.remove() }
        let registry = JournalRegistry(path: directory.path)
        let spec = try ordersCollection(partitioned: false)

        let first = TransactionPublisher(registry: registry)
        try first.add(try document(#"{"id":1,"region":"eu","amount":1}"#), to: spec)
        let committed = try await first.publish()
        try await TransactionPublisher.acknowledge(committed, registry: registry)
        // The next transaction is written but the task "crashes" before its checkpoint.
        try first.add(try document(#"{"id":2,"region":"eu","amount":9}"#), to: spec)
        _ = try await first.publish()
        // A new session re-sends the last committed intents: the abandoned span rolls back.
        try await TransactionPublisher.acknowledge(committed, registry: registry)
        let second = TransactionPublisher(registry: registry)
        try second.add(try document(#"{"id":3,"region":"eu","amount":4}"#), to: spec)
        try await TransactionPublisher.acknowledge(try await second.publish(), registry: registry)

        let reader = try CollectionReader(collection: spec, registry: registry)
        #expect(try await readAll(reader) == [#"{"amount":1,"id":1,"region":"eu"}"#, #"{"amount":4,"id":3,"region":"eu"}"#])
        await registry.close()
    }

    @Test func invalidDocumentsNameTheirPosition() async throws {
        let directory = TestDirectory("collection")
        defer { directory.remove() }
        let registry = JournalRegistry(path: directory.path)
        let spec = try ordersCollection()
        let publisher = TransactionPublisher(registry: registry)
        try publisher.add(try document(#"{"id":1,"region":"eu"}"#), to: spec)
        let error = try #require(throws: CollectionError.self) {
            try publisher.add(try document(#"{"id":"x","region":"eu"}"#), to: spec)
        }
        #expect(error.description.hasPrefix("acme/orders: document 2 is invalid: "))
        #expect(error.description.contains("/id"))
        #expect(throws: CollectionError.self) { try publisher.add(try document("[1]"), to: spec) }
        publisher.abandon()
        #expect(try await publisher.publish().isEmpty)
        #expect(try registry.journalNames(withPrefix: "acme/").isEmpty)  // nothing was written
        await registry.close()
    }

    @Test func checkpointsResumeExactlyAndSurviveReopening() async throws {
        let directory = TestDirectory("collection")
        defer { directory.remove() }
        let spec = try ordersCollection()
        var expected: [String] = []
        var checkpoint: CollectionCheckpoint = [:]
        var delivered: [String] = []
        for round in 0..<6 {
            // A fresh registry per round: journals and checkpoints must survive reopening.
            let registry = JournalRegistry(path: directory.path)
            let publisher = TransactionPublisher(registry: registry)
            for index in 0..<5 {
                let id = round * 10 + index
                let region = ["eu", "na", "apac"][id % 3]
                try publisher.add(try document(#"{"id":\#(id),"region":"\#(region)","amount":\#(id)}"#), to: spec)
                expected.append(#"{"amount":\#(id),"id":\#(id),"region":"\#(region)"}"#)
            }
            try await TransactionPublisher.acknowledge(try await publisher.publish(), registry: registry)
            let data = try JSONEncoder().encode(checkpoint)
            let reader = try CollectionReader(collection: spec, registry: registry,
                                              checkpoint: try JSONDecoder().decode(CollectionCheckpoint.self, from: data))
            delivered += try await readAll(reader)
            checkpoint = reader.checkpoint()
            await registry.close()
        }
        #expect(delivered.sorted() == expected.sorted())
        #expect(delivered.count == 30)
    }

    @Test func tinyMemoryBudgetReplaysSpans() async throws {
        let directory = TestDirectory("collection")
        defer { directory.remove() }
        let registry = JournalRegistry(path: directory.path)
        let spec = try ordersCollection(partitioned: false)
        let publisher = TransactionPublisher(registry: registry)
        for id in 0..<500 { try publisher.add(try document(#"{"id":\#(id),"region":"eu","amount":1}"#), to: spec) }
        let intents = try await publisher.publish()
        try await TransactionPublisher.acknowledge(intents, registry: registry)
        let reader = try CollectionReader(collection: spec, registry: registry, heldBytesMax: 1_000)
        let all = try await readAll(reader)
        #expect(all.count == 500)
        #expect(Set(all).count == 500)
        await registry.close()
    }

    @Test func readsStopAtTheLimitOnMessageBoundaries() async throws {
        let directory = TestDirectory("collection")
        defer { directory.remove() }
        let registry = JournalRegistry(path: directory.path)
        let spec = try ordersCollection(partitioned: false)
        for transaction in 0..<4 {
            let publisher = TransactionPublisher(registry: registry)
            for index in 0..<3 { try publisher.add(try document(#"{"id":\#(transaction * 3 + index),"region":"eu"}"#), to: spec) }
            try await TransactionPublisher.acknowledge(try await publisher.publish(), registry: registry)
        }
        let reader = try CollectionReader(collection: spec, registry: registry)
        var counts: [Int] = []
        while true {
            let count = try await reader.read(limit: 4) { _ in }
            if count == 0 { break }
            counts.append(count)
        }
        #expect(counts == [6, 6])  // an ACK delivers its three documents together
        await registry.close()
    }

    @Test func waitForMoreWakesOnAppendsAndNewPartitions() async throws {
        let directory = TestDirectory("collection")
        defer { directory.remove() }
        let registry = JournalRegistry(path: directory.path)
        let spec = try ordersCollection()
        let reader = try CollectionReader(collection: spec, registry: registry)
        #expect(try await reader.waitForMore(timeoutSeconds: 0.05) == false)
        let writer = Task {
            try await Task.sleep(nanoseconds: 50_000_000)
            let publisher = TransactionPublisher(registry: registry)
            try publisher.add(try document(#"{"id":1,"region":"mea"}"#), to: spec)
            try await TransactionPublisher.acknowledge(try await publisher.publish(), registry: registry)
        }
        #expect(try await reader.waitForMore(timeoutSeconds: 10) == true)
        try await writer.value
        #expect(try await readAll(reader).count == 1)
        await registry.close()
    }
}
