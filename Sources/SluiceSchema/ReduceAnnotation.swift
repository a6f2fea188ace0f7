// The interface between validation (SluiceSchema) and reduction (SluiceReduce): validating a
// document yields, for each of its locations, the `reduce` annotation in force there
// (../shared/design/SEMANTICS.md §3). Locations are named by the tape index of the validated
// document's nodes (`Node.tapeIndex`).
public import SluiceDocument

/// A schema's `reduce: {strategy: …, key?, delete?, associative?}` at one location.
public struct ReduceAnnotation: Hashable, Sendable, CustomStringConvertible {
    public enum Strategy: String, Hashable, Sendable, CaseIterable {
        case lastWriteWins, firstWriteWins, append, sum, minimize, maximize, merge, set, jsonSchemaMerge
    }

    public var strategy: Strategy
    /// `key`: pointers into the values compared (merge of arrays, minimize, maximize, set).
    public var key: [JSONPointer]
    /// `delete: true` (merge and lastWriteWins): the reduced value is a tombstone, kept through
    /// partial reductions and removed by a full one.
    public var delete: Bool
    /// `associative: false`: documents of one key are only reduced by a full reduction.
    public var associative: Bool

    public init(strategy: Strategy, key: [JSONPointer] = [], delete: Bool = false, associative: Bool = true) {
        self.strategy = strategy
        self.key = key
        self.delete = delete
        self.associative = associative
    }

    /// Where no annotation applies.
    public static let lastWriteWins = ReduceAnnotation(strategy: .lastWriteWins)

    public var description: String {
        var text = "{strategy: \(strategy.rawValue)"
        if !key.isEmpty { text += ", key: [\(key.map { "\($0)" }.joined(separator: ", "))]" }
        if delete { text += ", delete: true" }
        if !associative { text += ", associative: false" }
        return text + "}"
    }
}

/// The reduce annotations validation found in one document, by tape index. Dense: one slot
/// per tape entry, so a lookup during reduction is an array read.
public struct ReduceAnnotations: Sendable, Equatable {
    /// Per tape entry: 0 for none, else 1 + an index into `table`.
    private var slots: [UInt16]
    private var storedTable: [ReduceAnnotation]

    /// No annotations, for a document of `entryCount` tape entries.
    public init(entryCount: Int) {
        precondition(entryCount >= 0)
        slots = [UInt16](repeating: 0, count: entryCount)
        storedTable = []
    }

    /// Slots filled by the validator over a table shared with the compiled schema (the
    /// validator's fast path: neither array is copied). A slot is 0 or 1 + a table index.
    /// Also for annotations handed between threads as their slots (`withSlots`), rebuilt over
    /// a validator's table of the same schema (`SchemaValidator.annotationTable`).
    package init(slots: [UInt16], sharedTable: [ReduceAnnotation]) {
        assert(sharedTable.count < Int(UInt16.max))
        assert(slots.allSatisfy { Int($0) <= sharedTable.count })
        self.slots = slots
        storedTable = sharedTable
    }

    /// Sets the annotation of the location whose tape index is `tapeIndex`.
    public mutating func set(_ annotation: ReduceAnnotation, at tapeIndex: Int) {
        precondition(slots.indices.contains(tapeIndex), "tape index \(tapeIndex) outside the document")
        if let existing = storedTable.firstIndex(of: annotation) {
            slots[tapeIndex] = UInt16(existing + 1)
        } else {
            precondition(storedTable.count < Int(UInt16.max), "too many distinct annotations in one document")
            storedTable.append(annotation)
            slots[tapeIndex] = UInt16(storedTable.count)
        }
    }

    /// The annotation at a tape index, or nil where none applies (lastWriteWins).
    @inlinable
    public subscript(tapeIndex: Int) -> ReduceAnnotation? {
        guard tapeIndex >= 0, tapeIndex < entryCount else { return nil }
        return annotation(slot: slotValue(tapeIndex))
    }

    /// The annotation at a node of the validated document.
    @inlinable
    public subscript(node: Node) -> ReduceAnnotation? { self[node.tapeIndex] }

    public var entryCount: Int { slots.count }

    /// True if no location is annotated.
    public var isEmpty: Bool { storedTable.isEmpty || !slots.contains { $0 != 0 } }

    /// Equal when every location has the same annotation (however the tables are laid out).
    public static func == (left: ReduceAnnotations, right: ReduceAnnotations) -> Bool {
        guard left.entryCount == right.entryCount else { return false }
        for index in 0..<left.entryCount where left[index] != right[index] { return false }
        return true
    }

    @usableFromInline
    func slotValue(_ tapeIndex: Int) -> UInt16 { slots[tapeIndex] }

    /// For reductions' fast paths (SluiceReduce), without copying an annotation: the slot of
    /// `tapeIndex` (0: none; else 1 + an index into `table`), which must be in the document.
    @inline(__always)
    package func slot(_ tapeIndex: Int) -> Int { Int(slots[tapeIndex]) }

    /// Calls `body` with the slots, one per tape entry (0: none; else 1 + a table index).
    package func withSlots<R>(_ body: (UnsafeBufferPointer<UInt16>) throws -> R) rethrows -> R {
        try slots.withUnsafeBufferPointer(body)
    }

    /// The annotations the slots point into (`slot(_:)` − 1 indexes it). The validator returns
    /// the same table for every document, so a reducer can work out once what each entry asks.
    package var table: [ReduceAnnotation] { storedTable }

    @usableFromInline
    func annotation(slot: UInt16) -> ReduceAnnotation? { slot == 0 ? nil : storedTable[Int(slot) - 1] }
}
