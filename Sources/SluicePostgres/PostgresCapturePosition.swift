// PostgresCapturePosition: what a PostgreSQL capture commits with its documents, so a restart
// resumes exactly: each table's backfill progress (done, or the key of the last committed row)
// and the LSN the stream resumes after (the end LSN of the last committed transaction).

/// The resumable position of a `PostgresChangeSource`. Codable: store it in the capture's
/// checkpoint, atomically with the documents before the boundary that carried it.
public struct PostgresCapturePosition: Sendable, Codable, Equatable {
    public struct TableProgress: Sendable, Codable, Equatable {
        /// Every row of the table's backfill is committed.
        public var complete: Bool
        /// The text forms of the key columns of the last committed backfill row: the backfill
        /// resumes after it. Nil before the first chunk (and always for tables without a primary
        /// key, whose backfill restarts from the beginning).
        public var resumeAfter: [String]?

        public init(complete: Bool = false, resumeAfter: [String]? = nil) {
            self.complete = complete
            self.resumeAfter = resumeAfter
        }
    }

    /// The stream resumes with transactions that commit after this LSN.
    public var lsn: PostgresLSN
    /// Backfill progress by table (`schema.table`).
    public var tables: [String: TableProgress]

    public init(lsn: PostgresLSN, tables: [String: TableProgress]) {
        self.lsn = lsn
        self.tables = tables
    }

    /// True when every listed table's backfill is done.
    public var isBackfillComplete: Bool { tables.values.allSatisfy(\.complete) }
}
