// Semantic order and equality of JSON values (SEMANTICS.md §1):
//
//     null < false < true < numbers < strings < arrays < objects
//
// Numbers compare by exact value across Int64, UInt64 and Double (`20 == 20.0`,
// `-1 < 2^63`, `2^63 == 9.223372036854775808e18`); strings by their UTF-8 bytes; arrays
// element by element, a prefix first; objects by their (property, value) pairs in name order,
// name before value, a prefix first. The order is total (no NaN can be in a document).
// `Document`, `Node` and `JSONValue` are Equatable, Hashable and Comparable by it; equal
// values hash alike (numbers hash by value, see `JSONNumber.hash`).

/// Rank of a value's type in the semantic order.
@inline(__always)
func semanticRank(_ tag: TapeTag) -> Int {
    switch tag {
    case .null: 0
    case .false: 1
    case .true: 2
    case .int, .uint, .double: 3
    case .string: 4
    case .array: 5
    case .object: 6
    }
}

@inline(__always)
func tapeNumber(_ entry: TapeEntry) -> JSONNumber {
    switch entry.tag {
    case .int: .int(Int64(bitPattern: entry.payload))
    case .uint: .uint(entry.payload)
    default: .double(Double(bitPattern: entry.payload))
    }
}

/// A read-only view of a tape for the comparison walk.
struct TapeView {
    let entries: UnsafePointer<TapeEntry>
    let strings: UnsafeRawPointer

    @inline(__always)
    func bytes(_ entry: TapeEntry) -> (UnsafeRawPointer, Int) {
        (strings + Int(truncatingIfNeeded: entry.payload), entry.count)
    }
}

/// Compares the value at `i` of `a` with the value at `j` of `b`: -1, 0 or 1.
func semanticCompare(_ a: TapeView, _ i: Int, _ b: TapeView, _ j: Int) -> Int {
    let x = a.entries[i]
    let y = b.entries[j]
    let rankX = semanticRank(x.tag)
    let rankY = semanticRank(y.tag)
    if rankX != rankY { return rankX < rankY ? -1 : 1 }
    switch x.tag {
    case .null, .false, .true:
        return 0
    case .int, .uint, .double:
        return JSONNumber.compare(tapeNumber(x), tapeNumber(y))
    case .string:
        let (p, m) = a.bytes(x)
        let (q, n) = b.bytes(y)
        return compareBytes(p, m, q, n).signum()
    case .array:
        var ii = i + 1
        var jj = j + 1
        for _ in 0..<Swift.min(x.count, y.count) {
            let order = semanticCompare(a, ii, b, jj)
            if order != 0 { return order }
            ii += a.entries[ii].span
            jj += b.entries[jj].span
        }
        return x.count < y.count ? -1 : (x.count > y.count ? 1 : 0)
    case .object:
        var ii = i + 1
        var jj = j + 1
        for _ in 0..<Swift.min(x.count, y.count) {
            let (p, m) = a.bytes(a.entries[ii])
            let (q, n) = b.bytes(b.entries[jj])
            let nameOrder = compareBytes(p, m, q, n)
            if nameOrder != 0 { return nameOrder.signum() }
            let order = semanticCompare(a, ii + 1, b, jj + 1)
            if order != 0 { return order }
            ii += 1 + a.entries[ii + 1].span
            jj += 1 + b.entries[jj + 1].span
        }
        return x.count < y.count ? -1 : (x.count > y.count ? 1 : 0)
    }
}

/// Feeds the value at `i` into `hasher`, consistently with `semanticCompare`.
func semanticHash(_ a: TapeView, _ i: Int, into hasher: inout Hasher) {
    let x = a.entries[i]
    hasher.combine(UInt8(truncatingIfNeeded: semanticRank(x.tag)))
    switch x.tag {
    case .null, .false, .true: break
    case .int, .uint, .double: tapeNumber(x).hash(into: &hasher)
    case .string:
        let (p, n) = a.bytes(x)
        hasher.combine(bytes: UnsafeRawBufferPointer(start: p, count: n))
        hasher.combine(n)
    case .array:
        hasher.combine(x.count)
        var ii = i + 1
        for _ in 0..<x.count {
            semanticHash(a, ii, into: &hasher)
            ii += a.entries[ii].span
        }
    case .object:
        hasher.combine(x.count)
        var ii = i + 1
        for _ in 0..<x.count {
            let (p, n) = a.bytes(a.entries[ii])
            hasher.combine(bytes: UnsafeRawBufferPointer(start: p, count: n))
            hasher.combine(n)
            semanticHash(a, ii + 1, into: &hasher)
            ii += 1 + a.entries[ii + 1].span
        }
    }
}

extension Node: Equatable, Hashable, Comparable {
    /// Semantic comparison: -1, 0 or 1.
    public static func compare(_ left: Node, _ right: Node) -> Int {
        left.storage.withTape { e1, s1 in
            right.storage.withTape { e2, s2 in
                semanticCompare(TapeView(entries: e1, strings: s1), left.index, TapeView(entries: e2, strings: s2), right.index)
            }
        }
    }

    public static func == (left: Node, right: Node) -> Bool { compare(left, right) == 0 }
    public static func < (left: Node, right: Node) -> Bool { compare(left, right) < 0 }

    public func hash(into hasher: inout Hasher) {
        storage.withTape { entries, strings in
            semanticHash(TapeView(entries: entries, strings: strings), index, into: &hasher)
        }
    }
}

extension Node {
    /// Semantic equality with a heap value (converts the node; for tests and checks, not hot
    /// paths).
    public static func == (left: Node, right: JSONValue) -> Bool { left.jsonValue == right }
    public static func == (left: JSONValue, right: Node) -> Bool { left == right.jsonValue }
}

extension Document {
    /// Semantic equality with a heap value (converts the document; not for hot paths).
    public static func == (left: Document, right: JSONValue) -> Bool { left.root == right }
    public static func == (left: JSONValue, right: Document) -> Bool { left == right.root }
}

extension Document: Equatable, Hashable, Comparable {
    public static func == (left: Document, right: Document) -> Bool { left.root == right.root }
    public static func < (left: Document, right: Document) -> Bool { left.root < right.root }
    public func hash(into hasher: inout Hasher) { root.hash(into: &hasher) }
}

extension JSONValue: Equatable, Hashable, Comparable {
    private var rank: Int {
        switch self {
        case .null: 0
        case .bool(let value): value ? 2 : 1
        case .int, .uint, .double: 3
        case .string: 4
        case .array: 5
        case .object: 6
        }
    }

    /// Semantic comparison: -1, 0 or 1.
    public static func compare(_ left: JSONValue, _ right: JSONValue) -> Int {
        let rankLeft = left.rank
        let rankRight = right.rank
        if rankLeft != rankRight { return rankLeft < rankRight ? -1 : 1 }
        switch (left, right) {
        case (.string(let a), .string(let b)):
            return compareUTF8(a, b)
        case (.array(let a), .array(let b)):
            for (x, y) in zip(a, b) {
                let order = compare(x, y)
                if order != 0 { return order }
            }
            return a.count < b.count ? -1 : (a.count > b.count ? 1 : 0)
        case (.object(let a), .object(let b)):
            for (x, y) in zip(a, b) {
                let nameOrder = compareUTF8(x.name, y.name)
                if nameOrder != 0 { return nameOrder }
                let order = compare(x.value, y.value)
                if order != 0 { return order }
            }
            return a.count < b.count ? -1 : (a.count > b.count ? 1 : 0)
        default:
            if let a = left.number, let b = right.number { return JSONNumber.compare(a, b) }
            return 0  // null, or booleans of the same rank
        }
    }

    public static func == (left: JSONValue, right: JSONValue) -> Bool { compare(left, right) == 0 }
    public static func < (left: JSONValue, right: JSONValue) -> Bool { compare(left, right) < 0 }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(UInt8(rank))
        switch self {
        case .null, .bool: break
        case .int, .uint, .double: number!.hash(into: &hasher)
        case .string(let value):
            var value = value
            value.withUTF8 { hasher.combine(bytes: UnsafeRawBufferPointer($0)) }
            hasher.combine(value.utf8.count)
        case .array(let elements):
            hasher.combine(elements.count)
            for element in elements { element.hash(into: &hasher) }
        case .object(let object):
            hasher.combine(object.count)
            for (name, value) in object {
                var name = name
                name.withUTF8 { hasher.combine(bytes: UnsafeRawBufferPointer($0)) }
                hasher.combine(name.utf8.count)
                value.hash(into: &hasher)
            }
        }
    }
}
