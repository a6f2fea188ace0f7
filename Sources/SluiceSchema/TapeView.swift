// TapeView: the validator's read-only view of a document, over its tape bytes
// (docs/document.md, "Tape bytes": 16-byte entries in pre-order, head then payload, then the
// string area), read in place through `Document.withUnsafeTapeBytes`. Reading entries straight
// from bytes costs no reference counting at all, where walking `Node`s retains and releases
// the document's storage at every step (most of the time validation took, measured by perf).
// Locations are tape indices, the same numbers `Node.tapeIndex` gives and
// `ReduceAnnotations` is keyed by.
import SluiceDocument

/// Tags of tape entries (docs/document.md, "Tape").
enum TapeTag {
    static let null: UInt8 = 0
    static let `false`: UInt8 = 1
    static let `true`: UInt8 = 2
    static let int: UInt8 = 3
    static let uint: UInt8 = 4
    static let double: UInt8 = 5
    static let string: UInt8 = 6
    static let array: UInt8 = 7
    static let object: UInt8 = 8
}

/// A tape in memory, valid only inside the scope that made it (`Document.withUnsafeTapeBytes`).
struct TapeView {
    let entries: UnsafeRawPointer
    let strings: UnsafeRawPointer
    let entryCount: Int

    /// Size of the tape bytes header (magic, counts, reserved).
    static let headerBytes = 16

    init(entries: UnsafeRawPointer, strings: UnsafeRawPointer, entryCount: Int) {
        self.entries = entries
        self.strings = strings
        self.entryCount = entryCount
    }

    /// A view of a document's tape as `Document.withUnsafeTapeBytes` gives it (a valid tape:
    /// no checks here). Valid only inside that call.
    init(entries: UnsafeRawBufferPointer, strings: UnsafeRawBufferPointer) {
        // Safety: a document has at least one entry, so `entries` has a base address; the
        // string area's is its own, or (when empty, never read) the entries'.
        self.entries = entries.baseAddress!
        self.strings = strings.baseAddress ?? entries.baseAddress!
        self.entryCount = entries.count / 16
    }

    @inline(__always)
    func head(_ index: Int) -> UInt64 {
        UInt64(littleEndian: entries.loadUnaligned(fromByteOffset: index &<< 4, as: UInt64.self))
    }

    @inline(__always)
    func payload(_ index: Int) -> UInt64 {
        UInt64(littleEndian: entries.loadUnaligned(fromByteOffset: index &<< 4 &+ 8, as: UInt64.self))
    }

    @inline(__always)
    func tag(_ index: Int) -> UInt8 { UInt8(truncatingIfNeeded: head(index)) }

    /// Elements of an array, properties of an object, bytes of a string.
    @inline(__always)
    func count(_ index: Int) -> Int { Int(truncatingIfNeeded: head(index) >> 8) }

    /// Entries the value at `index` spans (1 for scalars).
    @inline(__always)
    func span(_ index: Int) -> Int {
        tag(index) >= TapeTag.array ? Int(truncatingIfNeeded: payload(index)) : 1
    }

    @inline(__always)
    func kind(_ index: Int) -> JSONKind {
        switch tag(index) {
        case TapeTag.null: .null
        case TapeTag.false, TapeTag.true: .boolean
        case TapeTag.int, TapeTag.uint, TapeTag.double: .number
        case TapeTag.string: .string
        case TapeTag.array: .array
        default: .object
        }
    }

    @inline(__always)
    func isObject(_ index: Int) -> Bool { tag(index) == TapeTag.object }

    @inline(__always)
    func isArray(_ index: Int) -> Bool { tag(index) == TapeTag.array }

    @inline(__always)
    func isString(_ index: Int) -> Bool { tag(index) == TapeTag.string }

    @inline(__always)
    func number(_ index: Int) -> JSONNumber? {
        switch tag(index) {
        case TapeTag.int: .int(Int64(bitPattern: payload(index)))
        case TapeTag.uint: .uint(payload(index))
        case TapeTag.double: .double(Double(bitPattern: payload(index)))
        default: nil
        }
    }

    /// The UTF-8 of the string at `index` (which must be a string).
    @inline(__always)
    func stringBytes(_ index: Int) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(start: strings + Int(truncatingIfNeeded: payload(index)), count: count(index))
    }

    /// Unicode scalars in the string at `index`.
    func unicodeScalarCount(_ index: Int) -> Int {
        var scalars = 0
        for byte in stringBytes(index) where byte & 0xC0 != 0x80 { scalars += 1 }
        return scalars
    }

    /// True if the number at `index` is an integer (an integral double counts).
    @inline(__always)
    func isInteger(_ index: Int) -> Bool {
        switch tag(index) {
        case TapeTag.int, TapeTag.uint: return true
        case TapeTag.double:
            let value = Double(bitPattern: payload(index))
            return value.rounded(.towardZero) == value
        default: return false
        }
    }

    /// The index of the first child (element, or the first property's name) of a container.
    @inline(__always)
    func firstChild(_ index: Int) -> Int { index + 1 }

    /// The index after the value at `index` and everything below it.
    @inline(__always)
    func next(_ index: Int) -> Int { index + span(index) }
}

/// Semantic comparison over tapes (SEMANTICS.md §1, the order `Node.compare` implements):
/// `null < false < true < numbers < strings < arrays < objects`; numbers by exact value,
/// strings by bytes, arrays element-wise, objects by sorted (name, value) pairs; a prefix first.
enum TapeOrder {
    static func compare(_ left: TapeView, _ leftIndex: Int, _ right: TapeView, _ rightIndex: Int) -> Int {
        let leftRank = rank(left.tag(leftIndex))
        let rightRank = rank(right.tag(rightIndex))
        if leftRank != rightRank { return leftRank < rightRank ? -1 : 1 }
        switch left.tag(leftIndex) {
        case TapeTag.null, TapeTag.false, TapeTag.true:
            return 0
        case TapeTag.int, TapeTag.uint, TapeTag.double:
            return JSONNumber.compare(left.number(leftIndex)!, right.number(rightIndex)!)
        case TapeTag.string:
            return compareBytes(left.stringBytes(leftIndex), right.stringBytes(rightIndex))
        case TapeTag.array:
            let leftCount = left.count(leftIndex)
            let rightCount = right.count(rightIndex)
            var leftChild = leftIndex + 1
            var rightChild = rightIndex + 1
            for _ in 0..<min(leftCount, rightCount) {
                let order = compare(left, leftChild, right, rightChild)
                if order != 0 { return order }
                leftChild = left.next(leftChild)
                rightChild = right.next(rightChild)
            }
            return leftCount == rightCount ? 0 : (leftCount < rightCount ? -1 : 1)
        default:
            let leftCount = left.count(leftIndex)
            let rightCount = right.count(rightIndex)
            var leftName = leftIndex + 1
            var rightName = rightIndex + 1
            for _ in 0..<min(leftCount, rightCount) {
                let nameOrder = compareBytes(left.stringBytes(leftName), right.stringBytes(rightName))
                if nameOrder != 0 { return nameOrder }
                let valueOrder = compare(left, leftName + 1, right, rightName + 1)
                if valueOrder != 0 { return valueOrder }
                leftName = left.next(leftName + 1)
                rightName = right.next(rightName + 1)
            }
            return leftCount == rightCount ? 0 : (leftCount < rightCount ? -1 : 1)
        }
    }

    /// null 0, booleans 1–2, numbers 3, strings 4, arrays 5, objects 6.
    @inline(__always)
    static func rank(_ tag: UInt8) -> Int {
        switch tag {
        case TapeTag.null: 0
        case TapeTag.false: 1
        case TapeTag.true: 2
        case TapeTag.int, TapeTag.uint, TapeTag.double: 3
        case TapeTag.string: 4
        case TapeTag.array: 5
        default: 6
        }
    }

    @inline(__always)
    static func compareBytes(_ left: UnsafeRawBufferPointer, _ right: UnsafeRawBufferPointer) -> Int {
        let length = min(left.count, right.count)
        for offset in 0..<length {
            let a = left[offset]
            let b = right[offset]
            if a != b { return a < b ? -1 : 1 }
        }
        return left.count == right.count ? 0 : (left.count < right.count ? -1 : 1)
    }
}
