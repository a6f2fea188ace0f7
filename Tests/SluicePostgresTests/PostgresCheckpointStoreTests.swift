import Foundation
import SluiceDocument
import SluicePostgres
import SluiceTestSupport
import Testing

@Suite(.postgresServer("pg-checkpoint"))
struct PostgresCheckpointStoreTests {
    let store = PostgresCheckpointStore()
    let table = PostgresTable(name: PostgresTableName(table: "fenced_data"),
                              columns: [PostgresColumn("key", .text, location: "/key", isKey: true)])

    func commit(_ checkpoint: String, key: String, fence: PostgresFence, on connection: PostgresConnection) throws {
        try connection.transaction { connection in
            try store.commit(Array(checkpoint.utf8), fence: fence, on: connection)
            try table.store([.upsert(try Document(["key": .string(key)] as JSONValue))], on: connection)
        }
    }

    @Test func theOlderInstanceIsFencedOff() throws {
        let older = try PostgresTestServer.connect()
        let newer = try PostgresTestServer.connect()
        try table.createOrMigrate(on: older)

        let first = try store.open(materialization: "acme/fence", on: older)
        #expect(first.value == 1)
        #expect(first.checkpoint == nil)
        try commit("checkpoint-1", key: "one", fence: first, on: older)

        let second = try store.open(materialization: "acme/fence", on: newer)
        #expect(second.value == 2)
        #expect(second.checkpoint == Array("checkpoint-1".utf8))

        // The older instance's next commit fails, and its data rolls back with it.
        #expect {
            try commit("checkpoint-stale", key: "stale", fence: first, on: older)
        } throws: { error in
            (error as? PostgresError)?.kind == .fenced && "\(error)".contains("taken over by a newer instance")
        }
        try commit("checkpoint-2", key: "two", fence: second, on: newer)
        let keys = try older.query("SELECT key FROM fenced_data ORDER BY key").rows.map { $0[0].string }
        #expect(keys == ["one", "two"])
        let reopened = try store.open(materialization: "acme/fence", on: older)
        #expect(reopened.value == 3)
        #expect(reopened.checkpoint == Array("checkpoint-2".utf8))
        // Another key range of the same materialization has its own row.
        #expect(try store.open(materialization: "acme/fence", keyBegin: 0, keyEnd: 0x7FFF_FFFF, on: older).value == 1)
    }

    /// A newer instance opening while the older one is mid-commit waits for that commit and reads
    /// its checkpoint: the data and checkpoint it resumes from agree.
    @Test func openingWaitsForACommitInFlight() async throws {
        let older = try PostgresTestServer.connect()
        let newer = try PostgresTestServer.connect()
        try table.createOrMigrate(on: older)
        let fence = try store.open(materialization: "acme/in-flight", on: older)
        try older.simpleQuery("BEGIN")
        try store.commit(Array("in-flight".utf8), fence: fence, on: older)
        let store = self.store
        let opening = Task { try await newer.perform { try store.open(materialization: "acme/in-flight", on: $0) } }
        try await Task.sleep(for: .milliseconds(300))
        try older.simpleQuery("COMMIT")
        let claimed = try await opening.value
        #expect(claimed.value == fence.value + 1)
        #expect(claimed.checkpoint == Array("in-flight".utf8))
    }
}
