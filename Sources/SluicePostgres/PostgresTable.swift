// PostgresTable: a materialization's target table: the collection key as the primary key,
// projected scalar fields as typed columns, and the whole document as jsonb. Creates itself,
// adds columns a compatible change brings, and refuses incompatible ones with an explanation.
// Storing and loading documents are in PostgresTable+Store.swift.

public import SluiceDocument

/// The SQL type of a materialized column.
public enum PostgresColumnType: String, Sendable, Equatable, CaseIterable {
    case bigint = "bigint"
    case numeric = "numeric"
    case doublePrecision = "double precision"
    case boolean = "boolean"
    case text = "text"
    case jsonb = "jsonb"
    case timestampWithTimeZone = "timestamp with time zone"
    case date = "date"
}

/// A column of a materialized table and the document location it projects.
public struct PostgresColumn: Sendable, Equatable {
    public var name: String
    public var type: PostgresColumnType
    /// Where in the document the value is (an absent location stores NULL).
    public var location: JSONPointer
    /// Part of the primary key (the collection key), in the order of `PostgresTable.columns`.
    public var isKey: Bool

    public init(_ name: String, _ type: PostgresColumnType, location: JSONPointer, isKey: Bool = false) {
        self.name = name
        self.type = type
        self.location = location
        self.isKey = isKey
    }
}

/// A materialized table.
public struct PostgresTable: Sendable {
    public var name: PostgresTableName
    /// Key columns and projected fields (key columns first is customary, not required).
    public var columns: [PostgresColumn]
    /// The jsonb column holding the whole document (Flow's name); nil to store none.
    public var documentColumn: String?
    /// Delta updates: each transaction's documents are appended (no primary key, no loads).
    public var deltaUpdates: Bool

    public init(name: PostgresTableName, columns: [PostgresColumn], documentColumn: String? = "flow_document",
                deltaUpdates: Bool = false) {
        precondition(deltaUpdates || columns.contains(where: \.isKey), "a standard-updates table needs key columns")
        precondition(Set(columns.map(\.name) + (documentColumn.map { [$0] } ?? [])).count == columns.count + (documentColumn == nil ? 0 : 1),
                     "column names must be unique")
        self.name = name
        self.columns = columns
        self.documentColumn = documentColumn
        self.deltaUpdates = deltaUpdates
    }

    public var keyColumns: [PostgresColumn] { columns.filter(\.isKey) }

    /// Every column with its SQL type, in table order (the document column last).
    var sqlColumns: [(name: String, type: String)] {
        columns.map { ($0.name, $0.type.rawValue) } + (documentColumn.map { [($0, "jsonb")] } ?? [])
    }

    /// `CREATE TABLE IF NOT EXISTS …` with the key as primary key (standard updates).
    public var createStatement: String {
        var definitions = columns.map { column in
            "\(PostgresIdentifier.quote(column.name)) \(column.type.rawValue)\(column.isKey && !deltaUpdates ? " NOT NULL" : "")"
        }
        if let documentColumn { definitions.append("\(PostgresIdentifier.quote(documentColumn)) jsonb") }
        if !deltaUpdates {
            definitions.append("PRIMARY KEY (\(keyColumns.map { PostgresIdentifier.quote($0.name) }.joined(separator: ", ")))")
        }
        return "CREATE TABLE IF NOT EXISTS \(name.quoted) (\n  \(definitions.joined(separator: ",\n  "))\n)"
    }

    /// Creates the table if missing, else adds missing columns (nullable) and checks existing
    /// ones: a column whose type differs, or a key that differs, is refused with an explanation.
    /// Returns the names of the columns added.
    ///
    /// Runs under a transaction-scoped advisory lock on the table's name (its own transaction
    /// unless the connection is in one already), because PostgreSQL's `CREATE TABLE IF NOT
    /// EXISTS` is not safe against a concurrent creator: two instances starting at once would
    /// otherwise fail on `pg_type`'s unique index.
    @discardableResult
    public func createOrMigrate(on connection: PostgresConnection) throws(PostgresError) -> [String] {
        if connection.isInTransaction { return try createOrMigrateLocked(on: connection) }
        do {
            return try connection.transaction { connection in try createOrMigrateLocked(on: connection) }
        } catch let error as PostgresError {
            throw error
        } catch {
            throw PostgresError(.data, "\(error)", endpoint: connection.endpoint)
        }
    }

    private func createOrMigrateLocked(on connection: PostgresConnection) throws(PostgresError) -> [String] {
        _ = try connection.query("SELECT pg_advisory_xact_lock(hashtext($1))", [.text("sluice:" + name.quoted)])
        let existing = try connection.query("""
            SELECT a.attname, pg_catalog.format_type(a.atttypid, a.atttypmod),
                   COALESCE(a.attnum = ANY(i.indkey), false)
            FROM pg_catalog.pg_attribute a
            LEFT JOIN pg_catalog.pg_index i ON i.indrelid = a.attrelid AND i.indisprimary
            WHERE a.attrelid = to_regclass($1) AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum
            """, [.text(name.quoted)])
        if existing.rowCount == 0 {
            try connection.execute(createStatement)
            return []
        }
        var present: [String: (type: String, isKey: Bool)] = [:]
        for row in existing.rows { present[row[0].string ?? ""] = (row[1].string ?? "", (try? row[2].bool()) == true) }
        var problems: [String] = []
        var missing: [(name: String, type: String)] = []
        for column in sqlColumns {
            guard let found = present[column.name] else {
                missing.append(column)
                continue
            }
            if found.type != column.type {
                problems.append("column \(column.name) is \(found.type), the binding needs \(column.type)")
            }
        }
        if !deltaUpdates {
            let expectedKey = Set(keyColumns.map(\.name))
            let actualKey = Set(present.filter(\.value.isKey).map(\.key))
            if expectedKey != actualKey {
                problems.append("the primary key is (\(actualKey.sorted().joined(separator: ", "))), the collection key needs ("
                                + keyColumns.map(\.name).joined(separator: ", ") + ")")
            }
            for column in missing where expectedKey.contains(column.name) {
                problems.append("key column \(column.name) is missing")
            }
        }
        guard problems.isEmpty else {
            throw PostgresError(.data, "table \(name) is incompatible with the binding: " + problems.joined(separator: "; ")
                                + " (bump the binding's backfill counter to rebuild it)", endpoint: connection.endpoint)
        }
        for column in missing {
            try connection.execute("ALTER TABLE \(name.quoted) ADD COLUMN \(PostgresIdentifier.quote(column.name)) \(column.type)")
        }
        return missing.map(\.name)
    }

    /// A short stable hash of the table's name and columns, naming its temporary tables (so a
    /// changed column list gets fresh ones, and long names stay under 63 bytes).
    var shapeHash: String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325  // FNV-1a 64
        let shape = name.description + "|" + sqlColumns.map { "\($0.name):\($0.type)" }.joined(separator: ",")
            + "|" + keyColumns.map(\.name).joined(separator: ",")
        for byte in shape.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x100_0000_01b3
        }
        let text = String(hash, radix: 16)
        return String(repeating: "0", count: 16 - text.count) + text
    }
}
