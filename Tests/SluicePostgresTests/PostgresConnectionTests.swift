import Foundation
import SluiceDocument
import SluicePostgres
import SluiceTestSupport
import Testing

@Suite(.postgresServer("pg-connection"))
struct PostgresConnectionTests {
    @Test func queryWithParameters() throws {
        let connection = try PostgresTestServer.connect()
        let result = try connection.query("SELECT $1::int8 + 1 AS next, $2::text AS name, $3::text AS nothing", [41, "ab", nil])
        #expect(result.rowCount == 1)
        #expect(result.columnNames == ["next", "name", "nothing"])
        #expect(try result.rows[0]["next"].int64() == 42)
        #expect(result.rows[0]["name"].string == "ab")
        #expect(result.rows[0]["nothing"].isNull)
        #expect(connection.endpoint.hasPrefix("127.0.0.1:"))
    }

    @Test func parametersOfEveryKindRoundTrip() throws {
        let connection = try PostgresTestServer.connect()
        let row = try connection.query(
            "SELECT $1::bool, $2::float8, $3::bytea, $4::jsonb, $5::int8[], $6::text[], $7::float8",
            [true, 2.5, .bytes([0, 255, 16]), .json(["a": [1, "x"]]), [1, nil, 3], ["a,b", "c\"d\\e"], .double(-.infinity)]).rows[0]
        #expect(try row[0].bool() == true)
        #expect(try row[1].double() == 2.5)
        #expect(try row[2].bytes() == [0, 255, 16])
        #expect(try row[3].jsonValue() == ["a": [1, "x"]])
        #expect(try row[4].jsonValue() == [1, .null, 3])
        #expect(try row[5].jsonValue() == ["a,b", "c\"d\\e"])
        #expect(try row[6].double() == -.infinity)
        #expect {
            try connection.query("SELECT $1::text", ["nul\u{0}inside"])
        } throws: { error in
            (error as? PostgresError)?.kind == .data && "\(error)".contains("parameter $1")
        }
    }

    /// The type mapping of docs/postgres.md, for every family it names.
    @Test func typesMapToJSON() throws {
        let connection = try PostgresTestServer.connect()
        try connection.simpleQuery("""
            CREATE TYPE mood AS ENUM ('sad', 'happy');
            CREATE DOMAIN positive AS int CHECK (VALUE > 0);
            """)
        let result = try connection.query("""
            SELECT true AS bool, 7::int2 AS int2, -8::int4 AS int4, 9223372036854775807::int8 AS int8,
                   1.5::float4 AS float4, 'NaN'::float8 AS nan, 12.50::numeric AS numeric_exact,
                   0.1::numeric AS numeric_tenth, 3.14159265358979323846::numeric AS numeric_long,
                   100000000000000000000000000000::numeric AS numeric_huge, 12.00::numeric AS numeric_integral,
                   'Zürich ✓'::text AS text, 'ab'::char(3) AS bpchar, '9c7a3a0e-1b2c-4d5e-8f90-123456789abc'::uuid AS uuid,
                   '2024-01-02'::date AS date, '03:04:05'::time AS time,
                   '2024-01-02 03:04:05.5'::timestamp AS timestamp, '2024-01-02 03:04:05+02'::timestamptz AS timestamptz,
                   'infinity'::timestamptz AS forever, '1 day 2 hours'::interval AS interval,
                   '{"b":1,"a":[1,2.5,null]}'::json AS json, '{"b":1,"a":true}'::jsonb AS jsonb,
                   '{"a":1,"a":2}'::json AS json_duplicate, '\\x00ff10'::bytea AS bytea,
                   '{1,NULL,3}'::int[] AS int_array, '{"a,b","c\\"d",NULL}'::text[] AS text_array,
                   '{{1,2},{3,4}}'::int[] AS matrix, '[0:1]={5,6}'::int[] AS bounded, '{}'::int[] AS empty,
                   'happy'::mood AS enum, ARRAY['sad','happy']::mood[] AS enum_array, 5::positive AS domain,
                   '{2024-01-02 03:04:05+00}'::timestamptz[] AS timestamps, '{1.5,2}'::numeric[] AS numerics,
                   '10.0.0.1'::inet AS inet
            """)
        var registry = PostgresTypeRegistry()
        try registry.resolve(result.columnTypes, on: connection)
        let value = try result.rows[0].jsonObject(registry: registry)
        let expected: JSONValue = [
            "bool": true, "int2": 7, "int4": -8, "int8": .int(Int64.max), "float4": 1.5, "nan": "NaN",
            "numeric_exact": 12.5, "numeric_tenth": 0.1, "numeric_long": "3.14159265358979323846",
            "numeric_huge": "100000000000000000000000000000", "numeric_integral": 12,
            "text": "Zürich ✓", "bpchar": "ab ", "uuid": "9c7a3a0e-1b2c-4d5e-8f90-123456789abc",
            "date": "2024-01-02", "time": "03:04:05",
            "timestamp": "2024-01-02T03:04:05.5Z", "timestamptz": "2024-01-02T01:04:05Z", "forever": "infinity",
            "interval": "P1DT2H", "json": ["b": 1, "a": [1, 2.5, .null]], "jsonb": ["a": true, "b": 1],
            "json_duplicate": #"{"a":1,"a":2}"#, "bytea": "AP8Q",
            "int_array": [1, .null, 3], "text_array": ["a,b", "c\"d", .null], "matrix": [[1, 2], [3, 4]],
            "bounded": [5, 6], "empty": [], "enum": "happy", "enum_array": ["sad", "happy"], "domain": 5,
            "timestamps": ["2024-01-02T03:04:05Z"], "numerics": [1.5, 2], "inet": "10.0.0.1",
        ]
        for (name, expectedValue) in expected.object! {
            #expect(value[name] == expectedValue, "column \(name)")
        }
        #expect(value.object?.count == expected.object?.count)
    }

    @Test func typedAccessorsRejectOtherForms() throws {
        let connection = try PostgresTestServer.connect()
        let row = try connection.query("SELECT 'abc'::text AS word").rows[0]
        #expect {
            try row["word"].int64()
        } throws: { error in
            "\(error)" == "column word, row 0: expected an integer, found abc"
        }
    }

    @Test func badSQLNamesTheSQLStateAndPosition() throws {
        let connection = try PostgresTestServer.connect()
        let sql = "SELECT 1,\n  no_such_column\nFROM pg_class"
        #expect {
            try connection.query(sql)
        } throws: { error in
            guard let error = error as? PostgresError else { return false }
            return error.kind == .server && error.sqlState == "42703" && error.position == 13
                && error.description.contains("column \"no_such_column\" does not exist (SQLSTATE 42703)")
                && error.description.contains("at line 2, column 3 of: SELECT 1,")
                && error.description.contains("postgres 127.0.0.1:")
        }
        // The connection stays usable after a statement error.
        #expect(try connection.query("SELECT 2").rows[0][0].int64() == 2)
        // Details and hints come through.
        try connection.simpleQuery("CREATE TABLE unique_things (id int PRIMARY KEY); INSERT INTO unique_things VALUES (1)")
        #expect {
            try connection.execute("INSERT INTO unique_things VALUES ($1)", [1])
        } throws: { error in
            (error as? PostgresError)?.sqlState == "23505" && (error as? PostgresError)?.detail == "Key (id)=(1) already exists."
        }
    }

    @Test func statementTimeoutCancelsOnTheServer() throws {
        var configuration = try PostgresTestServer.configuration()
        configuration.statementTimeout = .milliseconds(200)
        let connection = try PostgresConnection(configuration)
        let start = ContinuousClock.now
        #expect {
            try connection.query("SELECT pg_sleep(5)")
        } throws: { error in
            (error as? PostgresError)?.isStatementTimeout == true
        }
        #expect(ContinuousClock.now - start < .seconds(3))
        #expect(try connection.query("SELECT 3").rows[0][0].int64() == 3)
    }

    /// A backend that stops answering (SIGSTOP): the call returns `.timeout` at its deadline and
    /// the connection is closed, instead of hanging.
    @Test func unresponsiveServerTimesOut() throws {
        let connection = try PostgresTestServer.connect()
        let pid = connection.backendPID
        kill(pid, SIGSTOP)
        defer { kill(pid, SIGCONT) }
        let start = ContinuousClock.now
        #expect {
            try connection.query("SELECT 1", timeout: .milliseconds(500))
        } throws: { error in
            (error as? PostgresError)?.kind == .timeout
        }
        #expect(ContinuousClock.now - start < .seconds(3))
        #expect(!connection.isOpen)
        #expect {
            try connection.query("SELECT 1")
        } throws: { error in
            (error as? PostgresError)?.kind == .connectionLost
        }
    }

    @Test func wrongPasswordIsAClearErrorWithoutThePassword() throws {
        let server = try PostgresTestServer.server()
        let secret = "S3cret-Never-Shown"
        let configuration = try PostgresConfiguration(dsn: server.dsn(password: secret))
        #expect {
            try PostgresConnection(configuration)
        } throws: { error in
            guard let error = error as? PostgresError else { return false }
            return error.kind == .connection && error.message.contains("password authentication failed for user \"postgres\"")
                && !error.description.contains(secret) && error.endpoint == "127.0.0.1:\(server.port)/postgres"
        }
    }

    @Test func nobodyListeningFailsAtOnce() throws {
        let port = try FreePort.find()
        var configuration = try PostgresConfiguration(dsn: "postgresql://postgres:pw@127.0.0.1:\(port)/postgres")
        configuration.connectTimeout = .seconds(2)
        let start = ContinuousClock.now
        #expect {
            try PostgresConnection(configuration)
        } throws: { error in
            (error as? PostgresError)?.kind == .connection && "\(error)".contains("Connection refused")
        }
        #expect(ContinuousClock.now - start < .seconds(2))
    }

    /// A peer that accepts TCP connections but never answers: connecting gives up at the
    /// configured timeout.
    @Test func silentPeerTimesOutConnecting() throws {
        let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(listener) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        // Safety: `address` is a sockaddr_in, reinterpreted as sockaddr only for these calls.
        try withUnsafeMutablePointer(to: &address) { pointer in
            try pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { socketAddress in
                try #require(bind(listener, socketAddress, length) == 0)
                try #require(listen(listener, 8) == 0)
                try #require(getsockname(listener, socketAddress, &length) == 0)
            }
        }
        let port = Int(UInt16(bigEndian: address.sin_port))
        var configuration = try PostgresConfiguration(dsn: "host=127.0.0.1 port=\(port) user=postgres password=pw dbname=postgres")
        configuration.connectTimeout = .seconds(1)
        let start = ContinuousClock.now
        #expect {
            try PostgresConnection(configuration)
        } throws: { error in
            (error as? PostgresError)?.kind == .timeout
        }
        let elapsed = ContinuousClock.now - start
        #expect(elapsed >= .milliseconds(900) && elapsed < .seconds(4))
    }

    @Test func transactionsCommitOrRollBack() throws {
        let connection = try PostgresTestServer.connect()
        try connection.execute("CREATE TABLE ledger (entry text)")
        try connection.transaction { try $0.execute("INSERT INTO ledger VALUES ('kept')") }
        struct Abort: Error {}
        #expect(throws: Abort.self) {
            try connection.transaction { connection in
                try connection.execute("INSERT INTO ledger VALUES ('dropped')")
                throw Abort()
            }
        }
        #expect(!connection.isInTransaction)
        #expect(try connection.query("SELECT entry FROM ledger").rows.map { $0[0].string } == ["kept"])
    }

    @Test func copyInEscapesTextAndCountsRows() throws {
        let connection = try PostgresTestServer.connect()
        try connection.execute("CREATE TABLE copied (id int, body text, doc jsonb)")
        let document = try Document(parsing: #"{"quote":"a\"b","slash":"c\\d","line":"e\nf"}"#)
        let count = try connection.copyIn("COPY copied (id, body, doc) FROM STDIN") { copy in
            var text = PostgresCopyText()
            for id in 0..<3_000 {
                text.append(Int64(id))
                text.append("tab\there, newline\nthere, backslash\\ and \\N literal")
                text.append(json: document)
                text.endRow()
                if text.byteCount > 16_384 { try copy.send(&text) }  // several sends
            }
            text.append(Int64(-1))
            text.appendNull()
            text.appendNull()
            text.endRow()
            try copy.send(&text)
        }
        #expect(count == 3_001)
        let row = try connection.query("SELECT body, doc FROM copied WHERE id = 7").rows[0]
        #expect(row[0].string == "tab\there, newline\nthere, backslash\\ and \\N literal")
        #expect(try row[1].jsonValue() == document.jsonValue)
        #expect(try connection.query("SELECT body IS NULL FROM copied WHERE id = -1").rows[0][0].bool() == true)
    }

    @Test func copyInFailuresLeaveNothingAndTheConnectionUsable() throws {
        let connection = try PostgresTestServer.connect()
        try connection.execute("CREATE TABLE copy_failures (id int)")
        struct ProducerFailed: Error {}
        #expect(throws: ProducerFailed.self) {
            try connection.copyIn("COPY copy_failures FROM STDIN") { copy in
                var text = PostgresCopyText()
                text.append(Int64(1))
                text.endRow()
                try copy.send(&text)
                throw ProducerFailed()
            }
        }
        #expect {
            try connection.copyIn("COPY copy_failures FROM STDIN") { copy in
                var text = PostgresCopyText()
                text.append("not a number")
                text.endRow()
                try copy.send(&text)
            }
        } throws: { error in
            (error as? PostgresError)?.sqlState == "22P02"
        }
        #expect(try connection.query("SELECT count(*) FROM copy_failures").rows[0][0].int64() == 0)
    }

    @Test func performRunsOffTheCooperativePool() async throws {
        let connection = try await PostgresConnection.connect(try PostgresTestServer.configuration())
        // Several tasks share one connection: calls take turns.
        let sums = try await withThrowingTaskGroup(of: Int64.self) { group in
            for index in 0..<8 {
                group.addTask { try await connection.perform { try $0.query("SELECT $1::int8 * 2", [.int(Int64(index))]).rows[0][0].int64()! } }
            }
            return try await group.reduce(0, +)
        }
        #expect(sums == 56)
    }

    /// A server that goes away mid-session: the next call fails within its deadline.
    @Test func serverGoneIsAnErrorNotAHang() throws {
        let server = try PostgresServer(label: "pg-gone")
        defer { server.stop() }
        var configuration = try PostgresConfiguration(dsn: server.dsn())
        configuration.connectTimeout = .seconds(2)
        let connection = try PostgresConnection(configuration)
        #expect(try connection.query("SELECT 1").rows[0][0].int64() == 1)
        server.stop()
        let start = ContinuousClock.now
        #expect {
            try connection.query("SELECT 1", timeout: .seconds(2))
        } throws: { error in
            let kind = (error as? PostgresError)?.kind
            return kind == .connectionLost || kind == .timeout
        }
        #expect(ContinuousClock.now - start < .seconds(3))
        #expect {
            try PostgresConnection(configuration)
        } throws: { error in
            (error as? PostgresError)?.kind == .connection
        }
    }
}

/// DSNs: parsed before any I/O, never shown with their password.
@Suite struct PostgresConfigurationTests {
    @Test func endpointAndRedaction() throws {
        let uri = try PostgresConfiguration(dsn: "postgresql://user:secret@db.example:5433/sales?sslmode=disable")
        #expect(uri.endpoint == "db.example:5433/sales")
        #expect(uri.user == "user")
        #expect(PostgresConfiguration.redacted("postgresql://user:secret@db.example:5433/sales") == "postgresql://user:***@db.example:5433/sales")
        #expect(PostgresConfiguration.redacted("postgres://u@h/d?password=secret&x=1") == "postgres://u@h/d?password=***&x=1")
        #expect(PostgresConfiguration.redacted("host=h password='se cret' dbname=d") == "host=h password=*** dbname=d")
        #expect(PostgresConfiguration.redacted("host=h dbname=d") == "host=h dbname=d")
        let keywords = try PostgresConfiguration(dsn: "host=127.0.0.1 port=6543 dbname=x")
        #expect(keywords.endpoint == "127.0.0.1:6543/x")
    }

    @Test func invalidDSNIsAConfigurationError() {
        #expect {
            try PostgresConfiguration(dsn: "postgresql://user:secret@[::1/db")
        } throws: { error in
            guard let error = error as? PostgresError else { return false }
            return error.kind == .configuration && !error.description.contains("secret")
        }
        #expect {
            try PostgresConfiguration(dsn: "nonsense_keyword=1")
        } throws: { error in
            (error as? PostgresError)?.kind == .configuration && "\(error)".contains("nonsense_keyword")
        }
    }
}
