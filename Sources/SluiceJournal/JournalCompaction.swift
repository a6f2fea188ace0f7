/// Atomic replacement of sealed fragments, the journal's part of key compaction
/// (docs/compaction.md). The journal knows nothing of keys or reductions: the caller hands it
/// new content for a range of sealed fragments; the journal makes that content durable as one
/// compacted fragment, swaps it into the index, and only then removes the originals. A crash
/// at any point leaves the originals, or the compacted fragment (which the index prefers), or
/// both: never a mix that loses or doubles bytes of the range.
extension Journal {
    /// The sealed fragments that may be replaced together: a run of the index with no gap,
    /// starting at the first fragment. Their union is `[first.begin, last.end)`.
    public var compactableFragments: [SealedFragment] {
        let fragments = state.withLock { $0.index.fragments }
        var run: [SealedFragment] = []
        for fragment in fragments {
            if let last = run.last, fragment.begin != last.end { break }
            run.append(fragment)
        }
        return run
    }

    /// Replaces the sealed fragments `originals` (consecutive, without gaps or overlaps, and
    /// still in the index) with one compacted fragment over their range, whose content
    /// `nextContent` yields in pieces: exactly `end - begin` bytes in total. Returns the new
    /// fragment. Fails with `inconsistentStore` if the index changed under it (a concurrent
    /// prune): nothing is replaced then.
    @discardableResult
    public func replaceFragments(_ originals: [SealedFragment], nextContent: () throws -> [UInt8]?) throws -> SealedFragment {
        guard !isReadOnly else { throw JournalError.readOnly(name: name.rawValue, operation: "compact") }
        try checkOpen()
        guard let first = originals.first, let last = originals.last else {
            throw JournalError.invalidOffset(0, reason: "no fragments to replace")
        }
        for (left, right) in zip(originals, originals.dropFirst()) where left.end != right.begin {
            throw JournalError.invalidOffset(right.begin, reason: "fragments to replace must be consecutive (\(left) then \(right))")
        }
        let compacted = try Sealer.writeFragment(begin: first.begin, end: last.end, codec: spec.codec, store: store,
                                                 compacted: true, nextContent: nextContent)
        let replaced: [SealedFragment]
        do {
            replaced = try state.withLock { state throws -> [SealedFragment] in
            let current = state.index.fragments.filter { $0.begin >= first.begin && $0.end <= last.end }
            guard current == originals else {
                throw JournalError.inconsistentStore(path: store.location,
                                                     reason: "the fragments of \(first.begin)..<\(last.end) changed during compaction")
            }
            let covered = state.index.insert(compacted)
            assert(!covered.contains(compacted), "a compacted fragment replaces the fragments of its range")
            return covered
            }
        } catch {
            try? store.remove(compacted)  // never leave a compacted fragment the index did not take
            throw error
        }
        // The compacted fragment is durable and indexed; the originals can go. A reader that
        // already opened one keeps reading it.
        for fragment in replaced { try store.remove(fragment) }
        return compacted
    }
}
