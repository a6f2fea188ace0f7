import Foundation
import Logging
public import SluiceWorkload
import SluiceCatalog
import SluiceCollection
import SluiceDerive
import SluiceDocument
import SluiceRuntime

/// The derivation figures (docs/benchmarks.md, "Derivations"): the workload, already committed
/// in a source collection (keyed by `[/id, /seq]`, so all of its documents are there), derived into a sum-reduced collection keyed by `/id`, on one thread,
/// through the runtime's derivation transactions (read committed, apply, validate and combine
/// the outputs, publish, commit the shard's database, acknowledge):
/// - `derive.sqlite`: the SQLite lambda `SELECT $id, $amount AS total;`;
/// - `derive.swift`: a Swift closure publishing the same document.
/// Extra: `read_apply_docs_per_s`, the same transactions with a transform that publishes
/// nothing (what reading and applying cost without the outputs).
/// Targets (issue 8): SQLite ≥ 200k docs/s, Swift ≥ 1M docs/s.
public enum DeriveBenchmarks {
    public enum Kind: String, Sendable, CaseIterable {
        case sqlite, swift
    }

    static func catalog(_ folder: String) throws -> Catalog {
        let yaml = """
        collections:
          bench/events:
            schema: workload-schema.json
            key: [/id, /seq]
          bench/totals-sqlite:
            schema: &totals
              type: object
              reduce: {strategy: merge}
              required: [id]
              properties: {id: {type: string}, total: {type: number, reduce: {strategy: sum}}}
            key: [/id]
            derive:
              using: {sqlite: {}}
              transforms: [{name: fromEvents, source: bench/events, lambda: "SELECT $id, $amount AS total;"}]
          bench/totals-swift:
            schema: *totals
            key: [/id]
            derive:
              using: {swift: {}}
              transforms: [{name: fromEvents, source: bench/events}]
          bench/nothing-swift:
            schema: *totals
            key: [/id]
            derive:
              using: {swift: {}}
              transforms: [{name: fromEvents, source: bench/events}]
        """
        try WorkloadSchema.json.write(toFile: folder + "/workload-schema.json", atomically: true, encoding: .utf8)
        return try CatalogLoader.load(yaml: yaml, path: folder + "/flow.yaml")
    }

    static func connectors() -> ConnectorSet {
        var connectors = ConnectorSet.builtIn
        connectors.registerSwiftDerivation("bench/totals-swift", transforms: ["fromEvents": { event, context in
            context.builder.beginObject()
            context.builder.property("id")
            context.builder.copy(event.root["id"]!)
            context.builder.property("total")
            context.builder.copy(event.root["amount"]!)
            context.builder.endObject()
            try context.publish(try context.builder.finish())
        }])
        connectors.registerSwiftDerivation("bench/nothing-swift", transforms: ["fromEvents": { _, _ in }])
        return connectors
    }

    /// Writes the workload into the source collection (not timed), then times the derivation
    /// of `kind` and the read-and-apply pass. Returns the figure.
    public static func run(_ spec: WorkloadSpec, kind: Kind, directory: String, transactionDocuments: Int = 50_000) async throws
        -> BenchmarkResult
    {
        let folder = directory + "/derive-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let catalog = try catalog(folder)
        var collections: [String: CollectionSpec] = [:]
        for (name, definition) in catalog.collections { collections[name] = try CollectionSpec(definition: definition) }

        // The source, committed in transactions of 10,000.
        let registry = JournalRegistry(path: folder + "/data")
        var generator = WorkloadGenerator(spec)
        var parser = JSONParser()
        var line: [UInt8] = []
        var bytes = 0
        while !generator.isExhausted {
            let publisher = TransactionPublisher(registry: registry)
            for _ in 0..<10_000 where !generator.isExhausted {
                line.removeAll(keepingCapacity: true)
                generator.appendNext(to: &line)
                bytes += line.count + 1
                try publisher.add(try parser.parse(line), to: collections["bench/events"]!)
            }
            try await TransactionPublisher.acknowledge(try await publisher.publish(), registry: registry)
        }

        var logger = Logger(label: "bench")
        logger.logLevel = .warning
        func derive(_ name: String) async throws -> (seconds: Double, read: Int, written: Int, transactions: Int) {
            let clock = Stopwatch()
            let driver = try await DerivationDriver(catalog: catalog, collections: collections, connectors: connectors(),
                                                    dataDirectory: folder + "/data", registry: registry, derivations: [name],
                                                    bounds: TransactionBounds(maxDocuments: transactionDocuments), logger: logger,
                                                    wallClockNanoseconds: TransactionPublisher.systemNanoseconds)
            try await driver.runUntilQuiet()
            driver.close()
            return (clock.elapsedSeconds, driver.documentsRead, driver.documentsWritten, driver.transactions)
        }
        let measured = try await derive("bench/totals-\(kind.rawValue)")
        let readApply = try await derive("bench/nothing-swift")
        await registry.close()
        return BenchmarkResult(
            figure: "derive.\(kind.rawValue)", documents: measured.read, bytes: bytes, seconds: measured.seconds,
            extra: ["documents_written": Double(measured.written), "transactions": Double(measured.transactions),
                    "transaction_documents": Double(transactionDocuments),
                    "read_apply_docs_per_s": (Double(readApply.read) / readApply.seconds).rounded()])
    }
}
