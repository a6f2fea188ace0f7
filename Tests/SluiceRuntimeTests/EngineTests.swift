import Foundation
import Logging
import Testing
import SluiceCatalog
import SluiceCollection
import SluiceDocument
@testable import SluiceRuntime
import SluiceTask
import SluiceTestSupport
import SluiceWorkload

/// Orders captured into acme/orders, summed per customer by a derivation into acme/totals,
/// materialized into a target.
let pipelineCatalog = """
collections:
  acme/orders:
    schema:
      type: object
      reduce: {strategy: merge}
      required: [id, customer, amount]
      properties:
        id: {type: integer}
        customer: {type: string}
        amount: {type: integer}
    key: [/id]
  acme/totals:
    schema:
      type: object
      reduce: {strategy: merge}
      required: [customer]
      properties:
        customer: {type: string}
        total: {type: integer, reduce: {strategy: sum}}
        orders: {type: integer, reduce: {strategy: sum}}
    key: [/customer]
    derive:
      using: {swift: {}}
      transforms:
        - {name: fromOrders, source: acme/orders}
captures:
  acme/source:
    endpoint: {files: {}}
    bindings: [{resource: {path: "*.jsonl"}, target: acme/orders}]
materializations:
  acme/out:
    endpoint: {sqlite: {path: out.db}}
    bindings: [{source: acme/totals, resource: {table: totals}}]
"""

struct Pipeline {
    let directory = TestDirectory("engine")
    let catalog: Catalog
    let orders: [String]
    let expected: [String]

    init(count: Int = 600, customers: Int = 7, seed: UInt64 = 1) throws {
        catalog = try CatalogLoader.load(yaml: pipelineCatalog, path: directory.file("flow.yaml"))
        var random = SplitMix64(seed: seed)
        var totals: [String: (Int, Int)] = [:]
        var orders: [String] = []
        for id in 0..<count {
            let customer = "c\(random.below(customers))"
            let amount = random.below(100)
            orders.append(#"{"id":\#(id),"customer":"\#(customer)","amount":\#(amount)}"#)
            totals[customer, default: (0, 0)].0 += amount
            totals[customer, default: (0, 0)].1 += 1
        }
        self.orders = orders
        expected = totals.keys.sorted().map { #"{"customer":"\#($0)","orders":\#(totals[$0]!.1),"total":\#(totals[$0]!.0)}"# }
    }

    func connectors(capture: ArrayCapture, target: MemoryTarget, derivationFailures: FailureCounter? = nil) -> ConnectorSet {
        var set = ConnectorSet()
        set.captures["files"] = capture
        set.materializations["sqlite"] = target
        set.derivations["swift:acme/totals"] = { _ in
            ClosureDerivation(failures: derivationFailures) { _, order in
                [["customer": order.root["customer"]!.jsonValue, "total": order.root["amount"]!.jsonValue, "orders": 1]]
            }
        }
        return set
    }

    func options() -> EngineOptions {
        var logger = Logger(label: "test")
        logger.logLevel = .warning
        return EngineOptions(dataDirectory: directory.file("data"), bounds: TransactionBounds(maxDurationSeconds: 0.2, maxDocuments: 97),
                             restartBackoffSeconds: (0.01, 0.05), idleCheckSeconds: 0.05, logger: logger)
    }
}

@Suite struct EngineTests {
    @Test func pipelineRunsToIdleWithTheReferenceResult() async throws {
        let pipeline = try Pipeline()
        defer { pipeline.directory.remove() }
        let target = MemoryTarget()
        let capture = ArrayCapture(documents: pipeline.orders, batch: 50)
        let engine = try Engine(catalog: pipeline.catalog, connectors: pipeline.connectors(capture: capture, target: target),
                                options: pipeline.options())
        try await engine.run(untilIdle: true)
        #expect(target.contents() == pipeline.expected)
        let statuses = engine.statuses.mapValues(\.snapshot)
        #expect(statuses["acme/source"]?.exhausted == true)
        #expect(statuses["acme/source"]?.documentsRead == 600)
        #expect((statuses["acme/totals"]?.transactions ?? 0) >= 600 / 97)
        #expect(statuses["acme/out"]?.restarts == 0)

        // Running again captures nothing new and changes nothing.
        let again = try Engine(catalog: pipeline.catalog, connectors: pipeline.connectors(capture: capture, target: target),
                               options: pipeline.options())
        try await again.run(untilIdle: true)
        #expect(target.contents() == pipeline.expected)
    }

    /// Failures in every kind of task, at different points: each restarts from its checkpoint
    /// and the result is still the reference reduction (no duplicates, no loss).
    @Test func failingTasksRestartAndLoseOrDoubleNothing() async throws {
        let pipeline = try Pipeline(count: 900, seed: 2)
        defer { pipeline.directory.remove() }
        let target = MemoryTarget(failAt: 3)
        let capture = ArrayCapture(documents: pipeline.orders, batch: 40, failures: 2, failAfterCheckpoints: 3)
        let engine = try Engine(catalog: pipeline.catalog,
                                connectors: pipeline.connectors(capture: capture, target: target, derivationFailures: FailureCounter(at: 250)),
                                options: pipeline.options())
        try await engine.run(untilIdle: true)
        #expect(target.contents() == pipeline.expected)
        let statuses = engine.statuses.mapValues(\.snapshot)
        #expect(statuses["acme/source"]?.restarts == 2)
        #expect(statuses["acme/totals"]?.restarts == 1)
        #expect(statuses["acme/out"]?.restarts == 1)
        #expect(capture.opens.load(ordering: .relaxed) == 3)
    }

    @Test func aNewerInstanceFencesOffTheOlder() async throws {
        let pipeline = try Pipeline(count: 100, seed: 3)
        defer { pipeline.directory.remove() }
        let target = MemoryTarget()
        let context = TaskContext(taskName: "acme/out", dataDirectory: pipeline.directory.path, catalogFolder: pipeline.directory.path,
                                  registry: JournalRegistry(path: pipeline.directory.file("data")), logger: Logger(label: "test"),
                                  wallClockNanoseconds: { 0 })
        let older = try await target.open(endpoint: .sqlite(path: "x"), bindings: [], context: context)
        _ = try await target.open(endpoint: .sqlite(path: "x"), bindings: [], context: context)
        await #expect(throws: TaskError.fencedOff(task: "test", detail: "fence 2 > 1")) {
            try await older.store([:], checkpoint: [])
        }
    }

    @Test func stoppingMidRunKeepsCommittedWorkAndResumes() async throws {
        let pipeline = try Pipeline(count: 2_000, seed: 4)
        defer { pipeline.directory.remove() }
        let target = MemoryTarget()
        let capture = ArrayCapture(documents: pipeline.orders, batch: 10)
        let engine = try Engine(catalog: pipeline.catalog, connectors: pipeline.connectors(capture: capture, target: target),
                                options: pipeline.options())
        async let run: Void = engine.run()
        try await Task.sleep(nanoseconds: 150_000_000)
        engine.requestStop()
        try await run
        let resumed = try Engine(catalog: pipeline.catalog, connectors: pipeline.connectors(capture: capture, target: target),
                                 options: pipeline.options())
        try await resumed.run(untilIdle: true)
        #expect(target.contents() == pipeline.expected)
    }

    @Test func changingAKeyUnderExistingJournalsIsRefused() async throws {
        let pipeline = try Pipeline(count: 50, seed: 5)
        defer { pipeline.directory.remove() }
        let target = MemoryTarget()
        let capture = ArrayCapture(documents: pipeline.orders, batch: 10)
        try await Engine(catalog: pipeline.catalog, connectors: pipeline.connectors(capture: capture, target: target),
                         options: pipeline.options()).run(untilIdle: true)
        let changed = try CatalogLoader.load(yaml: pipelineCatalog.replacingOccurrences(of: "key: [/id]", with: "key: [/customer, /id]"),
                                             path: pipeline.directory.file("flow.yaml"))
        let error = try #require(throws: EngineError.self) {
            _ = try Engine(catalog: changed, connectors: pipeline.connectors(capture: capture, target: target), options: pipeline.options())
        }
        #expect(error.description.hasPrefix("collection acme/orders: its key or partitions changed (/id| → /customer,/id|)"))
        #expect(error.isUserError)
    }

    @Test func missingConnectorsAreConfigurationErrors() throws {
        let pipeline = try Pipeline(count: 1)
        defer { pipeline.directory.remove() }
        let engine = try Engine(catalog: pipeline.catalog, connectors: ConnectorSet(), options: pipeline.options())
        #expect(throws: TaskError.configuration(task: "acme/source", message: "the files capture connector is not available in this build")) {
            _ = try engine.makeTasks()
        }
    }
}

@Suite struct OpsStatsTests {
    @Test func transactionsOfEveryTaskAreSummedInOpsStats() async throws {
        let pipeline = try Pipeline(count: 300, seed: 9)
        defer { pipeline.directory.remove() }
        let target = MemoryTarget()
        var options = pipeline.options()
        options.statsIntervalSeconds = 0.05
        let engine = try Engine(catalog: pipeline.catalog,
                                connectors: pipeline.connectors(capture: ArrayCapture(documents: pipeline.orders, batch: 30), target: target),
                                options: options)
        try await engine.run(untilIdle: true)
        let registry = JournalRegistry(path: options.dataDirectory)
        let collection = try OpsStats.collection()
        let reader = try CollectionReader(collection: collection, registry: registry)
        var totals: [String: (transactions: Int64, read: Int64)] = [:]
        try await reader.read { committed in
            let root = committed.document.root
            let task = root["task"]!.string!
            totals[task, default: (0, 0)].transactions += root["transactions"]!.int64!
            totals[task, default: (0, 0)].read += root["docsRead"]!.int64!
        }
        await registry.close()
        for (name, status) in engine.statuses {
            let snapshot = status.snapshot
            #expect(totals[name]?.transactions == Int64(snapshot.transactions), "\(name)")
            #expect(totals[name]?.read == Int64(snapshot.documentsRead), "\(name)")
        }
        #expect(totals["acme/source"]?.read == 300)
    }
}
