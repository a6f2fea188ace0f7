// SluiceCollection: collections over journals (docs/collections.md).
//
// A collection is a schema, a key and optional logical partitions; each partition's documents
// live in their own journal. This is where the document pillar (validate, reduce, combine)
// meets the storage pillar (journals, messages): the write path validates, combines and
// publishes transactions; the read path delivers read-committed documents across a
// collection's journals; compaction rewrites sealed fragments to one reduced document per key.
public import SluiceDocument
public import SluiceJournal
public import SluiceSchema

/// A logical partition field: a projection with `partition: true`.
public struct PartitionField: Sendable, Hashable {
    public let field: String
    public let pointer: JSONPointer

    public init(field: String, pointer: JSONPointer) {
        self.field = field
        self.pointer = pointer
    }
}

/// A collection as the engine uses it: compiled schemas, a key extractor, partitions and the
/// settings its journals are created with.
public struct CollectionSpec: Sendable {
    public let name: String
    public let key: KeyExtractor
    /// Sorted by field name.
    public let partitions: [PartitionField]
    /// Documents written to the collection are validated against this schema.
    public let writeSchema: Schema
    /// Reductions (and readers) use this schema's annotations.
    public let readSchema: Schema
    /// Settings of journals created for the collection.
    public let journalSpec: JournalSpec

    public init(name: String, key: [JSONPointer], partitions: [PartitionField] = [], writeSchema: Schema,
                readSchema: Schema? = nil, journalSpec: JournalSpec = JournalSpec()) {
        precondition(!key.isEmpty, "a collection needs a key")
        self.name = name
        let schema = readSchema ?? writeSchema
        // A key location that is missing takes the schema's `default` (SEMANTICS.md §1).
        self.key = KeyExtractor(pointers: key, defaults: key.map { schema.defaultValue(at: $0) })
        self.partitions = partitions.sorted { $0.field < $1.field }
        self.writeSchema = writeSchema
        self.readSchema = schema
        self.journalSpec = journalSpec
    }

    /// The prefix every journal of the collection starts with: `name/`.
    public var journalPrefix: String { name + "/" }
}
