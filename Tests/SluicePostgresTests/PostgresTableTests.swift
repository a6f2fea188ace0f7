import Foundation
import SluiceDocument
@testable import SluicePostgres
import SluiceTestSupport
import SluiceWorkload
import Testing

@Suite(.postgresServer("pg-table"))
struct PostgresTableTests {
    static func table(_ name: String, delta: Bool = false) -> PostgresTable {
        PostgresTable(
            name: PostgresTableName(table: name),
            columns: [
                PostgresColumn("id", .text, location: "/id", isKey: true),
                PostgresColumn("n", .bigint, location: "/n", isKey: true),
                PostgresColumn("amount", .doublePrecision, location: "/amount"),
                PostgresColumn("exact", .numeric, location: "/exact"),
                PostgresColumn("flag", .boolean, location: "/flag"),
                PostgresColumn("at", .timestampWithTimeZone, location: "/at"),
                PostgresColumn("nested", .jsonb, location: "/nested"),
                PostgresColumn("city", .text, location: "/address/city"),
            ],
            deltaUpdates: delta)
    }

    static func document(_ text: String) throws -> Document { try Document(parsing: text) }

    @Test func createStatementIsExact() {
        #expect(PostgresTableTests.table("orders").createStatement == """
            CREATE TABLE IF NOT EXISTS "public"."orders" (
              "id" text NOT NULL,
              "n" bigint NOT NULL,
              "amount" double precision,
              "exact" numeric,
              "flag" boolean,
              "at" timestamp with time zone,
              "nested" jsonb,
              "city" text,
              "flow_document" jsonb,
              PRIMARY KEY ("id", "n")
            )
            """)
    }

    @Test func mergeStatementIsExact() {
        let table = PostgresTable(name: PostgresTableName(table: "orders"),
                                  columns: [PostgresColumn("id", .text, location: "/id", isKey: true),
                                            PostgresColumn("value", .bigint, location: "/value")])
        #expect(table.stageTable == "sluice_store_ff04aff0ac4af0c8")
        #expect(table.mergeStatement == """
            MERGE INTO "public"."orders" AS target USING pg_temp."sluice_store_ff04aff0ac4af0c8" AS staged ON target."id" = staged."id"
            WHEN MATCHED AND staged.sluice_delete THEN DELETE
            WHEN MATCHED THEN UPDATE SET "value" = staged."value", "flow_document" = staged."flow_document"
            WHEN NOT MATCHED AND NOT staged.sluice_delete THEN INSERT ("id", "value", "flow_document") VALUES (staged."id", staged."value", staged."flow_document")
            """)
    }

    @Test func storeMergesUpsertsAndDeletesThenLoads() throws {
        let connection = try PostgresTestServer.connect()
        let table = PostgresTableTests.table("merged")
        #expect(try table.createOrMigrate(on: connection) == [])
        let first = [
            try PostgresTableTests.document(#"{"id":"a","n":1,"amount":1.5,"exact":12.25,"flag":true,"at":"2024-01-02T03:04:05Z","nested":{"x":[1,2]},"address":{"city":"Oslo"},"note":"tab\there\\n"}"#),
            try PostgresTableTests.document(#"{"id":"b","n":2,"amount":null}"#),
            try PostgresTableTests.document(#"{"id":"c\"q","n":-3,"flag":false}"#),
        ]
        let stored = try connection.transaction { connection in try table.store(first.map { .upsert($0) }, on: connection) }
        #expect(stored == 3)
        let second: [PostgresStoreRow] = [
            .upsert(try PostgresTableTests.document(#"{"id":"a","n":1,"amount":2}"#)),  // update
            .delete(try PostgresTableTests.document(#"{"id":"b","n":2}"#)),  // delete
            .delete(try PostgresTableTests.document(#"{"id":"zz","n":9}"#)),  // delete of a missing key: nothing
            .upsert(try PostgresTableTests.document(#"{"id":"d","n":4}"#)),  // insert
        ]
        #expect(try table.store(second, on: connection) == 3)  // its own transaction

        let rows = try connection.query("SELECT id, n, amount, exact, flag, at, city, flow_document FROM merged ORDER BY id")
        #expect(rows.rows.map { $0["id"].string } == ["a", "c\"q", "d"])
        #expect(try rows.rows[0]["amount"].double() == 2)
        #expect(rows.rows[0]["exact"].isNull)
        #expect(try rows.rows[1]["flag"].bool() == false)
        #expect(try rows.rows[1]["n"].int64() == -3)
        #expect(try rows.rows[2]["flow_document"].jsonValue() == ["id": "d", "n": 4])

        // Loads find stored keys, skip missing ones, and give documents back exactly.
        var loaded: [JSONValue] = []
        try table.load(keysOf: first + [try PostgresTableTests.document(#"{"id":"d","n":4}"#)], on: connection) { loaded.append($0.jsonValue) }
        #expect(Set(loaded.map(\.description)) == Set([#"{"amount":2,"id":"a","n":1}"#, #"{"flag":false,"id":"c\"q","n":-3}"#, #"{"id":"d","n":4}"#]))
    }

    @Test func typedColumnsKeepValuesExactly() throws {
        let connection = try PostgresTestServer.connect()
        let table = PostgresTableTests.table("typed")
        try table.createOrMigrate(on: connection)
        let document = try PostgresTableTests.document(#"{"id":"line\nbreak\\slash","n":9223372036854775807,"amount":1e-7,"exact":12345.678,"flag":true,"at":"2024-02-29T23:59:59.123456+02:00","nested":"just a string","address":{"city":"Zürich\t"}}"#)
        try table.store([.upsert(document)], on: connection)
        let row = try connection.query("SELECT id, n, amount, exact::text, at, nested, city FROM typed").rows[0]
        #expect(row["id"].string == "line\nbreak\\slash")
        #expect(try row["n"].int64() == Int64.max)
        #expect(try row["amount"].double() == 1e-7)
        // (Documents hold integers beyond 64 bits as doubles, SEMANTICS §1: exactness ends there.)
        #expect(row["exact"].string == "12345.678")
        #expect(row["at"].string == "2024-02-29 21:59:59.123456+00")
        #expect(try row["nested"].jsonValue() == "just a string")
        #expect(row["city"].string == "Zürich\t")
        var loaded: [Document] = []
        try table.load(keysOf: [document], on: connection) { loaded.append($0) }
        #expect(loaded.map(\.jsonValue) == [document.jsonValue])
    }

    @Test func aValueOfTheWrongKindNamesTheColumn() throws {
        let connection = try PostgresTestServer.connect()
        let table = PostgresTableTests.table("wrong_kind")
        try table.createOrMigrate(on: connection)
        #expect {
            try table.store([.upsert(try PostgresTableTests.document(#"{"id":"a","n":"seven"}"#))], on: connection)
        } throws: { error in
            "\(error)".contains("column n (bigint) cannot hold string") && "\(error)".contains("/n")
        }
        #expect(connection.isOpen && !connection.isInTransaction)
        #expect(try connection.query("SELECT count(*) FROM wrong_kind").rows[0][0].int64() == 0)
    }

    @Test func migrationAddsColumnsAndRefusesIncompatibleOnes() throws {
        let connection = try PostgresTestServer.connect()
        var table = PostgresTableTests.table("migrated")
        try table.createOrMigrate(on: connection)
        table.columns.append(PostgresColumn("extra", .text, location: "/extra"))
        #expect(try table.createOrMigrate(on: connection) == ["extra"])
        #expect(try table.createOrMigrate(on: connection) == [])
        table.columns[2].type = .text  // amount: double precision → text
        #expect {
            try table.createOrMigrate(on: connection)
        } throws: { error in
            "\(error)".contains("column amount is double precision, the binding needs text")
        }
        var rekeyed = PostgresTableTests.table("migrated")
        rekeyed.columns[1].isKey = false
        #expect {
            try rekeyed.createOrMigrate(on: connection)
        } throws: { error in
            "\(error)".contains("the primary key is (id, n), the collection key needs (id)")
        }
    }

    @Test func deltaUpdatesAppendEveryDocument() throws {
        let connection = try PostgresTestServer.connect()
        let table = PostgresTableTests.table("delta", delta: true)
        try table.createOrMigrate(on: connection)
        let document = try PostgresTableTests.document(#"{"id":"a","n":1}"#)
        try table.store([.upsert(document)], on: connection)
        try table.store([.upsert(document), .delete(document)], on: connection)
        #expect(try connection.query("SELECT count(*) FROM delta").rows[0][0].int64() == 3)
    }

    /// Seeded: random transactions of upserts and deletes against a model; the table equals it.
    @Test func randomTransactionsMatchAModel() throws {
        let seed: UInt64 = 0x7AB1E
        var random = SplitMix64(seed: seed)
        let connection = try PostgresTestServer.connect()
        let table = PostgresTable(name: PostgresTableName(table: "random_model"),
                                  columns: [PostgresColumn("key", .bigint, location: "/key", isKey: true),
                                            PostgresColumn("value", .bigint, location: "/value")])
        try table.createOrMigrate(on: connection)
        var model: [Int64: Int64] = [:]
        for _ in 0..<20 {
            var rows: [Int64: PostgresStoreRow] = [:]  // one per key, as a combiner drains
            for _ in 0..<(1 + random.below(200)) {
                let key = Int64(random.below(300))
                let value = Int64(random.below(1_000_000))
                if random.below(4) == 0 {
                    rows[key] = .delete(try Document(["key": .int(key)] as JSONValue))
                    model[key] = nil
                } else {
                    rows[key] = .upsert(try Document(["key": .int(key), "value": .int(value)] as JSONValue))
                    model[key] = value
                }
            }
            try table.store(Array(rows.values), on: connection)
        }
        var stored: [Int64: Int64] = [:]
        for row in try connection.query("SELECT key, value FROM random_model").rows {
            stored[try row[0].int64()!] = try row[1].int64()!
        }
        #expect(stored == model, "seed \(seed)")
    }
}
