// SluicePostgres: PostgreSQL for Sluice's CDC capture and PostgreSQL materialization, over
// Debian's libpq (the CLibPQ system library). See docs/postgres.md.
//
// A capture reads a database's tables: a consistent backfill, then every committed change, as
// documents, with a position that commits with them so a restart resumes exactly. A
// materialization writes documents into tables, with a fenced checkpoint committed in the same
// transaction so nothing is applied twice. The task loops that drive these live in the runtime;
// this module is the building blocks they call.
//
// Table of contents:
//
// Connections
// - `PostgresConfiguration` (PostgresConfiguration.swift): a libpq DSN parsed up front, timeouts,
//   and the session settings the type mapping relies on; `endpoint` names the server without the
//   password.
// - `PostgresConnection` (PostgresConnection.swift): libpq's nonblocking API with poll(2) and a
//   deadline on every wait; parameterized queries in text format, transactions, COPY FROM STDIN
//   (`copyIn` + `PostgresCopyText`), `perform` to run off the cooperative thread pool.
// - `PostgresResult` / `PostgresRow` / `PostgresCell` (PostgresResult.swift): typed results.
// - `PostgresValue` (PostgresValue.swift): parameters, with literal conformances.
// - `PostgresError` (PostgresError.swift): kind, SQLSTATE, message, detail, hint, position (as
//   line and column of the SQL), and `host:port/database`.
//
// Types as JSON
// - `PostgresJSONMapping`, `PostgresTypeRegistry` (PostgresTypes.swift): which JSON shape a type
//   maps to; enums, domains and arrays of them are looked up in pg_type.
// - `PostgresTextDecoder` (PostgresTextDecoder.swift): text forms into a `DocumentBuilder`.
//
// Change data capture
// - `PostgresReplicationStream` (PostgresReplicationStream.swift): a replication connection:
//   CREATE_REPLICATION_SLOT with an exported snapshot, START_REPLICATION, XLogData and
//   keepalives, standby status updates that confirm only what the caller committed.
// - `PgOutputMessage` (PgOutputMessage.swift): pgoutput protocol 1 messages, decoded in place.
// - `PostgresCaptureTable` (PostgresCaptureTable.swift): a table's columns, key and replica
//   identity; tables without a primary key are refused unless REPLICA IDENTITY FULL.
// - `PostgresChangeSource` (PostgresChangeSource.swift), `PostgresCapturePosition`
//   (PostgresCapturePosition.swift): backfill then changes, as documents with `_meta`, with
//   boundaries (backfill chunks, source transactions, heartbeats) that carry the position to
//   commit and the LSN to confirm.
//
// Materialization
// - `PostgresTable` (PostgresTable.swift, PostgresTable+Store.swift): create or migrate a target
//   table, store a transaction's documents (COPY into a temporary table, one MERGE), load stored
//   documents by key (temporary key table join).
// - `PostgresCheckpointStore` / `PostgresFence` (PostgresCheckpointStore.swift): the fenced
//   `sluice_checkpoints` row of SEMANTICS.md §6.
