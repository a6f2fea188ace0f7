// SluiceSQLite: a small, careful wrapper over Debian's libsqlite3, shared by the runtime's
// state store, SQLite derivations and the SQLite materializer.
//
// A `SQLiteDatabase` is one connection. It is opened in serialized mode (SQLITE_OPEN_FULLMUTEX),
// so using it from several tasks is safe, though a connection is meant to belong to one task.
// Statements are prepared once and reused. Errors carry SQLite's code and message, and for
// SQL errors the byte offset in the statement (SQLite 3.38+).
import CSQLite
import Foundation

/// An error from SQLite: which call, SQLite's result code and message, and where in the SQL.
public struct SQLiteError: Error, CustomStringConvertible, Sendable {
    public var code: Int32
    public var message: String
    /// The SQL being prepared or run, if any.
    public var sql: String?
    /// Byte offset of the error in `sql`, when SQLite knows it.
    public var offset: Int?
    /// The database file.
    public var path: String

    public var description: String {
        var text = "\(path): \(message) (SQLite error \(code))"
        if let sql {
            let shown = sql.count > 300 ? String(sql.prefix(300)) + "…" : sql
            if let offset, offset >= 0 {
                let (line, column) = SQLiteError.lineAndColumn(of: offset, in: sql)
                text += " at line \(line), column \(column) of: \(shown)"
            } else {
                text += " in: \(shown)"
            }
        }
        return text
    }

    /// 1-based line and column of a byte offset in `sql`.
    static func lineAndColumn(of offset: Int, in sql: String) -> (Int, Int) {
        var line = 1
        var column = 1
        for (index, byte) in sql.utf8.enumerated() {
            if index >= offset { break }
            if byte == 0x0A {
                line += 1
                column = 1
            } else if byte & 0xC0 != 0x80 {
                column += 1
            }
        }
        return (line, column)
    }

    /// True for "database is locked/busy".
    public var isBusy: Bool { code & 0xFF == SQLITE_BUSY || code & 0xFF == SQLITE_LOCKED }
}

/// How durable commits are (`PRAGMA synchronous`).
public enum SQLiteSynchronous: String, Sendable {
    /// fsync at every commit, also of the WAL: a committed transaction survives power loss.
    case full = "FULL"
    /// In WAL mode, fsync only at checkpoints: committed transactions survive a process crash
    /// (kill -9) but the last ones may be lost on power loss.
    case normal = "NORMAL"
    case off = "OFF"
}

public final class SQLiteDatabase: @unchecked Sendable {
    // Safety: SQLITE_OPEN_FULLMUTEX serializes every call on the connection inside SQLite;
    // `handle` is set once in init and closed once in deinit.
    private let handle: OpaquePointer
    public let path: String

    /// Opens (creating if needed) the database at `path` with WAL journaling, the given
    /// durability, foreign keys on, and a busy timeout.
    public init(path: String, synchronous: SQLiteSynchronous = .full, busyTimeoutMilliseconds: Int32 = 10_000,
                readOnly: Bool = false) throws(SQLiteError) {
        self.path = path
        var connection: OpaquePointer?
        let flags = (readOnly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE)
            | SQLITE_OPEN_FULLMUTEX | SQLITE_OPEN_URI
        let status = sqlite3_open_v2(path, &connection, flags, nil)
        guard status == SQLITE_OK, let connection else {
            let message = connection.map { String(cString: sqlite3_errmsg($0)) } ?? "out of memory"
            if let connection { sqlite3_close_v2(connection) }
            throw SQLiteError(code: status, message: message, sql: nil, offset: nil, path: path)
        }
        handle = connection
        sqlite3_extended_result_codes(handle, 1)
        sqlite3_busy_timeout(handle, busyTimeoutMilliseconds)
        if !readOnly {
            try execute("PRAGMA journal_mode=WAL")
            try execute("PRAGMA synchronous=\(synchronous.rawValue)")
        }
        try execute("PRAGMA foreign_keys=ON")
    }

    /// An in-memory database (for tests and scratch work).
    public static func inMemory() throws(SQLiteError) -> SQLiteDatabase {
        try SQLiteDatabase(path: ":memory:", synchronous: .off)
    }

    deinit { sqlite3_close_v2(handle) }

    /// Runs one or more statements that return no rows.
    public func execute(_ sql: String) throws(SQLiteError) {
        var errorMessage: UnsafeMutablePointer<CChar>?
        let status = sqlite3_exec(handle, sql, nil, nil, &errorMessage)
        if status != SQLITE_OK {
            let message = errorMessage.map { String(cString: $0) } ?? String(cString: sqlite3_errmsg(handle))
            sqlite3_free(errorMessage)
            throw SQLiteError(code: status, message: message, sql: sql, offset: Int(sqlite3_error_offset(handle)), path: path)
        }
    }

    /// Prepares exactly one statement.
    public func prepare(_ sql: String) throws(SQLiteError) -> SQLiteStatement {
        let statements = try prepareAll(sql)
        guard statements.count == 1 else {
            throw SQLiteError(code: SQLITE_MISUSE, message: "expected exactly one SQL statement, found \(statements.count)",
                              sql: sql, offset: nil, path: path)
        }
        return statements[0]
    }

    /// Prepares each statement of `sql` in turn (for multi-statement lambdas and migrations).
    public func prepareAll(_ sql: String) throws(SQLiteError) -> [SQLiteStatement] {
        var statements: [SQLiteStatement] = []
        let bytes = Array(sql.utf8CString)
        var failure: SQLiteError?
        bytes.withUnsafeBufferPointer { buffer in
            var cursor = buffer.baseAddress!
            let end = buffer.baseAddress! + buffer.count - 1
            while cursor < end {
                var statement: OpaquePointer?
                var tail: UnsafePointer<CChar>?
                let status = sqlite3_prepare_v3(handle, cursor, Int32(end - cursor), UInt32(SQLITE_PREPARE_PERSISTENT), &statement, &tail)
                guard status == SQLITE_OK else {
                    let offset = Int(sqlite3_error_offset(handle))
                    let base = cursor - buffer.baseAddress!
                    failure = SQLiteError(code: status, message: String(cString: sqlite3_errmsg(handle)), sql: sql,
                                          offset: offset >= 0 ? base + offset : nil, path: path)
                    return
                }
                if let statement {  // nil for whitespace or comments only
                    let text = String(cString: sqlite3_sql(statement)).trimmingCharacters(in: .whitespacesAndNewlines)
                    statements.append(SQLiteStatement(handle: statement, database: self, sql: text))
                }
                guard let tail, tail > cursor else { break }
                cursor = tail
            }
        }
        if let failure { throw failure }
        return statements
    }

    /// Runs `body` in a transaction (`BEGIN IMMEDIATE` … `COMMIT`), rolling back if it throws.
    public func transaction<Result>(_ body: () throws -> Result) throws -> Result {
        try execute("BEGIN IMMEDIATE")
        do {
            let result = try body()
            try execute("COMMIT")
            return result
        } catch {
            try? execute("ROLLBACK")
            throw error
        }
    }

    /// Rows changed by the last INSERT, UPDATE or DELETE.
    public var changes: Int { Int(sqlite3_changes64(handle)) }

    public var lastInsertRowID: Int64 { sqlite3_last_insert_rowid(handle) }

    /// True while a transaction is open.
    public var isInTransaction: Bool { sqlite3_get_autocommit(handle) == 0 }

    /// The raw connection, for registering functions. Safety: do not close it, and do not keep
    /// it beyond the life of this object.
    public var rawHandle: OpaquePointer { handle }

    func error(_ status: Int32, sql: String?) -> SQLiteError {
        SQLiteError(code: status, message: String(cString: sqlite3_errmsg(handle)), sql: sql,
                    offset: sql == nil ? nil : Int(sqlite3_error_offset(handle)), path: path)
    }

    /// Runs a query and returns every row's columns (small results: metadata, tests).
    public func rows(_ sql: String, _ arguments: [SQLiteValue] = []) throws(SQLiteError) -> [[SQLiteValue]] {
        let statement = try prepare(sql)
        try statement.bind(arguments)
        var result: [[SQLiteValue]] = []
        while try statement.step() {
            result.append((0..<statement.columnCount).map { statement.value(at: $0) })
        }
        return result
    }
}
