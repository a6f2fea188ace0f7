import Foundation
public import Logging
public import SluiceCatalog
public import SluiceCollection
import SluiceCombine
public import SluiceDocument

/// Sluice embedded in a Swift program (docs/library.md): a catalog (a file, or YAML built in
/// code), its data directory, and the engine that runs it.
///
///     let sluice = try Sluice(catalogPath: "flow.yaml", dataDirectory: "./sluice-data")
///     try await sluice.ingest("acme/orders", [["id": 1, "customer": "c", "amount": 2]])
///     try await sluice.runUntilIdle()
///     let totals = try await sluice.read("acme/totals", reduced: true)
public final class Sluice: @unchecked Sendable {
    // Safety: `connectors` and `running` are changed only through the lock.
    public let catalog: Catalog
    public let dataDirectory: String
    public let logger: Logger
    private let lock = NSLock()
    private var connectorSet: ConnectorSet
    private var running: (engine: Engine, task: Task<Void, any Error>)?

    /// Opens a catalog file. Relative paths in it resolve against its folder.
    public convenience init(catalogPath: String, dataDirectory: String, connectors: ConnectorSet = .builtIn,
                            logger: Logger = Logger(label: "sluice")) throws {
        self.init(catalog: try CatalogLoader.load(path: catalogPath), dataDirectory: dataDirectory, connectors: connectors, logger: logger)
    }

    /// Opens a catalog written in code, as if it were the file `path` (for relative paths).
    public convenience init(catalogYAML: String, path: String, dataDirectory: String, connectors: ConnectorSet = .builtIn,
                            logger: Logger = Logger(label: "sluice")) throws {
        self.init(catalog: try CatalogLoader.load(yaml: catalogYAML, path: path), dataDirectory: dataDirectory,
                  connectors: connectors, logger: logger)
    }

    public init(catalog: Catalog, dataDirectory: String, connectors: ConnectorSet = .builtIn, logger: Logger = Logger(label: "sluice")) {
        self.catalog = catalog
        self.dataDirectory = dataDirectory
        self.connectorSet = connectors
        self.logger = logger
    }

    /// The connectors the engine will use; change them (for example to register Swift
    /// transforms) before running.
    public var connectors: ConnectorSet {
        get { lock.withLock { connectorSet } }
        set { lock.withLock { connectorSet = newValue } }
    }

    private func collection(_ name: String) throws -> CollectionSpec {
        guard let definition = catalog.collections[name] else {
            throw CollectionError.unknownCollection(name: name, known: catalog.collections.keys.sorted())
        }
        return try CollectionSpec(definition: definition)
    }

    /// Writes `documents` into a collection as one transaction (validated, combined by key,
    /// committed and acknowledged when this returns).
    public func ingest(_ collection: String, _ documents: [JSONValue]) async throws {
        let spec = try self.collection(collection)
        try await withRegistry { registry in
            let publisher = TransactionPublisher(registry: registry)
            for document in documents { try publisher.add(try Document(document), to: spec) }
            try await TransactionPublisher.acknowledge(try await publisher.publish(), registry: registry)
        }
    }

    /// Runs `body` with the running engine's registry, or with a registry of its own that is
    /// closed (its journal locks released) before this returns, thrown errors included: a
    /// following call, or an engine started next, opens the same journals.
    private func withRegistry<Result>(_ body: (JournalRegistry) async throws -> Result) async throws -> Result {
        if let shared = lock.withLock({ running?.engine.registry }) { return try await body(shared) }
        let registry = JournalRegistry(path: dataDirectory)
        do {
            let result = try await body(registry)
            await registry.close()
            return result
        } catch {
            await registry.close()
            throw error
        }
    }

    /// The committed documents of a collection, in journal order; or with `reduced`, one fully
    /// reduced document per key in key order (deleted keys left out, `_meta/uuid` removed).
    public func read(_ collection: String, reduced: Bool = false) async throws -> [Document] {
        let spec = try self.collection(collection)
        return try await withRegistry { registry in
            let reader = try CollectionReader(collection: spec, registry: registry)
            guard reduced else {
                var documents: [Document] = []
                try await reader.read { documents.append($0.document) }
                return documents
            }
            var combiner = Combiner(configuration: CombinerConfiguration(key: spec.key, mode: .full), validator: spec.readSchema.validator())
            try await reader.read { try combiner.add(DocumentMeta.removingUUID($0.document)) }
            var drainer = try combiner.drain()
            var documents: [Document] = []
            while let drained = try drainer.next() {
                if !drained.isDeleted { documents.append(drained.document) }
            }
            return documents
        }
    }

    /// Runs every task until each capture is exhausted (or idle) and every task has caught up.
    public func runUntilIdle(options: EngineOptions? = nil) async throws {
        let engine = try Engine(catalog: catalog, connectors: connectors,
                                options: options ?? EngineOptions(dataDirectory: dataDirectory, logger: logger))
        try await engine.run(untilIdle: true)
    }

    /// Starts every task in the background; `stop()` ends them at a transaction boundary.
    public func start(options: EngineOptions? = nil) throws {
        let engine = try Engine(catalog: catalog, connectors: connectors,
                                options: options ?? EngineOptions(dataDirectory: dataDirectory, logger: logger))
        let task = Task { try await engine.run() }
        lock.withLock { running = (engine, task) }
    }

    /// Stops what `start` started and waits for it; rethrows a task's permanent failure.
    public func stop() async throws {
        guard let (engine, task) = lock.withLock({ running }) else { return }
        engine.requestStop()
        defer { lock.withLock { running = nil } }
        try await task.value
    }

    /// The running engine's task statuses (empty when not running).
    public var statuses: [String: TaskStatus.Snapshot] {
        lock.withLock { running?.engine.statuses.mapValues(\.snapshot) ?? [:] }
    }
}
