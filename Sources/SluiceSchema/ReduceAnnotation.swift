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
    private var table: [ReduceAnnotation]

    /// No annotations, for a document of `entryCount` tape entries.
    public init(entryCount: Int) {
        precondition(entryCount >= 0)
        slots = [UInt16](repeating: 0, count: entryCount)
        table = []
    }

    /// No annotations yet, over a table shared with the compiled schema (the validator's fast
    /// path: setting a slot is then one store, and the table is never copied).
    init(entryCount: Int, sharedTable: [ReduceAnnotation]) {
        precondition(entryCount >= 0)
        precondition(sharedTable.count < Int(UInt16.max), "too many distinct annotations in one schema")
        slots = [UInt16](repeating: 0, count: entryCount)
        table = sharedTable
    }

    /// Sets the annotation at `tapeIndex` to entry `tableIndex` of the shared table.
    mutating func setSlot(tableIndex: Int, at tapeIndex: Int) {
        assert(tableIndex >= 0 && tableIndex < table.count)
        slots[tapeIndex] = UInt16(tableIndex + 1)
    }

    /// Sets the annotation of the location whose tape index is `tapeIndex`.
    public mutating func set(_ annotation: ReduceAnnotation, at tapeIndex: Int) {
        precondition(slots.indices.contains(tapeIndex), "tape index \(tapeIndex) outside the document")
        if let existing = table.firstIndex(of: annotation) {
            slots[tapeIndex] = UInt16(existing + 1)
        } else {
            precondition(table.count < Int(UInt16.max), "too many distinct annotations in one document")
            table.append(annotation)
            slots[tapeIndex] = UInt16(table.count)
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
    public var isEmpty: Bool { table.isEmpty || !slots.contains { $0 != 0 } }

    /// Equal when every location has the same annotation (however the tables are laid out).
    public static func == (left: ReduceAnnotations, right: ReduceAnnotations) -> Bool {
        guard left.entryCount == right.entryCount else { return false }
        for index in 0..<left.entryCount where left[index] != right[index] { return false }
        return true
    }

    @usableFromInline
    func slotValue(_ tapeIndex: Int) -> UInt16 { slots[tapeIndex] }

    @usableFromInline
    func annotation(slot: UInt16) -> ReduceAnnotation? { slot == 0 ? nil : table[Int(slot) - 1] }
}
