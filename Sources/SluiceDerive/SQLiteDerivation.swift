// SQLiteDerivation: the `sqlite` derivation runtime (docs/derivations.md).
public import SluiceCatalog
public import SluiceCollection
public import SluiceDocument
public import SluiceSQLite
public import SluiceTask

/// A derivation whose transforms are SQLite lambdas, over the derivation's own database.
///
/// `open` applies the migrations (each once, in order, recorded in
/// `sluice_derivation_migrations`; an applied migration must not change) and prepares every
/// lambda; a lambda that does not prepare or names an unknown parameter fails the open with a
/// configuration error. `apply` runs the transform's lambda inside the runtime's transaction.
public final class SQLiteDerivationConnector: DerivationConnector {
    /// Where applied migrations are recorded, in the derivation's database.
    public static let migrationsTable = "sluice_derivation_migrations"

    public let definition: DerivationDefinition
    private var lambdas: [SQLiteLambda?] = []

    public init(definition: DerivationDefinition) {
        self.definition = definition
    }

    public func open(database: SQLiteDatabase, derivation: CollectionSpec, transforms: [TransformSpec], context: TaskContext) throws {
        guard case .sqlite(let migrations) = definition.using else {
            throw TaskError.configuration(task: context.taskName, message: "the sqlite runtime was given a derivation that does not use sqlite")
        }
        do {
            try Self.applyMigrations(migrations, derivation: derivation.name, database: database)
            lambdas = try Self.prepareLambdas(derivation: derivation.name, transforms: transforms, database: database)
        } catch {
            throw TaskError.configuration(task: context.taskName, message: error.description)
        }
    }

    public func apply(transform: Int, document: Document, publish: (Document) throws -> Void) throws {
        try lambdas[transform]?.invoke(document, publish: publish)
    }

    public func close() { lambdas = [] }

    /// Applies `migrations` to `database`, naming the migration and the place of a failure.
    static func applyMigrations(_ migrations: [SQLText], derivation: String, database: SQLiteDatabase) throws(DerivationError) {
        do {
            try SQLiteMigrations.apply(migrations.map(\.sql), to: database, table: migrationsTable)
        } catch let error as SQLiteError {
            // Which migration: the one whose text the failing SQL is.
            let index = migrations.firstIndex { $0.sql == error.sql } ?? 0
            let migration = migrations.indices.contains(index) ? migrations[index] : nil
            var place = "migration \(index + 1)"
            if let migration, let offset = error.offset, offset >= 0 {
                let (line, column) = lineAndColumn(ofByteOffset: offset, in: migration.sql)
                place += migration.file.map { " (\($0):\(line):\(column))" } ?? ", line \(line), column \(column)"
            } else if let file = migration?.file {
                place += " (\(file))"
            }
            throw DerivationError(derivation: derivation, place: place, message: error.message)
        } catch {
            throw DerivationError(derivation: derivation, message: "\(error)")
        }
    }

    /// Prepares each transform's lambda against its source's fields (nil for a transform
    /// without a lambda: it publishes nothing).
    static func prepareLambdas(derivation: String, transforms: [TransformSpec], database: SQLiteDatabase) throws(DerivationError)
        -> [SQLiteLambda?]
    {
        var lambdas: [SQLiteLambda?] = Array(repeating: nil, count: (transforms.map(\.index).max() ?? -1) + 1)
        for transform in transforms {
            guard let lambda = transform.definition.lambda else { continue }
            let fields = try fields(of: transform.sourceDefinition, derivation: derivation, transform: transform.name)
            lambdas[transform.index] = try SQLiteLambda(derivation: derivation, transform: transform.name, sql: lambda.sql,
                                                        file: lambda.file, database: database, fields: fields)
        }
        return lambdas
    }

    /// The fields of a source collection as the catalog defines it.
    static func fields(of source: CollectionDefinition?, derivation: String, transform: String) throws(DerivationError) -> LambdaFields {
        guard let source else {
            throw DerivationError(derivation: derivation, transform: transform,
                                  message: "the source collection's definition is needed to resolve lambda parameters")
        }
        guard let text = source.effectiveReadSchema?.json.text else { return LambdaFields(schema: .bool(true)) }
        let schema: JSONValue
        do {
            schema = try JSONValue(parsing: text)
        } catch {
            throw DerivationError(derivation: derivation, transform: transform, message: "the schema of \(source.name) is not JSON: \(error)")
        }
        var projections: [(field: String, pointer: JSONPointer)] = []
        for projection in source.projections.values.sorted(by: { $0.field < $1.field }) {
            if let pointer = try? JSONPointer(parsing: projection.location.pointer) { projections.append((projection.field, pointer)) }
        }
        return LambdaFields(schema: schema, projections: projections)
    }
}
