import Foundation
import Testing
@testable import SluiceCapture
import SluiceCatalog
import SluiceDocument
import SluicePostgres
import SluiceRuntime
import SluiceTask
import SluiceTestSupport
import SluiceWorkload

/// The collection of a captured table: rows merge, and a deletion (`_meta/op = d`) is a
/// tombstone (docs/schema.md: the in-place `then` overrides the root's own `reduce`).
func cdcCatalog(dsn: String, tables: [(table: String, collection: String, key: [String])], chunkRows: Int? = nil,
                backfill: Int = 0) -> String {
    var yaml = "collections:\n"
    for entry in tables {
        yaml += """
              \(entry.collection):
                schema:
                  type: object
                  reduce: {strategy: merge}
                  required: [\(entry.key.joined(separator: ", "))]
                  if: {required: [_meta], properties: {_meta: {required: [op], properties: {op: {const: d}}}}}
                  then: {reduce: {strategy: merge, delete: true}}
                key: [\(entry.key.map { "/" + $0 }.joined(separator: ", "))]

            """
    }
    yaml += """
        captures:
          acme/pg:
            endpoint: {postgres-cdc: {dsn: "\(dsn)"\(chunkRows.map { ", backfillChunkRows: \($0)" } ?? "")}}
            bindings:

        """
    for entry in tables {
        yaml += "      - {resource: {table: \(entry.table)}, target: \(entry.collection), backfill: \(backfill)}\n"
    }
    return yaml
}

@Suite struct PostgresCDCNamingTests {
    /// The default slot and publication: readable task name, then FNV-1a of task and database.
    @Test func defaultSlotNamesAreReadableAndOwnedByTaskAndDatabase() {
        #expect(PostgresCDCCapture.defaultName(task: "acme/orders-cdc", database: "shop") == "sluice_acme_orders_cdc_b2417bac")
        #expect(PostgresCDCCapture.defaultName(task: "acme/orders-cdc", database: "crm") != "sluice_acme_orders_cdc_b2417bac")
        let long = PostgresCDCCapture.defaultName(task: String(repeating: "Very/Long-Name ", count: 10), database: "db")
        #expect(long.count == 63)
        #expect(PostgresReplicationStream.isValidName(long))
    }
}

@Suite(.capturePostgresServer("capture-cdc"))
struct PostgresCDCCaptureTests {
    @Test func documentsCarryOpSourceAndRowAndTheSlotAdvancesOnlyAfterCommit() async throws {
        let dsn = try CapturePostgres.database("cdc_session")
        let connection = try CapturePostgres.connect(dsn)
        defer { connection.close() }
        try connection.simpleQuery("""
            CREATE TABLE public.items (id integer PRIMARY KEY, name text, qty integer);
            INSERT INTO public.items VALUES (1, 'one', 1), (2, 'two', 2), (3, 'three', 3);
            """)
        let directory = TestDirectory("cdc-session")
        defer { directory.remove() }
        let path = try directory.write("flow.yaml", cdcCatalog(dsn: dsn, tables: [("public.items", "acme/items", ["id"])]))
        let catalog = try CatalogLoader.load(path: path)
        let logs = CollectedLogs()
        let session = try await SessionHarness.openSession(PostgresCDCCapture(), catalog: catalog, capture: "acme/pg",
                                                           dataDirectory: directory.file("data"), folder: directory.path, logs: logs)

        // The backfill: three `c` documents from the snapshot, then a checkpoint.
        var (documents, state) = try await PostgresCDCCaptureTests.gather(session)
        #expect(documents.map { $0.description } == [
            #"{"_meta":{"op":"c","source":{"schema":"public","snapshot":true,"table":"items"}},"id":1,"name":"one","qty":1}"#,
            #"{"_meta":{"op":"c","source":{"schema":"public","snapshot":true,"table":"items"}},"id":2,"name":"two","qty":2}"#,
            #"{"_meta":{"op":"c","source":{"schema":"public","snapshot":true,"table":"items"}},"id":3,"name":"three","qty":3}"#,
        ])
        #expect(state?["position"]?["tables"]?["public.items"]?["complete"] == true)
        #expect(state?["backfill"] == ["public.items": 0])
        let slot = PostgresCDCCapture.defaultName(task: "acme/pg", database: "cdc_session")
        func confirmed() throws -> String? {
            try connection.query("SELECT confirmed_flush_lsn::text FROM pg_replication_slots WHERE slot_name = $1", [.text(slot)])
                .rows.first?[0].string
        }
        let createdAt = try #require(try confirmed())
        await session.committed(state: try #require(state))

        // Changes: one transaction of an insert, an update and a delete.
        try connection.simpleQuery("""
            BEGIN; INSERT INTO public.items VALUES (4, 'four', 4); UPDATE public.items SET qty = 20 WHERE id = 2;
            DELETE FROM public.items WHERE id = 3; COMMIT;
            """)
        (documents, state) = try await PostgresCDCCaptureTests.gather(session)
        #expect(documents.map { $0["_meta"]?["op"]?.string } == ["c", "u", "d"])
        #expect(documents.map { $0["id"]?.int64 } == [4, 2, 3])
        #expect(documents[1]["qty"]?.int64 == 20)
        #expect(documents[2].root.properties.map(\.name) == ["_meta", "id"], "a deletion carries the key and _meta only")
        let source = try #require(documents[0]["_meta"]?["source"])
        #expect(source["table"]?.string == "items" && source["schema"]?.string == "public")
        #expect(source["lsn"]?.string.flatMap { PostgresLSN($0) } != nil)
        #expect(source["txid"]?.int64 != nil && source["txid"]?.int64 == documents[2]["_meta"]?["source"]?["txid"]?.int64)
        let lsn = try #require(state?["position"]?["lsn"]?.string)
        #expect(PostgresLSN(lsn)! > PostgresLSN(createdAt)!)

        // The slot stays where it was until the commit is reported, then moves to its LSN.
        // (Not compared with `createdAt`: the backfill's commit above may move it, asynchronously.)
        #expect(PostgresLSN(try #require(try confirmed()))! < PostgresLSN(lsn)!)
        await session.committed(state: try #require(state))
        // The server applies a standby status update when its walsender reads it: poll.
        var moved = try confirmed()
        for _ in 0..<250 where moved != lsn {
            try await Task.sleep(nanoseconds: 20_000_000)
            moved = try confirmed()
        }
        #expect(moved == lsn)

        // Nothing more: idle, and caught up.
        var idle = false
        for _ in 0..<100 where !idle {
            if case .idle = try await session.next(deadlineNanoseconds: SessionHarness.deadline(0.1)) { idle = session.isCaughtUp }
        }
        #expect(idle)
        await session.close()
    }

    @Test func tablesWithoutAPrimaryKeyAreRefusedUnlessReplicaIdentityFull() async throws {
        let dsn = try CapturePostgres.database("cdc_keyless")
        let connection = try CapturePostgres.connect(dsn)
        defer { connection.close() }
        try connection.simpleQuery("CREATE TABLE public.events (name text, n integer); INSERT INTO public.events VALUES ('a', 1), ('b', 2);")
        let directory = TestDirectory("cdc-keyless")
        defer { directory.remove() }
        let path = try directory.write("flow.yaml", cdcCatalog(dsn: dsn, tables: [("public.events", "acme/events", ["name", "n"])]))
        let catalog = try CatalogLoader.load(path: path)
        let refused = await #expect(throws: TaskError.self) {
            _ = try await SessionHarness.openSession(PostgresCDCCapture(), catalog: catalog, capture: "acme/pg",
                                                     dataDirectory: directory.file("data"), folder: directory.path, logs: CollectedLogs())
        }
        #expect(refused?.isPermanent == true)
        #expect(refused?.description.contains(#"public.events has no primary key: add one, or ALTER TABLE "public"."events" REPLICA IDENTITY FULL"#)
                == true, "\(String(describing: refused))")

        try connection.simpleQuery("ALTER TABLE public.events REPLICA IDENTITY FULL")
        let engine = try await SessionHarness.runUntilIdle(catalog: catalog, dataDirectory: directory.file("data"), logger: CollectedLogs().logger())
        #expect(engine.statuses["acme/pg"]?.snapshot.documentsRead == 2)
        try connection.simpleQuery("DELETE FROM public.events WHERE name = 'a'; INSERT INTO public.events VALUES ('c', 3);")
        _ = try await SessionHarness.runUntilIdle(catalog: catalog, dataDirectory: directory.file("data"), logger: CollectedLogs().logger())
        let reduced = try SessionHarness.reduced("acme/events", catalog: path, dataDirectory: directory.file("data"))
        #expect(reduced.map { [$0["name"] ?? .null, $0["n"] ?? .null] } == [["b", 2], ["c", 3]])
    }

    @Test func raisingTheBackfillCounterCapturesTheTableAgain() async throws {
        let dsn = try CapturePostgres.database("cdc_backfill")
        let connection = try CapturePostgres.connect(dsn)
        defer { connection.close() }
        try connection.simpleQuery("CREATE TABLE public.items (id integer PRIMARY KEY, v text); INSERT INTO public.items SELECT g, 'v' || g FROM generate_series(1, 25) g;")
        let directory = TestDirectory("cdc-backfill")
        defer { directory.remove() }
        let logs = CollectedLogs()
        let first = try CatalogLoader.load(yaml: cdcCatalog(dsn: dsn, tables: [("public.items", "acme/items", ["id"])], chunkRows: 10),
                                           path: directory.file("flow.yaml"))
        let engine = try await SessionHarness.runUntilIdle(catalog: first, dataDirectory: directory.file("data"), logger: logs.logger())
        #expect(engine.statuses["acme/pg"]?.snapshot.documentsRead == 25)
        let again = try await SessionHarness.runUntilIdle(catalog: first, dataDirectory: directory.file("data"), logger: logs.logger())
        #expect(again.statuses["acme/pg"]?.snapshot.documentsRead == 0)
        let bumped = try CatalogLoader.load(yaml: cdcCatalog(dsn: dsn, tables: [("public.items", "acme/items", ["id"])], chunkRows: 10,
                                                             backfill: 1),
                                            path: directory.file("flow.yaml"))
        let third = try await SessionHarness.runUntilIdle(catalog: bumped, dataDirectory: directory.file("data"), logger: logs.logger())
        #expect(third.statuses["acme/pg"]?.snapshot.documentsRead == 25)
        #expect(logs.contains("backfilling a table again (its backfill counter changed)"))
    }

    /// `sluice run` children SIGKILLed at seeded moments (during the backfill and while changes
    /// stream) with inserts, updates, deletes and key changes interleaved: the reduced
    /// collection equals the table, and no change is in the collection twice.
    @Test func changesInterleavedWithSigkillsReduceToTheTable() async throws {
        let sluice = try BuiltProducts.executable("sluice")
        let seed = UInt64(ProcessInfo.processInfo.environment["SLUICE_SEED"] ?? "") ?? UInt64.random(in: 1...1_000_000)
        var random = SplitMix64(seed: seed)
        let dsn = try CapturePostgres.database("cdc_crash")
        let connection = try CapturePostgres.connect(dsn)
        defer { connection.close() }
        try connection.simpleQuery("""
            CREATE TABLE public.orders (id bigint PRIMARY KEY, customer text NOT NULL, qty integer, amount double precision, note text);
            INSERT INTO public.orders SELECT g, 'c' || (g % 17), g % 5, g * 0.25, CASE WHEN g % 3 = 0 THEN NULL ELSE 'n' || g END
              FROM generate_series(1, 30000) g;
            """)
        let directory = TestDirectory("cdc-crash")
        defer { directory.remove() }
        let path = try directory.write("flow.yaml", cdcCatalog(dsn: dsn, tables: [("public.orders", "acme/orders", ["id"])], chunkRows: 100))
        let data = directory.file("data")

        var kills = 0
        for round in 0..<5 {
            // Short transactions: many commits for the kills to fall between.
            let run = try ChildProcess(sluice, ["run", path, "--data-dir", data, "--log-level", "warning", "--max-transaction-seconds", "0.05"],
                                       directory: directory.path, label: "run-\(round)")
            if round == 0 {
                // The first kill lands in the backfill, once part of it committed.
                // Polled off Swift's cooperative pool, which other tests may keep busy (a
                // Task.sleep there can overshoot the whole backfill).
                let partial = await offPool { () -> Bool in
                    let until = Date().addingTimeInterval(90)  // a loaded machine starts slowly
                    while run.isRunning && Date() < until {
                        if PostgresCDCCaptureTests.committedBackfillIsPartial(data) { return true }
                        usleep(2_000)
                    }
                    return false
                }
                if run.isRunning {
                    run.signal(SIGKILL)
                    kills += 1
                }
                #expect(partial, "seed \(seed): no partial backfill was seen committed")
            } else {
                try await Task.sleep(nanoseconds: UInt64(100 + random.below(700)) * 1_000_000)
            }
            for _ in 0..<(5 + random.below(40)) { try await PostgresCDCCaptureTests.randomTransaction(connection, &random) }
            try await Task.sleep(nanoseconds: UInt64(random.below(300)) * 1_000_000)
            if run.isRunning {
                run.signal(SIGKILL)
                kills += 1
            }
            let status = run.wait()
            #expect(status == 137, "seed \(seed): round \(round) ended by itself (\(status)): \(run.standardError.suffix(2_000))")
        }
        // Changes while nothing captures, then a run to the end.
        for _ in 0..<20 { try await PostgresCDCCaptureTests.randomTransaction(connection, &random) }
        let final = try ChildProcess(sluice, ["run", path, "--data-dir", data, "--until-idle", "--log-level", "warning"],
                                     directory: directory.path, label: "final")
        #expect(final.wait(seconds: 120) == 0, "seed \(seed): final run: \(final.standardError.suffix(2_000))")
        #expect(kills == 5)

        let rows = try connection.query("SELECT id, customer, qty, amount, note FROM public.orders ORDER BY id").rows.map { row -> String in
            "\(try row[0].int64() ?? -1)|\(row[1].string ?? "")|\(try row[2].int64().map(String.init) ?? "null")|"
                + "\(try row[3].double().map { String($0) } ?? "null")|\(row[4].string ?? "null")"
        }
        let reduced = try SessionHarness.reduced("acme/orders", catalog: path, dataDirectory: data).map { document -> String in
            func text(_ value: JSONValue?) -> String {
                switch value {
                case .string(let string)?: return string
                case .int(let number)?: return String(number)
                case .double(let number)?: return String(number)
                default: return "null"
                }
            }
            let amount: String
            switch document["amount"] {
            case .int(let number)?: amount = String(Double(number))
            case .double(let number)?: amount = String(number)
            default: amount = "null"
            }
            return "\(text(document["id"]))|\(text(document["customer"]))|\(text(document["qty"]))|\(amount)|\(text(document["note"]))"
        }
        #expect(reduced.count == rows.count, "seed \(seed)")
        let differences = zip(reduced, rows).filter { $0.0 != $0.1 }
        #expect(reduced == rows, "seed \(seed): first differences (collection, table): \(differences.prefix(5))")

        // No change twice: each (lsn, op, id) of a streamed change, and each backfilled id, once.
        let sluiceRead = try ChildProcess.run(sluice, ["collections", "read", "acme/orders", "--catalog", path, "--data-dir", data])
        var seen = Set<String>()
        var duplicates: [String] = []
        var streamed = 0
        for line in sluiceRead.output.split(separator: "\n") {
            let document = try JSONValue(parsing: String(line))
            let source = document["_meta"]?["source"]
            let identity = "\(source?["lsn"]?.string ?? "snapshot")|\(document["_meta"]?["op"]?.string ?? "")|\(document["id"] ?? .null)"
            if source?["lsn"] != nil { streamed += 1 }
            if !seen.insert(identity).inserted { duplicates.append(identity) }
        }
        #expect(duplicates.isEmpty, "seed \(seed): changes in the collection twice: \(duplicates.prefix(5))")
        #expect(streamed > 100, "seed \(seed): only \(streamed) streamed changes")
    }

    /// True when the capture's committed checkpoint has a backfill in progress (some of the
    /// table committed, not all).
    static func committedBackfillIsPartial(_ data: String) -> Bool {
        guard let state = SessionHarness.committedState(dataDirectory: data, task: "acme/pg"),
              let table = state["position"]?["tables"]?["public.orders"] else { return false }
        return table["complete"] == false && table["resumeAfter"] != nil
    }

    /// One source transaction of 1–6 seeded changes: upserts, updates, deletes, key changes.
    static func randomTransaction(_ connection: PostgresConnection, _ random: inout SplitMix64) async throws {
        var statements: [(String, [PostgresValue])] = []
        for _ in 0..<(1 + random.below(6)) {
            let id = Int64(1 + random.below(4_000))
            let note: PostgresValue = random.below(4) == 0 ? .null : .text("note \(random.below(1_000_000))")
            switch random.below(100) {
            case 0..<45:
                statements.append(("""
                    INSERT INTO public.orders (id, customer, qty, amount, note) VALUES ($1, $2, $3, $4, $5)
                    ON CONFLICT (id) DO UPDATE SET customer = excluded.customer, qty = excluded.qty, amount = excluded.amount, note = excluded.note
                    """, [.int(id), .text("c\(random.below(17))"), .int(Int64(random.below(10))), .double(Double(random.below(4_000)) * 0.25), note]))
            case 45..<75:
                statements.append(("UPDATE public.orders SET qty = qty + 1, amount = $2, note = $3 WHERE id = $1",
                                    [.int(id), .double(Double(random.below(4_000)) * 0.5), note]))
            case 75..<95:
                statements.append(("DELETE FROM public.orders WHERE id = $1", [.int(id)]))
            default:
                let target = Int64(4_001 + random.below(2_000))
                statements.append(("UPDATE public.orders SET id = $1 WHERE id = $2 AND NOT EXISTS (SELECT 1 FROM public.orders WHERE id = $1)",
                                   [.int(target), .int(id)]))
            }
        }
        let planned = statements
        try await connection.perform { connection in
            try connection.transaction { connection in
                for (sql, parameters) in planned { _ = try connection.execute(sql, parameters) }
            }
        }
    }

    /// Documents until the first checkpoint (waiting up to 20 s), and that checkpoint.
    static func gather(_ session: any CaptureSession) async throws -> ([Document], JSONValue?) {
        var documents: [Document] = []
        let until = Date().addingTimeInterval(20)
        while Date() < until {
            switch try await session.next(deadlineNanoseconds: SessionHarness.deadline(0.5)) {
            case .documents(_, let batch): documents += batch
            case .checkpoint(let state): return (documents, state)
            case .idle, .exhausted: continue
            }
        }
        return (documents, nil)
    }
}
