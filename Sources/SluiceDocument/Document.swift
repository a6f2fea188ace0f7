// Document: an immutable parsed JSON value, held as one tape (Tape.swift).

/// The kind of a JSON value, in semantic order (SEMANTICS.md §1):
/// `null < boolean < number < string < array < object`.
public enum JSONKind: UInt8, Sendable, Hashable, Comparable, CustomStringConvertible {
    case null, boolean, number, string, array, object

    public static func < (left: JSONKind, right: JSONKind) -> Bool { left.rawValue < right.rawValue }

    public var description: String {
        switch self {
        case .null: "null"
        case .boolean: "boolean"
        case .number: "number"
        case .string: "string"
        case .array: "array"
        case .object: "object"
        }
    }
}

/// An immutable JSON value (usually an object), parsed or built once and then only read.
///
/// A `Document` is one reference to one allocation (its tape), so copies are free and it can
/// cross threads. Walk it through `root` (a `Node`), or through the forwarding subscripts:
///
///     let document = try Document(parsing: #"{"id":"a","qty":3}"#)
///     document["qty"]?.int64          // 3
///     document[pointer: "/id"]?.string  // "a"
///
/// Equality, hashing and `<` are semantic (SEMANTICS.md §1): `{"a":20}` equals `{"a":20.0}`.
/// Sendable: the tape is immutable once made (`TapeStorage` is a ManagedBuffer, which the
/// standard library does not mark Sendable, hence unchecked).
public struct Document: @unchecked Sendable {
    @usableFromInline
    let storage: TapeStorage

    @usableFromInline
    init(storage: TapeStorage) {
        assert(storage.entryCount >= 1)
        self.storage = storage
    }

    /// Parses one JSON value with a default `JSONParser`. To parse many documents, keep a
    /// `JSONParser` and reuse it: it keeps its buffers.
    public init(parsing bytes: some Collection<UInt8>) throws(JSONParseError) {
        var parser = JSONParser()
        self = try parser.parse(bytes)
    }

    /// Parses the UTF-8 of `text`.
    public init(parsing text: String) throws(JSONParseError) {
        var parser = JSONParser()
        self = try parser.parse(Array(text.utf8))
    }

    /// The value at the top of the document.
    @inlinable
    public var root: Node { Node(storage: storage, index: 0) }

    /// The number of tape entries (one per value and property name).
    public var entryCount: Int { storage.entryCount }

    /// The number of bytes in the string area (all strings and names, unescaped).
    public var stringByteCount: Int { storage.stringByteCount }

    /// Bytes of memory this document holds (its one allocation: an estimated 64 bytes of
    /// header and allocator overhead, plus its capacity for entries and strings, which may be
    /// a little more than they take), for memory budgets such as a combiner's spill threshold.
    public var memoryBytes: Int {
        64 + MemoryLayout<TapeEntry>.stride * storage.entryCapacity
    }

    // Forwarding to `root`.

    @inlinable public var kind: JSONKind { root.kind }
    @inlinable public subscript(_ name: String) -> Node? { root[name] }
    @inlinable public subscript(_ index: Int) -> Node? { root[index] }
    @inlinable public subscript(pointer pointer: JSONPointer) -> Node? { root[pointer] }
    public var jsonValue: JSONValue { root.jsonValue }
}

extension Document: CustomStringConvertible, CustomDebugStringConvertible {
    /// Canonical compact JSON.
    public var description: String { root.description }
    public var debugDescription: String { "Document(\(description))" }
}
