import Foundation
public import Logging
public import SluiceCatalog
public import SluiceCollection
import SluiceDocument
import SluiceJournal
import SluiceTask
import Synchronization

/// How an engine runs.
public struct EngineOptions: Sendable {
    public var dataDirectory: String
    public var bounds: TransactionBounds
    /// First and largest wait before restarting a failed task (doubling in between).
    public var restartBackoffSeconds: (initial: Double, max: Double)
    /// How often `--until-idle` checks whether every task is idle.
    public var idleCheckSeconds: Double
    /// How long every task must stay idle (at least two checks) before `--until-idle` stops:
    /// an HTTP capture is idle whenever no request waits, so this is how long a pipeline fed by
    /// HTTP waits for more before it ends (`sluice run --idle-seconds`).
    public var idleSeconds: Double = 0
    /// How often task statistics are published to `ops/stats` (0 disables them).
    public var statsIntervalSeconds: Double = 1
    public var logger: Logger
    public var wallClockNanoseconds: @Sendable () -> UInt64

    public init(dataDirectory: String, bounds: TransactionBounds = TransactionBounds(),
                restartBackoffSeconds: (initial: Double, max: Double) = (1, 60), idleCheckSeconds: Double = 0.1,
                logger: Logger = Logger(label: "sluice"),
                wallClockNanoseconds: (@Sendable () -> UInt64)? = nil) {
        self.dataDirectory = dataDirectory
        self.bounds = bounds
        self.restartBackoffSeconds = restartBackoffSeconds
        self.idleCheckSeconds = idleCheckSeconds
        self.logger = logger
        self.wallClockNanoseconds = wallClockNanoseconds ?? { UInt64(Date().timeIntervalSince1970 * 1e9) }
    }
}

/// Why an engine could not start or stopped with an error.
public enum EngineError: Error, CustomStringConvertible {
    case catalog(CatalogError)
    case incompatibleChange(collection: String, reason: String)
    case taskFailed(task: String, error: String)
    /// A task refused its configuration or its input (`TaskError.configuration`: a bad lambda,
    /// a document its schema rejects, a connector's bad output): the user must fix it.
    case taskRefused(task: String, error: String)

    public var description: String {
        switch self {
        case .catalog(let error): return error.description
        case .incompatibleChange(let collection, let reason): return "collection \(collection): \(reason)"
        case .taskFailed(let task, let error): return "task \(task) failed: \(error)"
        case .taskRefused(let task, let error): return "task \(task) failed: \(error)"
        }
    }

    /// User errors (bad catalog, refused change) as opposed to runtime failures.
    public var isUserError: Bool {
        switch self {
        case .catalog, .incompatibleChange, .taskRefused: return true
        case .taskFailed: return false
        }
    }
}

/// Runs every task of a catalog in this process (docs/runtime.md).
public final class Engine: Sendable {
    public let catalog: Catalog
    public let options: EngineOptions
    public let registry: JournalRegistry
    public let collections: [String: CollectionSpec]
    let connectors: ConnectorSet
    let store: StateStore
    let stopFlag = Atomic<Bool>(false)
    let catalogFolder: String
    /// Status of every task, by name.
    public let statuses: [String: TaskStatus]
    /// Journal name prefixes each reading task reads, for idle detection.
    let sources: [String: [String]]

    public init(catalog: Catalog, connectors: ConnectorSet, options: EngineOptions) throws {
        self.catalog = catalog
        self.connectors = connectors
        self.options = options
        self.catalogFolder = ((catalog.files.first ?? FileManager.default.currentDirectoryPath) as NSString).deletingLastPathComponent
        var specs: [String: CollectionSpec] = [:]
        for (name, definition) in catalog.collections {
            do {
                specs[name] = try CollectionSpec(definition: definition)
            } catch {
                throw EngineError.catalog(error)
            }
        }
        self.collections = specs
        self.store = try StateStore(dataDirectory: options.dataDirectory)
        let logger = options.logger
        self.registry = JournalRegistry(path: options.dataDirectory) { name, line in
            logger.warning("journal recovery", metadata: ["journal": "\(name)", "report": "\(line)"])
        }
        var statuses: [String: TaskStatus] = [:]
        var sources: [String: [String]] = [:]
        for name in catalog.captures.keys { statuses[name] = TaskStatus(name: name, kind: .capture) }
        for definition in catalog.derivations {
            statuses[definition.name] = TaskStatus(name: definition.name, kind: .derivation)
            sources[definition.name] = (definition.derive?.transforms ?? []).map { $0.source.collection + "/" }
        }
        for (name, definition) in catalog.materializations {
            statuses[name] = TaskStatus(name: name, kind: .materialization)
            sources[name] = definition.bindings.filter { !$0.disable }.map { $0.source.collection + "/" }
        }
        self.statuses = statuses
        self.sources = sources
        try checkCatalogChanges()
    }

    /// Asks every task to stop at its next transaction boundary.
    public func requestStop() { stopFlag.store(true, ordering: .relaxed) }

    public var isStopRequested: Bool { stopFlag.load(ordering: .relaxed) }

    /// Runs until a stop is requested, or (with `untilIdle`) until every capture is exhausted
    /// or idle and every derivation and materialization has read its sources to their heads.
    /// Throws when a task fails permanently (the others are stopped first).
    public func run(untilIdle: Bool = false) async throws {
        let tasks = try makeTasks()
        options.logger.info("engine started", metadata: ["tasks": "\(tasks.count)", "data": "\(options.dataDirectory)"])
        let failure = FirstFailure()
        await withTaskGroup(of: Void.self) { group in
            for task in tasks {
                group.addTask {
                    do {
                        try await self.supervise(task)
                    } catch let error as EngineError {
                        failure.record(error)
                        self.requestStop()
                    } catch {
                        failure.record(.taskFailed(task: task.name, error: "\(error)"))
                        self.requestStop()
                    }
                }
            }
            if untilIdle {
                group.addTask { await self.stopWhenIdle() }
            }
            if options.statsIntervalSeconds > 0 {
                group.addTask { await self.publishStats() }
            }
            await group.waitForAll()
        }
        await registry.close()
        if let error = failure.error { throw error }
        options.logger.info("engine stopped")
    }

    // MARK: - Tasks

    struct RunnableTask: Sendable {
        let name: String
        let kind: TaskStatus.Kind
        /// Builds a fresh runner (after a failure, recovery starts over from the checkpoint).
        let start: @Sendable () async throws -> Void
    }

    private func context(_ task: String) -> TaskContext {
        var logger = options.logger
        logger[metadataKey: "task"] = "\(task)"
        return TaskContext(taskName: task, dataDirectory: options.dataDirectory, catalogFolder: catalogFolder,
                           registry: registry, logger: logger, wallClockNanoseconds: options.wallClockNanoseconds)
    }

    private func spec(_ name: String, task: String) throws -> CollectionSpec {
        guard let spec = collections[name] else {
            throw TaskError.configuration(task: task, message: "collection \(name) is not defined")
        }
        return spec
    }

    func makeTasks() throws -> [RunnableTask] {
        var tasks: [RunnableTask] = []
        let stop: @Sendable () -> Bool = { [weak self] in self?.isStopRequested ?? true }
        for definition in catalog.captures.values.sorted(by: { $0.name < $1.name }) {
            let name = definition.name
            var bindings: [CaptureBindingSpec] = []
            for (index, binding) in definition.bindings.enumerated() where !binding.disable {
                bindings.append(CaptureBindingSpec(index: index, resource: binding.resource, collection: try spec(binding.target, task: name),
                                                   backfill: binding.backfill))
            }
            let connector = try connectors.capture(definition.endpoint, task: name)
            let (context, store, bounds, status, bindingSpecs) = (context(name), store, options.bounds, statuses[name]!, bindings)
            tasks.append(RunnableTask(name: name, kind: .capture) {
                try await CaptureTask(definition: definition, bindings: bindingSpecs, connector: connector, context: context,
                                      store: store, bounds: bounds, status: status, stopRequested: stop).run()
            })
        }
        for collection in catalog.derivations {
            let name = collection.name
            guard let derive = collection.derive else { continue }
            let derived = try spec(name, task: name)
            var transforms: [TransformSpec] = []
            for (index, transform) in derive.transforms.enumerated() {
                let selector = try partitionSelector(transform.source, task: name)
                transforms.append(TransformSpec(index: index, definition: transform, source: try spec(transform.source.collection, task: name),
                                                selector: selector, sourceDefinition: catalog.collections[transform.source.collection]))
            }
            _ = try connectors.derivation(derive, task: name)  // fails early when the runtime is missing
            let (context, bounds, status, connectors, transformSpecs) = (context(name), options.bounds, statuses[name]!, connectors, transforms)
            tasks.append(RunnableTask(name: name, kind: .derivation) {
                let task = DerivationTask(derived: derived, definition: derive, transforms: transformSpecs,
                                          makeConnector: { try connectors.derivation(derive, task: name) },
                                          context: context, bounds: bounds, status: status,
                                          headSum: { [weak self] in self?.headSum(self?.sources[name] ?? []) ?? 0 }, stopRequested: stop)
                try await task.run()
            })
        }
        for definition in catalog.materializations.values.sorted(by: { $0.name < $1.name }) {
            let name = definition.name
            var bindings: [MaterializationBindingSpec] = []
            for (index, binding) in definition.bindings.enumerated() where !binding.disable {
                bindings.append(MaterializationBindingSpec(index: index, collection: try spec(binding.source.collection, task: name),
                                                           selector: try partitionSelector(binding.source, task: name),
                                                           resource: binding.resource, fields: binding.fields, backfill: binding.backfill,
                                                           projections: projections(of: binding.source.collection)))
            }
            let connector = try connectors.materialization(definition.endpoint, task: name)
            let (context, bounds, status, bindingSpecs) = (context(name), options.bounds, statuses[name]!, bindings)
            tasks.append(RunnableTask(name: name, kind: .materialization) {
                let task = MaterializationTask(definition: definition, bindings: bindingSpecs, connector: connector, context: context,
                                               bounds: bounds, status: status, stopRequested: stop)
                task.headSum = { [weak self] in self?.headSum(self?.sources[name] ?? []) ?? 0 }
                try await task.run()
            })
        }
        return tasks
    }

    /// A collection's named projections (field → location), for materialization field selection.
    private func projections(of collection: String) -> [String: JSONPointer] {
        var result: [String: JSONPointer] = [:]
        for (field, projection) in catalog.collections[collection]?.projections ?? [:] {
            if let pointer = try? JSONPointer(parsing: projection.location.pointer) { result[field] = pointer }
        }
        return result
    }

    private func partitionSelector(_ source: SourceSelector, task: String) throws -> PartitionSelector {
        do {
            func values(_ text: [String: [String]]) throws -> [String: [JSONValue]] {
                try text.mapValues { try $0.map { try JSONValue(parsing: $0) } }
            }
            return try PartitionSelector(includeValues: values(source.includePartitions), excludeValues: values(source.excludePartitions))
        } catch {
            throw TaskError.configuration(task: task, message: "partition selector of \(source.collection): \(error)")
        }
    }

    /// Runs a task until it returns or a stop is requested; restarts it after a failure with
    /// exponential backoff; a permanent failure ends the engine.
    private func supervise(_ task: RunnableTask) async throws {
        var backoff = options.restartBackoffSeconds.initial
        statuses[task.name]?.setRunning(true)
        defer { statuses[task.name]?.setRunning(false) }
        while !isStopRequested {
            do {
                try await task.start()
                return
            } catch let error as TaskError where error.isPermanent {
                options.logger.error("task failed and will not be restarted", metadata: ["task": "\(task.name)", "error": "\(error)"])
                if case .configuration = error { throw EngineError.taskRefused(task: task.name, error: error.description) }
                throw EngineError.taskFailed(task: task.name, error: error.description)
            } catch let error as DerivationApplyError where (error.underlying as? CollectionError)?.isDataError == true {
                options.logger.error("derivation refused a document and will not be restarted",
                                     metadata: ["task": "\(task.name)", "error": "\(error)"])
                throw EngineError.taskRefused(task: task.name, error: error.description)
            } catch let error as CollectionError where error.isDataError {
                options.logger.error("task refused a document and will not be restarted",
                                     metadata: ["task": "\(task.name)", "error": "\(error)"])
                throw EngineError.taskRefused(task: task.name, error: error.description)
            } catch {
                if isStopRequested { return }
                statuses[task.name]?.update {
                    $0.restarts += 1
                    $0.lastError = "\(error)"
                    $0.caughtUp = false
                }
                options.logger.warning("task failed; restarting", metadata: [
                    "task": "\(task.name)", "error": "\(error)", "retry_in_seconds": "\(backoff)",
                ])
                let until = Date().addingTimeInterval(backoff)
                while Date() < until, !isStopRequested { try? await Task.sleep(nanoseconds: 50_000_000) }
                backoff = min(backoff * 2, options.restartBackoffSeconds.max)
            }
        }
    }

    // MARK: - Stats

    /// Publishes what tasks committed since the last round to `ops/stats`, every
    /// `statsIntervalSeconds` and once more when the engine stops.
    private func publishStats() async {
        guard let collection = try? OpsStats.collection() else { return }
        let publisher = TransactionPublisher(registry: registry, wallClockNanoseconds: options.wallClockNanoseconds)
        var stopping = false
        while !stopping {
            let until = Date().addingTimeInterval(options.statsIntervalSeconds)
            while Date() < until, !isStopRequested { try? await Task.sleep(nanoseconds: 20_000_000) }
            stopping = isStopRequested
            // The last round runs after every task finished its transaction.
            if stopping { while statuses.values.contains(where: { $0.isRunning }) { try? await Task.sleep(nanoseconds: 10_000_000) } }
            do {
                var any = false
                for (name, status) in statuses.sorted(by: { $0.key < $1.key }) {
                    let delta = status.takeStats()
                    guard !delta.isEmpty else { continue }
                    try publisher.add(try OpsStats.document(task: name, kind: status.snapshot.kind.rawValue, delta: delta,
                                                            nowNanoseconds: options.wallClockNanoseconds()), to: collection)
                    any = true
                }
                if any { try await TransactionPublisher.acknowledge(try await publisher.publish(), registry: registry) }
            } catch {
                publisher.abandon()
                options.logger.warning("publishing task statistics failed", metadata: ["error": "\(error)"])
            }
        }
    }

    // MARK: - Idle

    /// The sum of the heads (and count) of the journals under `prefixes`: it changes whenever
    /// anything is appended or a journal appears.
    func headSum(_ prefixes: [String]) -> Int64 {
        var total: Int64 = 0
        for prefix in prefixes {
            for name in (try? registry.journalNames(withPrefix: prefix)) ?? [] {
                total += ((try? registry.existingJournal(name))??.head ?? 0) + 1
            }
        }
        return total
    }

    /// True when every capture is exhausted or idle and every reading task last found nothing
    /// new at the heads its sources have now.
    func isIdle() -> Bool {
        for (name, status) in statuses {
            let snapshot = status.snapshot
            switch snapshot.kind {
            case .capture:
                if !(snapshot.exhausted || snapshot.caughtUp) { return false }
            case .derivation, .materialization:
                guard snapshot.caughtUp, let heads = snapshot.caughtUpHeads else { return false }
                if heads != headSum(sources[name] ?? []) { return false }
            }
        }
        return true
    }

    private func stopWhenIdle() async {
        var quietChecks = 0
        while !isStopRequested {
            try? await Task.sleep(nanoseconds: UInt64(options.idleCheckSeconds * 1e9))
            // Two consecutive idle checks at least (a task that just woke has had time to say
            // so), and as many as `idleSeconds` takes.
            quietChecks = isIdle() ? quietChecks + 1 : 0
            if quietChecks >= max(2, Int((options.idleSeconds / options.idleCheckSeconds).rounded(.up))) {
                options.logger.info("every task is idle; stopping")
                requestStop()
            }
        }
    }

    // MARK: - Catalog changes

    /// A collection's key and partitions decide where its documents live; changing them under
    /// existing journals would misread them. Refused, with an explanation.
    private func checkCatalogChanges() throws {
        var current: [String: String] = [:]
        for (name, spec) in collections {
            current[name] = spec.key.pointers.map(\.description).joined(separator: ",") + "|"
                + spec.partitions.map { "\($0.field)=\($0.pointer)" }.joined(separator: ",")
        }
        let previous = try store.catalogSnapshot()
        for (name, fingerprint) in current {
            guard let old = previous[name], old != fingerprint else { continue }
            let hasJournals = !((try? registry.journalNames(withPrefix: name + "/")) ?? []).isEmpty
            if hasJournals {
                throw EngineError.incompatibleChange(
                    collection: name,
                    reason: "its key or partitions changed (\(old) → \(fingerprint)), but its journals hold documents "
                        + "written under the old ones; create a new collection (and a derivation from the old one) instead")
            }
        }
        try store.saveCatalogSnapshot(current)
    }
}

/// The first permanent failure of a run.
final class FirstFailure: Sendable {
    private let state = Mutex<EngineError?>(nil)

    func record(_ error: EngineError) { state.withLock { $0 = $0 ?? error } }

    var error: EngineError? { state.withLock { $0 } }
}
