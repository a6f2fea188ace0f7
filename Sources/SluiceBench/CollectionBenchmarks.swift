import Foundation
public import SluiceWorkload
import SluiceCollection
import SluiceDocument
import SluiceJournal
import SluiceSchema

/// The collection figures (docs/benchmarks.md, "Collections"):
/// - `collection.write`: the whole write path of `sluice ingest`: JSON lines parsed, validated
///   against `WorkloadSchema`, combined by `/id` per transaction, stamped with UUIDs, appended
///   with group commit and acknowledged;
/// - `collection.read`: read-committed delivery of what was written (parse, sequence);
/// - `collection.compact`: key compaction of the sealed journal (extra: size before and after).
/// Target (issue 5): write ≥ 300k docs/s, read ≥ 1M docs/s.
public enum CollectionBenchmarks {
    static func collection() throws -> CollectionSpec {
        CollectionSpec(name: "bench/events", key: ["/id"], writeSchema: try Schema(JSONValue(parsing: WorkloadSchema.json)))
    }

    /// Runs write, then read, then compaction in a fresh folder under `directory`; returns the
    /// three results.
    public static func run(_ spec: WorkloadSpec, directory: String, transactionDocuments: Int = 10_000) async throws
        -> [BenchmarkResult]
    {
        let folder = directory + "/collection-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let collection = try collection()

        // Write.
        let registry = JournalRegistry(path: folder)
        var generator = WorkloadGenerator(spec)
        var parser = JSONParser()
        var line: [UInt8] = []
        var bytes = 0
        let writeClock = Stopwatch()
        while !generator.isExhausted {
            let publisher = TransactionPublisher(registry: registry)
            var inTransaction = 0
            while inTransaction < transactionDocuments, !generator.isExhausted {
                line.removeAll(keepingCapacity: true)
                generator.appendNext(to: &line)
                bytes += line.count + 1
                try publisher.add(try parser.parse(line), to: collection)
                inTransaction += 1
            }
            try await TransactionPublisher.acknowledge(try await publisher.publish(), registry: registry)
        }
        let writeSeconds = writeClock.elapsedSeconds
        let journal = try registry.journal(try JournalName("bench/events/pivot=00"))
        let journalBytes = journal.head

        // Read.
        let reader = try CollectionReader(collection: collection, registry: registry)
        var delivered = 0
        let readClock = Stopwatch()
        try await reader.read { _ in delivered += 1 }
        let readSeconds = readClock.elapsedSeconds

        // Compact.
        try await journal.seal()
        let compactClock = Stopwatch()
        let report = try await CollectionCompactor.compact(journal, collection: collection).get()
        let compactSeconds = compactClock.elapsedSeconds
        await registry.close()

        return [
            BenchmarkResult(figure: "collection.write", documents: spec.documents, bytes: bytes, seconds: writeSeconds,
                            extra: ["journal_bytes": Double(journalBytes), "transaction_documents": Double(transactionDocuments)]),
            BenchmarkResult(figure: "collection.read", documents: delivered, bytes: Int(journalBytes), seconds: readSeconds),
            BenchmarkResult(figure: "collection.compact", documents: report.documentsRead, bytes: Int(report.end - report.begin),
                            seconds: compactSeconds,
                            extra: ["stored_bytes_before": Double(report.storedBytesBefore),
                                    "stored_bytes_after": Double(report.storedBytesAfter),
                                    "size_reduction": Double(report.storedBytesBefore) / Double(max(report.storedBytesAfter, 1)),
                                    "documents_written": Double(report.documentsWritten)]),
        ]
    }
}
