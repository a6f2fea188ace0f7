import Foundation
import Logging
import Testing
import SluiceCatalog
import SluiceCollection
import SluiceDerive
import SluiceDocument
@testable import SluiceRuntime
import SluiceSQLite
import SluiceTask
import SluiceTestSupport
import SluiceWorkload

/// A catalog's collections over a scratch data directory, on a simulated clock: ingest
/// transactions, run derivations with `DerivationDriver`, read results.
/// Used by one test at a time (unchecked: the deferred close runs after the test body).
final class DerivationHarness: @unchecked Sendable {
    let directory = TestDirectory("derive")
    let catalog: Catalog
    let collections: [String: CollectionSpec]
    let registry: JournalRegistry
    let clock = SimulatedClock()
    var data: String { directory.file("data") }

    init(_ yaml: String) throws {
        catalog = try CatalogLoader.load(yaml: yaml, path: directory.file("flow.yaml"))
        collections = try CatalogTestRunner.collectionSpecs(catalog)
        registry = JournalRegistry(path: directory.file("data"))
    }

    /// One transaction into `collection`, one second after the previous one.
    func ingest(_ collection: String, _ documents: [String]) async throws {
        clock.advance(byNanoseconds: 1_000_000_000)
        let texts = documents.map { JSONText(text: $0, location: SourceLocation(file: "test", line: 1, column: 1)) }
        let problem = try await CatalogTestRunner.ingest(texts, into: collections[collection]!, registry: registry, clock: clock)
        #expect(problem == nil)
    }

    func driver(_ connectors: ConnectorSet = .builtIn, maxDocuments: Int = 50_000, catalog: Catalog? = nil) async throws -> DerivationDriver {
        let catalog = catalog ?? self.catalog
        var logger = Logger(label: "test")
        logger.logLevel = .warning
        return try await DerivationDriver(catalog: catalog, collections: try CatalogTestRunner.collectionSpecs(catalog),
                                          connectors: connectors, dataDirectory: data, registry: registry,
                                          bounds: TransactionBounds(maxDocuments: maxDocuments), logger: logger,
                                          wallClockNanoseconds: clock.read)
    }

    /// The fully reduced documents of a collection, as JSON text, in key order.
    func reduced(_ collection: String) async throws -> [String] {
        try await CatalogTestRunner.reduced(collections[collection]!, registry: registry).map(\.description)
    }

    /// The committed documents of a collection, in journal order, without `_meta/uuid`.
    func committed(_ collection: String) async throws -> [String] {
        let reader = try CollectionReader(collection: collections[collection]!, registry: registry)
        var documents: [String] = []
        try await reader.read { documents.append(DocumentMeta.removingUUID($0.document).description) }
        return documents
    }

    func close() async {
        await registry.close()
        directory.remove()
    }
}

@Suite struct DerivationTaskTests {
    static let logCatalog = """
    collections:
      acme/a: {schema: {type: object, required: [id], properties: {id: {type: string}}}, key: [/id]}
      acme/b: {schema: {type: object, required: [id], properties: {id: {type: string}}}, key: [/id]}
      acme/log:
        schema: {type: object, required: [seq], properties: {seq: {type: integer}, id: {type: string}}}
        key: [/seq]
        derive:
          using: {sqlite: {migrations: ["CREATE TABLE log (seq INTEGER PRIMARY KEY, id TEXT);"]}}
          transforms:
            - {name: fromA, source: acme/a, priority: PA, lambda: "INSERT INTO log (id) VALUES ($id); SELECT last_insert_rowid() AS seq, $id;"}
            - {name: fromB, source: acme/b, priority: PB, lambda: "INSERT INTO log (id) VALUES ($id); SELECT last_insert_rowid() AS seq, $id;"}
    """

    func applicationOrder(priorityA: Int, priorityB: Int) async throws -> [String] {
        let harness = try DerivationHarness(Self.logCatalog.replacingOccurrences(of: "PA", with: "\(priorityA)")
            .replacingOccurrences(of: "PB", with: "\(priorityB)"))
        defer { Task { await harness.close() } }
        try await harness.ingest("acme/a", [#"{"id":"a1"}"#])
        try await harness.ingest("acme/b", [#"{"id":"b1"}"#])
        try await harness.ingest("acme/a", [#"{"id":"a2"}"#])
        try await harness.ingest("acme/b", [#"{"id":"b2"}"#])
        let driver = try await harness.driver()
        defer { driver.close() }
        try await driver.runUntilQuiet()
        #expect(driver.transactions == 1)
        return try await harness.reduced("acme/log").map { try Document(parsing: $0)["id"]!.string! }
    }

    /// Several sources: equal priorities are applied in publication order; a higher priority
    /// goes first when both have documents ready.
    @Test func severalSourcesByPriorityThenPublicationTime() async throws {
        #expect(try await applicationOrder(priorityA: 0, priorityB: 0) == ["a1", "b1", "a2", "b2"])
        #expect(try await applicationOrder(priorityA: 0, priorityB: 1) == ["b1", "b2", "a1", "a2"])
        #expect(try await applicationOrder(priorityA: 2, priorityB: 1) == ["a1", "a2", "b1", "b2"])
    }

    static let delayCatalog = """
    collections:
      acme/events: {schema: {type: object, required: [id], properties: {id: {type: string}}}, key: [/id]}
      acme/seen:
        schema: {type: object, required: [id, via], properties: {id: {type: string}, via: {type: string}}}
        key: [/via, /id]
        derive:
          using: {sqlite: {}}
          transforms:
            - {name: late, source: acme/events, readDelay: 1h, lambda: "SELECT $id, 'late' AS via;"}
            - {name: now, source: acme/events, lambda: "SELECT $id, 'now' AS via;"}
    """

    /// readDelay: documents are held (durably, across restarts) until their publication time
    /// plus the delay on the engine's clock, then applied once.
    @Test func readDelayHoldsDocumentsUntilTheirTimeOnTheEngineClock() async throws {
        let harness = try DerivationHarness(Self.delayCatalog)
        defer { Task { await harness.close() } }
        try await harness.ingest("acme/events", [#"{"id":"e1"}"#])
        let published = harness.clock.now
        try await harness.ingest("acme/events", [#"{"id":"e2"}"#])
        var driver = try await harness.driver()
        let due = try #require(try await driver.runUntilQuiet())
        #expect(due >= published + 3_600_000_000_000 && due < published + 3_600_000_000_000 + 1_000_000_000)
        #expect(try await harness.reduced("acme/seen") == [#"{"id":"e1","via":"now"}"#, #"{"id":"e2","via":"now"}"#])

        // Half an hour later: still held. Restarted: still held, nothing applied twice.
        harness.clock.advance(byNanoseconds: 1_800_000_000_000)
        #expect(try await driver.runUntilQuiet() == due)
        driver.close()
        driver = try await harness.driver()
        #expect(try await driver.runUntilQuiet() == due)
        #expect(try await harness.reduced("acme/seen").count == 2)

        // At the due time of the first: only the first.
        harness.clock.advance(to: due)
        let second = try #require(try await driver.runUntilQuiet())
        #expect(second > due)
        #expect(try await harness.reduced("acme/seen") == [#"{"id":"e1","via":"late"}"#, #"{"id":"e1","via":"now"}"#,
                                                          #"{"id":"e2","via":"now"}"#])
        try await driver.runUntilDone(advancing: harness.clock)
        driver.close()
        #expect(try await harness.committed("acme/seen") == [
            #"{"id":"e1","via":"now"}"#, #"{"id":"e2","via":"now"}"#, #"{"id":"e1","via":"late"}"#, #"{"id":"e2","via":"late"}"#,
        ])
    }

    static let totalsCatalog = """
    collections:
      acme/orders:
        schema: {type: object, required: [id, customer, amount], properties: {id: {type: integer}, customer: {type: string}, amount: {type: integer}}}
        key: [/id]
      acme/totals:
        schema:
          type: object
          reduce: {strategy: merge}
          required: [customer]
          properties: {customer: {type: string}, total: {type: integer, reduce: {strategy: sum}}, running: {type: integer}}
        key: [/customer]
        derive:
          using: {sqlite: {migrations: ["CREATE TABLE running (customer TEXT PRIMARY KEY, total INTEGER NOT NULL);"]}}
          shards: SHARDS
          transforms:
            - name: fromOrders
              source: SOURCE
              shuffle: {key: [/customer]}
              backfill: BACKFILL
              lambda: |
                INSERT INTO running VALUES ($customer, $amount) ON CONFLICT DO UPDATE SET total = total + excluded.total;
                SELECT $customer, $amount AS total, (SELECT total FROM running WHERE customer = $customer) AS running;
    """

    static func totals(shards: Int = 1, backfill: Int = 0, source: String = "acme/orders") -> String {
        totalsCatalog.replacingOccurrences(of: "SHARDS", with: "\(shards)").replacingOccurrences(of: "BACKFILL", with: "\(backfill)")
            .replacingOccurrences(of: "SOURCE", with: source)
    }

    static func orders(count: Int, customers: Int, seed: UInt64) -> (documents: [String], expected: [String: Int]) {
        var random = SplitMix64(seed: seed)
        var documents: [String] = []
        var expected: [String: Int] = [:]
        for id in 0..<count {
            let customer = "c\(random.below(customers))"
            let amount = random.below(1_000)
            documents.append(#"{"id":\#(id),"customer":"\#(customer)","amount":\#(amount)}"#)
            expected[customer, default: 0] += amount
        }
        return (documents, expected)
    }

    static func expectedTotals(_ totals: [String: Int], times: Int = 1) -> [String] {
        totals.keys.sorted().map { #"{"customer":"\#($0)","running":\#(totals[$0]! * times),"total":\#(totals[$0]! * times)}"# }
    }

    /// Bumping `backfill` reads the source again from the start (here: every order counted twice).
    @Test func aBackfillCounterReReadsTheSource() async throws {
        let harness = try DerivationHarness(Self.totals())
        defer { Task { await harness.close() } }
        let (orders, expected) = Self.orders(count: 300, customers: 5, seed: 11)
        try await harness.ingest("acme/orders", orders)
        var driver = try await harness.driver(maxDocuments: 70)
        try await driver.runUntilQuiet()
        driver.close()
        #expect(try await harness.reduced("acme/totals") == Self.expectedTotals(expected))
        // Restarted with the same counter: nothing again.
        driver = try await harness.driver()
        try await driver.runUntilQuiet()
        #expect(driver.transactions == 0)
        driver.close()
        let bumped = try CatalogLoader.load(yaml: Self.totals(backfill: 1), path: harness.directory.file("flow.yaml"))
        driver = try await harness.driver(catalog: bumped)
        try await driver.runUntilQuiet()
        driver.close()
        #expect(try await harness.reduced("acme/totals") == Self.expectedTotals(expected, times: 2))
        // The counter is stored with the checkpoint: once only.
        driver = try await harness.driver(catalog: bumped)
        try await driver.runUntilQuiet()
        #expect(driver.transactions == 0)
        driver.close()
    }

    /// `shards: N` splits keys by hashed range, each shard with its own database holding only
    /// its keys; the result is the same as with one shard. The count cannot change afterwards.
    @Test func shardsSplitKeysAcrossDatabasesAndAgreeWithOneShard() async throws {
        let (orders, expected) = Self.orders(count: 500, customers: 23, seed: 12)
        for shards in [1, 3] {
            let harness = try DerivationHarness(Self.totals(shards: shards))
            defer { Task { await harness.close() } }
            try await harness.ingest("acme/orders", Array(orders[..<250]))
            var driver = try await harness.driver(maxDocuments: 60)
            try await driver.runUntilQuiet()
            try await harness.ingest("acme/orders", Array(orders[250...]))
            try await driver.runUntilQuiet()
            driver.close()
            #expect(try await harness.reduced("acme/totals") == Self.expectedTotals(expected), "shards: \(shards)")
            var keysSeen = 0
            for shard in 0..<shards {
                let path = DerivationTask.databasePath(dataDirectory: harness.data, derivation: "acme/totals", shard: shard)
                let database = try SQLiteDatabase(path: path)
                for row in try database.rows("SELECT customer FROM running") {
                    guard case .text(let customer) = row[0] else { continue }
                    let key = KeyExtractor(pointers: ["/customer"]).packed(try Document(JSONValue.object(["customer": .string(customer)])))
                    #expect(ShuffleRouting.shard(ofPackedKey: key, shards: shards) == shard, "\(customer) in shard \(shard) of \(shards)")
                    keysSeen += 1
                }
            }
            #expect(keysSeen == expected.count)
            if shards == 3 {
                let fewer = try CatalogLoader.load(yaml: Self.totals(shards: 2), path: harness.directory.file("flow.yaml"))
                let error = await #expect(throws: TaskError.self) { driver = try await harness.driver(catalog: fewer) }
                #expect("\(error.map { "\($0)" } ?? "")".contains("was made for shard 0 of 3; each shard's state tables hold the keys of its range"))
            }
        }
    }

    /// notBefore/notAfter select source documents by their publication time.
    @Test func notBeforeAndNotAfterSelectByPublicationTime() async throws {
        let yaml = Self.totals().replacingOccurrences(of: "source: acme/orders",
                                                      with: "source: {name: acme/orders, notBefore: \"2024-01-01T00:00:01.5Z\", notAfter: \"2024-01-01T00:00:02.5Z\"}")
        let harness = try DerivationHarness(yaml)
        defer { Task { await harness.close() } }
        try await harness.ingest("acme/orders", [#"{"id":1,"customer":"a","amount":1}"#])  // 00:00:01
        try await harness.ingest("acme/orders", [#"{"id":2,"customer":"a","amount":10}"#])  // 00:00:02
        try await harness.ingest("acme/orders", [#"{"id":3,"customer":"a","amount":100}"#])  // 00:00:03
        let driver = try await harness.driver()
        try await driver.runUntilQuiet()
        driver.close()
        #expect(try await harness.reduced("acme/totals") == [#"{"customer":"a","running":10,"total":10}"#])
    }

    static let chainCatalog = """
    collections:
      acme/seeds: {schema: {type: object, required: [n], properties: {n: {type: integer}}}, key: [/n]}
      acme/chain:
        schema: {type: object, required: [n], properties: {n: {type: integer}, hops: {type: integer}}}
        key: [/n]
        derive:
          using: {sqlite: {}}
          transforms:
            - {name: fromSeeds, source: acme/seeds, lambda: "SELECT $n, 0 AS hops;"}
            - {name: fromItself, source: acme/chain, lambda: "SELECT $n + 1 AS n, $hops + 1 AS hops WHERE $n < 5;"}
    """

    /// A derivation may read its own collection; it runs until its own outputs stop producing more.
    @Test func aDerivationMayReadItsOwnCollection() async throws {
        let harness = try DerivationHarness(Self.chainCatalog)
        defer { Task { await harness.close() } }
        try await harness.ingest("acme/seeds", [#"{"n":0}"#, #"{"n":3}"#])
        let driver = try await harness.driver()
        try await driver.runUntilQuiet()
        driver.close()
        #expect(try await harness.reduced("acme/chain") == [
            #"{"hops":0,"n":0}"#, #"{"hops":1,"n":1}"#, #"{"hops":2,"n":2}"#, #"{"hops":3,"n":3}"#, #"{"hops":4,"n":4}"#,
            #"{"hops":5,"n":5}"#,
        ])

        // The engine's --until-idle sees the loop settle too.
        let engineHarness = try DerivationHarness(Self.chainCatalog)
        defer { Task { await engineHarness.close() } }
        try await engineHarness.ingest("acme/seeds", [#"{"n":2}"#])
        var logger = Logger(label: "test")
        logger.logLevel = .warning
        let engine = try Engine(catalog: engineHarness.catalog, connectors: .builtIn,
                                options: EngineOptions(dataDirectory: engineHarness.directory.file("engine"), idleCheckSeconds: 0.02,
                                                       logger: logger))
        let registry = engine.registry
        let publisher = TransactionPublisher(registry: registry)
        try publisher.add(try Document(parsing: #"{"n":1}"#), to: engineHarness.collections["acme/seeds"]!)
        try await TransactionPublisher.acknowledge(try await publisher.publish(), registry: registry)
        try await engine.run(untilIdle: true)
        let results = try await CatalogTestRunner.reduced(engineHarness.collections["acme/chain"]!,
                                                          registry: JournalRegistry(path: engineHarness.directory.file("engine")))
        #expect(results.map(\.description) == (1...5).map { #"{"hops":\#($0 - 1),"n":\#($0)}"# })
    }

    /// Swift transforms registered through the library API, their state in the shard's
    /// database, under the engine with two shards and an injected failure: the result is the
    /// reference (state and outputs committed together: the running total from the state table
    /// equals the sum of the outputs, for every key).
    @Test func swiftTransformsUnderTheEngineRecoverExactlyOnce() async throws {
        let yaml = Self.totals(shards: 2).replacingOccurrences(of: "using: {sqlite: {migrations: [\"CREATE TABLE running (customer TEXT PRIMARY KEY, total INTEGER NOT NULL);\"]}}",
                                                               with: "using: {swift: {}}")
        let harness = try DerivationHarness(yaml)
        defer { Task { await harness.close() } }
        let (orders, expected) = Self.orders(count: 1_200, customers: 17, seed: 13)
        let failures = FailureCounter(at: 700)
        var connectors = ConnectorSet()
        connectors.registerSwiftDerivation("acme/totals", migrations: ["CREATE TABLE running (customer TEXT PRIMARY KEY, total INTEGER NOT NULL)"],
                                           transforms: ["fromOrders": { order, context in
            if failures.shouldFail() { throw TaskError.connector(task: "test", message: "injected failure") }
            let customer = order["customer"]!.string!
            let amount = order["amount"]!.int64!
            let rows = try context.database.rows("""
                INSERT INTO running VALUES (?, ?) ON CONFLICT DO UPDATE SET total = total + excluded.total RETURNING total
                """, [.text(customer), .integer(amount)])
            guard case .integer(let running) = rows[0][0] else { return }
            try context.publish(["customer": .string(customer), "total": .int(amount), "running": .int(running)])
        }])
        var logger = Logger(label: "test")
        logger.logLevel = .error
        let options = EngineOptions(dataDirectory: harness.directory.file("engine"), bounds: TransactionBounds(maxDocuments: 97),
                                    restartBackoffSeconds: (0.01, 0.05), idleCheckSeconds: 0.02, logger: logger)
        let engine = try Engine(catalog: harness.catalog, connectors: connectors, options: options)
        let publisher = TransactionPublisher(registry: engine.registry)
        for (index, order) in orders.enumerated() {
            try publisher.add(try Document(parsing: order), to: harness.collections["acme/orders"]!)
            if index % 100 == 99 { try await TransactionPublisher.acknowledge(try await publisher.publish(), registry: engine.registry) }
        }
        try await engine.run(untilIdle: true)
        #expect(engine.statuses["acme/totals"]?.snapshot.restarts == 1)
        let results = try await CatalogTestRunner.reduced(harness.collections["acme/totals"]!,
                                                          registry: JournalRegistry(path: harness.directory.file("engine")))
        #expect(results.map(\.description) == Self.expectedTotals(expected), "seed 13")
    }
}
