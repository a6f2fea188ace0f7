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

    /// `table:key1|key2`.
    static func key(_ document: Document, keys: [String], table: String? = nil) -> String {
        (table ?? document["_meta"]?["source"]?["table"]?.string ?? "?") + ":"
            + keys.map { document[$0]?.description ?? "?" }.joined(separator: "|")
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
        contents[CaptureModel.key(document, keys: keys, table: table)] = value
    }
    return contents
}

/// The model's rows of one table.
extension CaptureModel {
    func rows(of table: String) -> [String: JSONValue] { collection.filter { $0.key.hasPrefix(table + ":") } }
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

    /// Drop the consumer without confirming: a new source from the committed position gets
    /// exactly the transactions after it; one that committed further than it confirmed (a crash
    /// between the commit and the confirmation) gets only what follows its commit.
    @Test func resumeDeliversExactlyTheUncommittedTransactions() throws {
        let sql = try PostgresTestServer.connect()
        try sql.simpleQuery("CREATE TABLE resume_items (id bigint PRIMARY KEY, value text)")
        let configuration = try sourceConfiguration(["resume_items"], slot: "cdc_resume")
        var first = CaptureModel()
        let source = try PostgresChangeSource(configuration, resumingFrom: nil)
        #expect(try consumeBackfill(source, into: &first, keys: ["id"]) == 1)
        for index in 1...6 {
            try sql.simpleQuery("BEGIN; INSERT INTO resume_items VALUES (\(index), 'v\(index)'); UPDATE resume_items SET value = 'w' WHERE id = \(index - 1); COMMIT")
        }
        // Commit and confirm three transactions, then commit a fourth without confirming it.
        var positions: [PostgresCapturePosition] = []
        var documentsByTransaction: [[Document]] = []
        var seen = 0
        while seen < 6 {
            guard let event = try source.next(timeout: .seconds(5)) else { break }
            switch event {
            case .document(let document): first.uncommitted.append(document)
            case .boundary(let boundary):
                guard case .transaction = boundary.kind else { continue }
                documentsByTransaction.append(first.uncommitted)
                let lsn = first.commit(boundary, keys: ["id"])
                positions.append(boundary.position)
                seen += 1
                if seen <= 3, let lsn { try source.confirm(lsn) }
            }
        }
        #expect(seen == 6)
        source.close()  // the consumer dies: nothing after the third transaction is confirmed
        // The slot advanced exactly to what was confirmed, not to what was received.
        var slotLSN: String?
        for _ in 0..<100 {
            let slot = try sql.query("SELECT active, confirmed_flush_lsn::text FROM pg_replication_slots WHERE slot_name = 'cdc_resume'").rows[0]
            slotLSN = slot[1].string
            if try slot[0].bool() == false { break }
            Thread.sleep(forTimeInterval: 0.05)
        }
        #expect(slotLSN == positions[2].lsn.description)

        func replay(from position: PostgresCapturePosition, expecting transactions: Int) throws -> [[Document]] {
            let resumed = try PostgresChangeSource(configuration, resumingFrom: position)
            defer { resumed.close() }
            var model = CaptureModel()
            var received: [[Document]] = []
            let deadline = Date().addingTimeInterval(10)
            while Date() < deadline {
                guard let event = try resumed.next(timeout: .milliseconds(300)) else {
                    if received.count >= transactions { break }
                    continue
                }
                switch event {
                case .document(let document): model.uncommitted.append(document)
                case .boundary(let boundary):
                    if case .transaction = boundary.kind { received.append(model.uncommitted) }
                    _ = model.commit(boundary, keys: ["id"])
                }
            }
            return received
        }
        func identities(_ transactions: [[Document]]) -> [[String]] {
            transactions.map { $0.map { "\($0["id"]!)/\($0["_meta"]!["op"]!)/\($0["_meta"]!["source"]!["lsn"]!)" } }
        }
        // From the confirmed position: transactions 4, 5, 6 exactly.
        let again = try replay(from: positions[2], expecting: 3)
        #expect(identities(again) == identities(Array(documentsByTransaction[3...])))
        // Committed through 4 but confirmed through 3: 5 and 6 only.
        let afterFour = try replay(from: positions[3], expecting: 2)
        #expect(identities(afterFour) == identities(Array(documentsByTransaction[4...])))
    }

    /// A backfill interrupted after two chunks resumes after the last committed key with a fresh
    /// snapshot, and the stream replays what changed meanwhile: the reduced result is the table.
    @Test func interruptedBackfillResumesAfterTheLastKey() throws {
        let sql = try PostgresTestServer.connect()
        try sql.simpleQuery("""
            CREATE TABLE backfill_items (region text, id int, value int, PRIMARY KEY (region, id));
            INSERT INTO backfill_items SELECT CASE WHEN g % 2 = 0 THEN 'east' ELSE 'west' END, g, g FROM generate_series(1, 23) g;
            """)
        let configuration = try sourceConfiguration(["backfill_items"], slot: "cdc_backfill", chunkRows: 5)
        var model = CaptureModel()
        let keys = ["region", "id"]
        let source = try PostgresChangeSource(configuration, resumingFrom: nil)
        #expect(try consumeBackfill(source, into: &model, keys: keys, chunksMax: 2) == 2)
        // One more chunk read but never committed: lost with the consumer.
        while case .document = try #require(try source.next(timeout: .seconds(1))) {}
        source.close()
        let position = try #require(model.committedPosition)
        #expect(position.tables["public.backfill_items"]?.resumeAfter == ["east", "20"])
        #expect(model.collection.count == 10)

        // Changes on both sides of the cursor while nobody reads.
        try sql.simpleQuery("""
            UPDATE backfill_items SET value = -1 WHERE id IN (2, 3, 22);
            DELETE FROM backfill_items WHERE id IN (4, 5);
            INSERT INTO backfill_items VALUES ('east', 0, 0), ('north', 1, 1);
            """)
        let resumed = try PostgresChangeSource(configuration, resumingFrom: position)
        defer { resumed.close() }
        let chunks = try consumeBackfill(resumed, into: &model, keys: keys)
        #expect(chunks == 3)  // 13 rows left after ("east", 20): 5 + 5 + 3
        // (A multi-statement simple query is one transaction.)
        #expect(try consume(resumed, into: &model, keys: keys, transactions: 1) == 1)
        #expect(model.collection == (try tableContents(sql, "backfill_items", keys: keys)))
    }

    @Test func tableWithoutPrimaryKeyIsRefusedUnlessReplicaIdentityFull() throws {
        let sql = try PostgresTestServer.connect()
        try sql.simpleQuery("CREATE TABLE keyless (name text, amount int); INSERT INTO keyless VALUES ('a', 1), ('b', 2)")
        let configuration = try sourceConfiguration(["keyless"], slot: "cdc_keyless", chunkRows: 1)
        #expect {
            try PostgresChangeSource(configuration, resumingFrom: nil)
        } throws: { error in
            let error = error as! PostgresError
            return error.message.contains("public.keyless has no primary key")
                && error.message.contains("REPLICA IDENTITY FULL")
        }
        try sql.simpleQuery("ALTER TABLE keyless REPLICA IDENTITY FULL")
        let source = try PostgresChangeSource(configuration, resumingFrom: nil)
        defer { source.close() }
        var model = CaptureModel()
        let keys = ["name", "amount"]
        #expect(try consumeBackfill(source, into: &model, keys: keys) == 3)  // two rows of one, then the empty end
        try sql.simpleQuery("UPDATE keyless SET amount = 3 WHERE name = 'a'; DELETE FROM keyless WHERE name = 'b'")
        #expect(try consume(source, into: &model, keys: keys, transactions: 1) == 1)
        let changes = model.documentsCommitted.suffix(3).map(\.jsonValue)
        // With FULL identity an update of "every column is the key" is a delete and a create;
        // deletions carry the whole old row, and the before image.
        #expect(changes.map { $0["_meta"]?["op"] } == ["d", "c", "d"])
        #expect(changes[2]["name"] == "b")
        #expect(changes[2]["_meta"]?["before"] == ["name": "b", "amount": 2])
        #expect(model.collection == (try tableContents(sql, "keyless", keys: keys)))
    }

    /// Seeded: random transactions of inserts, updates (some of the key) and deletes, consumed in
    /// random slices; the consumer is dropped at random points without confirming, and restarted
    /// from its committed position. No transaction is committed twice, and the reduced result
    /// equals the table.
    @Test func randomChangesWithConsumerCrashesReduceToTheTable() throws {
        let seed = UInt64(ProcessInfo.processInfo.environment["SLUICE_SEED"] ?? "") ?? 0x5EED_CDC
        var random = SplitMix64(seed: seed)
        let sql = try PostgresTestServer.connect()
        try sql.simpleQuery("""
            CREATE TABLE random_items (id int PRIMARY KEY, counter bigint, label text, tags int[]);
            INSERT INTO random_items SELECT g, 0, 'start', ARRAY[g] FROM generate_series(1, 40) g;
            """)
        let configuration = try sourceConfiguration(["random_items"], slot: "cdc_random", chunkRows: 7)
        var model = CaptureModel()
        var position: PostgresCapturePosition?
        var nextID = 1000
        for round in 0..<6 {
            let source = try PostgresChangeSource(configuration, resumingFrom: position)
            // Some random transactions.
            for _ in 0..<(1 + random.below(5)) {
                var statements: [String] = []
                for _ in 0..<(1 + random.below(4)) {
                    let id = 1 + random.below(60)
                    switch random.below(4) {
                    case 0:
                        nextID += 1
                        statements.append("INSERT INTO random_items VALUES (\(nextID), \(random.below(100)), 'new', ARRAY[\(round)])")
                    case 1: statements.append("UPDATE random_items SET counter = counter + 1, label = 'r\(round)' WHERE id = \(id)")
                    case 2: statements.append("DELETE FROM random_items WHERE id = \(id)")
                    default:
                        nextID += 1
                        statements.append("UPDATE random_items SET id = \(nextID) WHERE id = \(id)")
                    }
                }
                try sql.simpleQuery("BEGIN; " + statements.joined(separator: "; ") + "; COMMIT")
            }
            // Consume a random number of events, then die without confirming the rest.
            let events = random.below(60)
            var consumed = 0
            while consumed < events, let event = try source.next(timeout: .milliseconds(300)) {
                consumed += 1
                switch event {
                case .document(let document): model.uncommitted.append(document)
                case .boundary(let boundary):
                    if case .transaction(let xid, _) = boundary.kind {
                        #expect(!model.committedTransactions.contains(xid), "transaction \(xid) twice (seed \(seed))")
                    }
                    let lsn = model.commit(boundary, keys: ["id"])
                    if let lsn, random.below(3) > 0 { try source.confirm(lsn) }
                }
            }
            model.uncommitted = []
            position = model.committedPosition
            source.close()
        }
        // A last run reads everything.
        let source = try PostgresChangeSource(configuration, resumingFrom: position)
        defer { source.close() }
        var quiet = 0
        while quiet < 3 {
            guard let event = try source.next(timeout: .milliseconds(300)) else { quiet += 1; continue }
            switch event {
            case .document(let document): model.uncommitted.append(document)
            case .boundary(let boundary):
                if case .transaction(let xid, _) = boundary.kind {
                    #expect(!model.committedTransactions.contains(xid), "transaction \(xid) twice (seed \(seed))")
                }
                if let lsn = model.commit(boundary, keys: ["id"]) { try source.confirm(lsn) }
            }
        }
        #expect(model.collection == (try tableContents(sql, "random_items", keys: ["id"])), "seed \(seed)")
    }

    /// A row streamed maps exactly like the same row backfilled; an unchanged TOASTed value is
    /// filled from the FULL old row.
    @Test func streamedRowsMapLikeBackfilledRows() throws {
        let sql = try PostgresTestServer.connect()
        let values = """
            true, 7, 1.25, 3.14159265358979323846, 'text ✓', '2024-01-02 03:04:05.5+00', '2024-01-02', '1 day',
            '{"a":[1,null]}', '\\x00ff', '{1,NULL}', '{"x,y"}', repeat(md5('seed'), 400)
            """
        try sql.simpleQuery("""
            CREATE TABLE typed_rows (id int PRIMARY KEY, b bool, i int8, f float8, n numeric, t text, ts timestamptz,
                                     d date, iv interval, j jsonb, by bytea, ia int[], ta text[], big text);
            ALTER TABLE typed_rows REPLICA IDENTITY FULL;
            ALTER TABLE typed_rows ALTER COLUMN big SET STORAGE EXTERNAL;
            INSERT INTO typed_rows VALUES (1, \(values));
            """)
        let source = try PostgresChangeSource(try sourceConfiguration(["typed_rows"], slot: "cdc_types"), resumingFrom: nil)
        defer { source.close() }
        var model = CaptureModel()
        _ = try consumeBackfill(source, into: &model, keys: ["id"])
        try sql.simpleQuery("INSERT INTO typed_rows VALUES (2, \(values))")
        try sql.simpleQuery("UPDATE typed_rows SET i = 8 WHERE id = 2")  // `big` is TOASTed and unchanged
        #expect(try consume(source, into: &model, keys: ["id"], transactions: 2) == 2)
        func row(_ document: Document) -> JSONValue {
            var object = document.jsonValue.object!
            object["_meta"] = nil
            object["id"] = nil
            return .object(object)
        }
        let documents = model.documentsCommitted
        try #require(documents.count == 3)
        #expect(row(documents[0]) == row(documents[1]))
        #expect(documents[1]["big"]?.string?.count == 12_800)
        #expect(documents[2]["big"]?.string == documents[1]["big"]?.string)
        #expect(documents[2]["i"]?.int64 == 8)
        #expect(documents[2]["_meta"]?["before"]?["i"]?.int64 == 7)
        #expect(row(documents[0]).object?["n"] == "3.14159265358979323846")
        #expect(model.collection == (try tableContents(sql, "typed_rows", keys: ["id"])))
    }

    /// A table added to a running capture's configuration is backfilled, then streamed; a table
    /// dropped from it is forgotten.
    @Test func aTableAddedLaterIsBackfilled() throws {
        let sql = try PostgresTestServer.connect()
        try sql.simpleQuery("CREATE TABLE first_table (id int PRIMARY KEY, v text); INSERT INTO first_table VALUES (1, 'a')")
        var model = CaptureModel()
        let source = try PostgresChangeSource(try sourceConfiguration(["first_table"], slot: "cdc_added"), resumingFrom: nil)
        _ = try consumeBackfill(source, into: &model, keys: ["id"])
        try sql.simpleQuery("INSERT INTO first_table VALUES (2, 'b')")
        #expect(try consume(source, into: &model, keys: ["id"], transactions: 1) == 1)
        source.close()

        try sql.simpleQuery("""
            CREATE TABLE second_table (id int PRIMARY KEY, v text);
            INSERT INTO second_table SELECT g, 'x' FROM generate_series(1, 9) g;
            INSERT INTO first_table VALUES (3, 'c');
            """)
        let committed: PostgresCapturePosition = try #require(model.committedPosition)
        let both = try PostgresChangeSource(try sourceConfiguration(["first_table", "second_table"], slot: "cdc_added", chunkRows: 4),
                                            resumingFrom: committed)
        defer { both.close() }
        #expect(try consumeBackfill(both, into: &model, keys: ["id"]) == 3)
        try sql.simpleQuery("UPDATE second_table SET v = 'y' WHERE id = 9")
        #expect(try consume(both, into: &model, keys: ["id"], transactions: 2) == 2)
        #expect(model.rows(of: "first_table") == (try tableContents(sql, "first_table", keys: ["id"])))
        #expect(model.rows(of: "second_table") == (try tableContents(sql, "second_table", keys: ["id"])))

        let position = try #require(model.committedPosition)
        both.close()
        let onlySecond = try PostgresChangeSource(try sourceConfiguration(["second_table"], slot: "cdc_added"), resumingFrom: position)
        defer { onlySecond.close() }
        #expect(onlySecond.position.tables.keys.sorted() == ["public.second_table"])
    }
}
