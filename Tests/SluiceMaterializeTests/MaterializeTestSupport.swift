import Foundation
import Logging
import Testing
import SluiceCatalog
import SluiceCollection
import SluiceDocument
import SluiceRuntime
import SluiceTask
import SluiceTestSupport
import SluiceWorkload

/// The collection every materialization test reads: sums, a maximum, last-write-wins fields,
/// and deletions by `_meta/op: d` (a tombstone removes the key in a full reduction).
let eventsCollectionYAML = """
collections:
  test/events:
    schema:
      type: object
      required: [id]
      properties:
        id: {type: string}
        n: {type: integer, reduce: {strategy: sum}}
        total: {type: integer, reduce: {strategy: sum}}
        last: {type: integer}
        top: {type: integer, reduce: {strategy: maximize}}
        label: {type: string}
        flag: {type: boolean}
        ratio: {type: number}
        tags: {type: array}
      if: {required: [_meta], properties: {_meta: {required: [op], properties: {op: {const: d}}}}}
      then: {reduce: {strategy: merge, delete: true}}
      else: {reduce: {strategy: merge}}
    key: [/id]
"""

/// A catalog of the events collection materialized by `endpoint` with one binding `resource`
/// (YAML flow text such as `{sqlite: {path: out.db}}` and `{table: events}`).
func eventsCatalog(endpoint: String, resource: String, fields: String? = nil, backfill: Int = 0, extraBindings: [String] = []) -> String {
    var text = eventsCollectionYAML + """

        materializations:
          test/out:
            endpoint: \(endpoint)
            bindings:
              - source: test/events
                resource: \(resource)
                backfill: \(backfill)

        """
    if let fields { text += "        fields: \(fields)\n" }
    for binding in extraBindings { text += "      - \(binding)\n" }
    return text
}

/// What a key's fully reduced document holds.
struct ExpectedEvent: Equatable, CustomStringConvertible {
    var n = 0
    var total = 0
    var last = 0
    var top = Int.min
    var label = ""
    var flag = false
    var ratio = 0.0

    var description: String { "n=\(n) total=\(total) last=\(last) top=\(top) label=\(label) flag=\(flag) ratio=\(ratio)" }

    /// From a stored document's fields.
    init?(document: Document) {
        let root = document.root
        guard let n = root["n"]?.int64, let total = root["total"]?.int64, let last = root["last"]?.int64,
              let top = root["top"]?.int64, let label = root["label"]?.string, let flag = root["flag"]?.bool,
              let ratio = root["ratio"]?.double else { return nil }
        (self.n, self.total, self.last, self.top, self.label, self.flag, self.ratio) = (Int(n), Int(total), Int(last), Int(top), label, flag, ratio)
    }

    init() {}

    /// Reduces one event (as the schema does).
    mutating func add(_ event: Event) {
        n += 1
        total += event.total
        last = event.index
        top = max(top, event.top)
        label = event.label
        flag = event.flag
        ratio = event.ratio
    }
}

/// One generated event.
struct Event {
    var id: String
    var index: Int
    var total: Int
    var top: Int
    var label: String
    var flag: Bool
    var ratio: Double

    var json: String {
        let value: JSONValue = ["id": .string(id), "n": 1, "total": .int(Int64(total)), "last": .int(Int64(index)), "top": .int(Int64(top)),
                                "label": .string(label), "flag": .bool(flag), "ratio": .double(ratio), "tags": ["a", .int(Int64(index % 3))]]
        return value.description
    }
}

/// Seeded events over `keys` keys, then deletions of some keys (each deleted key gets no event
/// after its deletion), and the reference reduction computed independently of Sluice.
struct EventWorkload {
    let seed: UInt64
    /// JSON lines, in ingest order.
    let documents: [String]
    let expected: [String: ExpectedEvent]

    init(seed: UInt64, events count: Int, keys: Int, deletions: Int) {
        self.seed = seed
        var random = SplitMix64(seed: seed)
        let labels = ["plain", "with space", "naïve ☃", "quote \" and \\ back", "colon:here", ""]
        // Some keys carry `:` and `\` (Redis key escaping), the rest are plain.
        let names = (0..<keys).map { index -> String in
            switch index % 10 {
            case 3: return "k:\(index)"
            case 7: return "k\\\(index)"
            default: return "k-\(String(format: "%05d", index))"
            }
        }
        var documents: [String] = []
        var expected: [String: ExpectedEvent] = [:]
        for index in 0..<count {
            // The first `keys` events cover every key once; the rest are uniform.
            let id = index < keys ? names[index] : names[random.below(keys)]
            let event = Event(id: id, index: index, total: random.below(151) - 50, top: random.below(1_000),
                              label: labels[random.below(labels.count)], flag: random.below(2) == 1,
                              ratio: Double(random.below(1_000)) / 8)
            documents.append(event.json)
            expected[id, default: ExpectedEvent()].add(event)
        }
        var deleted = Set<String>()
        while deleted.count < min(deletions, keys) { deleted.insert(names[random.below(keys)]) }
        for id in deleted.sorted() {
            documents.append(#"{"id":\#(JSONValue.string(id).description),"_meta":{"op":"d"}}"#)
            expected[id] = nil
        }
        self.documents = documents
        self.expected = expected
    }

    /// The sum of `n` over the expected rows (progress measure).
    var expectedCount: Int { expected.values.reduce(0) { $0 + $1.n } }

    /// Compares target contents (key → reduced fields) with the reference: every key present
    /// with exactly its reduction (a duplicate shows as a larger `n`, a loss as a smaller one).
    func check(_ actual: [String: ExpectedEvent], target: String, sourceLocation: Testing.SourceLocation = #_sourceLocation) {
        let missing = Set(expected.keys).subtracting(actual.keys)
        let extra = Set(actual.keys).subtracting(expected.keys)
        var wrong: [String] = []
        for (key, value) in expected where actual[key] != nil && actual[key] != value {
            wrong.append("\(key): expected \(value), found \(actual[key]!)")
        }
        let summary = "\(target), seed \(seed): \(missing.count) keys missing (\(missing.sorted().prefix(5))), \(extra.count) extra "
                    + "(\(extra.sorted().prefix(5))), \(wrong.count) wrong: \(wrong.sorted().prefix(5))"
        #expect(missing.isEmpty && extra.isEmpty && wrong.isEmpty, Comment(rawValue: summary), sourceLocation: sourceLocation)
    }
}

/// A test's folder, catalog file and data directory, with helpers to ingest and run.
struct MaterializeFixture {
    let directory: TestDirectory
    let catalogPath: String
    /// `${NAME}`s of the catalog (secrets), given to in-process loads and child processes.
    var environment: [String: String]
    var dataDirectory: String { directory.file("data") }

    init(_ label: String, catalog: String, environment: [String: String] = [:]) throws {
        directory = TestDirectory(label)
        catalogPath = try directory.write("flow.yaml", catalog)
        self.environment = environment
    }

    func rewriteCatalog(_ catalog: String) throws { try directory.write("flow.yaml", catalog) }

    func loadCatalog() throws -> Catalog {
        try CatalogLoader.load(path: catalogPath, environment: ProcessInfo.processInfo.environment.merging(environment) { $1 })
    }

    /// Ingests JSON lines into `collection`, `batch` documents per transaction, in-process.
    func ingest(_ documents: [String], collection name: String = "test/events", batch: Int = 500) async throws {
        let catalog = try loadCatalog()
        let collection = try CollectionSpec(definition: try #require(catalog.collections[name]))
        let registry = JournalRegistry(path: dataDirectory)
        let publisher = TransactionPublisher(registry: registry)
        var pending = 0
        for document in documents {
            try publisher.add(try Document(parsing: document), to: collection)
            pending += 1
            if pending == batch {
                try await TransactionPublisher.acknowledge(try await publisher.publish(), registry: registry)
                pending = 0
            }
        }
        if pending > 0 { try await TransactionPublisher.acknowledge(try await publisher.publish(), registry: registry) }
        await registry.close()
    }

    static func options(dataDirectory: String, maxDocuments: Int = 200, combinerBudgetBytes: Int = 256 << 20) -> EngineOptions {
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        return EngineOptions(dataDirectory: dataDirectory,
                             bounds: TransactionBounds(maxDurationSeconds: 0.2, maxDocuments: maxDocuments, combinerBudgetBytes: combinerBudgetBytes),
                             restartBackoffSeconds: (0.05, 0.2), idleCheckSeconds: 0.05, logger: logger)
    }

    /// Runs the catalog in-process with the built-in connectors until idle.
    func runUntilIdle(maxDocuments: Int = 200, combinerBudgetBytes: Int = 256 << 20) async throws -> Engine {
        let engine = try makeEngine(maxDocuments: maxDocuments, combinerBudgetBytes: combinerBudgetBytes)
        try await engine.run(untilIdle: true)
        return engine
    }

    func makeEngine(maxDocuments: Int = 200, backoffSeconds: (initial: Double, max: Double) = (0.05, 0.2),
                    combinerBudgetBytes: Int = 256 << 20) throws -> Engine {
        var options = Self.options(dataDirectory: dataDirectory, maxDocuments: maxDocuments, combinerBudgetBytes: combinerBudgetBytes)
        options.restartBackoffSeconds = backoffSeconds
        return try Engine(catalog: try loadCatalog(), connectors: .builtIn, options: options)
    }

    /// `sluice run` as a child process, SIGKILLed `kills` times at seeded random moments and
    /// restarted each time, then run to idle. One kill in four lands at a random moment after
    /// the start (often in start-up or recovery); the others a random delay after the
    /// materialization logged that it started (inside its transaction loop). The delay adapts
    /// to the machine's speed so the kills spread over the whole run: it grows while a run
    /// commits nothing and shrinks when one commits more than its share of `expectedProgress`
    /// (as `progress` reads it after each kill). Returns the readings.
    func runWithKills(kills: Int, seed: UInt64, expectedProgress: Int, maxTransactionDocuments: Int,
                      progress: () async throws -> Int) async throws -> [Int] {
        let sluice = try BuiltProducts.executable("sluice")
        var random = SplitMix64(seed: seed)
        let arguments = ["run", catalogPath, "--data-dir", dataDirectory, "--max-transaction-documents", String(maxTransactionDocuments),
                         "--max-transaction-seconds", "0.2", "--log-level", "info"]
        var readings: [Int] = []
        var delayMax = 0.3
        let share = max(1, expectedProgress / (kills + 6))
        for attempt in 0..<kills {
            let child = try ChildProcess(sluice, arguments, environment: environment, directory: directory.path, label: "run-\(attempt)")
            if random.below(4) != 0 {
                let deadline = Date().addingTimeInterval(60)
                while child.isRunning, !child.standardError.contains("materialization started"), Date() < deadline {
                    try await Task.sleep(nanoseconds: 10_000_000)
                }
            }
            let delay = delayMax * (0.2 + 0.8 * Double(random.below(1_000)) / 1_000)
            try await Task.sleep(nanoseconds: UInt64(delay * 1e9))
            let wasRunning = child.isRunning
            child.signal(SIGKILL)
            let status = child.wait()
            try #require(wasRunning, "seed \(seed): sluice run exited by itself (status \(status)) before kill \(attempt): \(child.standardError.suffix(2000))")
            let reading = try await progress()
            let moved = reading - (readings.last ?? 0)
            if moved <= 0 { delayMax = min(delayMax * 1.5, 5) } else if moved > 2 * share { delayMax = max(delayMax * 0.6, 0.02) }
            readings.append(reading)
        }
        let final = try ChildProcess(sluice, arguments + ["--until-idle"], environment: environment, directory: directory.path, label: "final")
        let status = final.wait(seconds: 180)
        try #require(status == 0, "seed \(seed): the final sluice run --until-idle exited with \(status): \(final.standardError.suffix(3000))")
        return readings
    }
}

/// The seed of a seeded test: `SLUICE_SEED` when set (to replay a failure), else `fallback`.
func testSeed(_ fallback: UInt64) -> UInt64 {
    ProcessInfo.processInfo.environment["SLUICE_SEED"].flatMap { UInt64($0) } ?? fallback
}

/// Reduces JSON lines of delta updates (files, S3) the way the schema does: sums, maximum,
/// last write, and a line with `_meta/op: d` deletes the key.
func reduceLines(_ lines: [Document]) -> [String: ExpectedEvent] {
    var result: [String: ExpectedEvent] = [:]
    for document in lines {
        let root = document.root
        guard let id = root["id"]?.string else { continue }
        if root["_meta"]?["op"]?.string == "d" {
            result[id] = nil
            continue
        }
        var current = result[id] ?? ExpectedEvent()
        current.n += Int(root["n"]?.int64 ?? 0)
        current.total += Int(root["total"]?.int64 ?? 0)
        if let last = root["last"]?.int64 { current.last = Int(last) }
        if let top = root["top"]?.int64 { current.top = max(current.top, Int(top)) }
        if let label = root["label"]?.string { current.label = label }
        if let flag = root["flag"]?.bool { current.flag = flag }
        if let ratio = root["ratio"]?.double { current.ratio = ratio }
        result[id] = current
    }
    return result
}
