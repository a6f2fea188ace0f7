// SluiceReduce: reductions of JSON documents by their schema's `reduce` annotations
// (../shared/design/SEMANTICS.md §3; docs/reduce.md).
//
// Two documents with the same collection key reduce into one: the earlier (left) and the later
// (right). What happens at each location is chosen by the `reduce` annotation that validating
// the *right* document found there (`ReduceAnnotations`, from SluiceSchema); a location without
// one takes the right value (lastWriteWins). Reductions are associative, not commutative:
// `(a ⊕ b) ⊕ c == a ⊕ (b ⊕ c)`, so documents can be combined in any grouping that keeps their
// order.
//
// Table of contents:
//
// - `Reducer` (Reducer.swift): `reduce(left, right, annotations:, mode:)` writes the result
//   straight into a new tape with a reused `DocumentBuilder`; nothing is built on the heap.
//   `ReductionMode`: `.partial` keeps tombstones and set `remove`/`intersect` terms for later
//   documents; `.full` (the left is the left-most, stored document) applies and drops them.
// - The strategies, one file each: write-wins, append, sum, minimize/maximize
//   (Reducer+Scalars.swift), merge of objects and arrays (Reducer+Merge.swift), set
//   (Reducer+Set.swift), jsonSchemaMerge (Reducer+JSONSchemaMerge.swift).
// - `KeyOrder` (KeyOrder.swift): ordering values by `key` pointers (a missing location first).
// - `ReduceError` (ReduceError.swift): the JSON pointer, the reason, and both values.
// - `ReduceAnnotationPlan` (ReduceAnnotationPlan.swift): annotations declared by location, for
//   tests, benchmarks and callers without a schema.
