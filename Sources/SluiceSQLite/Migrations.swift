/// Runs numbered migrations once each, in order, recording them in a table of the database,
/// all in the caller's transaction or one of its own. Used for derivation state databases and
/// Sluice's own schemas.
public enum SQLiteMigrations {
    /// Applies `migrations[i]` for every `i` not yet recorded in `table`. A migration that was
    /// applied before must not have changed: its text is compared, and a change is an error
    /// (migrations are append-only). Returns how many were applied now.
    @discardableResult
    public static func apply(_ migrations: [String], to database: SQLiteDatabase, table: String = "sluice_migrations") throws -> Int {
        try database.execute("CREATE TABLE IF NOT EXISTS \(table) (number INTEGER PRIMARY KEY, sql TEXT NOT NULL)")
        let applied = try database.rows("SELECT number, sql FROM \(table) ORDER BY number")
        var known: [Int: String] = [:]
        for row in applied {
            if case .integer(let number) = row[0], case .text(let sql) = row[1] { known[Int(number)] = sql }
        }
        for (number, sql) in known.sorted(by: { $0.key < $1.key }) where number < migrations.count {
            if migrations[number] != sql {
                throw MigrationError.changed(number: number, database: database.path)
            }
        }
        if known.count > migrations.count {
            throw MigrationError.removed(applied: known.count, given: migrations.count, database: database.path)
        }
        var count = 0
        let wasInTransaction = database.isInTransaction
        if !wasInTransaction { try database.execute("BEGIN IMMEDIATE") }
        do {
            let record = try database.prepare("INSERT INTO \(table) (number, sql) VALUES (?, ?)")
            for number in known.count..<migrations.count {
                try database.execute(migrations[number])
                try record.run([.integer(Int64(number)), .text(migrations[number])])
                count += 1
            }
            if !wasInTransaction { try database.execute("COMMIT") }
        } catch {
            if !wasInTransaction { try? database.execute("ROLLBACK") }
            throw error
        }
        return count
    }
}

public enum MigrationError: Error, CustomStringConvertible, Equatable {
    case changed(number: Int, database: String)
    case removed(applied: Int, given: Int, database: String)

    public var description: String {
        switch self {
        case .changed(let number, let database):
            return "\(database): migration \(number + 1) differs from the one applied before; migrations are append-only: add a new one instead"
        case .removed(let applied, let given, let database):
            return "\(database): \(applied) migrations were applied before but only \(given) are given; migrations cannot be removed"
        }
    }
}
