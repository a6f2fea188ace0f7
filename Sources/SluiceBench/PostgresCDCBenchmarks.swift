// PostgresCDCBenchmarks: `cdc.capture`, change data capture from PostgreSQL into a collection.
// A seeded mix of inserts (50%), updates (35%) and deletes (15%), each changing exactly one row,
// in source transactions of `transactionChanges`, is written to a table whose capture already
// has its slot (untimed); then the engine runs the postgres-cdc capture and the figure is the
// time until every change is a committed document of the collection. The peer
// (Benchmarks/peers/postgres_cdc_peer.py) streams the same changes with pg_recvlogical
// (pgoutput, to /dev/null): the speed of receiving them at all.
import Foundation
import Logging
import SluiceCatalog
import SluicePostgres
import SluiceRuntime
import SluiceWorkload

public enum PostgresCDCBenchmarks {
    public static let tableDefinition = """
        CREATE TABLE public.bench_orders (id bigint PRIMARY KEY, customer text NOT NULL, qty integer NOT NULL, \
        amount double precision, note text)
        """

    /// The workload as SQL lines: a comment, the table definition, then one source transaction
    /// per line (`BEGIN; …; COMMIT;`). Every statement changes exactly one row.
    public static func workloadSQL(changes: Int, seed: UInt64, transactionChanges: Int = 20) -> [String] {
        precondition(changes >= 0 && transactionChanges >= 1)
        var random = SplitMix64(seed: seed)
        var live: [Int64] = []
        var nextID: Int64 = 1
        var lines = ["-- sluice cdc.capture workload: \(changes) changes, seed \(seed), \(transactionChanges) per transaction",
                     tableDefinition + ";"]
        var statements: [String] = []
        for _ in 0..<changes {
            let roll = random.below(100)
            if live.isEmpty || roll < 50 {
                let id = nextID
                nextID += 1
                live.append(id)
                statements.append("INSERT INTO public.bench_orders VALUES (\(id), 'c\(random.below(1_000))', \(random.below(10)), "
                                  + "\(Double(random.below(100_000)) / 4), 'note \(random.below(1_000_000))')")
            } else if roll < 85 {
                let id = live[random.below(live.count)]
                statements.append("UPDATE public.bench_orders SET qty = qty + 1, amount = \(Double(random.below(100_000)) / 4) WHERE id = \(id)")
            } else {
                let index = random.below(live.count)
                let id = live[index]
                live.swapAt(index, live.count - 1)
                live.removeLast()
                statements.append("DELETE FROM public.bench_orders WHERE id = \(id)")
            }
            if statements.count == transactionChanges {
                lines.append("BEGIN; " + statements.joined(separator: "; ") + "; COMMIT;")
                statements.removeAll(keepingCapacity: true)
            }
        }
        if !statements.isEmpty { lines.append("BEGIN; " + statements.joined(separator: "; ") + "; COMMIT;") }
        return lines
    }

    /// Runs the benchmark against the server of `dsn` (a database Sluice may create a table,
    /// a publication and a slot in), with the workload `sql` (from `workloadSQL`).
    public static func run(dsn: String, sql: [String], workDirectory: String) async throws -> BenchmarkResult {
        let changes = sql.dropFirst(2).reduce(0) { $0 + $1.components(separatedBy: "; ").count - 2 }
        var configuration = try PostgresConfiguration(dsn: dsn)
        configuration.statementTimeout = .seconds(600)
        let connection = try PostgresConnection(configuration)
        defer { connection.close() }
        let slot = "sluice_bench_cdc"
        _ = try connection.query("SELECT pg_catalog.pg_drop_replication_slot(slot_name) FROM pg_catalog.pg_replication_slots WHERE slot_name = $1",
                                 [.text(slot)])
        try connection.simpleQuery("DROP PUBLICATION IF EXISTS \(slot); DROP TABLE IF EXISTS public.bench_orders; " + sql[1])

        let directory = workDirectory + "/cdc-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let catalog = try CatalogLoader.load(yaml: """
            collections:
              bench/orders:
                schema:
                  type: object
                  reduce: {strategy: merge}
                  required: [id]
                  properties: {id: {type: integer}}
                  if: {required: [_meta], properties: {_meta: {properties: {op: {const: d}}}}}
                  then: {reduce: {strategy: merge, delete: true}}
                key: [/id]
            captures:
              bench/cdc:
                endpoint: {postgres-cdc: {dsn: "\(dsn)", slot: \(slot), publication: \(slot)}}
                bindings: [{resource: {table: public.bench_orders}, target: bench/orders}]
            """, path: directory + "/flow.yaml")
        var logger = Logger(label: "sluice-bench")
        logger.logLevel = .warning
        let options = EngineOptions(dataDirectory: directory + "/data", logger: logger)
        // The slot exists before the changes (an empty backfill).
        try await Engine(catalog: catalog, connectors: .builtIn, options: options).run(untilIdle: true)

        let before = try connection.query("SELECT pg_catalog.pg_current_wal_insert_lsn()::text").rows[0][0].string ?? "0/0"
        for transaction in sql.dropFirst(2) { try connection.simpleQuery(transaction) }
        let walBytes = try connection.query("SELECT pg_catalog.pg_wal_lsn_diff(pg_catalog.pg_current_wal_insert_lsn(), $1::pg_lsn)::bigint",
                                            [.text(before)]).rows[0][0].int64() ?? 0

        let engine = try Engine(catalog: catalog, connectors: .builtIn, options: options)
        let stopwatch = Stopwatch()
        async let running: Void = engine.run()
        var captured = 0
        while captured < changes {
            try await Task.sleep(nanoseconds: 2_000_000)
            let status = engine.statuses["bench/cdc"]!.snapshot
            captured = status.documentsRead
            if status.restarts > 0 {
                engine.requestStop()
                try await running
                throw CDCBenchmarkError("the capture failed: \(status.lastError ?? "?")")
            }
        }
        let seconds = stopwatch.elapsedSeconds
        let transactions = engine.statuses["bench/cdc"]!.snapshot.transactions
        engine.requestStop()
        try await running
        _ = try connection.query("SELECT pg_catalog.pg_drop_replication_slot($1)", [.text(slot)])
        guard captured == changes else { throw CDCBenchmarkError("captured \(captured) documents for \(changes) changes") }
        return BenchmarkResult(figure: "cdc.capture", documents: changes, bytes: Int(walBytes), seconds: seconds,
                               extra: ["transactions": Double(transactions), "source_transactions": Double(sql.count - 2)])
    }
}

public struct CDCBenchmarkError: Error, CustomStringConvertible {
    public let description: String

    public init(_ description: String) { self.description = description }
}
