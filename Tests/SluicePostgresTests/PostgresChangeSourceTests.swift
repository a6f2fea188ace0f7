import Foundation
import SluiceDocument
import SluicePostgres
import SluiceTestSupport
import SluiceWorkload
import Testing

/// A consumer of a change source the way a capture task is: documents accumulate and commit at
/// boundaries (with the boundary's position), then the LSN is confirmed.
struct CaptureModel {
    /// The reduced collection: key → row (without `_meta`).
    var collection: [String: JSONValue] = [:]
    /// Documents since the last boundary.
    var uncommitted: [Document] = []
    var committedPosition: PostgresCapturePosition?
    var committedTransactions: [UInt32] = []
    var documentsCommitted: [Document] = []

    static func key(_ document: Document, keys: [String]) -> String {
        keys.map { document[$0]?.description ?? "?" }.joined(separator: "|")
    }

    /// Commits what came before `boundary` (and returns the LSN to confirm).
    mutating func commit(_ boundary: PostgresChangeBoundary, keys: [String]) -> PostgresLSN? {
        for document in uncommitted {
            let key = CaptureModel.key(document, keys: keys)
            if document["_meta"]?["op"]?.string == "d" {
                collection[key] = nil
            } else {
                var row = document.jsonValue.object!
                row["_meta"] = nil
                collection[key] = .object(row)
            }
        }
        documentsCommitted += uncommitted
        uncommitted = []
        committedPosition = boundary.position
        if case .transaction(let xid, _) = boundary.kind { committedTransactions.append(xid) }
        return boundary.confirmLSN
    }
}

/// The table as the reduced collection should look: rows mapped like the capture maps them.
func tableContents(_ connection: PostgresConnection, _ table: String, keys: [String]) throws -> [String: JSONValue] {
    var contents: [String: JSONValue] = [:]
    for row in try connection.query("SELECT * FROM \(table)").rows {
        let value = try row.jsonObject()
        let document = try Document(value)
        contents[CaptureModel.key(document, keys: keys)] = value
    }
    return contents
}

@Suite(.postgresServer("pg-cdc"), .serialized)
struct PostgresChangeSourceTests {
    func sourceConfiguration(_ tables: [String], slot: String, chunkRows: Int = 5_000) throws -> PostgresChangeSourceConfiguration {
        var configuration = PostgresChangeSourceConfiguration(
            connection: try PostgresTestServer.configuration(), tables: tables.map { PostgresTableName(parsing: $0) },
            slot: slot, publication: slot)
        configuration.backfillChunkRows = chunkRows
        return configuration
    }

    /// Reads until `transactions` transaction boundaries passed (or the deadline), committing at
    /// each boundary and confirming when `confirm` says so.
    @discardableResult
    func consume(_ source: PostgresChangeSource, into model: inout CaptureModel, keys: [String], transactions: Int,
                 confirm: (Int) -> Bool = { _ in true }, secondsMax: Double = 20) throws -> Int {
        var seen = 0
        let deadline = Date().addingTimeInterval(secondsMax)
        while seen < transactions, Date() < deadline {
            guard let event = try source.next(timeout: .milliseconds(200)) else { continue }
            switch event {
            case .document(let document):
                model.uncommitted.append(document)
            case .boundary(let boundary):
                let lsn = model.commit(boundary, keys: keys)
                if case .transaction = boundary.kind {
                    seen += 1
                    if let lsn, confirm(seen) { try source.confirm(lsn) }
                } else if let lsn {
                    try source.confirm(lsn)
                }
            }
        }
        return seen
    }

    /// Reads the whole backfill.
    func consumeBackfill(_ source: PostgresChangeSource, into model: inout CaptureModel, keys: [String],
                         chunksMax: Int = .max) throws -> Int {
        var chunks = 0
        while chunks < chunksMax, !(source.position.isBackfillComplete && model.uncommitted.isEmpty && chunks > 0) {
            guard let event = try source.next(timeout: .seconds(1)) else { break }
            switch event {
            case .document(let document): model.uncommitted.append(document)
            case .boundary(let boundary):
                guard case .backfillChunk = boundary.kind else {
                    Issue.record("a \(boundary.kind) boundary during the backfill")
                    return chunks
                }
                _ = model.commit(boundary, keys: keys)
                chunks += 1
                if boundary.position.isBackfillComplete { return chunks }
            }
        }
        return chunks
    }

    @Test func backfillThenInterleavedChanges() throws {
        let sql = try PostgresTestServer.connect()
        try sql.simpleQuery("""
            CREATE TABLE orders (id int PRIMARY KEY, name text, amount numeric(12,2), tags text[], data jsonb,
                                 updated timestamptz, payload bytea);
            INSERT INTO orders SELECT g, 'name ' || g, g * 1.5, ARRAY['a', 'b' || g], jsonb_build_object('n', g),
                                      timestamptz '2024-01-02 03:04:05+00' + g * interval '1 minute', '\\x0102'::bytea
                               FROM generate_series(1, 12) g;
            """)
        let source = try PostgresChangeSource(try sourceConfiguration(["orders"], slot: "cdc_basic", chunkRows: 5), resumingFrom: nil)
        defer { source.close() }
        var model = CaptureModel()
        let chunks = try consumeBackfill(source, into: &model, keys: ["id"])
        #expect(chunks == 3)
        #expect(model.collection.count == 12)
        let first = try #require(model.documentsCommitted.first)
        #expect(first["_meta"]?["op"]?.string == "c")
        #expect(first["_meta"]?["source"]?["snapshot"]?.bool == true)
        #expect(first["_meta"]?["source"]?["table"]?.string == "orders")
        #expect(first.jsonValue["updated"] == "2024-01-02T03:05:05Z")
        #expect(first.jsonValue["amount"] == 1.5)
        #expect(first.jsonValue["payload"] == "AQI=")
        #expect(first.jsonValue["data"] == ["n": 1])
        #expect(first.jsonValue["tags"] == ["a", "b1"])

        // Changes after the snapshot, in several transactions.
        try sql.simpleQuery("INSERT INTO orders (id, name) VALUES (100, 'new')")
        try sql.simpleQuery("BEGIN; UPDATE orders SET name = 'changed', amount = 7.25 WHERE id <= 3; DELETE FROM orders WHERE id = 4; COMMIT")
        try sql.simpleQuery("UPDATE orders SET id = 200 WHERE id = 5")  // a key change: delete 5, create 200
        try sql.simpleQuery("DELETE FROM orders WHERE id = 100")
        let seen = try consume(source, into: &model, keys: ["id"], transactions: 4)
        #expect(seen == 4)
        #expect(model.collection == (try tableContents(sql, "orders", keys: ["id"])))

        let changes = model.documentsCommitted.dropFirst(12)
        let operations = changes.map { $0["_meta"]!["op"]!.string! }
        #expect(operations == ["c", "u", "u", "u", "d", "d", "c", "d"])
        let deletion = try #require(changes.first { $0["_meta"]?["op"]?.string == "d" })
        // A deletion carries the key and _meta only.
        #expect(deletion.jsonValue.object?.names == ["_meta", "id"])
        let update = try #require(changes.first { $0["_meta"]?["op"]?.string == "u" })
        #expect(update["_meta"]?["source"]?["txid"]?.int64 != nil)
        #expect(update["_meta"]?["source"]?["lsn"]?.string.flatMap { PostgresLSN($0) } != nil)
    }
}
