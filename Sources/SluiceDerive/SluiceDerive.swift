// SluiceDerive: the derivation connectors (docs/derivations.md).
//
// A derivation is a collection built by transforms over source collections. Each transform
// gets the source documents read committed, one at a time, inside the runtime's SQLite
// transaction on the derivation's own database, and publishes derived documents. The state a
// transform keeps (tables in that database), the read checkpoint and the published documents'
// acknowledgements commit together, so a derivation is exactly-once.
//
// Two runtimes implement `DerivationConnector` (SluiceTask):
// - SQLite lambdas (`using: {sqlite: {migrations: […]}}`), Flow-compatible: migrations run once,
//   in order; a lambda is SQL statements run for each source document, with `$parameters`
//   bound from the document's fields (`LambdaFields`); every returned row is published
//   (`SQLiteLambda`, `SQLiteDerivation`). `DerivationChecks` finds unknown parameters and SQL
//   that does not prepare before anything runs, with "did you mean" hints.
// - Swift transforms (`using: {swift: {}}`): closures or a type conforming to `SwiftDerivation`,
//   registered through the library API, with their state in the same database
//   (`SwiftDerivationConnector`).
//
// The module knows nothing of journals or scheduling: SluiceRuntime's `DerivationTask` drives
// it (readers, shuffles, shards, read delays, the transaction).
