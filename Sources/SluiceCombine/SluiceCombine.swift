// SluiceCombine: the combiner. Documents are added in any order, validated, and reduced by
// their collection key within a memory budget; draining yields one document per key in
// packed-key order, validated again (docs/reduce.md, "The combiner").
//
// The lifecycle is two types: a `Combiner` accumulates (`add`), and `drain()` consumes it into
// a `CombinerDrainer`, which only yields. Both are noncopyable: a combiner drained twice, or
// added to after draining, does not compile.
//
// Table of contents:
//
// - `DocumentValidator` (DocumentValidator.swift): the seam to validation. A validator checks
//   a document and returns the `ReduceAnnotations` its schema places on it (SluiceSchema's
//   validator conforms; `ReduceAnnotationPlan` and `ClosureValidator` do for tests).
// - `CombinerConfiguration` (CombinerConfiguration.swift): key, partial or full, memory
//   budget and spill tuning, each with a unit, a limit and a reason.
// - `Combiner` (Combiner.swift) over a `KeyTable` (KeyTable.swift): one entry per packed key
//   in an open-addressing table, keys in one byte arena, memory counted honestly.
// - Spilling (SpillFile.swift, SpillRun.swift): past the budget, the table is sorted by key and
//   written as a run of lz4-compressed blocks of tape bytes to an unlinked temporary file.
// - `CombinerDrainer` (CombinerDrainer.swift, KeyGroup.swift): a k-way merge of the runs and
//   the table, reducing the documents of each key (fronts first, then in order), with
//   intermediate merges past `mergeFanInMax` runs so memory stays bounded.
// - `CombineError` (CombineError.swift): which key, and why.
