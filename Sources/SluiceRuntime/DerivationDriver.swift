import Foundation
public import Logging
public import SluiceCatalog
public import SluiceCollection
import SluiceDocument
import SluiceTask

/// Runs a catalog's derivations offline, one transaction at a time, without the engine's
/// scheduling: every shard of every selected derivation, until none has anything ready
/// (`sluice test`, `sluice preview`, benchmarks). Transactions are the same as under
/// `sluice run` (DerivationShard); only who decides when they run differs, so a run is
/// deterministic: derivations in name order, shards in order, each until it is idle.
public final class DerivationDriver {
    public let registry: JournalRegistry
    private var shards: [(name: String, shard: DerivationShard)] = []
    private let maxDocuments: Int
    /// Transactions committed so far.
    public private(set) var transactions = 0
    /// Source documents read, and documents published, so far.
    public private(set) var documentsRead = 0
    public private(set) var documentsWritten = 0

    /// Opens the shards of `derivations` (every derivation of the catalog when nil) over the
    /// journals of `registry`, each shard's database under `dataDirectory`. Throws a
    /// `TaskError` for a derivation that cannot run (a missing connector, a lambda that does
    /// not prepare, …).
    public init(catalog: Catalog, collections: [String: CollectionSpec], connectors: ConnectorSet, dataDirectory: String,
                registry: JournalRegistry, derivations names: [String]? = nil, bounds: TransactionBounds = TransactionBounds(),
                logger: Logger = Logger(label: "sluice"), wallClockNanoseconds: @escaping @Sendable () -> UInt64) async throws {
        self.registry = registry
        self.maxDocuments = bounds.maxDocuments
        let folder = ((catalog.files.first ?? FileManager.default.currentDirectoryPath) as NSString).deletingLastPathComponent
        let selected = catalog.derivations.filter { names == nil || names!.contains($0.name) }
        for collection in selected {
            guard let derive = collection.derive else { continue }
            let name = collection.name
            guard let derived = collections[name] else {
                throw TaskError.configuration(task: name, message: "collection \(name) is not defined")
            }
            let transforms = try Self.transformSpecs(derive, of: name, catalog: catalog, collections: collections)
            var taskLogger = logger
            taskLogger[metadataKey: "task"] = "\(name)"
            let context = TaskContext(taskName: name, dataDirectory: dataDirectory, catalogFolder: folder, registry: registry,
                                      logger: taskLogger, wallClockNanoseconds: wallClockNanoseconds)
            for index in 0..<max(1, derive.shards) {
                let shard = try await DerivationShard(derived: derived, definition: derive, transforms: transforms, shard: index,
                                                      makeConnector: { try connectors.derivation(derive, task: name) },
                                                      context: context, combinerBudgetBytes: bounds.combinerBudgetBytes)
                shards.append((name, shard))
            }
        }
    }

    /// The transforms of a derivation resolved against the catalog's collections.
    static func transformSpecs(_ derive: DerivationDefinition, of name: String, catalog: Catalog,
                               collections: [String: CollectionSpec]) throws -> [TransformSpec] {
        var transforms: [TransformSpec] = []
        for (index, transform) in derive.transforms.enumerated() {
            let source = transform.source
            guard let spec = collections[source.collection] else {
                throw TaskError.configuration(task: name, message: "collection \(source.collection) is not defined")
            }
            let selector: PartitionSelector
            do {
                func values(_ text: [String: [String]]) throws -> [String: [JSONValue]] {
                    try text.mapValues { try $0.map { try JSONValue(parsing: $0) } }
                }
                selector = try PartitionSelector(includeValues: values(source.includePartitions), excludeValues: values(source.excludePartitions))
            } catch {
                throw TaskError.configuration(task: name, message: "partition selector of \(source.collection): \(error)")
            }
            transforms.append(TransformSpec(index: index, definition: transform, source: spec, selector: selector,
                                            sourceDefinition: catalog.collections[source.collection]))
        }
        return transforms
    }

    /// Runs transactions until no shard has anything ready, and returns when the earliest
    /// document held for its read delay becomes due (nil when none is held).
    @discardableResult
    public func runUntilQuiet() async throws -> UInt64? {
        var progressed = true
        while progressed {
            progressed = false
            for (_, shard) in shards {
                while case .committed(let read, _, let written) = try await shard.transaction(maxDocuments: maxDocuments) {
                    progressed = true
                    transactions += 1
                    documentsRead += read
                    documentsWritten += written
                }
            }
        }
        var earliest: UInt64?
        for (_, shard) in shards {
            if let due = try shard.nextDueNanoseconds() { earliest = min(earliest ?? due, due) }
        }
        return earliest
    }

    /// Runs until nothing is ready or held, moving `clock` to each held document's due time.
    public func runUntilDone(advancing clock: SimulatedClock) async throws {
        while let due = try await runUntilQuiet() {
            clock.advance(to: due)
        }
    }

    public func close() {
        for (_, shard) in shards { shard.close() }
        shards = []
    }
}
