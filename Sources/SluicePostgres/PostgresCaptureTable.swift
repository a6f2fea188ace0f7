// PostgresCaptureTable: a table as the CDC capture sees it: its columns and types, the key that
// orders the backfill and identifies deletions, and whether it can be captured at all. A table
// without a primary key is refused unless its REPLICA IDENTITY is FULL (then every column is the
// key); identities NOTHING and USING INDEX are refused (docs/postgres.md).

/// `schema.table`.
public struct PostgresTableName: Sendable, Hashable, Codable, Comparable, CustomStringConvertible {
    public var schema: String
    public var table: String

    public init(schema: String = "public", table: String) {
        self.schema = schema
        self.table = table
    }

    /// `orders` (schema public) or `sales.orders`. Names are taken as written (case kept).
    public init(parsing text: String) {
        if let dot = text.firstIndex(of: ".") {
            self.init(schema: String(text[..<dot]), table: String(text[text.index(after: dot)...]))
        } else {
            self.init(table: text)
        }
    }

    public var description: String { "\(schema).\(table)" }
    /// `"schema"."table"`, quoted for SQL.
    public var quoted: String { PostgresIdentifier.quote(schema) + "." + PostgresIdentifier.quote(table) }

    public static func < (left: PostgresTableName, right: PostgresTableName) -> Bool {
        (left.schema, left.table) < (right.schema, right.table)
    }
}

/// SQL identifier quoting.
public enum PostgresIdentifier {
    /// `"name"` with inner quotes doubled.
    public static func quote(_ name: String) -> String {
        "\"" + name.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}

extension String {
    func replacingOccurrences(of target: String, with replacement: String) -> String {
        guard contains(target) else { return self }
        return split(separator: target, omittingEmptySubsequences: false).joined(separator: replacement)
    }
}

/// A captured table: columns in order, key columns, replica identity.
public struct PostgresCaptureTable: Sendable {
    public struct Column: Sendable, Equatable {
        public var name: String
        public var typeOID: PostgresOID
        /// `format_type` of the column (`integer`, `character varying(20)`, …), for casts.
        public var typeName: String
    }

    public var name: PostgresTableName
    public var oid: PostgresOID
    /// Captured columns in table order (generated columns are left out: pgoutput does not send
    /// them).
    public var columns: [Column]
    /// The primary key's columns in key order; empty without one.
    public var primaryKey: [String]
    /// `d` default, `f` full, `i` index, `n` nothing.
    public var replicaIdentity: Character

    /// The columns that identify a row in documents: the primary key, or every column for a
    /// REPLICA IDENTITY FULL table without one.
    public var keyColumns: [String] { primaryKey.isEmpty ? columns.map(\.name) : primaryKey }

    /// Reads the table's shape from the catalog and checks it can be captured.
    public static func load(_ name: PostgresTableName, on connection: PostgresConnection) throws(PostgresError) -> PostgresCaptureTable {
        let found = try connection.query("""
            SELECT c.oid, c.relkind, c.relreplident,
                   ARRAY(SELECT a.attname FROM pg_catalog.pg_index i
                         JOIN pg_catalog.pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey)
                         WHERE i.indrelid = c.oid AND i.indisprimary
                         ORDER BY array_position(i.indkey::int2[], a.attnum)) AS key
            FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
            WHERE n.nspname = $1 AND c.relname = $2
            """, [.text(name.schema), .text(name.table)])
        guard found.rowCount == 1 else {
            throw PostgresError(.data, "table \(name) does not exist", endpoint: connection.endpoint)
        }
        let row = found.rows[0]
        let oid = PostgresOID(row["oid"].string.flatMap { UInt32($0) } ?? 0)
        let kind = row["relkind"].string ?? "?"
        guard kind == "r" else {
            throw PostgresError(.data, "\(name) is not an ordinary table (relkind \(kind)): only tables can be captured",
                                endpoint: connection.endpoint)
        }
        let identity = Character(row["relreplident"].string ?? "d")
        var key: [String] = []
        do {
            if case .array(let names) = try row["key"].jsonValue() { key = names.compactMap(\.string) }
        } catch {
            throw PostgresError(.protocolViolation, "primary key of \(name): \(error)", endpoint: connection.endpoint)
        }
        switch identity {
        case "n":
            throw PostgresError(.data, "\(name) has REPLICA IDENTITY NOTHING: its updates and deletes cannot be captured; "
                                + "ALTER TABLE \(name.quoted) REPLICA IDENTITY DEFAULT (with a primary key) or FULL",
                                endpoint: connection.endpoint)
        case "i":
            throw PostgresError(.data, "\(name) has REPLICA IDENTITY USING INDEX, which Sluice does not capture; "
                                + "use DEFAULT (with a primary key) or FULL", endpoint: connection.endpoint)
        case "d" where key.isEmpty:
            throw PostgresError(.data, "\(name) has no primary key: add one, or ALTER TABLE \(name.quoted) REPLICA IDENTITY FULL",
                                endpoint: connection.endpoint)
        default:
            break
        }
        let columns = try connection.query("""
            SELECT attname, atttypid, pg_catalog.format_type(atttypid, atttypmod) FROM pg_catalog.pg_attribute
            WHERE attrelid = $1::oid AND attnum > 0 AND NOT attisdropped AND attgenerated = '' ORDER BY attnum
            """, [.int(Int64(oid))])
        return PostgresCaptureTable(
            name: name, oid: oid,
            columns: columns.rows.map { row in
                Column(name: row[0].string ?? "", typeOID: PostgresOID(row[1].string.flatMap { UInt32($0) } ?? 0),
                       typeName: row[2].string ?? "text")
            },
            primaryKey: key, replicaIdentity: identity)
    }
}
