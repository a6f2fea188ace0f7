// SwiftDerivation: Swift transforms, registered through the library API, with their state in
// the derivation's SQLite database (docs/derivations.md "Swift transforms").
import SluiceCatalog
public import SluiceCollection
public import SluiceDocument
public import SluiceSQLite
public import SluiceTask

/// What a Swift transform gets with each source document: the derivation's database (its
/// state tables live there and commit with the transaction) and a way to publish.
public final class SwiftTransformContext {
    /// The derivation's database, inside the runtime's transaction: write state here, never
    /// BEGIN or COMMIT.
    public let database: SQLiteDatabase
    /// The transform being applied.
    public let transform: TransformSpec
    /// The derived collection.
    public let derivation: CollectionSpec
    /// A builder to make output documents with, reused across calls (a fresh `DocumentBuilder`
    /// allocates its buffers each time): `finish()` resets it.
    public var builder = DocumentBuilder()
    private var publisher: ((Document) throws -> Void)?

    init(database: SQLiteDatabase, transform: TransformSpec, derivation: CollectionSpec) {
        self.database = database
        self.transform = transform
        self.derivation = derivation
    }

    /// Publishes a derived document (validated against the derived collection's schema and
    /// combined by its key in the transaction).
    public func publish(_ document: Document) throws {
        guard let publisher else { preconditionFailure("SwiftTransformContext.publish called outside apply") }
        try publisher(document)
    }

    /// Publishes a derived document given as a heap value.
    public func publish(_ value: JSONValue) throws {
        try publish(try Document(value))
    }

    /// Runs `body` with `publish` forwarding to `sink`.
    func withPublisher<Result>(_ sink: (Document) throws -> Void, _ body: () throws -> Result) throws -> Result {
        try withoutActuallyEscaping(sink) { escapable in
            publisher = escapable
            defer { publisher = nil }
            return try body()
        }
    }
}

/// A Swift transform as a closure: called for each source document of its transform.
public typealias SwiftTransform = @Sendable (_ document: Document, _ context: SwiftTransformContext) throws -> Void

/// A derivation written in Swift, as a type. One instance runs per task start (and per shard).
public protocol SwiftDerivation: AnyObject {
    /// SQL migrations creating the state tables, applied once each, in order, before `open`.
    var migrations: [String] { get }
    /// Called once per task start, outside any transaction, after the migrations: prepare
    /// statements, check the transforms.
    func open(database: SQLiteDatabase, derivation: CollectionSpec, transforms: [TransformSpec], context: TaskContext) throws
    /// One source document of `context.transform`, inside the runtime's transaction.
    func apply(document: Document, context: SwiftTransformContext) throws
    func close()
}

extension SwiftDerivation {
    public var migrations: [String] { [] }
    public func open(database: SQLiteDatabase, derivation: CollectionSpec, transforms: [TransformSpec], context: TaskContext) throws {}
    public func close() {}
}

/// A derivation whose transforms are closures, by transform name.
public final class SwiftClosureDerivation: SwiftDerivation {
    public let migrations: [String]
    public let transforms: [String: SwiftTransform]
    private var byIndex: [SwiftTransform?] = []

    public init(migrations: [String] = [], transforms: [String: SwiftTransform]) {
        self.migrations = migrations
        self.transforms = transforms
    }

    /// Every transform of the catalog needs a closure, and every closure a transform.
    public func open(database: SQLiteDatabase, derivation: CollectionSpec, transforms specs: [TransformSpec], context: TaskContext) throws {
        var problems: [String] = []
        byIndex = Array(repeating: nil, count: (specs.map(\.index).max() ?? -1) + 1)
        for spec in specs {
            if let closure = transforms[spec.name] {
                byIndex[spec.index] = closure
            } else {
                let hint = Suggestions.closest(to: spec.name, in: transforms.keys.filter { name in !specs.contains { $0.name == name } })
                problems.append("transform \(spec.name) has no Swift closure registered" + (hint.map { " (did you mean \($0)?)" } ?? ""))
            }
        }
        for name in transforms.keys.sorted() where !specs.contains(where: { $0.name == name }) {
            problems.append("a Swift closure is registered for \(name), which is not a transform of \(derivation.name)")
        }
        if !problems.isEmpty {
            throw TaskError.configuration(task: context.taskName, message: problems.joined(separator: "; "))
        }
    }

    public func apply(document: Document, context: SwiftTransformContext) throws {
        try byIndex[context.transform.index]?(document, context)
    }
}

/// Runs a `SwiftDerivation` as a derivation connector: its migrations in the derivation's
/// database (recorded in `sluice_derivation_migrations`, like SQLite derivations'), one
/// context per transform.
public final class SwiftDerivationConnector: DerivationConnector {
    public let derivation: any SwiftDerivation
    private var contexts: [SwiftTransformContext?] = []

    public init(_ derivation: any SwiftDerivation) {
        self.derivation = derivation
    }

    public func open(database: SQLiteDatabase, derivation spec: CollectionSpec, transforms: [TransformSpec], context: TaskContext) throws {
        do {
            try SQLiteMigrations.apply(derivation.migrations, to: database, table: SQLiteDerivationConnector.migrationsTable)
        } catch {
            throw TaskError.configuration(task: context.taskName, message: "migrations of the Swift derivation: \(error)")
        }
        contexts = Array(repeating: nil, count: (transforms.map(\.index).max() ?? -1) + 1)
        for transform in transforms {
            contexts[transform.index] = SwiftTransformContext(database: database, transform: transform, derivation: spec)
        }
        try derivation.open(database: database, derivation: spec, transforms: transforms, context: context)
    }

    public func apply(transform: Int, document: Document, publish: (Document) throws -> Void) throws {
        guard let context = contexts[transform] else { return }
        try context.withPublisher(publish) { try derivation.apply(document: document, context: context) }
    }

    public func close() {
        derivation.close()
        contexts = []
    }
}
