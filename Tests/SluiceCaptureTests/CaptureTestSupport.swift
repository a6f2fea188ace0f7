import Foundation
import Logging
import SluiceCatalog
import SluiceDocument
import SluiceCollection
import SluiceRuntime
import SluiceSQLite
import SluiceTask
import SluiceTestSupport
import Synchronization

/// Log records kept in memory, to assert what a task logged.
final class CollectedLogs: Sendable {
    struct Record: Sendable {
        var level: Logger.Level
        var message: String
        var metadata: [String: String]
    }

    private let records = Mutex<[Record]>([])

    func append(_ record: Record) { records.withLock { $0.append(record) } }

    var all: [Record] { records.withLock { $0 } }

    func contains(_ text: String, level: Logger.Level? = nil) -> Bool {
        all.contains { $0.message.contains(text) && (level == nil || $0.level == level) }
    }

    /// A logger that records here (and nowhere else).
    func logger(level: Logger.Level = .debug) -> Logger {
        var logger = Logger(label: "test") { _ in CollectingLogHandler(logs: self) }
        logger.logLevel = level
        return logger
    }
}

struct CollectingLogHandler: LogHandler {
    let logs: CollectedLogs
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .trace

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        let merged = metadata.merging(event.metadata ?? [:]) { $1 }
        logs.append(.init(level: event.level, message: event.message.description, metadata: merged.mapValues { "\($0)" }))
    }
}

/// Engine runs and collection reads for capture tests.
enum SessionHarness {
    static func options(_ dataDirectory: String, logger: Logger) -> EngineOptions {
        EngineOptions(dataDirectory: dataDirectory, bounds: TransactionBounds(maxDurationSeconds: 0.5),
                      restartBackoffSeconds: (0.05, 0.2), idleCheckSeconds: 0.05, logger: logger)
    }

    /// Runs the catalog's tasks in this process until every one is idle.
    static func runUntilIdle(catalog: Catalog, dataDirectory: String, logger: Logger) async throws -> Engine {
        let engine = try Engine(catalog: catalog, connectors: .builtIn, options: options(dataDirectory, logger: logger))
        try await engine.run(untilIdle: true)
        return engine
    }

    /// `sluice collections read NAME --reduced` through the built binary: one JSON value per key.
    static func reduced(_ collection: String, catalog: String, dataDirectory: String) throws -> [JSONValue] {
        let sluice = try BuiltProducts.executable("sluice")
        let result = try ChildProcess.run(sluice, ["collections", "read", collection, "--reduced", "--catalog", catalog,
                                                   "--data-dir", dataDirectory])
        guard result.status == 0 else {
            throw TestSupportError("sluice collections read \(collection) failed (\(result.status)): \(result.error)")
        }
        return try result.output.split(separator: "\n").map { try JSONValue(parsing: String($0)) }
    }
}

extension SessionHarness {
    /// Opens a session of capture `name` directly (without the engine), from `state`.
    static func openSession(_ connector: any CaptureConnector, catalog: Catalog, capture name: String, state: JSONValue? = nil,
                            dataDirectory: String, folder: String, logs: CollectedLogs) async throws -> any CaptureSession {
        guard let definition = catalog.captures[name] else { throw TestSupportError("no capture \(name)") }
        var bindings: [CaptureBindingSpec] = []
        for (index, binding) in definition.bindings.enumerated() {
            guard let collection = catalog.collections[binding.target] else { throw TestSupportError("no collection \(binding.target)") }
            bindings.append(CaptureBindingSpec(index: index, resource: binding.resource, collection: try CollectionSpec(definition: collection),
                                               backfill: binding.backfill))
        }
        let context = TaskContext(taskName: name, dataDirectory: dataDirectory, catalogFolder: folder,
                                  registry: JournalRegistry(path: dataDirectory), logger: logs.logger(),
                                  wallClockNanoseconds: { UInt64(Date().timeIntervalSince1970 * 1e9) })
        return try await connector.open(endpoint: definition.endpoint, bindings: bindings, state: state, context: context)
    }

    /// Unix nanoseconds `seconds` from now (a deadline for `next`).
    static func deadline(_ seconds: Double) -> UInt64 { UInt64((Date().timeIntervalSince1970 + seconds) * 1e9) }
}

extension SessionHarness {
    /// The connector state a running `sluice run` last committed for `task` (nil before any
    /// commit), read from `engine.db` read-only: opening the state store itself would run its
    /// migrations, racing the engine's own at start-up.
    static func committedState(dataDirectory: String, task: String) -> JSONValue? {
        let path = dataDirectory + "/engine.db"
        guard FileManager.default.fileExists(atPath: path),
              let database = try? SQLiteDatabase(path: path, readOnly: true),
              let rows = try? database.rows("SELECT checkpoint FROM task_checkpoints WHERE task = ?", [.text(task)]),
              case .text(let json)? = rows.first?.first,
              let checkpoint = try? JSONValue(parsing: json) else { return nil }
        return checkpoint["state"]
    }
}
