/// The sealed fragments of a journal that matter for reads: a cover set in which no fragment
/// is fully covered by another, ordered by offset.
///
/// Invariant: ordered by `begin`, both `begin` and `end` strictly increase (a fragment that
/// began no later and ended no earlier than another would cover it). Overlaps are allowed
/// (a reader moves from one fragment to the next at the first one's end); gaps are allowed
/// (a reader reports them as jumps).
public struct FragmentIndex: Sendable, Equatable {
    public private(set) var fragments: [SealedFragment] = []

    public init() {}

    /// An index over `listing`, and the fragments of it that others cover (to be ignored).
    public static func build(from listing: [SealedFragment]) -> (index: FragmentIndex, covered: [SealedFragment]) {
        var index = FragmentIndex()
        var covered: [SealedFragment] = []
        // Longest first among equal begins, so a shorter one is found covered, not covering;
        // among equal ranges a compacted one first, so it is the one kept.
        for fragment in listing.sorted(by: {
            ($0.begin, -$0.end, $0.name.isCompacted ? 0 : 1, $0.name) < ($1.begin, -$1.end, $1.name.isCompacted ? 0 : 1, $1.name)
        }) {
            covered += index.insert(fragment)
        }
        return (index, covered)
    }

    /// Adds `fragment`. Returns the fragments that are now covered and were left out: either
    /// `fragment` itself (when an existing one covers it) or those it covers (removed).
    @discardableResult
    public mutating func insert(_ fragment: SealedFragment) -> [SealedFragment] {
        if fragments.contains(where: { $0.begin <= fragment.begin && $0.end >= fragment.end && !fragment.replaces($0) }) {
            return [fragment]
        }
        let coveredByNew = fragments.filter { $0.begin >= fragment.begin && $0.end <= fragment.end }
        fragments.removeAll { $0.begin >= fragment.begin && $0.end <= fragment.end }
        let position = fragments.firstIndex { $0.begin > fragment.begin } ?? fragments.endIndex
        fragments.insert(fragment, at: position)
        assert(checkInvariants())
        return coveredByNew
    }

    /// Removes `fragment` if present; returns whether it was.
    @discardableResult
    public mutating func remove(_ fragment: SealedFragment) -> Bool {
        guard let position = fragments.firstIndex(of: fragment) else { return false }
        fragments.remove(at: position)
        return true
    }

    /// The first offset held, or nil when empty.
    public var begin: Int64? { fragments.first?.begin }
    /// The offset after the last one held, or nil when empty.
    public var end: Int64? { fragments.last?.end }
    public var isEmpty: Bool { fragments.isEmpty }

    public enum Location: Equatable {
        /// This fragment holds the offset.
        case fragment(SealedFragment)
        /// No fragment holds the offset; the next one begins at `next`.
        case gap(next: Int64)
        /// No fragment holds the offset or anything after it.
        case beyond
    }

    /// Where `offset` is.
    public func locate(_ offset: Int64) -> Location {
        // The last fragment beginning at or before `offset` has the greatest end among those.
        var low = 0
        var high = fragments.count
        while low < high {
            let middle = (low + high) / 2
            if fragments[middle].begin <= offset { low = middle + 1 } else { high = middle }
        }
        if low > 0, fragments[low - 1].end > offset { return .fragment(fragments[low - 1]) }
        if low < fragments.count { return .gap(next: fragments[low].begin) }
        return .beyond
    }

    func checkInvariants() -> Bool {
        zip(fragments, fragments.dropFirst()).allSatisfy { $0.begin < $1.begin && $0.end < $1.end }
    }
}

extension SealedFragment {
    /// True if this fragment takes the place of `other` over the same range: a compacted
    /// fragment replaces the originals of its range, and a later compaction of the range an
    /// earlier one. (Two compactions of one range hold the same reduced documents, so when a
    /// crash leaves both, either may serve; `build` keeps the last by name.)
    func replaces(_ other: SealedFragment) -> Bool {
        name.isCompacted && begin == other.begin && end == other.end
    }
}
