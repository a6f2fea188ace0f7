// PostgresCheckpointStore: the fenced checkpoint of a materialization (SEMANTICS.md §6), in the
// target database: `sluice_checkpoints(materialization, key_begin, key_end, fence, checkpoint)`.
// Opening increments the row's fence (creating the row) and reads the checkpoint; each commit
// updates the checkpoint `WHERE fence = mine` in the same transaction as the data, and zero rows
// updated means a newer instance took over: the transaction must roll back and the task stop.

/// An instance's claim on its checkpoint row, and the checkpoint stored when it claimed it.
public struct PostgresFence: Sendable, Equatable {
    public var materialization: String
    public var keyBegin: UInt32
    public var keyEnd: UInt32
    /// This instance's fence; a newer instance holds a larger one.
    public var value: Int64
    /// The checkpoint committed with the data so far (nil before the first commit).
    public var checkpoint: [UInt8]?
}

/// Where checkpoints live in a target database.
public struct PostgresCheckpointStore: Sendable {
    public static let tableName = "sluice_checkpoints"
    /// The schema holding the checkpoint table.
    public var schema: String

    public init(schema: String = "public") { self.schema = schema }

    var table: String { PostgresTableName(schema: schema, table: PostgresCheckpointStore.tableName).quoted }

    /// Creates the checkpoint table if missing.
    public func createTable(on connection: PostgresConnection) throws(PostgresError) {
        let sql = """
            CREATE TABLE IF NOT EXISTS \(table) (
              materialization text NOT NULL,
              key_begin bigint NOT NULL,
              key_end bigint NOT NULL,
              fence bigint NOT NULL,
              checkpoint bytea,
              PRIMARY KEY (materialization, key_begin, key_end)
            )
            """
        do {
            try connection.execute(sql)
        } catch where error.sqlState == "23505" || error.sqlState == "42P07" {
            // Two instances created it at the same moment: it exists now.
        }
    }

    /// Claims the row of (`materialization`, key range): increments its fence, creating the row
    /// with fence 1 if needed, and returns the new fence with the stored checkpoint. Runs as its
    /// own transaction, so it takes effect at once: an older instance's next commit fails. If an
    /// older instance is committing right now, this waits for that commit and returns its
    /// checkpoint.
    public func open(materialization: String, keyBegin: UInt32 = 0, keyEnd: UInt32 = .max,
                     on connection: PostgresConnection) throws(PostgresError) -> PostgresFence {
        precondition(!connection.isInTransaction, "PostgresCheckpointStore.open runs as its own transaction")
        precondition(keyBegin <= keyEnd, "keyBegin must not exceed keyEnd")
        try createTable(on: connection)
        let result = try connection.query("""
            INSERT INTO \(table) AS current (materialization, key_begin, key_end, fence, checkpoint)
            VALUES ($1, $2, $3, 1, NULL)
            ON CONFLICT (materialization, key_begin, key_end) DO UPDATE SET fence = current.fence + 1
            RETURNING fence, checkpoint
            """, [.text(materialization), .int(Int64(keyBegin)), .int(Int64(keyEnd))])
        do {
            guard result.rowCount == 1, let fence = try result.rows[0][0].int64() else {
                throw PostgresError(.protocolViolation, "claiming the checkpoint row returned nothing", endpoint: connection.endpoint)
            }
            return PostgresFence(materialization: materialization, keyBegin: keyBegin, keyEnd: keyEnd, value: fence,
                                 checkpoint: try result.rows[0][1].bytes())
        } catch let error as PostgresError {
            throw error
        } catch {
            throw PostgresError(.protocolViolation, "checkpoint row: \(error)", endpoint: connection.endpoint)
        }
    }

    /// Writes `checkpoint` if `fence` is still current, inside the caller's transaction (the one
    /// that stores the data). Throws `.fenced` when a newer instance took over: roll back and
    /// stop. Writing the checkpoint first in the transaction fails fast and takes the row lock
    /// early.
    public func commit(_ checkpoint: [UInt8], fence: PostgresFence, on connection: PostgresConnection) throws(PostgresError) {
        precondition(connection.isInTransaction, "PostgresCheckpointStore.commit belongs in the transaction that stores the data")
        let updated = try connection.execute("""
            UPDATE \(table) SET checkpoint = $1
            WHERE materialization = $2 AND key_begin = $3 AND key_end = $4 AND fence = $5
            """, [.bytes(checkpoint), .text(fence.materialization), .int(Int64(fence.keyBegin)), .int(Int64(fence.keyEnd)),
                  .int(fence.value)])
        guard updated == 1 else {
            throw PostgresError(.fenced, "materialization \(fence.materialization) [\(fence.keyBegin), \(fence.keyEnd)] was taken over "
                                + "by a newer instance: fence \(fence.value) is no longer current", endpoint: connection.endpoint)
        }
    }
}
