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
    }
}
