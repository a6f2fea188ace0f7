import Foundation
import Logging
import SluiceCatalog
import SluiceCollection
import SluiceDocument
import SluicePostgres
import SluiceRuntime
import SluiceSQLite
public import SluiceWorkload

/// The materialization figures (docs/benchmarks.md, "Materializations"):
/// - `materialize.sqlite`: the workload, already in a collection (schema `WorkloadSchema`,
///   key `/id`), materialized into a fresh SQLite table by the engine (`sluice run` of one
///   materialization to idle): read committed, combined per transaction, stored documents of
///   the keys loaded and reduced into, upserted with the typed columns and the document, the
///   fenced checkpoint committed with each transaction;
/// - `materialize.postgres`: the same into a fresh PostgreSQL table (COPY + MERGE).
/// Timed from the engine's start to its stop (idle detection included). Targets (issue 9):
/// SQLite ≥ 3× Python sqlite3's batched upsert, PostgreSQL ≥ 2× psycopg's batched upsert.
public enum MaterializeBenchmarks {
    public enum Target: Sendable {
        /// A fresh database file in the work folder.
        case sqlite
        /// A database the benchmark may drop `events` and `sluice_*` tables in.
        case postgres(dsn: String)

        var name: String {
            switch self {
            case .sqlite: "sqlite"
            case .postgres: "postgres"
            }
        }
    }

    /// The collection's folder for `spec` under `directory`, ingested once (untimed) and
    /// reused: a materialization only reads it, and its checkpoint lives in the target.
    static func prepare(_ spec: WorkloadSpec, directory: String, transactionDocuments: Int) async throws -> String {
        // Absolute: the catalog's relative paths would resolve against the catalog's folder.
        let folder = URL(fileURLWithPath: directory).standardizedFileURL.path + "/materialize-\(spec.documents)-\(spec.keys)-\(spec.seed)"
        let ready = folder + "/READY"
        if FileManager.default.fileExists(atPath: ready) { return folder }
        try? FileManager.default.removeItem(atPath: folder)
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let collection = try CollectionBenchmarks.collection()
        let registry = JournalRegistry(path: folder + "/data")
        var generator = WorkloadGenerator(spec)
        var parser = JSONParser()
        var line: [UInt8] = []
        while !generator.isExhausted {
            let publisher = TransactionPublisher(registry: registry)
            var inTransaction = 0
            while inTransaction < transactionDocuments, !generator.isExhausted {
                line.removeAll(keepingCapacity: true)
                generator.appendNext(to: &line)
                try publisher.add(try parser.parse(line), to: collection)
                inTransaction += 1
            }
            try await TransactionPublisher.acknowledge(try await publisher.publish(), registry: registry)
        }
        await registry.close()
        FileManager.default.createFile(atPath: ready, contents: Data())
        return folder
    }

    static func catalog(_ target: Target, folder: String) -> String {
        let endpoint: String
        switch target {
        case .sqlite: endpoint = "{sqlite: {path: \(folder)/out.db}}"
        case .postgres(let dsn): endpoint = "{postgres: {dsn: \"\(dsn)\"}}"
        }
        // JSON is YAML: the workload schema goes in as it is.
        return """
            collections:
              bench/events:
                schema: \(WorkloadSchema.json.split(separator: "\n").joined(separator: " "))
                key: [/id]
            materializations:
              bench/out:
                endpoint: \(endpoint)
                bindings: [{source: bench/events, resource: {table: events}}]

            """
    }

    /// Materializes the prepared collection into a fresh target and returns the figure.
    /// `transactionDocuments` is the ingest's transaction size (as `sluice ingest --batch`);
    /// `maxDocuments` bounds each materialization transaction (the runtime's default).
    public static func run(_ spec: WorkloadSpec, target: Target, directory: String, transactionDocuments: Int = 1_000,
                           maxDocuments: Int = 50_000) async throws -> BenchmarkResult {
        let folder = try await prepare(spec, directory: directory, transactionDocuments: transactionDocuments)
        try reset(target, folder: folder)
        let catalogPath = folder + "/flow-\(target.name).yaml"
        try catalog(target, folder: folder).write(toFile: catalogPath, atomically: true, encoding: .utf8)
        var logger = Logger(label: "bench")
        logger.logLevel = .error
        let engine = try Engine(catalog: try CatalogLoader.load(path: catalogPath), connectors: .builtIn,
                                options: EngineOptions(dataDirectory: folder + "/data",
                                                       bounds: TransactionBounds(maxDocuments: maxDocuments),
                                                       restartBackoffSeconds: (1, 1), idleCheckSeconds: 0.05, logger: logger))
        let clock = Stopwatch()
        try await engine.run(untilIdle: true)
        let seconds = clock.elapsedSeconds
        let status = engine.statuses["bench/out"]!.snapshot
        guard status.restarts == 0 else {
            throw BenchmarkFailure(message: "the materialization restarted \(status.restarts) times: \(status.lastError ?? "")")
        }
        let rows = try count(target, folder: folder)
        guard rows == min(spec.keys, spec.documents) else {
            throw BenchmarkFailure(message: "the table has \(rows) rows, the workload \(spec.keys) keys")
        }
        return BenchmarkResult(figure: "materialize.\(target.name)", documents: spec.documents, bytes: 0, seconds: seconds,
                               extra: ["documents_read": Double(status.documentsRead), "transactions": Double(status.transactions),
                                       "rows": Double(rows)])
    }

    static func reset(_ target: Target, folder: String) throws {
        switch target {
        case .sqlite:
            for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: folder + "/out.db" + suffix) }
        case .postgres(let dsn):
            let connection = try PostgresConnection(try PostgresConfiguration(dsn: dsn))
            defer { connection.close() }
            try connection.execute("DROP TABLE IF EXISTS events, sluice_checkpoints, sluice_bindings")
        }
    }

    static func count(_ target: Target, folder: String) throws -> Int {
        switch target {
        case .sqlite:
            let rows = try SQLiteDatabase(path: folder + "/out.db").rows("SELECT count(*) FROM events")
            if case .integer(let count)? = rows.first?.first { return Int(count) }
            return -1
        case .postgres(let dsn):
            let connection = try PostgresConnection(try PostgresConfiguration(dsn: dsn))
            defer { connection.close() }
            return Int(try connection.query("SELECT count(*) FROM events").rows.first?[0].int64() ?? -1)
        }
    }
}
