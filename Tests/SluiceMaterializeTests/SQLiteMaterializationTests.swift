import Foundation
import Logging
import Testing
import SluiceCatalog
import SluiceCollection
import SluiceDocument
@testable import SluiceMaterialize
import SluiceRuntime
import SluiceSQLite
import SluiceTask
import SluiceTestSupport

/// The rows of a SQLite target table, by id: the typed columns, checked against the stored
/// document (both must say the same).
func sqliteContents(_ path: String, table: String = "events") throws -> [String: ExpectedEvent] {
    let database = try SQLiteDatabase(path: path, readOnly: true)
    var result: [String: ExpectedEvent] = [:]
    for row in try database.rows("SELECT id, n, total, last, top, label, flag, ratio, flow_document FROM \(table)") {
        guard case .text(let id) = row[0], case .text(let json) = row[8] else {
            Issue.record("row without id or document: \(row)")
            continue
        }
        let document = try Document(parsing: json)
        guard let fromDocument = ExpectedEvent(document: document) else {
            Issue.record("document \(json) lacks fields")
            continue
        }
        var fromColumns = ExpectedEvent()
        if case .integer(let value) = row[1] { fromColumns.n = Int(value) }
        if case .integer(let value) = row[2] { fromColumns.total = Int(value) }
        if case .integer(let value) = row[3] { fromColumns.last = Int(value) }
        if case .integer(let value) = row[4] { fromColumns.top = Int(value) }
        if case .text(let value) = row[5] { fromColumns.label = value }
        if case .integer(let value) = row[6] { fromColumns.flag = value == 1 }
        if case .real(let value) = row[7] { fromColumns.ratio = value }
        #expect(fromColumns == fromDocument, "row \(id): columns \(fromColumns) differ from the document \(fromDocument)")
        #expect(result[id] == nil, "key \(id) stored twice")
        result[id] = fromDocument
    }
    return result
}

/// A MaterializationBindingSpec for the first binding of a fixture's catalog.
func bindingSpecs(_ catalog: Catalog, task: String = "test/out") throws -> [MaterializationBindingSpec] {
    let definition = try #require(catalog.materializations[task])
    return try definition.bindings.enumerated().map { index, binding in
        MaterializationBindingSpec(index: index, collection: try CollectionSpec(definition: try #require(catalog.collections[binding.source.collection])),
                                   selector: PartitionSelector(), resource: binding.resource, fields: binding.fields,
                                   backfill: binding.backfill)
    }
}

func taskContext(_ fixture: MaterializeFixture, task: String = "test/out") -> TaskContext {
    var logger = Logger(label: "test")
    logger.logLevel = .critical
    return TaskContext(taskName: task, dataDirectory: fixture.dataDirectory, catalogFolder: fixture.directory.path,
                       registry: JournalRegistry(path: fixture.dataDirectory), logger: logger,
                       wallClockNanoseconds: { UInt64(Date().timeIntervalSince1970 * 1e9) })
}

@Suite struct SQLiteMaterializationTests {
    static let endpoint = "{sqlite: {path: out.db}}"

    @Test func createStatementIsExact() throws {
        let fixture = try MaterializeFixture("sqlite-ddl", catalog: eventsCatalog(endpoint: Self.endpoint, resource: "{table: events}"))
        defer { fixture.directory.remove() }
        let binding = try #require(try bindingSpecs(try fixture.loadCatalog()).first)
        let table = SQLiteTargetTable(name: "events", plan: try FieldPlan(binding: binding, task: "test/out"), deltaUpdates: false)
        #expect(table.createStatement == """
            CREATE TABLE "events" (
              "id" TEXT NOT NULL,
              "flag" BOOLEAN,
              "label" TEXT,
              "last" INTEGER,
              "n" INTEGER,
              "ratio" REAL,
              "top" INTEGER,
              "total" INTEGER,
              "flow_document" TEXT NOT NULL,
              PRIMARY KEY ("id")
            )
            """)
        #expect(table.storeStatement == #"INSERT INTO "events" ("id", "flag", "label", "last", "n", "ratio", "top", "total", "flow_document") "#
            + #"VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) ON CONFLICT ("id") DO UPDATE SET "flag" = excluded."flag", "#
            + #""label" = excluded."label", "last" = excluded."last", "n" = excluded."n", "ratio" = excluded."ratio", "#
            + #""top" = excluded."top", "total" = excluded."total", "flow_document" = excluded."flow_document""#)
        #expect(table.loadSelectStatement == #"SELECT target."flow_document" FROM temp."sluice_load_events" AS loaded "#
            + #"JOIN main."events" AS target ON target."id" = loaded."id""#)
        let delta = SQLiteTargetTable(name: "log", plan: table.plan, deltaUpdates: true)
        #expect(!delta.createStatement.contains("PRIMARY KEY"))
        #expect(!delta.storeStatement.contains("ON CONFLICT"))
    }

    @Test func pipelineMatchesTheReferenceWithTypedColumns() async throws {
        let workload = EventWorkload(seed: testSeed(11), events: 3_000, keys: 300, deletions: 30)
        let fixture = try MaterializeFixture("sqlite-pipeline", catalog: eventsCatalog(endpoint: Self.endpoint, resource: "{table: events}"))
        defer { fixture.directory.remove() }
        try await fixture.ingest(workload.documents, batch: 170)
        let engine = try await fixture.runUntilIdle()
        #expect(engine.statuses["test/out"]?.snapshot.restarts == 0)
        let path = fixture.directory.file("out.db")
        workload.check(try sqliteContents(path), target: "sqlite")
        let database = try SQLiteDatabase(path: path, readOnly: true)
        let types = try database.rows("SELECT DISTINCT typeof(n), typeof(ratio), typeof(label), typeof(flag), typeof(flow_document) FROM events")
        #expect(types == [[.text("integer"), .text("real"), .text("text"), .text("integer"), .text("text")]])
        // A fenced checkpoint row was committed with the data; running again changes nothing.
        let checkpoints = try database.rows("SELECT materialization, key_begin, key_end, fence FROM sluice_checkpoints")
        #expect(checkpoints == [[.text("test/out"), .integer(0), .integer(Int64(UInt32.max)), .integer(1)]])
        _ = try await fixture.runUntilIdle()
        workload.check(try sqliteContents(path), target: "sqlite (second run)")
    }

    /// A combiner that spills (a 16 KiB budget) forgets which keys it has seen; every key is
    /// still loaded once and reduced into.
    @Test func spillingTransactionsStillReduceIntoEveryStoredDocument() async throws {
        let workload = EventWorkload(seed: testSeed(17), events: 4_000, keys: 200, deletions: 20)
        let fixture = try MaterializeFixture("sqlite-spill", catalog: eventsCatalog(endpoint: Self.endpoint, resource: "{table: events}"))
        defer { fixture.directory.remove() }
        try await fixture.ingest(workload.documents, batch: 100)
        _ = try await fixture.runUntilIdle(maxDocuments: 1_000, combinerBudgetBytes: 16 << 10)
        workload.check(try sqliteContents(fixture.directory.file("out.db")), target: "sqlite with spills")
    }

    @Test func fieldsIncludeAndExclude() async throws {
        let workload = EventWorkload(seed: testSeed(12), events: 400, keys: 50, deletions: 0)
        let fixture = try MaterializeFixture("sqlite-fields", catalog: eventsCatalog(
            endpoint: Self.endpoint, resource: "{table: events}", fields: "{include: [tags], exclude: [label, ratio]}"))
        defer { fixture.directory.remove() }
        try await fixture.ingest(workload.documents)
        _ = try await fixture.runUntilIdle()
        let database = try SQLiteDatabase(path: fixture.directory.file("out.db"), readOnly: true)
        let columns = try database.rows("SELECT name, type FROM pragma_table_info('events')").map { "\($0[0]) \($0[1])" }
        #expect(columns == ["text(\"id\") text(\"TEXT\")", "text(\"flag\") text(\"BOOLEAN\")", "text(\"last\") text(\"INTEGER\")",
                            "text(\"n\") text(\"INTEGER\")", "text(\"tags\") text(\"TEXT\")", "text(\"top\") text(\"INTEGER\")",
                            "text(\"total\") text(\"INTEGER\")", "text(\"flow_document\") text(\"TEXT\")"])
        let tags = try database.rows("SELECT DISTINCT tags FROM events ORDER BY tags")
        #expect(tags == [[.text(#"["a",0]"#)], [.text(#"["a",1]"#)], [.text(#"["a",2]"#)]])

        // Naming a field nobody knows fails the task with an explanation.
        try fixture.rewriteCatalog(eventsCatalog(endpoint: Self.endpoint, resource: "{table: events}", fields: "{include: [nope]}"))
        await #expect(throws: EngineError.self) { _ = try await fixture.runUntilIdle() }
        do {
            _ = try await fixture.runUntilIdle()
        } catch {
            #expect("\(error)".contains("fields: include names nope, which is neither a property of the collection's schema nor a projection"))
        }
    }

    @Test func deltaUpdatesStoreEachTransactionsCombinedDocuments() async throws {
        let workload = EventWorkload(seed: testSeed(13), events: 1_000, keys: 40, deletions: 0)
        let fixture = try MaterializeFixture("sqlite-delta", catalog: eventsCatalog(endpoint: Self.endpoint,
                                                                                   resource: "{table: log, delta_updates: true}"))
        defer { fixture.directory.remove() }
        try await fixture.ingest(workload.documents, batch: 100)
        _ = try await fixture.runUntilIdle(maxDocuments: 100)
        let database = try SQLiteDatabase(path: fixture.directory.file("out.db"), readOnly: true)
        let rows = try database.rows("SELECT flow_document FROM log ORDER BY rowid").map { row -> Document in
            guard case .text(let json) = row[0] else { return try! Document(parsing: "{}") }
            return try Document(parsing: json)
        }
        // Each transaction of 100 documents stores one row per key it touched: more rows than
        // keys, fewer than documents, and together they reduce to the reference.
        #expect(rows.count > 40 && rows.count < 1_000)
        workload.check(reduceLines(rows), target: "sqlite delta")
    }

    @Test func compatibleChangeAddsAColumn() async throws {
        let workload = EventWorkload(seed: testSeed(14), events: 600, keys: 60, deletions: 0)
        let fixture = try MaterializeFixture("sqlite-migrate", catalog: eventsCatalog(endpoint: Self.endpoint, resource: "{table: events}",
                                                                                     fields: "{exclude: [label]}"))
        defer { fixture.directory.remove() }
        try await fixture.ingest(Array(workload.documents.prefix(300)))
        _ = try await fixture.runUntilIdle()
        let path = fixture.directory.file("out.db")
        #expect(try SQLiteDatabase(path: path, readOnly: true).rows("SELECT count(*) FROM pragma_table_info('events') WHERE name = 'label'")
            == [[.integer(0)]])
        try fixture.rewriteCatalog(eventsCatalog(endpoint: Self.endpoint, resource: "{table: events}"))
        try await fixture.ingest(Array(workload.documents.dropFirst(300)))
        _ = try await fixture.runUntilIdle()
        let database = try SQLiteDatabase(path: path, readOnly: true)
        // Rows written after the change have the column; earlier ones keep NULL there until updated.
        let labelled = try database.rows("SELECT count(*) FROM events WHERE label IS NOT NULL")
        #expect(labelled.first?.first != .integer(0))
        var contents: [String: ExpectedEvent] = [:]
        for row in try database.rows("SELECT id, flow_document FROM events") {
            if case .text(let id) = row[0], case .text(let json) = row[1] { contents[id] = ExpectedEvent(document: try Document(parsing: json)) }
        }
        workload.check(contents, target: "sqlite after adding a column")
    }

    @Test func incompatibleChangeIsRefusedUntilABackfillRebuildsTheTable() async throws {
        let workload = EventWorkload(seed: testSeed(15), events: 800, keys: 80, deletions: 8)
        let fixture = try MaterializeFixture("sqlite-backfill", catalog: eventsCatalog(endpoint: Self.endpoint, resource: "{table: events}"))
        defer { fixture.directory.remove() }
        try await fixture.ingest(workload.documents)
        _ = try await fixture.runUntilIdle()
        let path = fixture.directory.file("out.db")
        // `last` becomes a number: the INTEGER column cannot hold what the binding now needs.
        let changed = eventsCatalog(endpoint: Self.endpoint, resource: "{table: events}")
            .replacingOccurrences(of: "last: {type: integer}", with: "last: {type: number}")
        try fixture.rewriteCatalog(changed)
        do {
            _ = try await fixture.runUntilIdle()
            Issue.record("an incompatible table was accepted")
        } catch {
            #expect("\(error)".contains("table events is incompatible with binding 0 (test/events): column last is INTEGER, the binding needs REAL; "
                                        + "bump the binding's backfill counter to rebuild it"), "\(error)")
        }
        workload.check(try sqliteContents(path), target: "sqlite after a refused change")
        // Bumping the backfill counter rebuilds the table and reads the collection again from its start.
        try fixture.rewriteCatalog(changed.replacingOccurrences(of: "backfill: 0", with: "backfill: 1"))
        _ = try await fixture.runUntilIdle()
        let database = try SQLiteDatabase(path: path, readOnly: true)
        #expect(try database.rows("SELECT type FROM pragma_table_info('events') WHERE name = 'last'") == [[.text("REAL")]])
        var contents: [String: ExpectedEvent] = [:]
        for row in try database.rows("SELECT id, flow_document FROM events") {
            if case .text(let id) = row[0], case .text(let json) = row[1] { contents[id] = ExpectedEvent(document: try Document(parsing: json)) }
        }
        workload.check(contents, target: "sqlite after a backfill")
        #expect(try database.rows("SELECT backfill FROM sluice_bindings") == [[.integer(1)]])
    }

    @Test func olderInstanceIsFencedOff() async throws {
        let fixture = try MaterializeFixture("sqlite-fence", catalog: eventsCatalog(endpoint: Self.endpoint, resource: "{table: events}"))
        defer { fixture.directory.remove() }
        let catalog = try fixture.loadCatalog()
        let bindings = try bindingSpecs(catalog)
        let endpoint = try #require(catalog.materializations["test/out"]).endpoint
        let connector = SQLiteMaterialization()
        let older = try await connector.open(endpoint: endpoint, bindings: bindings, context: taskContext(fixture))
        let document = try Document(parsing: #"{"id":"a","n":1,"total":2,"last":3,"top":4,"label":"x","flag":true,"ratio":0.5}"#)
        let entry = StoreEntry(key: LoadKey(packed: [], values: ["a"]), document: document, isDeleted: false, existed: false)
        try await older.store([0: [entry]], checkpoint: Array("one".utf8))
        let newer = try await connector.open(endpoint: endpoint, bindings: bindings, context: taskContext(fixture))
        #expect(newer.checkpoint == Array("one".utf8))
        await #expect(throws: TaskError.self) { try await older.store([0: [entry]], checkpoint: Array("two".utf8)) }
        do {
            try await older.store([0: [entry]], checkpoint: Array("two".utf8))
        } catch let error as TaskError {
            guard case .fencedOff = error else { throw error }
            #expect(error.isPermanent)
        }
        try await newer.store([0: []], checkpoint: Array("three".utf8))
        let database = try SQLiteDatabase(path: fixture.directory.file("out.db"), readOnly: true)
        #expect(try database.rows("SELECT fence, checkpoint FROM sluice_checkpoints") == [[.integer(2), .blob(Array("three".utf8))]])
        #expect(try await newer.load(binding: 0, keys: [LoadKey(packed: [], values: ["a"]), LoadKey(packed: [], values: ["b"])]).map(\.description)
            == [document.description])
        await older.close()
        await newer.close()
    }

    /// `sluice run` SIGKILLed at random moments, 24 times, then run to idle: the table equals
    /// the reference reduction (no duplicates, no loss).
    @Test func killedRunsLoseAndDoubleNothing() async throws {
        let seed = testSeed(16)
        let workload = EventWorkload(seed: seed, events: 15_000, keys: 1_500, deletions: 150)
        let fixture = try MaterializeFixture("sqlite-kills", catalog: eventsCatalog(endpoint: Self.endpoint, resource: "{table: events}"))
        defer { fixture.directory.remove() }
        try await fixture.ingest(workload.documents, batch: 100)
        let path = fixture.directory.file("out.db")
        let readings = try await fixture.runWithKills(kills: 24, seed: seed, expectedProgress: workload.expectedCount,
                                                      maxTransactionDocuments: 100) {
            guard FileManager.default.fileExists(atPath: path) else { return 0 }
            let database = try SQLiteDatabase(path: path)
            let rows = (try? database.rows("SELECT coalesce(sum(n), 0) FROM events")) ?? []
            if case .integer(let sum)? = rows.first?.first { return Int(sum) }
            return 0
        }
        workload.check(try sqliteContents(path), target: "sqlite after kills")
        let midway = readings.filter { $0 > 0 && $0 < workload.expectedCount }.count
        #expect(midway >= 10, "seed \(seed): kills mostly missed the run (progress after each kill: \(readings))")
    }
}
