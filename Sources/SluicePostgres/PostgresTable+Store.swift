// Storing and loading documents of a PostgresTable. A transaction's documents are COPYed into a
// temporary stage table, then one MERGE applies them (insert, update, or delete for tombstones);
// loads COPY the keys into a temporary key table and join it with the target. Both temporary
// tables are `ON COMMIT DELETE ROWS`, so they are empty at the start of every transaction.

public import SluiceDocument

/// One row to store.
public enum PostgresStoreRow: Sendable {
    /// Insert or replace the document of its key.
    case upsert(Document)
    /// Delete the row of the document's key (a tombstone). Delta tables store it as a document.
    case delete(Document)
}

extension PostgresTable {
    var stageTable: String { "sluice_store_" + shapeHash }
    var loadTable: String { "sluice_load_" + shapeHash }

    /// Stores `rows` (one per key for standard updates: the combiner's output) with COPY and one
    /// MERGE, inside the connection's transaction (or one of its own if none is open). Returns
    /// the rows the MERGE inserted, updated or deleted (the rows appended, for delta updates).
    @discardableResult
    public func store(_ rows: some Sequence<PostgresStoreRow>, on connection: PostgresConnection) throws(PostgresError) -> Int {
        if !connection.isInTransaction {
            return try inTransaction(connection) { () throws(PostgresError) in try store(rows, on: connection) }
        }
        let columnList = sqlColumns.map { PostgresIdentifier.quote($0.name) }.joined(separator: ", ")
        if deltaUpdates {
            return try copy(rows, into: name.quoted, columns: columnList, deleteFlag: false, on: connection)
        }
        let stage = PostgresIdentifier.quote(stageTable)
        var definitions = sqlColumns.map { "\(PostgresIdentifier.quote($0.name)) \($0.type)" }
        definitions.append("sluice_delete boolean NOT NULL")
        try connection.execute("CREATE TEMPORARY TABLE IF NOT EXISTS \(stage) (\(definitions.joined(separator: ", "))) ON COMMIT DELETE ROWS")
        let staged = try copy(rows, into: "pg_temp." + stage, columns: columnList + ", sluice_delete", deleteFlag: true, on: connection)
        if staged == 0 { return 0 }
        return try connection.execute(mergeStatement)
    }

    /// MERGE from the stage table: tombstones delete, other rows insert or update.
    var mergeStatement: String {
        let stage = "pg_temp." + PostgresIdentifier.quote(stageTable)
        let match = keyColumns.map { "target.\(PostgresIdentifier.quote($0.name)) = staged.\(PostgresIdentifier.quote($0.name))" }
            .joined(separator: " AND ")
        let values = sqlColumns.filter { column in !keyColumns.contains { $0.name == column.name } }
            .map { PostgresIdentifier.quote($0.name) }
        let all = sqlColumns.map { PostgresIdentifier.quote($0.name) }
        let update = values.isEmpty ? "DO NOTHING" : "UPDATE SET " + values.map { "\($0) = staged.\($0)" }.joined(separator: ", ")
        return """
            MERGE INTO \(name.quoted) AS target USING \(stage) AS staged ON \(match)
            WHEN MATCHED AND staged.sluice_delete THEN DELETE
            WHEN MATCHED THEN \(update)
            WHEN NOT MATCHED AND NOT staged.sluice_delete THEN INSERT (\(all.joined(separator: ", "))) VALUES (\(all.map { "staged.\($0)" }.joined(separator: ", ")))
            """
    }

    private func copy(_ rows: some Sequence<PostgresStoreRow>, into target: String, columns: String, deleteFlag: Bool,
                      on connection: PostgresConnection) throws(PostgresError) -> Int {
        let sql = "COPY \(target) (\(columns)) FROM STDIN"
        var failure: PostgresError?
        do {
            return try connection.copyIn(sql) { copy in
                var text = PostgresCopyText()
                for row in rows {
                    let (document, isDeletion): (Document, Bool) = switch row {
                    case .upsert(let document): (document, false)
                    case .delete(let document): (document, true)
                    }
                    do throws(PostgresError) {
                        try appendRow(document, deletion: isDeletion && deleteFlag, deleteFlag: deleteFlag, to: &text,
                                      endpoint: connection.endpoint)
                    } catch {
                        failure = error
                        throw error
                    }
                    if text.byteCount >= PostgresCopyText.sendBytesThreshold { try copy.send(&text) }
                }
                try copy.send(&text)
            }
        } catch let error as PostgresError {
            throw failure ?? error
        } catch {
            throw failure ?? PostgresError(.data, "\(error)", endpoint: connection.endpoint, sql: sql)
        }
    }

    /// One COPY row: every column projected from the document (a deletion fills key columns
    /// only), the document, and the delete flag.
    func appendRow(_ document: Document, deletion: Bool, deleteFlag: Bool, to text: inout PostgresCopyText,
                   endpoint: String) throws(PostgresError) {
        let root = document.root
        for column in columns {
            let node = root[column.location]
            if column.isKey && !deltaUpdates {
                guard let node, !node.isNull else {
                    throw PostgresError(.data, "table \(name): key column \(column.name) has no value at \(column.location) in \(String(describing: document).prefix(200))",
                                        endpoint: endpoint)
                }
                try PostgresTable.append(node, as: column, to: &text, table: name, endpoint: endpoint)
            } else if deletion || node == nil || node!.isNull {
                text.appendNull()
            } else {
                try PostgresTable.append(node!, as: column, to: &text, table: name, endpoint: endpoint)
            }
        }
        if documentColumn != nil {
            if deletion { text.appendNull() } else { text.append(json: document) }
        }
        if deleteFlag { text.append(unescaped: deletion ? [UInt8(ascii: "t")] : [UInt8(ascii: "f")]) }
        text.endRow()
    }

    /// A value in the text form its column type takes; a value of the wrong kind is an error
    /// naming the column and location (schemas should have prevented it).
    static func append(_ node: Node, as column: PostgresColumn, to text: inout PostgresCopyText, table: PostgresTableName,
                       endpoint: String) throws(PostgresError) {
        func mismatch() -> PostgresError {
            PostgresError(.data, "table \(table): column \(column.name) (\(column.type.rawValue)) cannot hold \(node.kind) "
                          + "\(String(describing: node).prefix(80)) at \(column.location)", endpoint: endpoint)
        }
        switch column.type {
        case .bigint:
            if let value = node.int64 {
                text.append(value)
            } else if let value = node.double, value.rounded() == value, abs(value) < 9.2e18 {
                text.append(Int64(value))
            } else {
                throw mismatch()
            }
        case .numeric, .doublePrecision:
            guard node.kind == .number else { throw mismatch() }
            var bytes: [UInt8] = []
            JSONSerializer.append(node, to: &bytes)
            text.append(unescaped: bytes)
        case .boolean:
            guard let value = node.bool else { throw mismatch() }
            text.append(unescaped: value ? [UInt8(ascii: "t")] : [UInt8(ascii: "f")])
        case .text:
            if node.kind == .string {
                let appended: Void? = node.withUTF8 { text.append(utf8: $0) }
                if appended == nil { throw mismatch() }
            } else {
                text.append(json: node)  // numbers, booleans, objects and arrays as their JSON text
            }
        case .jsonb:
            text.append(json: node)
        case .timestampWithTimeZone, .date:
            guard node.kind == .string, let appended: Void = node.withUTF8({ text.append(utf8: $0) }) else { throw mismatch() }
            _ = appended
        }
    }

    /// Loads the stored documents of the keys of `documents` (inside the connection's
    /// transaction, or one of its own) and hands each to `body`. Keys not stored are skipped;
    /// give each key once.
    public func load(keysOf documents: some Sequence<Document>, on connection: PostgresConnection,
                     _ body: (Document) throws -> Void) throws {
        precondition(!deltaUpdates, "delta-updates tables store no documents to load")
        guard let documentColumn else { preconditionFailure("loading needs a document column") }
        if !connection.isInTransaction {
            try connection.transaction { connection in try load(keysOf: documents, on: connection, body) }
            return
        }
        let keyTable = PostgresIdentifier.quote(loadTable)
        let keys = keyColumns
        try connection.execute("CREATE TEMPORARY TABLE IF NOT EXISTS \(keyTable) ("
                               + keys.map { "\(PostgresIdentifier.quote($0.name)) \($0.type.rawValue) NOT NULL" }.joined(separator: ", ")
                               + ") ON COMMIT DELETE ROWS")
        try connection.execute("TRUNCATE pg_temp.\(keyTable)")
        let copied = try connection.copyIn("COPY pg_temp.\(keyTable) FROM STDIN") { copy in
            var text = PostgresCopyText()
            for document in documents {
                for column in keys {
                    guard let node = document.root[column.location], !node.isNull else {
                        throw PostgresError(.data, "table \(name): key column \(column.name) has no value at \(column.location)",
                                            endpoint: connection.endpoint)
                    }
                    try PostgresTable.append(node, as: column, to: &text, table: name, endpoint: connection.endpoint)
                }
                text.endRow()
                if text.byteCount >= PostgresCopyText.sendBytesThreshold { try copy.send(&text) }
            }
            try copy.send(&text)
        }
        if copied == 0 { return }
        let match = keys.map { "target.\(PostgresIdentifier.quote($0.name)) = loaded.\(PostgresIdentifier.quote($0.name))" }
            .joined(separator: " AND ")
        let result = try connection.query(
            "SELECT target.\(PostgresIdentifier.quote(documentColumn))::text FROM \(name.quoted) AS target "
                + "JOIN pg_temp.\(keyTable) AS loaded ON \(match)")
        var parser = JSONParser()
        for row in 0..<result.rowCount {
            let document = try result.withText(row: row, column: 0) { text in try parser.parse(text) }
            if let document { try body(document) }
        }
    }

    private func inTransaction<Result>(_ connection: PostgresConnection,
                                       _ body: () throws(PostgresError) -> Result) throws(PostgresError) -> Result {
        do {
            return try connection.transaction { _ in try body() }
        } catch let error as PostgresError {
            throw error
        } catch {
            throw PostgresError(.data, "\(error)", endpoint: connection.endpoint)
        }
    }
}
