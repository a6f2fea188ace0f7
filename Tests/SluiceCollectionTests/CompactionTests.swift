import Foundation
import Testing
@testable import SluiceCollection
import SluiceCombine
import SluiceDocument
import SluiceJournal
import SluiceMessage
import SluiceSchema
import SluiceTestSupport
import SluiceWorkload

/// A collection whose documents sum `amount` by `id`, and delete the key when `deleted: true`.
func ledgerCollection(fragmentBytes: Int64 = 16 << 10) throws -> CollectionSpec {
    let schema = try Schema(JSONValue(parsing: """
    {"type": "object", "required": ["id"],
     "properties": {"id": {"type": "integer"}, "amount": {"type": "number", "reduce": {"strategy": "sum"}},
                    "note": {"type": "string"}, "deleted": {"type": "boolean"}},
     "reduce": {"strategy": "merge"},
     "if": {"required": ["deleted"], "properties": {"deleted": {"const": true}}},
     "then": {"reduce": {"strategy": "merge", "delete": true}}}
    """))
    return CollectionSpec(name: "acme/ledger", key: ["/id"], writeSchema: schema,
                          journalSpec: JournalSpec(fragmentLengthBytes: fragmentBytes, codec: .zstd(level: 1)))
}

/// Publishes `count` seeded documents over `keys` keys in transactions of `batch`, acknowledged.
func publishLedger(_ registry: JournalRegistry, _ spec: CollectionSpec, count: Int, keys: Int, batch: Int,
                   seed: UInt64, deleteEvery: Int = 0) async throws {
    var random = SplitMix64(seed: seed)
    var index = 0
    while index < count {
        let publisher = TransactionPublisher(registry: registry)
        for _ in 0..<min(batch, count - index) {
            let id = random.below(keys)
            let note = String(repeating: "n", count: 20 + random.below(60))
            if deleteEvery > 0, index % deleteEvery == deleteEvery - 1 {
                try publisher.add(try Document(parsing: #"{"id":\#(id),"deleted":true}"#), to: spec)
            } else {
                try publisher.add(try Document(parsing: #"{"id":\#(id),"amount":\#(random.below(100)),"note":"\#(note)"}"#), to: spec)
            }
            index += 1
        }
        try await TransactionPublisher.acknowledge(try await publisher.publish(), registry: registry)
    }
}

/// The fully reduced documents of the collection, in key order, without deleted keys.
func reducedRead(_ registry: JournalRegistry, _ spec: CollectionSpec) async throws -> [String] {
    let reader = try CollectionReader(collection: spec, registry: registry)
    var combiner = Combiner(configuration: CombinerConfiguration(key: spec.key, mode: .full), validator: spec.readSchema.validator())
    try await reader.read { try combiner.add(DocumentMeta.removingUUID($0.document)) }
    var drainer = try combiner.drain()
    var out: [String] = []
    while let drained = try drainer.next() {
        if !drained.isDeleted { out.append(drained.document.jsonValue.description) }
    }
    return out
}

@Suite struct CompactionTests {
    static let journalName = try! JournalName("acme/ledger/pivot=00")

    @Test func reducedReadIsIdenticalAfterCompactionAndStorageShrinks() async throws {
        let directory = TestDirectory("compaction")
        defer { directory.remove() }
        let registry = JournalRegistry(path: directory.path)
        let spec = try ledgerCollection()
        try await publishLedger(registry, spec, count: 3_000, keys: 50, batch: 100, seed: 1)
        let journal = try #require(try registry.existingJournal(Self.journalName))
        try await journal.seal()
        let before = try await reducedRead(registry, spec)
        #expect(before.count == 50)
        let fragmentsBefore = journal.fragments.count
        #expect(fragmentsBefore > 3)

        let report = try await CollectionCompactor.compact(journal, collection: spec).get()
        #expect(report.fragmentsReplaced == fragmentsBefore)
        #expect(report.documentsWritten == 50)
        #expect(report.storedBytesAfter * 5 < report.storedBytesBefore)
        #expect(journal.fragments.count == 1 && journal.fragments[0].name.isCompacted)
        #expect(journal.fragments[0].name.fileName.hasSuffix(".compacted.zst"))
        #expect(try await reducedRead(registry, spec) == before)

        // More data, then compacting again folds the earlier compacted fragment in.
        try await publishLedger(registry, spec, count: 1_000, keys: 80, batch: 50, seed: 2)
        try await journal.seal()
        let more = try await reducedRead(registry, spec)
        let second = try await CollectionCompactor.compact(journal, collection: spec).get()
        #expect(second.documentsRead >= 80)
        #expect(journal.fragments.count == 1)
        #expect(try await reducedRead(registry, spec) == more)

        // Survives reopening the journals.
        await registry.close()
        let reopened = JournalRegistry(path: directory.path)
        #expect(try await reducedRead(reopened, spec) == more)
        await reopened.close()
    }

    @Test func pendingTransactionsBoundTheCompactedRange() async throws {
        let directory = TestDirectory("compaction")
        defer { directory.remove() }
        let registry = JournalRegistry(path: directory.path)
        let spec = try ledgerCollection()
        try await publishLedger(registry, spec, count: 500, keys: 20, batch: 50, seed: 3)
        let journal = try #require(try registry.existingJournal(Self.journalName))
        try await journal.seal()
        let committedEnd = journal.head
        // An open transaction: its documents are written (and sealed) but not acknowledged.
        let open = TransactionPublisher(registry: registry)
        for id in 0..<400 { try open.add(try Document(parsing: #"{"id":\#(id),"amount":1000}"#), to: spec) }
        let intents = try await open.publish()
        try await journal.seal()
        let report = try await CollectionCompactor.compact(journal, collection: spec).get()
        #expect(report.end <= committedEnd)
        // The open transaction commits later: nothing of it was lost by the compaction.
        try await TransactionPublisher.acknowledge(intents, registry: registry)
        let reduced = try await reducedRead(registry, spec)
        #expect(reduced.count == 400)
        await registry.close()
    }

    @Test func tombstonesAreKeptUntilTheirRetentionPasses() async throws {
        let directory = TestDirectory("compaction")
        defer { directory.remove() }
        let registry = JournalRegistry(path: directory.path)
        let spec = try ledgerCollection()
        let publisher = TransactionPublisher(registry: registry)
        for id in 0..<10 { try publisher.add(try Document(parsing: #"{"id":\#(id),"amount":1}"#), to: spec) }
        try await TransactionPublisher.acknowledge(try await publisher.publish(), registry: registry)
        let deleter = TransactionPublisher(registry: registry)
        for id in 0..<3 { try deleter.add(try Document(parsing: #"{"id":\#(id),"deleted":true}"#), to: spec) }
        try await TransactionPublisher.acknowledge(try await deleter.publish(), registry: registry)
        let journal = try #require(try registry.existingJournal(Self.journalName))
        try await journal.seal()

        let kept = try await CollectionCompactor.compact(journal, collection: spec, tombstoneRetentionSeconds: 3_600).get()
        #expect(kept.documentsWritten == 10 && kept.tombstonesDropped == 0)
        #expect(try await reducedRead(registry, spec).count == 7)
        let dropped = try await CollectionCompactor.compact(journal, collection: spec, tombstoneRetentionSeconds: 0).get()
        #expect(dropped.documentsWritten == 7 && dropped.tombstonesDropped == 3)
        #expect(try await reducedRead(registry, spec).count == 7)
        await registry.close()
    }

    @Test func readersPastTheRangeKeepTheirOffsetsAndReadersInsideRestartAtItsStart() async throws {
        let directory = TestDirectory("compaction")
        defer { directory.remove() }
        let registry = JournalRegistry(path: directory.path)
        let spec = try ledgerCollection()
        try await publishLedger(registry, spec, count: 1_000, keys: 30, batch: 100, seed: 4)
        let journal = try #require(try registry.existingJournal(Self.journalName))
        try await journal.seal()

        let past = try CollectionReader(collection: spec, registry: registry)
        try await past.read { _ in }
        let inside = try CollectionReader(collection: spec, registry: registry)
        _ = try await inside.read(limit: 150) { _ in }
        let insideCheckpoint = inside.checkpoint()

        let report = try await CollectionCompactor.compact(journal, collection: spec).get()
        try await publishLedger(registry, spec, count: 10, keys: 1_000_000, batch: 10, seed: 5)

        // The reader past the range reads only what came after.
        var newDocuments = 0
        try await past.read { _ in newDocuments += 1 }
        #expect(newDocuments == 10)
        // A reader resuming inside the range reads the compacted documents from its start.
        let resumed = try CollectionReader(collection: spec, registry: registry, checkpoint: insideCheckpoint)
        var resumedCount = 0
        try await resumed.read { _ in resumedCount += 1 }
        #expect(resumedCount == report.documentsWritten + 10)
        await registry.close()
    }

    /// The crash states a kill -9 can leave: the compacted fragment beside the originals, or
    /// only a temporary. Either way a reopened journal serves the same reduced read.
    @Test func interruptedCompactionsServeOldOrNewNeverAMix() async throws {
        let directory = TestDirectory("compaction")
        defer { directory.remove() }
        let spec = try ledgerCollection()
        var registry = JournalRegistry(path: directory.path)
        try await publishLedger(registry, spec, count: 2_000, keys: 40, batch: 100, seed: 6)
        var journal = try #require(try registry.existingJournal(Self.journalName))
        try await journal.seal()
        let expected = try await reducedRead(registry, spec)
        let fragmentsDirectory = journal.directory + "/fragments"
        let originals = try FileManager.default.contentsOfDirectory(atPath: fragmentsDirectory)
        let saved = directory.file("saved")
        try FileManager.default.createDirectory(atPath: saved, withIntermediateDirectories: true)
        for name in originals { try FileManager.default.copyItem(atPath: fragmentsDirectory + "/" + name, toPath: saved + "/" + name) }

        _ = try await CollectionCompactor.compact(journal, collection: spec).get()
        await registry.close()
        // State 1: killed after the rename, before the originals were removed.
        for name in originals { try FileManager.default.copyItem(atPath: saved + "/" + name, toPath: fragmentsDirectory + "/" + name) }
        registry = JournalRegistry(path: directory.path)
        journal = try #require(try registry.existingJournal(Self.journalName))
        #expect(journal.fragments.count == 1 && journal.fragments[0].name.isCompacted)
        #expect(try await reducedRead(registry, spec) == expected)
        await registry.close()
        // State 2: killed while writing: only a temporary beside the originals.
        for name in try FileManager.default.contentsOfDirectory(atPath: fragmentsDirectory) where name.contains(".compacted.") {
            try FileManager.default.moveItem(atPath: fragmentsDirectory + "/" + name,
                                             toPath: fragmentsDirectory + "/compacted-0000000000000000-0000000000001000.zst.tmp")
        }
        registry = JournalRegistry(path: directory.path)
        journal = try #require(try registry.existingJournal(Self.journalName))
        #expect(journal.fragments.count == originals.count && !journal.fragments.contains { $0.name.isCompacted })
        #expect(try await reducedRead(registry, spec) == expected)
        await registry.close()
    }

    @Test func compactedFragmentNamesParse() throws {
        let name = FragmentName(begin: 0, end: 6, sha1: String(repeating: "a", count: 40), encoding: .zst, isCompacted: true)
        #expect(name.fileName == "0000000000000000-0000000000000006-" + String(repeating: "a", count: 40) + ".compacted.zst")
        #expect(FragmentName(fileName: name.fileName) == name)
        #expect(FragmentName(fileName: name.fileName.replacingOccurrences(of: ".compacted", with: ".compactex")) == nil)
        var written: Int64 = 0
        let padding = try #require(CollectionCompactor.padding(count: 5_000, written: &written))
        #expect(padding.count == 5_000 && written == 5_000)
        #expect(padding[4_095] == 0x0A && padding[4_999] == 0x0A && padding.filter { $0 == 0x0A }.count == 2)
    }
}
