public import SluiceCatalog
public import SluiceCollection
public import SluiceDocument

/// One binding of a materialization.
public struct MaterializationBindingSpec: Sendable {
    public let index: Int
    public let collection: CollectionSpec
    public let selector: PartitionSelector
    public let resource: MaterializationResource
    public let fields: FieldSelection
    /// Bumping it rebuilds the binding's target (table, keys, files) from the collection's start.
    public let backfill: Int
    /// The collection's named projections (field → location) from the catalog, which
    /// `fields.include` may name besides top-level properties.
    public let projections: [String: JSONPointer]

    public init(index: Int, collection: CollectionSpec, selector: PartitionSelector, resource: MaterializationResource,
                fields: FieldSelection, backfill: Int, projections: [String: JSONPointer] = [:]) {
        self.index = index
        self.collection = collection
        self.selector = selector
        self.resource = resource
        self.fields = fields
        self.backfill = backfill
        self.projections = projections
    }

    /// Delta updates store each transaction's combined documents without loading. Files and
    /// S3 are always delta updates: an archive of each transaction's combined documents.
    public var deltaUpdates: Bool {
        switch resource {
        case .table(_, _, let delta): return delta
        case .files: return true
        case .redis: return false
        }
    }
}

/// A key to load: packed (FoundationDB tuple encoding) and as values, in key order.
public struct LoadKey: Sendable, Hashable {
    public let packed: [UInt8]
    public let values: [JSONValue]

    public init(packed: [UInt8], values: [JSONValue]) {
        self.packed = packed
        self.values = values
    }
}

/// What one transaction stores for one binding.
public struct StoreEntry: Sendable {
    public let key: LoadKey
    /// The fully reduced document (standard updates) or the transaction's combined document
    /// (delta updates).
    public let document: Document
    /// The key is deleted (its reduction is a tombstone): remove the row.
    public let isDeleted: Bool
    /// The key was loaded from the store (update rather than insert).
    public let existed: Bool

    public init(key: LoadKey, document: Document, isDeleted: Bool, existed: Bool) {
        self.key = key
        self.document = document
        self.isDeleted = isDeleted
        self.existed = existed
    }
}

/// A running materialization: fenced, with the checkpoint committed with its data.
public protocol MaterializationSession: AnyObject {
    /// The runtime's checkpoint (opaque bytes) committed with the data last time; nil at first.
    var checkpoint: [UInt8]? { get }
    /// The stored documents of `keys` of a binding (missing keys are left out).
    func load(binding: Int, keys: [LoadKey]) async throws -> [Document]
    /// Stores the entries of every binding and the checkpoint in one transaction, fenced:
    /// throws `TaskError.fencedOff` when a newer instance took over (nothing is stored then).
    func store(_ entries: [Int: [StoreEntry]], checkpoint: [UInt8]) async throws
    func close() async
}

/// A materialization connector (sqlite, postgres, redis, files, s3).
public protocol MaterializationConnector: Sendable {
    /// Creates or migrates tables, increments the fence and reads the checkpoint.
    func open(endpoint: MaterializationEndpoint, bindings: [MaterializationBindingSpec],
              context: TaskContext) async throws -> any MaterializationSession
}
