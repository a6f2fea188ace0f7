// DerivationChecks: what `sluice check` (and `sluice test`, `sluice preview`, and every task
// start) finds wrong in a catalog's derivations before anything runs.
public import SluiceCatalog
import SluiceDocument
import SluiceSQLite
import SluiceTask

/// Checks of derivations that need more than the catalog's structure: SQLite migrations and
/// lambdas are prepared against a scratch in-memory database (so SQL errors, unknown tables
/// and unknown `$parameters`, with "did you mean", are found up front).
public enum DerivationChecks {
    /// Every problem of every derivation of `catalog`, each at the catalog location of the
    /// migration or lambda at fault, with a path like
    /// `collections[acme/totals].derive.transforms[0].lambda`.
    public static func diagnostics(_ catalog: Catalog) -> [CatalogDiagnostic] {
        var diagnostics: [CatalogDiagnostic] = []
        for collection in catalog.derivations {
            diagnostics += self.diagnostics(collection, in: catalog)
        }
        return diagnostics
    }

    /// The problems of one derivation.
    public static func diagnostics(_ collection: CollectionDefinition, in catalog: Catalog) -> [CatalogDiagnostic] {
        guard let derive = collection.derive, case .sqlite(let migrations) = derive.using else { return [] }
        let path = "collections[\(collection.name)].derive"
        let database: SQLiteDatabase
        do {
            database = try SQLiteDatabase.inMemory()
        } catch {
            return [CatalogDiagnostic(location: derive.location, path: path, message: "cannot open a scratch SQLite database: \(error)")]
        }
        do {
            try SQLiteDerivationConnector.applyMigrations(migrations, derivation: collection.name, database: database)
        } catch {
            let index = error.place.flatMap { place -> Int? in
                guard place.hasPrefix("migration ") else { return nil }
                return Int(place.dropFirst("migration ".count).prefix { $0.isNumber }).map { $0 - 1 }
            }
            let location = index.flatMap { migrations.indices.contains($0) ? migrations[$0].location : nil } ?? derive.location
            let migrationPath = index.map { "\(path).using.sqlite.migrations[\($0)]" } ?? "\(path).using.sqlite.migrations"
            return [CatalogDiagnostic(location: location, path: migrationPath,
                                      message: (error.place.map { "\($0): " } ?? "") + error.message)]
        }
        var diagnostics: [CatalogDiagnostic] = []
        for (index, transform) in derive.transforms.enumerated() {
            guard let lambda = transform.lambda else { continue }
            let transformPath = "\(path).transforms[\(index)].lambda"
            guard let source = catalog.collections[transform.source.collection] else { continue }  // the loader reports it
            do {
                let fields = try SQLiteDerivationConnector.fields(of: source, derivation: collection.name, transform: transform.name)
                _ = try SQLiteLambda(derivation: collection.name, transform: transform.name, sql: lambda.sql, file: lambda.file,
                                     database: database, fields: fields)
            } catch {
                diagnostics.append(CatalogDiagnostic(location: lambda.location, path: transformPath,
                                                     message: (error.place.map { "\($0): " } ?? "") + error.message))
            }
        }
        return diagnostics
    }
}
