import Foundation
import Testing
import SluiceCatalog
import SluiceDocument
@testable import SluiceMaterialize
import SluicePostgres
import SluiceRuntime
import SluiceTask
import SluiceTestSupport

/// A fresh database on the suite's server (tests run in parallel, each in its own database).
func postgresDatabase(_ label: String) throws -> (server: PostgresServer, dsn: String) {
    let server = try SuiteServers.requirePostgres()
    let name = "t_\(label)_\(UUID().uuidString.prefix(8).lowercased())"
    try server.psql("CREATE DATABASE \(name)")
    return (server, server.dsn(database: name))
}

/// The rows of a PostgreSQL target table by id, the typed columns checked against the document.
func postgresContents(_ dsn: String, table: String = "events") throws -> [String: ExpectedEvent] {
    let connection = try PostgresConnection(try PostgresConfiguration(dsn: dsn))
    defer { connection.close() }
    let result = try connection.query("SELECT id, n, total, last, top, label, flag, ratio, flow_document::text FROM \(table)")
    var contents: [String: ExpectedEvent] = [:]
    for row in result.rows {
        let id = try #require(row[0].string)
        let document = try Document(parsing: try #require(row[8].string))
        let fromDocument = try #require(ExpectedEvent(document: document), "document of \(id)")
        var fromColumns = ExpectedEvent()
        fromColumns.n = Int(try row[1].int64() ?? -1)
        fromColumns.total = Int(try row[2].int64() ?? -1)
        fromColumns.last = Int(try row[3].int64() ?? -1)
        fromColumns.top = Int(try row[4].int64() ?? -1)
        fromColumns.label = row[5].string ?? "<null>"
        fromColumns.flag = try row[6].bool() ?? false
        fromColumns.ratio = try row[7].double() ?? -1
        #expect(fromColumns == fromDocument, "row \(id): columns \(fromColumns) differ from the document \(fromDocument)")
        #expect(contents[id] == nil, "key \(id) stored twice")
        contents[id] = fromDocument
    }
    return contents
}

@Suite(.postgres) struct PostgresMaterializationTests {
    static let endpoint = #"{postgres: {dsn: "${PG_DSN}"}}"#

    @Test func pipelineMatchesTheReferenceWithTypedColumns() async throws {
        let (_, dsn) = try postgresDatabase("pipeline")
        let workload = EventWorkload(seed: testSeed(21), events: 3_000, keys: 300, deletions: 30)
        let fixture = try MaterializeFixture("pg-pipeline", catalog: eventsCatalog(endpoint: Self.endpoint, resource: "{table: events}"),
                                             environment: ["PG_DSN": dsn])
        defer { fixture.directory.remove() }
        try await fixture.ingest(workload.documents, batch: 170)
        let engine = try await fixture.runUntilIdle()
        #expect(engine.statuses["test/out"]?.snapshot.restarts == 0)
        workload.check(try postgresContents(dsn), target: "postgres")
        let connection = try PostgresConnection(try PostgresConfiguration(dsn: dsn))
        defer { connection.close() }
        let columns = try connection.query("""
            SELECT column_name, data_type FROM information_schema.columns WHERE table_name = 'events' ORDER BY ordinal_position
            """).rows.map { "\($0[0].string ?? "") \($0[1].string ?? "")" }
        #expect(columns == ["id text", "flag boolean", "label text", "last bigint", "n bigint", "ratio double precision", "top bigint",
                            "total bigint", "flow_document jsonb"])
        let fence = try connection.query("SELECT fence FROM sluice_checkpoints WHERE materialization = 'test/out'")
        #expect(try fence.rows.first?[0].int64() == 1)
        _ = try await fixture.runUntilIdle()
        workload.check(try postgresContents(dsn), target: "postgres (second run)")
    }

    @Test func deltaUpdatesAppendCombinedDocuments() async throws {
        let (_, dsn) = try postgresDatabase("delta")
        let workload = EventWorkload(seed: testSeed(22), events: 800, keys: 30, deletions: 0)
        let fixture = try MaterializeFixture("pg-delta", catalog: eventsCatalog(endpoint: Self.endpoint, resource: "{table: log, delta_updates: true}"),
                                             environment: ["PG_DSN": dsn])
        defer { fixture.directory.remove() }
        try await fixture.ingest(workload.documents, batch: 100)
        _ = try await fixture.runUntilIdle(maxDocuments: 100)
        let connection = try PostgresConnection(try PostgresConfiguration(dsn: dsn))
        defer { connection.close() }
        let rows = try connection.query("SELECT flow_document::text FROM log ORDER BY last").rows.map { try Document(parsing: $0[0].string ?? "") }
        #expect(rows.count > 30 && rows.count < 800)
        workload.check(reduceLines(rows), target: "postgres delta")
    }

    @Test func incompatibleChangeIsRefusedUntilABackfillRebuildsTheTable() async throws {
        let (_, dsn) = try postgresDatabase("backfill")
        let workload = EventWorkload(seed: testSeed(23), events: 600, keys: 60, deletions: 6)
        let fixture = try MaterializeFixture("pg-backfill", catalog: eventsCatalog(endpoint: Self.endpoint, resource: "{table: events}"),
                                             environment: ["PG_DSN": dsn])
        defer { fixture.directory.remove() }
        try await fixture.ingest(workload.documents)
        _ = try await fixture.runUntilIdle()
        let changed = eventsCatalog(endpoint: Self.endpoint, resource: "{table: events}")
            .replacingOccurrences(of: "last: {type: integer}", with: "last: {type: number}")
        try fixture.rewriteCatalog(changed)
        do {
            _ = try await fixture.runUntilIdle()
            Issue.record("an incompatible table was accepted")
        } catch {
            #expect("\(error)".contains("column last is bigint, the binding needs double precision"), "\(error)")
            #expect("\(error)".contains("backfill counter"), "\(error)")
        }
        try fixture.rewriteCatalog(changed.replacingOccurrences(of: "backfill: 0", with: "backfill: 1"))
        _ = try await fixture.runUntilIdle()
        workload.check(try postgresContents(dsn), target: "postgres after a backfill")
    }

    @Test func olderInstanceIsFencedOff() async throws {
        let (_, dsn) = try postgresDatabase("fence")
        let fixture = try MaterializeFixture("pg-fence", catalog: eventsCatalog(endpoint: Self.endpoint, resource: "{table: events}"),
                                             environment: ["PG_DSN": dsn])
        defer { fixture.directory.remove() }
        let catalog = try fixture.loadCatalog()
        let bindings = try bindingSpecs(catalog)
        let endpoint = try #require(catalog.materializations["test/out"]).endpoint
        let connector = PostgresMaterialization()
        let older = try await connector.open(endpoint: endpoint, bindings: bindings, context: taskContext(fixture))
        let document = try Document(parsing: #"{"id":"a","n":1,"total":2,"last":3,"top":4,"label":"x","flag":true,"ratio":0.5}"#)
        let entry = StoreEntry(key: LoadKey(packed: [], values: ["a"]), document: document, isDeleted: false, existed: false)
        try await older.store([0: [entry]], checkpoint: Array("one".utf8))
        let newer = try await connector.open(endpoint: endpoint, bindings: bindings, context: taskContext(fixture))
        #expect(newer.checkpoint == Array("one".utf8))
        let changed = StoreEntry(key: entry.key, document: try Document(parsing: #"{"id":"a","n":99}"#), isDeleted: false, existed: true)
        do {
            try await older.store([0: [changed]], checkpoint: Array("two".utf8))
            Issue.record("the older instance stored after a newer one opened")
        } catch let error as TaskError {
            guard case .fencedOff = error else { throw error }
        }
        #expect(try await newer.load(binding: 0, keys: [LoadKey(packed: [], values: ["a"])]).map(\.description) == [document.description])
        try await newer.store([0: [StoreEntry(key: entry.key, document: document, isDeleted: true, existed: true)]],
                              checkpoint: Array("three".utf8))
        #expect(try await newer.load(binding: 0, keys: [LoadKey(packed: [], values: ["a"])]).isEmpty)
        await older.close()
        await newer.close()
    }

    /// Wrong credentials: a clear error, retries with backoff, and once the password is right
    /// the materialization completes with nothing lost.
    @Test func wrongCredentialsAreRetriedUntilFixed() async throws {
        let server = try SuiteServers.requirePostgres()
        let role = "writer_\(UUID().uuidString.prefix(8).lowercased())"
        let database = "t_credentials_\(UUID().uuidString.prefix(8).lowercased())"
        try server.psql("CREATE ROLE \(role) LOGIN PASSWORD 'right'")
        try server.psql("CREATE DATABASE \(database) OWNER \(role)")
        let dsn = server.dsn(database: database, user: role, password: "wrong")
        let workload = EventWorkload(seed: testSeed(24), events: 500, keys: 50, deletions: 5)
        let fixture = try MaterializeFixture("pg-credentials", catalog: eventsCatalog(endpoint: Self.endpoint, resource: "{table: events}"),
                                             environment: ["PG_DSN": dsn])
        defer { fixture.directory.remove() }
        try await fixture.ingest(workload.documents)
        let engine = try fixture.makeEngine(backoffSeconds: (0.1, 0.4))
        let run = Task { try await engine.run(untilIdle: true) }
        let status = try #require(engine.statuses["test/out"])
        let deadline = Date().addingTimeInterval(20)
        while status.snapshot.restarts < 3, Date() < deadline { try await Task.sleep(nanoseconds: 50_000_000) }
        let failing = status.snapshot
        #expect(failing.restarts >= 3)
        #expect(failing.lastError?.contains("password authentication failed for user \"\(role)\"") == true, "\(failing.lastError ?? "")")
        #expect(failing.lastError?.contains("wrong") == false, "the password leaked into the error")
        try server.psql("ALTER ROLE \(role) PASSWORD 'wrong'")
        try await run.value
        workload.check(try postgresContents(server.dsn(database: database)), target: "postgres after fixing credentials")
    }

    /// Nobody listening: a clear error and retries with backoff; nothing is committed, and a
    /// later run against the server completes exactly.
    @Test func unreachableServerIsRetriedAndLosesNothing() async throws {
        let (_, dsn) = try postgresDatabase("unreachable")
        let deadPort = try FreePort.find()
        let workload = EventWorkload(seed: testSeed(25), events: 500, keys: 50, deletions: 5)
        var fixture = try MaterializeFixture("pg-unreachable", catalog: eventsCatalog(endpoint: Self.endpoint, resource: "{table: events}"),
                                             environment: ["PG_DSN": "postgresql://postgres:pw@127.0.0.1:\(deadPort)/postgres?connect_timeout=2"])
        defer { fixture.directory.remove() }
        try await fixture.ingest(workload.documents)
        let engine = try fixture.makeEngine(backoffSeconds: (0.1, 0.8))
        let run = Task { try await engine.run(untilIdle: false) }
        let status = try #require(engine.statuses["test/out"])
        let started = Date()
        while status.snapshot.restarts < 4, Date() < started.addingTimeInterval(20) { try await Task.sleep(nanoseconds: 20_000_000) }
        let elapsed = Date().timeIntervalSince(started)
        engine.requestStop()
        try await run.value
        let failing = status.snapshot
        #expect(failing.restarts >= 4)
        // Backoff 0.1 + 0.2 + 0.4 s before the fourth restart.
        #expect(elapsed >= 0.6, "restarts came too fast: \(failing.restarts) in \(elapsed) s")
        #expect(failing.lastError?.contains("127.0.0.1:\(deadPort)") == true, "\(failing.lastError ?? "")")
        #expect(failing.lastError?.contains("Connection refused") == true, "\(failing.lastError ?? "")")
        #expect(failing.transactions == 0)
        // The server is back (the DSN fixed): everything arrives, once.
        fixture.environment["PG_DSN"] = dsn
        _ = try await fixture.runUntilIdle()
        workload.check(try postgresContents(dsn), target: "postgres after the server came back")
    }

    /// `sluice run` SIGKILLed at random moments, 22 times, then run to idle: the table equals
    /// the reference reduction.
    @Test func killedRunsLoseAndDoubleNothing() async throws {
        let seed = testSeed(26)
        let (_, dsn) = try postgresDatabase("kills")
        let workload = EventWorkload(seed: seed, events: 15_000, keys: 1_500, deletions: 150)
        let fixture = try MaterializeFixture("pg-kills", catalog: eventsCatalog(endpoint: Self.endpoint, resource: "{table: events}"),
                                             environment: ["PG_DSN": dsn])
        defer { fixture.directory.remove() }
        try await fixture.ingest(workload.documents, batch: 100)
        let readings = try await fixture.runWithKills(kills: 22, seed: seed, expectedProgress: workload.expectedCount,
                                                      maxTransactionDocuments: 100) {
            let connection = try PostgresConnection(try PostgresConfiguration(dsn: dsn))
            defer { connection.close() }
            let exists = try connection.query("SELECT to_regclass('events') IS NOT NULL").rows.first?[0].bool() ?? false
            guard exists else { return 0 }
            return Int(try connection.query("SELECT coalesce(sum(n), 0)::bigint FROM events").rows.first?[0].int64() ?? 0)
        }
        workload.check(try postgresContents(dsn), target: "postgres after kills")
        let midway = readings.filter { $0 > 0 && $0 < workload.expectedCount }.count
        #expect(midway >= 10, "seed \(seed): kills mostly missed the run (progress after each kill: \(readings))")
    }
}
