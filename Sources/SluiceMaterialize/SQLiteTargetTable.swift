// SQLiteTargetTable: one binding's table in a SQLite target: its DDL, the migration check
// against an existing table, and the statements that store, delete and load documents.
import SluiceDocument
import SluiceSQLite

/// A binding's table in a SQLite database.
struct SQLiteTargetTable {
    let name: String
    let plan: FieldPlan
    let deltaUpdates: Bool

    /// SQLite's declared type of a field (its affinity decides how values are kept): booleans
    /// are 0/1 under NUMERIC affinity, JSON is text.
    static func sqlType(_ type: MaterializedFieldType) -> String {
        switch type {
        case .string, .json: return "TEXT"
        case .integer: return "INTEGER"
        case .number: return "REAL"
        case .boolean: return "BOOLEAN"
        }
    }

    static func quote(_ identifier: String) -> String {
        "\"" + identifier.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    var quotedName: String { Self.quote(name) }

    /// Every column: the fields, then the document.
    var columns: [(name: String, type: String)] {
        plan.fields.map { ($0.name, Self.sqlType($0.type)) } + [(FieldPlan.documentField, "TEXT")]
    }

    /// `CREATE TABLE …` (asserted in SQLiteMaterializationTests.createStatementIsExact).
    var createStatement: String {
        var definitions = plan.fields.map { field in
            "\(Self.quote(field.name)) \(Self.sqlType(field.type))\(field.isKey ? " NOT NULL" : "")"
        }
        definitions.append("\(Self.quote(FieldPlan.documentField)) TEXT NOT NULL")
        if !deltaUpdates {
            definitions.append("PRIMARY KEY (\(plan.keyFields.map { Self.quote($0.name) }.joined(separator: ", ")))")
        }
        return "CREATE TABLE \(quotedName) (\n  \(definitions.joined(separator: ",\n  "))\n)"
    }

    /// Inserts a row, or (standard updates) replaces the row of its key.
    var storeStatement: String {
        let names = columns.map { Self.quote($0.name) }
        let placeholders = (1...names.count).map { "?\($0)" }
        var sql = "INSERT INTO \(quotedName) (\(names.joined(separator: ", "))) VALUES (\(placeholders.joined(separator: ", ")))"
        if !deltaUpdates {
            let keys = plan.keyFields.map { Self.quote($0.name) }
            let updates = names.dropFirst(keys.count).map { "\($0) = excluded.\($0)" }
            sql += " ON CONFLICT (\(keys.joined(separator: ", "))) DO UPDATE SET \(updates.joined(separator: ", "))"
        }
        return sql
    }

    var deleteStatement: String {
        let conditions = plan.keyFields.enumerated().map { "\(Self.quote($0.element.name)) = ?\($0.offset + 1)" }
        return "DELETE FROM \(quotedName) WHERE \(conditions.joined(separator: " AND "))"
    }

    /// The temporary key table loads join (one per table; emptied after each load).
    var loadTable: String { Self.quote("sluice_load_" + name) }

    var createLoadTableStatement: String {
        let definitions = plan.keyFields.map { "\(Self.quote($0.name)) \(Self.sqlType($0.type))" }
        return "CREATE TEMP TABLE IF NOT EXISTS \(loadTable) (\(definitions.joined(separator: ", ")))"
    }

    var loadInsertStatement: String {
        "INSERT INTO temp.\(loadTable) VALUES (\((1...plan.keyFields.count).map { "?\($0)" }.joined(separator: ", ")))"
    }

    var loadSelectStatement: String {
        let match = plan.keyFields.map { "target.\(Self.quote($0.name)) = loaded.\(Self.quote($0.name))" }.joined(separator: " AND ")
        return "SELECT target.\(Self.quote(FieldPlan.documentField)) FROM temp.\(loadTable) AS loaded "
            + "JOIN main.\(quotedName) AS target ON \(match)"
    }

    var loadClearStatement: String { "DELETE FROM temp.\(loadTable)" }

    /// Creates the table, or checks an existing one: columns the binding lacks are added
    /// (nullable); a column of another type, another key, or a switch between standard and
    /// delta updates is refused with an explanation. Returns the columns added.
    func createOrMigrate(on database: SQLiteDatabase) throws -> [String] {
        let existing = try database.rows("SELECT name, type, pk FROM pragma_table_info(?1)", [.text(name)])
        if existing.isEmpty {
            try database.execute(createStatement)
            return []
        }
        var present: [String: (type: String, keyPosition: Int64)] = [:]
        for row in existing {
            guard case .text(let column) = row[0] else { continue }
            let type: String = if case .text(let text) = row[1] { text } else { "" }
            let position: Int64 = if case .integer(let value) = row[2] { value } else { 0 }
            present[column] = (type.uppercased(), position)
        }
        var problems: [String] = []
        var missing: [(name: String, type: String)] = []
        for column in columns {
            guard let found = present[column.name] else {
                missing.append(column)
                continue
            }
            if found.type != column.type {
                problems.append("column \(column.name) is \(found.type.isEmpty ? "untyped" : found.type), the binding needs \(column.type)")
            }
        }
        let actualKey = present.filter { $0.value.keyPosition > 0 }.sorted { $0.value.keyPosition < $1.value.keyPosition }.map(\.key)
        let expectedKey = deltaUpdates ? [] : plan.keyFields.map(\.name)
        if actualKey != expectedKey {
            if deltaUpdates {
                problems.append("the table has a primary key (\(actualKey.joined(separator: ", "))) but the binding uses delta updates")
            } else if actualKey.isEmpty {
                problems.append("the table has no primary key (a delta-updates table?) but the binding uses standard updates")
            } else {
                problems.append("the primary key is (\(actualKey.joined(separator: ", "))), the collection key needs ("
                                + expectedKey.joined(separator: ", ") + ")")
            }
        }
        guard problems.isEmpty else {
            throw SchemaChangeRefused(problems: problems)
        }
        for column in missing {
            try database.execute("ALTER TABLE \(quotedName) ADD COLUMN \(Self.quote(column.name)) \(column.type)")
        }
        return missing.map(\.name)
    }

    struct SchemaChangeRefused: Error {
        let problems: [String]
    }

    // MARK: - Values

    /// Binds the value at `node` (absent: NULL) by its JSON kind: strings as text, integers
    /// as integers, other numbers as reals, booleans as 0/1, objects and arrays as JSON text.
    static func bind(_ node: Node?, to statement: SQLiteStatement, at index: Int, scratch: inout [UInt8]) throws {
        guard let node else {
            try statement.bindNull(at: index)
            return
        }
        switch node.kind {
        case .null:
            try statement.bindNull(at: index)
        case .boolean:
            try statement.bind(Int64(node.bool == true ? 1 : 0), at: index)
        case .number:
            if let value = node.int64 {
                try statement.bind(value, at: index)
            } else {
                try statement.bind(node.double ?? 0, at: index)
            }
        case .string:
            var failure: (any Error)?
            _ = node.withUTF8 { bytes in
                do { try statement.bindText(bytes, at: index) } catch { failure = error }
            }
            if let failure { throw failure }
        case .array, .object:
            scratch.removeAll(keepingCapacity: true)
            JSONSerializer.append(node, to: &scratch)
            try scratch.withUnsafeBytes { try statement.bindText($0, at: index) }
        }
    }

    /// Binds a key value as the key column stores it.
    static func bind(_ value: JSONValue, to statement: SQLiteStatement, at index: Int) throws {
        switch value {
        case .null: try statement.bindNull(at: index)
        case .bool(let flag): try statement.bind(Int64(flag ? 1 : 0), at: index)
        case .int(let number): try statement.bind(number, at: index)
        case .uint(let number): try statement.bind(Double(number), at: index)
        case .double(let number): try statement.bind(number, at: index)
        case .string(let text): try statement.bind(text, at: index)
        case .array, .object: try statement.bind(value.description, at: index)
        }
    }
}
