public import SluiceCatalog
import SluiceDocument
public import SluiceJournal
import SluiceSchema

extension CollectionSpec {
    /// The runtime spec of a catalog collection: schemas compiled (relative `$ref`s resolve
    /// beside the schema's file), journal settings mapped. Errors name the catalog location.
    public init(definition: CollectionDefinition) throws(CatalogError) {
        func compile(_ source: SchemaSource?, _ label: String) throws(CatalogError) -> Schema? {
            guard let source else { return nil }
            do {
                let value = try JSONValue(parsing: source.json.text)
                var options = SchemaOptions()
                options.baseURI = SchemaResolver.fileURI(path: source.baseFile)
                return try Schema(value, options: options)
            } catch {
                throw CatalogError([CatalogDiagnostic(location: source.json.location,
                                                      path: "collections[\(definition.name)].\(label)", message: "\(error)")])
            }
        }
        guard let write = try compile(definition.effectiveWriteSchema, definition.writeSchema == nil ? "schema" : "writeSchema")
        else {
            throw CatalogError([CatalogDiagnostic(location: definition.location, path: "collections[\(definition.name)]",
                                                  message: "has no schema")])
        }
        let read = try compile(definition.readSchema, "readSchema")
        var key: [JSONPointer] = []
        var partitions: [PartitionField] = []
        do {
            key = try definition.key.map { try JSONPointer(parsing: $0.pointer) }
            partitions = try definition.partitionFields.map {
                PartitionField(field: $0.field, pointer: try JSONPointer(parsing: $0.location.pointer))
            }
        } catch {
            throw CatalogError([CatalogDiagnostic(location: definition.location, path: "collections[\(definition.name)]",
                                                  message: "\(error)")])
        }
        self.init(name: definition.name, key: key, partitions: partitions, writeSchema: write, readSchema: read,
                  journalSpec: JournalSpec(settings: definition.journals))
    }
}

extension JournalSpec {
    /// A collection's journal settings over the journal defaults.
    public init(settings: JournalSettings) {
        self.init()
        if let length = settings.fragmentLengthBytes { fragmentLengthBytes = Int64(length) }
        switch settings.codec {
        case .none?: codec = FragmentCodec.none
        case .lz4?: codec = .lz4
        case .zstd?: codec = .zstd(level: 1)
        case nil: break
        }
        if let interval = settings.flushIntervalSeconds { flushIntervalSeconds = Int64(interval) }
        if let retention = settings.retentionSeconds { retentionAgeSeconds = Int64(retention) }
    }
}
