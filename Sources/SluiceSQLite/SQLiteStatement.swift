import CSQLite

/// A value bound to or read from SQLite.
public enum SQLiteValue: Hashable, Sendable {
    case null
    case integer(Int64)
    case real(Double)
    case text(String)
    case blob([UInt8])
}

/// The storage class of a column value (SQLite's fundamental datatypes).
public enum SQLiteColumnType: Sendable, Hashable {
    case null, integer, real, text, blob
}

/// A prepared statement: bind, step, read columns, reset. Belongs to its database's task.
public final class SQLiteStatement: @unchecked Sendable {
    // Safety: used under its connection's serialized mode; finalized once in deinit, and the
    // statement keeps its database alive.
    let handle: OpaquePointer
    public let database: SQLiteDatabase
    public let sql: String

    init(handle: OpaquePointer, database: SQLiteDatabase, sql: String) {
        self.handle = handle
        self.database = database
        self.sql = sql
    }

    deinit { sqlite3_finalize(handle) }

    public var parameterCount: Int { Int(sqlite3_bind_parameter_count(handle)) }

    /// The name of a parameter (1-based), with its prefix (`$user$id`, `:name`, `?1`), or nil
    /// for an anonymous `?`.
    public func parameterName(at index: Int) -> String? {
        sqlite3_bind_parameter_name(handle, Int32(index)).map { String(cString: $0) }
    }

    public var columnCount: Int { Int(sqlite3_column_count(handle)) }

    public func columnName(at index: Int) -> String { String(cString: sqlite3_column_name(handle, Int32(index))) }

    /// True if the statement does not write (SELECT, or a read-only PRAGMA).
    public var isReadOnly: Bool { sqlite3_stmt_readonly(handle) != 0 }

    // MARK: Binding (1-based indexes)

    public func bindNull(at index: Int) throws(SQLiteError) {
        try check(sqlite3_bind_null(handle, Int32(index)))
    }

    public func bind(_ value: Int64, at index: Int) throws(SQLiteError) {
        try check(sqlite3_bind_int64(handle, Int32(index), value))
    }

    public func bind(_ value: Double, at index: Int) throws(SQLiteError) {
        try check(sqlite3_bind_double(handle, Int32(index), value))
    }

    public func bind(_ value: String, at index: Int) throws(SQLiteError) {
        try check(sqlite3_bind_text64(handle, Int32(index), value, UInt64(value.utf8.count), csqlite_transient(), UInt8(SQLITE_UTF8)))
    }

    /// Binds UTF-8 text from bytes (copied).
    public func bindText(_ bytes: UnsafeRawBufferPointer, at index: Int) throws(SQLiteError) {
        // Safety: SQLITE_TRANSIENT makes SQLite copy the bytes before this returns.
        let base = bytes.baseAddress ?? UnsafeRawPointer(bitPattern: 1)!
        try check(sqlite3_bind_text64(handle, Int32(index), base.assumingMemoryBound(to: CChar.self),
                                      UInt64(bytes.count), csqlite_transient(), UInt8(SQLITE_UTF8)))
    }

    public func bind(_ bytes: [UInt8], at index: Int) throws(SQLiteError) {
        // Safety: SQLITE_TRANSIENT makes SQLite copy the bytes before this returns.
        let status = bytes.withUnsafeBytes { raw in
            sqlite3_bind_blob64(handle, Int32(index), raw.baseAddress ?? UnsafeRawPointer(bitPattern: 1)!,
                                UInt64(raw.count), csqlite_transient())
        }
        try check(status)
    }

    public func bind(_ value: SQLiteValue, at index: Int) throws(SQLiteError) {
        switch value {
        case .null: try bindNull(at: index)
        case .integer(let number): try bind(number, at: index)
        case .real(let number): try bind(number, at: index)
        case .text(let text): try bind(text, at: index)
        case .blob(let bytes): try bind(bytes, at: index)
        }
    }

    /// Binds values to parameters 1…n.
    public func bind(_ values: [SQLiteValue]) throws(SQLiteError) {
        for (offset, value) in values.enumerated() { try bind(value, at: offset + 1) }
    }

    public func clearBindings() { sqlite3_clear_bindings(handle) }

    // MARK: Stepping

    /// Advances to the next row: true if there is one, false when done.
    @discardableResult
    public func step() throws(SQLiteError) -> Bool {
        let status = sqlite3_step(handle)
        switch status {
        case SQLITE_ROW: return true
        case SQLITE_DONE: return false
        default:
            sqlite3_reset(handle)
            throw database.error(status, sql: sql)
        }
    }

    /// Resets to run again (bindings are kept).
    public func reset() { sqlite3_reset(handle) }

    /// Runs a statement that returns no rows, then resets it.
    public func run(_ values: [SQLiteValue] = []) throws(SQLiteError) {
        if !values.isEmpty { try bind(values) }
        defer { reset() }
        while try step() {}
    }

    // MARK: Columns (0-based)

    public func isNull(at index: Int) -> Bool { sqlite3_column_type(handle, Int32(index)) == SQLITE_NULL }

    /// The storage class of a column of the current row, read without converting it (so a hot
    /// loop can pick `int64`, `double` or `withBytes` and avoid a `String`).
    public func columnType(at index: Int) -> SQLiteColumnType {
        switch sqlite3_column_type(handle, Int32(index)) {
        case SQLITE_INTEGER: return .integer
        case SQLITE_FLOAT: return .real
        case SQLITE_TEXT: return .text
        case SQLITE_BLOB: return .blob
        default: return .null
        }
    }

    public func int64(at index: Int) -> Int64 { sqlite3_column_int64(handle, Int32(index)) }

    public func double(at index: Int) -> Double { sqlite3_column_double(handle, Int32(index)) }

    public func string(at index: Int) -> String? {
        guard let text = sqlite3_column_text(handle, Int32(index)) else { return nil }
        let count = Int(sqlite3_column_bytes(handle, Int32(index)))
        return String(decoding: UnsafeBufferPointer(start: text, count: count), as: UTF8.self)
    }

    /// The column's bytes (text or blob) without copying. Safety: the buffer is valid only
    /// inside `body`, until the next step, reset or column read.
    public func withBytes<Result>(at index: Int, _ body: (UnsafeRawBufferPointer) throws -> Result) rethrows -> Result {
        let count = Int(sqlite3_column_bytes(handle, Int32(index)))
        let pointer = sqlite3_column_blob(handle, Int32(index))
        return try body(UnsafeRawBufferPointer(start: pointer, count: count))
    }

    public func value(at index: Int) -> SQLiteValue {
        switch sqlite3_column_type(handle, Int32(index)) {
        case SQLITE_INTEGER: return .integer(int64(at: index))
        case SQLITE_FLOAT: return .real(double(at: index))
        case SQLITE_TEXT: return .text(string(at: index) ?? "")
        case SQLITE_BLOB: return .blob(withBytes(at: index) { Array($0) })
        default: return .null
        }
    }

    private func check(_ status: Int32) throws(SQLiteError) {
        if status != SQLITE_OK { throw database.error(status, sql: sql) }
    }
}
