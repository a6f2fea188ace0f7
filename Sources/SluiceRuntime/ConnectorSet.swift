public import SluiceCatalog
public import SluiceTask

/// The connectors an engine can run, by the name a catalog endpoint uses (`files`,
/// `http-ingest`, `sqlite`, …) and by derivation runtime (`sqlite`, `swift`). Built-in
/// connectors register in `ConnectorSet.builtIn`; the library API adds Swift transforms.
public struct ConnectorSet: Sendable {
    public var captures: [String: any CaptureConnector] = [:]
    public var materializations: [String: any MaterializationConnector] = [:]
    /// Factories, one derivation connector per task (they hold per-task state).
    public var derivations: [String: @Sendable (DerivationDefinition) throws -> any DerivationConnector] = [:]
    /// Connector-specific catalog checks for `sluice check` (for example, SQLite lambda
    /// parameters that name no field of the source schema).
    public var checks: [@Sendable (Catalog) -> [CatalogDiagnostic]] = []

    public init() {}

    func capture(_ endpoint: CaptureEndpoint, task: String) throws -> any CaptureConnector {
        guard let connector = captures[endpoint.connectorName] else {
            throw TaskError.configuration(task: task, message: "the \(endpoint.connectorName) capture connector is not available in this build")
        }
        return connector
    }

    func materialization(_ endpoint: MaterializationEndpoint, task: String) throws -> any MaterializationConnector {
        guard let connector = materializations[endpoint.connectorName] else {
            throw TaskError.configuration(task: task,
                                          message: "the \(endpoint.connectorName) materialization connector is not available in this build")
        }
        return connector
    }

    func derivation(_ definition: DerivationDefinition, task: String) throws -> any DerivationConnector {
        let name: String
        switch definition.using {
        case .sqlite: name = "sqlite"
        case .swift(let module): name = module.isEmpty ? "swift:" + task : "swift:" + module
        }
        guard let factory = derivations[name] else {
            if name.hasPrefix("swift:") {
                throw TaskError.configuration(task: task, message: "no Swift transforms are registered for \(task) "
                                              + "(register them with ConnectorSet.registerSwiftDerivation before running)")
            }
            throw TaskError.configuration(task: task, message: "the \(name) derivation runtime is not available in this build")
        }
        return try factory(definition)
    }
}

/// How long transactions run and how large they grow (docs/runtime.md).
public struct TransactionBounds: Sendable, Hashable {
    /// A transaction closes after this long (if it has a commit point).
    public var maxDurationSeconds: Double
    /// And is held open at least this long, to batch more.
    public var minDurationSeconds: Double
    /// Source documents read per derivation or materialization transaction.
    public var maxDocuments: Int
    /// Memory budget of each combiner of a transaction.
    public var combinerBudgetBytes: Int

    /// One second bounds latency; 50,000 documents keeps a transaction's combiner in memory.
    public init(maxDurationSeconds: Double = 1, minDurationSeconds: Double = 0, maxDocuments: Int = 50_000,
                combinerBudgetBytes: Int = 256 << 20) {
        self.maxDurationSeconds = maxDurationSeconds
        self.minDurationSeconds = minDurationSeconds
        self.maxDocuments = maxDocuments
        self.combinerBudgetBytes = combinerBudgetBytes
    }
}
