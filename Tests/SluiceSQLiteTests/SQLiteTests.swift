import Foundation
import Testing
@testable import SluiceSQLite

@Suite struct SQLiteTests {
    @Test func bindStepAndReadEveryType() throws {
        let database = try SQLiteDatabase.inMemory()
        try database.execute("CREATE TABLE t (i INTEGER, r REAL, s TEXT, b BLOB, n)")
        let insert = try database.prepare("INSERT INTO t VALUES (?, ?, ?, ?, ?)")
        try insert.run([.integer(-9_223_372_036_854_775_808), .real(1.5), .text("héllo\u{0}x"), .blob([0, 1, 255]), .null])
        let rows = try database.rows("SELECT i, r, s, b, n FROM t")
        #expect(rows == [[.integer(-9_223_372_036_854_775_808), .real(1.5), .text("héllo\u{0}x"), .blob([0, 1, 255]), .null]])
        #expect(database.changes == 1)
    }

    @Test func sqlErrorsNameLineAndColumn() throws {
        let database = try SQLiteDatabase.inMemory()
        let error = try #require(throws: SQLiteError.self) { try database.prepare("SELECT 1,\n  FROM nowhere") }
        #expect(error.description.contains("near \"FROM\": syntax error"))
        #expect(error.description.contains("at line 2, column 3"))
        #expect(error.description.hasPrefix(":memory:"))
    }

    @Test func prepareAllSplitsStatementsAndKeepsOffsets() throws {
        let database = try SQLiteDatabase.inMemory()
        // Statements are all prepared before any runs, so the tables they use must exist.
        try database.execute("CREATE TABLE a (x)")
        let statements = try database.prepareAll("DELETE FROM a;\n-- a comment\nINSERT INTO a VALUES (1); SELECT x FROM a;  ")
        #expect(statements.map(\.sql) == ["DELETE FROM a;", "-- a comment\nINSERT INTO a VALUES (1);", "SELECT x FROM a;"])
        let error = try #require(throws: SQLiteError.self) { try database.prepareAll("SELECT 1;\nSELECT nope(;") }
        #expect(error.description.contains("line 2"))
        #expect(throws: SQLiteError.self) { try database.prepare("SELECT 1; SELECT 2;") }
    }

    @Test func parametersByName() throws {
        let database = try SQLiteDatabase.inMemory()
        let statement = try database.prepare("SELECT $user$id, $flow_document, :x")
        #expect(statement.parameterCount == 3)
        #expect((1...3).map { statement.parameterName(at: $0) } == ["$user$id", "$flow_document", ":x"])
        #expect(statement.isReadOnly)
    }

    @Test func transactionsRollBackOnError() throws {
        let database = try SQLiteDatabase.inMemory()
        try database.execute("CREATE TABLE t (x INTEGER PRIMARY KEY)")
        struct Boom: Error {}
        #expect(throws: Boom.self) {
            try database.transaction {
                try database.execute("INSERT INTO t VALUES (1)")
                throw Boom()
            }
        }
        #expect(try database.rows("SELECT count(*) FROM t") == [[.integer(0)]])
        try database.transaction { try database.execute("INSERT INTO t VALUES (2)") }
        #expect(try database.rows("SELECT x FROM t") == [[.integer(2)]])
    }

    @Test func migrationsApplyOnceAndAreAppendOnly() throws {
        let file = NSTemporaryDirectory() + "sluice-migrations-\(UUID().uuidString).db"
        defer { for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: file + suffix) } }
        let first = ["CREATE TABLE a (x)", "INSERT INTO a VALUES (1)"]
        do {
            let database = try SQLiteDatabase(path: file)
            #expect(try SQLiteMigrations.apply(first, to: database) == 2)
            #expect(try SQLiteMigrations.apply(first, to: database) == 0)
        }
        let database = try SQLiteDatabase(path: file)  // reopened: state persisted
        #expect(try SQLiteMigrations.apply(first + ["INSERT INTO a VALUES (2)"], to: database) == 1)
        #expect(try database.rows("SELECT x FROM a ORDER BY x") == [[.integer(1)], [.integer(2)]])
        #expect(throws: MigrationError.changed(number: 1, database: file)) {
            try SQLiteMigrations.apply(["CREATE TABLE a (x)", "INSERT INTO a VALUES (9)", "INSERT INTO a VALUES (2)"], to: database)
        }
        #expect(throws: MigrationError.removed(applied: 3, given: 1, database: file)) {
            try SQLiteMigrations.apply(["CREATE TABLE a (x)"], to: database)
        }
        // A failing migration leaves nothing behind.
        #expect(throws: SQLiteError.self) {
            try SQLiteMigrations.apply(first + ["INSERT INTO a VALUES (2)", "INSERT INTO a VALUES (3)", "NOT SQL"], to: database)
        }
        #expect(try database.rows("SELECT count(*) FROM a") == [[.integer(2)]])
    }

    @Test func walModeAndSynchronousAreSet() throws {
        let file = NSTemporaryDirectory() + "sluice-pragmas-\(UUID().uuidString).db"
        defer { for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: file + suffix) } }
        let database = try SQLiteDatabase(path: file, synchronous: .full)
        #expect(try database.rows("PRAGMA journal_mode") == [[.text("wal")]])
        #expect(try database.rows("PRAGMA synchronous") == [[.integer(2)]])
    }

    @Test func unopenableFileNamesThePath() {
        let error = #expect(throws: SQLiteError.self) { try SQLiteDatabase(path: "/nonexistent-dir/x.db") }
        #expect(error?.description.contains("/nonexistent-dir/x.db") == true)
    }
}
