// SluiceMaterialize: the materialization connectors (docs/materializations.md).
//
// A materialization keeps an external target in step with collections: the runtime
// (SluiceRuntime's MaterializationTask) reads committed documents, combines them by key, loads
// the stored documents of those keys (standard updates) and reduces into them, then hands one
// transaction's entries and its checkpoint to a connector here, which stores both atomically in
// the target, guarded by a fence (SEMANTICS.md §6). Every connector has the same shape
// (config → open: create/migrate tables, fence, read the checkpoint → load → store → close):
//
// - `SQLiteMaterialization` (SQLiteMaterialization.swift): a database file, WAL, one SQLite
//   transaction per store; loads join a temporary key table.
// - `PostgresMaterialization` (PostgresMaterialization.swift): SluicePostgres's PostgresTable
//   (COPY into a stage table, one MERGE) and PostgresCheckpointStore in one transaction.
// - `RedisMaterialization` (RedisMaterialization.swift): keys from the collection key, JSON or
//   hash values, optional TTL; SluiceRedis's fenced MULTI/EXEC with the checkpoint key.
// - `FilesMaterialization` / `S3Materialization` (FilesMaterialization.swift,
//   S3Materialization.swift): JSON lines, optionally zstd, rolled by size or time into files
//   named by sequence; a fenced checkpoint record beside them (RolledFiles.swift).
//
// Shared pieces: `MaterializedField` / `FieldPlan` (columns from the key, the schema's scalar
// properties and `fields`), `BlockingQueue` (blocking I/O off Swift's cooperative pool),
// `MaterializationFailure` (errors that say where, mapped to the runtime's TaskError).
//
// Invariants: data and checkpoint change together or not at all; a store from an instance whose
// fence is no longer current changes nothing and throws `TaskError.fencedOff`; a binding's target
// is rebuilt (emptied) exactly when its `backfill` counter differs from the one it was built for.
