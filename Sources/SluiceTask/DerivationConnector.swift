public import SluiceCatalog
public import SluiceCollection
public import SluiceDocument
public import SluiceSQLite

/// One transform of a derivation, resolved against the catalog.
public struct TransformSpec: Sendable {
    public let index: Int
    public let definition: TransformDefinition
    /// The source collection.
    public let source: CollectionSpec
    public let selector: PartitionSelector
    /// The source collection as the catalog defines it (its schema text and projections, from
    /// which SQLite lambdas resolve their `$parameters`); nil when built without a catalog.
    public let sourceDefinition: CollectionDefinition?

    public init(index: Int, definition: TransformDefinition, source: CollectionSpec, selector: PartitionSelector,
                sourceDefinition: CollectionDefinition? = nil) {
        self.index = index
        self.definition = definition
        self.source = source
        self.selector = selector
        self.sourceDefinition = sourceDefinition
    }

    public var name: String { definition.name }
}

/// How a derivation turns source documents into derived ones (SQLite lambdas, Swift closures).
/// The runtime owns the transaction: it opens an SQLite transaction on the derivation's
/// database, calls `apply` for each source document, publishes what it returns, and commits
/// the state tables, the read checkpoints and the ACK intents together.
public protocol DerivationConnector: AnyObject {
    /// Prepares the derivation's database (migrations) and its transforms. Called once per
    /// task start, outside any transaction.
    func open(database: SQLiteDatabase, derivation: CollectionSpec, transforms: [TransformSpec], context: TaskContext) throws
    /// Runs transform `transform` for `document` (read committed from its source), calling
    /// `publish` for every derived document. Runs inside the runtime's SQLite transaction.
    func apply(transform: Int, document: Document, publish: (Document) throws -> Void) throws
    func close()
}

extension DerivationConnector {
    public func close() {}
}
