// ReduceError: a reduction that cannot be done, where, and the two values.
public import SluiceDocument

/// Why a reduction failed, at which JSON pointer (of the right document), with both values
/// as canonical JSON (shortened past `valueBytesMax`).
///
///     reducing /total: 'sum' expects numbers; left: "12", right: 3
public struct ReduceError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Side: String, Sendable, Equatable {
        case left, right
    }

    public enum Reason: Sendable, Equatable, CustomStringConvertible {
        case appendExpectsArrays
        case sumExpectsNumbers
        /// An integer sum outside Int64 and UInt64, or a double sum that is not finite.
        case sumOverflow
        case mergeExpectsObjectsOrArrays
        /// A merge with `key` needs both arrays sorted by the key without repeats.
        case mergeArrayNotSortedByKey(Side)
        /// A set value that is not an object of `add` and `intersect` or `remove` terms, all
        /// arrays or all objects.
        case setMalformed(String)
        /// A set term whose array members are not sorted by the key without repeats.
        case setArrayNotSortedByKey(Side, term: String)
        case jsonSchemaMergeExpectsSchemas
        /// `associative: false` and a partial reduction: the two documents must both be kept
        /// until a full reduction (the combiner does that).
        case notAssociative
        /// The reduced document broke a limit of documents (nesting depth).
        case invalidResult(String)

        public var description: String {
            switch self {
            case .appendExpectsArrays: "'append' expects arrays (or a null on the left)"
            case .sumExpectsNumbers: "'sum' expects numbers"
            case .sumOverflow: "'sum' overflows (integers must fit 64 bits, doubles be finite)"
            case .mergeExpectsObjectsOrArrays: "'merge' expects two objects or two arrays (or a null on the left)"
            case .mergeArrayNotSortedByKey(let side): "'merge' with a key expects arrays sorted by the key without repeats; the \(side.rawValue) one is not"
            case .setMalformed(let detail): "'set' expects an object of 'add' and 'intersect' or 'remove' terms, all arrays or all objects: \(detail)"
            case .setArrayNotSortedByKey(let side, let term): "'set' expects arrays sorted by the key without repeats; the \(side.rawValue) '\(term)' is not"
            case .jsonSchemaMergeExpectsSchemas: "'jsonSchemaMerge' expects JSON schemas (objects or booleans)"
            case .notAssociative: "'associative: false' forbids a partial reduction of these values"
            case .invalidResult(let detail): "the result is not a valid document: \(detail)"
            }
        }
    }

    /// Where, in the right document.
    public internal(set) var pointer: JSONPointer
    public let reason: Reason
    /// The left value as canonical JSON (nil when there is none).
    public let left: String?
    /// The right value as canonical JSON (nil only for `invalidResult`).
    public let right: String?

    /// Values longer than this many bytes of JSON are shortened in errors.
    public static let valueBytesMax = 1024

    init(pointer: JSONPointer = .root, reason: Reason, left: String?, right: String?) {
        self.pointer = pointer
        self.reason = reason
        self.left = left
        self.right = right
    }

    init(_ reason: Reason, left: Node?, right: Node?) {
        self.init(reason: reason, left: left.map(Self.shortJSON), right: right.map(Self.shortJSON))
    }

    /// The JSON of `node`, shortened to `valueBytesMax` bytes (at a character boundary).
    static func shortJSON(_ node: Node) -> String {
        var bytes: [UInt8] = []
        JSONSerializer.append(node, to: &bytes)
        guard bytes.count > valueBytesMax else { return String(decoding: bytes, as: UTF8.self) }
        var end = valueBytesMax
        while end > 0 && bytes[end] & 0xC0 == 0x80 { end -= 1 }
        return String(decoding: bytes[..<end], as: UTF8.self) + "… (\(bytes.count) bytes)"
    }

    /// The error as seen from a parent location: `token` goes in front of the pointer.
    func prefixed(_ token: String) -> ReduceError {
        var error = self
        error.pointer = JSONPointer(tokens: [JSONPointer.Token(token)] + pointer.tokens)
        return error
    }

    func prefixed(index: Int) -> ReduceError { prefixed(String(index)) }

    public var description: String {
        let location = pointer.tokens.isEmpty ? "the root" : pointer.description
        var text = "reducing \(location): \(reason)"
        if left != nil || right != nil {
            text += "; left: \(left ?? "(none)"), right: \(right ?? "(none)")"
        }
        return text
    }
}
