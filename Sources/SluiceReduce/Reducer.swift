// Reducer: reduces a right (later) document into a left (earlier) one, location by location,
// writing the result into a new tape.
public import SluiceDocument
public import SluiceSchema

/// Whether the left document of a reduction is the left-most one (SEMANTICS.md §3).
public enum ReductionMode: Sendable, Hashable, CustomStringConvertible {
    /// Combining documents that will later reduce into something else (a capture's or
    /// derivation's transaction): tombstones (`delete: true`) and set `remove`/`intersect`
    /// terms are kept, so they still apply to what comes before.
    case partial
    /// Reducing into the left-most document (a stored value; materialization, compaction):
    /// deleted locations are removed, a deleted root marks the key deleted, and set
    /// `remove`/`intersect` terms are applied and dropped.
    case full

    public var description: String { self == .partial ? "partial" : "full" }
}

/// What a reduction made.
public struct ReduceOutcome: Sendable {
    /// The reduced document.
    public let document: Document
    /// Full reductions only: the root's annotation is `delete: true`, so the key's document is
    /// a tombstone and the key is to be removed. Always false in partial reductions.
    public let isDeleted: Bool
    /// Full reductions only: something of the right document was removed (a deleted location,
    /// a set's `remove` or `intersect` term), so the result is not a plain merge of the inputs.
    public let removedLocations: Bool
}

/// Reduces documents by their annotations. Keep one per thread and reuse it: it keeps the
/// builder's buffers.
///
///     var reducer = Reducer()
///     let outcome = try reducer.reduce(earlier, later, annotations: annotationsOfLater, mode: .partial)
///
/// `reduce(nil, document, …)` reduces a document "into nothing", as the first of a sequence:
/// in a partial reduction that only checks the root's strategy accepts it; in a full one it
/// also removes the document's tombstones and set `remove`/`intersect` terms.
public struct Reducer {
    var builder = DocumentBuilder(depthMax: JSONParser.depthMaxLimit)
    /// Annotations of the right document, during a reduction.
    var annotations = ReduceAnnotations(entryCount: 0)
    var isFull = false
    /// Full mode, and the right document holds a `delete` or `set` annotation: right-only
    /// subtrees are walked (not copied whole) so that those apply.
    var prunesRightOnlyValues = false
    /// Set when a full reduction removed a location or a set term.
    var removedLocations = false
    /// Buffers of the flat merge (Reducer+FlatMerge.swift), and whether to try it (tests
    /// compare both paths).
    var flatMergeScratch = FlatMergeScratch()
    var usesFlatMerge = true

    public init() {}

    /// Reduces `right` into `left`. `annotations` are those validation found in `right`.
    public mutating func reduce(_ left: Document?, _ right: Document, annotations: ReduceAnnotations,
                                mode: ReductionMode) throws(ReduceError) -> ReduceOutcome {
        precondition(annotations.entryCount == right.entryCount,
                     "annotations of a document of \(annotations.entryCount) entries given for one of \(right.entryCount)")
        self.annotations = annotations
        isFull = mode == .full
        removedLocations = false
        prunesRightOnlyValues = isFull && Self.hasDeleteOrSet(annotations)
        defer { self.annotations = ReduceAnnotations(entryCount: 0) }

        let rightRoot = right.root
        let isDeleted = isDeletedLocation(rightRoot)
        if left == nil && !prunesRightOnlyValues {
            // Nothing to reduce into and nothing to remove: the document itself.
            try checkAgainstNothing(rightRoot)
            return ReduceOutcome(document: right, isDeleted: isDeleted, removedLocations: false)
        }
        if usesFlatMerge, let left, let document = flatMerge(left, right) {
            return ReduceOutcome(document: document, isDeleted: false, removedLocations: false)
        }
        do {
            try value(left?.root, rightRoot)
        } catch {
            builder.reset()
            throw error
        }
        let document: Document
        do {
            document = try builder.finish()
        } catch {
            throw ReduceError(pointer: error.pointer, reason: .invalidResult(error.description), left: nil, right: nil)
        }
        return ReduceOutcome(document: document, isDeleted: isDeleted, removedLocations: removedLocations)
    }

    static func hasDeleteOrSet(_ annotations: ReduceAnnotations) -> Bool {
        if annotations.isEmpty { return false }
        for index in 0..<annotations.entryCount {
            if let annotation = annotations[index], annotation.delete || annotation.strategy == .set { return true }
        }
        return false
    }

    // MARK: - Dispatch

    /// Writes the reduction of `right` into `left` (or into nothing) as the builder's next value.
    mutating func value(_ left: Node?, _ right: Node) throws(ReduceError) {
        guard let annotation = annotations[right.tapeIndex] else {
            builder.copy(right)  // lastWriteWins
            return
        }
        try value(left, right, annotation)
    }

    /// `value` with the right's annotation already looked up.
    mutating func value(_ left: Node?, _ right: Node, _ annotation: ReduceAnnotation) throws(ReduceError) {
        guard let left else {
            if prunesRightOnlyValues {
                try valueAgainstNothing(right, annotation)
            } else {
                try checkAgainstNothing(right, annotation)
                builder.copy(right)
            }
            return
        }
        if !annotation.associative && !isFull {
            try checkAssociative(left, right, annotation)
        }
        switch annotation.strategy {
        case .lastWriteWins: builder.copy(right)
        case .firstWriteWins: builder.copy(left)
        case .append: try append(left, right)
        case .sum: try sum(left, right)
        case .minimize: try minimizeOrMaximize(left, right, key: annotation.key, maximize: false)
        case .maximize: try minimizeOrMaximize(left, right, key: annotation.key, maximize: true)
        case .merge: try merge(left, right, key: annotation.key)
        case .set: try set(left, right, key: annotation.key)
        case .jsonSchemaMerge: try jsonSchemaMerge(left, right)
        }
    }

    /// Full mode: a right value with nothing to its left, walked so that deleted locations and
    /// set terms below it are removed.
    mutating func valueAgainstNothing(_ right: Node, _ annotation: ReduceAnnotation) throws(ReduceError) {
        switch annotation.strategy {
        case .merge where right.kind == .object || right.kind == .array:
            try mergeAgainstNothing(right)
        case .minimize where !annotation.key.isEmpty && (right.kind == .object || right.kind == .array),
             .maximize where !annotation.key.isEmpty && (right.kind == .object || right.kind == .array):
            // As when the right wins against a left value: merged into nothing.
            try mergeAgainstNothing(right)
        case .set:
            try set(nil, right, key: annotation.key)
        default:
            try checkAgainstNothing(right, annotation)
            builder.copy(right)
        }
    }

    /// Checks that `right`'s strategy accepts it with nothing to its left (sum wants a number,
    /// append an array, merge an object or array, set its object shape, jsonSchemaMerge a
    /// schema). Values below it are not checked: they are taken as they are.
    mutating func checkAgainstNothing(_ right: Node) throws(ReduceError) {
        if let annotation = annotations[right.tapeIndex] { try checkAgainstNothing(right, annotation) }
    }

    func checkAgainstNothing(_ right: Node, _ annotation: ReduceAnnotation) throws(ReduceError) {
        switch annotation.strategy {
        case .lastWriteWins, .firstWriteWins, .minimize, .maximize:
            return
        case .sum:
            if right.number == nil { throw ReduceError(.sumExpectsNumbers, left: nil, right: right) }
        case .append:
            if right.kind != .array { throw ReduceError(.appendExpectsArrays, left: nil, right: right) }
        case .merge:
            if right.kind != .object && right.kind != .array {
                throw ReduceError(.mergeExpectsObjectsOrArrays, left: nil, right: right)
            }
        case .set:
            do {
                _ = try SetShape(right, side: .right)
            } catch {
                throw ReduceError(.setMalformed(error.detail), left: nil, right: right)
            }
        case .jsonSchemaMerge:
            if right.kind != .object && right.kind != .boolean {
                throw ReduceError(.jsonSchemaMergeExpectsSchemas, left: nil, right: right)
            }
        }
    }

    /// True when `right` is a location a full reduction removes: its annotation is `merge` or
    /// `lastWriteWins` with `delete: true`.
    func isDeletedLocation(_ right: Node) -> Bool {
        guard isFull, let annotation = annotations[right.tapeIndex] else { return false }
        return isDeleting(annotation)
    }

    /// True for a full reduction's `delete: true` on merge or lastWriteWins.
    @inline(__always)
    func isDeleting(_ annotation: ReduceAnnotation) -> Bool {
        isFull && annotation.delete && (annotation.strategy == .merge || annotation.strategy == .lastWriteWins)
    }

    // MARK: - Building blocks

    /// Writes the property name held by the string node `name`.
    mutating func writeName(_ name: Node) {
        _ = name.withUTF8 { bytes in builder.property(utf8: bytes) }
    }

    /// `associative: false`: a partial reduction may not combine unequal values. Write-wins
    /// strategies of equal values give the same result either way, so they may; any other
    /// strategy never may (its result could differ from the full reduction's).
    func checkAssociative(_ left: Node, _ right: Node, _ annotation: ReduceAnnotation) throws(ReduceError) {
        switch annotation.strategy {
        case .lastWriteWins, .firstWriteWins:
            if left == right { return }
        default:
            break
        }
        throw ReduceError(.notAssociative, left: left, right: right)
    }
}
