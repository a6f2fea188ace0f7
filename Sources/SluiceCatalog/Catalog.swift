// The catalog model: what a loaded, structurally valid catalog says. Names of the entities
// follow Flow's flow.yaml (docs/catalog.md lists every field).

/// A loaded catalog.
public struct Catalog: Sendable {
    /// The root file and every file it imported, root first.
    public var files: [String]
    public var collections: [String: CollectionDefinition]
    public var captures: [String: CaptureDefinition]
    public var materializations: [String: MaterializationDefinition]
    public var tests: [String: TestDefinition]

    public init(files: [String] = [], collections: [String: CollectionDefinition] = [:],
                captures: [String: CaptureDefinition] = [:],
                materializations: [String: MaterializationDefinition] = [:],
                tests: [String: TestDefinition] = [:]) {
        self.files = files
        self.collections = collections
        self.captures = captures
        self.materializations = materializations
        self.tests = tests
    }

    /// Collections that are derivations.
    public var derivations: [CollectionDefinition] {
        collections.values.filter { $0.derive != nil }.sorted { $0.name < $1.name }
    }
}

/// JSON text taken from the catalog (an inline value or a referenced file), with where it came from.
public struct JSONText: Hashable, Sendable {
    /// Compact JSON.
    public var text: String
    public var location: SourceLocation

    public init(text: String, location: SourceLocation) {
        self.text = text
        self.location = location
    }
}

/// A JSON schema as written in the catalog.
public struct SchemaSource: Hashable, Sendable {
    public enum Origin: Hashable, Sendable {
        /// Written inline in the catalog.
        case inline
        /// Read from a file (absolute path), optionally a JSON pointer into it (`file#/pointer`).
        case file(path: String, pointer: String)
    }

    public var json: JSONText
    public var origin: Origin
    /// Absolute path of the file `$ref`s resolve against (the schema file, or the catalog file).
    public var baseFile: String
}

/// A JSON pointer written in the catalog, with its location for errors.
public struct LocatedPointer: Hashable, Sendable, CustomStringConvertible {
    public var pointer: String
    public var location: SourceLocation

    public var description: String { pointer }
}

public struct CollectionDefinition: Sendable {
    public var name: String
    public var location: SourceLocation
    /// The schema, or nil when `writeSchema` and `readSchema` are given instead.
    public var schema: SchemaSource?
    public var writeSchema: SchemaSource?
    public var readSchema: SchemaSource?
    public var key: [LocatedPointer]
    public var projections: [String: Projection]
    public var journals: JournalSettings
    public var derive: DerivationDefinition?

    /// The schema documents are validated against when written.
    public var effectiveWriteSchema: SchemaSource? { writeSchema ?? schema }
    /// The schema readers (and reductions) use.
    public var effectiveReadSchema: SchemaSource? { readSchema ?? schema }

    /// Projections with `partition: true`, by field name.
    public var partitionFields: [Projection] {
        projections.values.filter(\.partition).sorted { $0.field < $1.field }
    }
}

public struct Projection: Hashable, Sendable {
    public var field: String
    public var location: LocatedPointer
    public var partition: Bool
}

/// Flow's `journals: {fragments: {…}}` of a collection.
public struct JournalSettings: Hashable, Sendable {
    public enum Codec: String, Hashable, Sendable, CaseIterable {
        case none, lz4, zstd
    }

    /// Target length of a fragment before it is sealed. Nil: the journal's default.
    public var fragmentLengthBytes: Int?
    public var codec: Codec?
    /// Seal fragments at UTC-aligned boundaries of this interval.
    public var flushIntervalSeconds: Int?
    /// Drop sealed fragments older than this.
    public var retentionSeconds: Int?

    public init(fragmentLengthBytes: Int? = nil, codec: Codec? = nil, flushIntervalSeconds: Int? = nil,
                retentionSeconds: Int? = nil) {
        self.fragmentLengthBytes = fragmentLengthBytes
        self.codec = codec
        self.flushIntervalSeconds = flushIntervalSeconds
        self.retentionSeconds = retentionSeconds
    }
}

// MARK: - Derivations

public struct DerivationDefinition: Sendable {
    public enum Using: Sendable {
        /// SQLite lambdas; migrations run once, in order.
        case sqlite(migrations: [SQLText])
        /// Swift transforms registered through the library API under this name.
        case swift(module: String)
    }

    public var using: Using
    public var transforms: [TransformDefinition]
    /// Key-range shards, each with its own database.
    public var shards: Int
    public var location: SourceLocation
}

/// SQL written inline or read from a file.
public struct SQLText: Hashable, Sendable {
    public var sql: String
    public var location: SourceLocation
    /// The file the SQL was read from, if not inline.
    public var file: String?
}

public struct TransformDefinition: Sendable {
    public enum Shuffle: Hashable, Sendable {
        case any
        case key([LocatedPointer])
    }

    public var name: String
    public var source: SourceSelector
    public var shuffle: Shuffle
    /// The SQL lambda (SQLite derivations); nil for Swift derivations or a publish-nothing transform.
    public var lambda: SQLText?
    public var readDelaySeconds: Double
    public var priority: Int
    public var backfill: Int
    public var location: SourceLocation
}

/// Which documents of a collection a transform or binding reads.
public struct SourceSelector: Hashable, Sendable {
    public var collection: String
    public var collectionLocation: SourceLocation
    /// Partition field → allowed values (as JSON text); empty means all.
    public var includePartitions: [String: [String]]
    public var excludePartitions: [String: [String]]
    /// RFC 3339 bounds on the documents' publication time.
    public var notBefore: String?
    public var notAfter: String?
}

// MARK: - Captures

public struct CaptureDefinition: Sendable {
    public var name: String
    public var location: SourceLocation
    public var endpoint: CaptureEndpoint
    public var bindings: [CaptureBinding]
    /// Delay between polls of a capture that has caught up (Flow's `interval`).
    public var intervalSeconds: Double?
}

public struct CaptureBinding: Sendable {
    public var resource: CaptureResource
    public var target: String
    public var targetLocation: SourceLocation
    public var backfill: Int
    public var disable: Bool
    public var location: SourceLocation
}

// MARK: - Materializations

public struct MaterializationDefinition: Sendable {
    public var name: String
    public var location: SourceLocation
    public var endpoint: MaterializationEndpoint
    public var bindings: [MaterializationBinding]
}

public struct MaterializationBinding: Sendable {
    public var source: SourceSelector
    public var resource: MaterializationResource
    public var fields: FieldSelection
    public var backfill: Int
    public var disable: Bool
    public var location: SourceLocation
}

/// Which projected fields a materialization binding stores as columns.
public struct FieldSelection: Hashable, Sendable {
    public var include: [String]
    public var exclude: [String]
    /// Include the fields Flow would recommend (scalar top-level properties); default true.
    public var recommended: Bool

    public init(include: [String] = [], exclude: [String] = [], recommended: Bool = true) {
        self.include = include
        self.exclude = exclude
        self.recommended = recommended
    }
}

// MARK: - Tests

public struct TestDefinition: Sendable {
    public var name: String
    public var location: SourceLocation
    public var steps: [TestStep]
}

public enum TestStep: Sendable {
    /// One transaction of documents into a collection.
    case ingest(collection: String, documents: [JSONText], location: SourceLocation)
    /// The fully reduced documents of a collection, in key order; expected documents may be partial.
    case verify(collection: String, documents: [JSONText], location: SourceLocation)

    public var collection: String {
        switch self {
        case .ingest(let collection, _, _), .verify(let collection, _, _): return collection
        }
    }

    public var location: SourceLocation {
        switch self {
        case .ingest(_, _, let location), .verify(_, _, let location): return location
        }
    }
}
