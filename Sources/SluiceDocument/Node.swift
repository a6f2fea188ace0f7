// Node: a cursor into a document. Reads straight from the tape; never allocates, except where
// a Swift `String` or `JSONValue` is asked for.

/// One value inside a `Document`: its kind, its scalar, its properties or elements.
///
/// A node keeps its document alive. Scalar accessors return nil when the kind differs;
/// numbers are exact (`int64` and `uint64` only answer for integers that fit).
public struct Node: @unchecked Sendable {  // immutable tape, see Document
    @usableFromInline let storage: TapeStorage
    /// Index of this value's entry in the tape.
    @usableFromInline let index: Int

    @inlinable
    init(storage: TapeStorage, index: Int) {
        self.storage = storage
        self.index = index
    }

    @inlinable
    var entry: TapeEntry { storage.entry(index) }

    /// The document this node belongs to.
    public var document: Document { Document(storage: storage) }

    /// Index of this value's entry in its document's tape (pre-order, the root is 0). Stable for
    /// the document's life: validation annotations (SluiceSchema) name locations by it.
    @inlinable public var tapeIndex: Int { index }

    /// Number of tape entries this value spans (1 for a scalar).
    public var entrySpan: Int { entry.span }

    @inlinable
    public var kind: JSONKind {
        switch entry.tag {
        case .null: .null
        case .false, .true: .boolean
        case .int, .uint, .double: .number
        case .string: .string
        case .array: .array
        case .object: .object
        }
    }

    @inlinable public var isNull: Bool { entry.tag == .null }

    @inlinable
    public var bool: Bool? {
        switch entry.tag {
        case .true: true
        case .false: false
        default: nil
        }
    }

    /// The number, exactly as parsed: Int64 if it fits, UInt64 above Int64.max, else Double.
    @inlinable
    public var number: JSONNumber? {
        let entry = self.entry
        switch entry.tag {
        case .int: return .int(Int64(bitPattern: entry.payload))
        case .uint: return .uint(entry.payload)
        case .double: return .double(Double(bitPattern: entry.payload))
        default: return nil
        }
    }

    /// The value if it is an integer that fits in Int64 (not a double, even an integral one).
    @inlinable
    public var int64: Int64? {
        let entry = self.entry
        return entry.tag == .int ? Int64(bitPattern: entry.payload) : nil
    }

    /// The value if it is a non-negative integer (not a double).
    @inlinable
    public var uint64: UInt64? {
        let entry = self.entry
        switch entry.tag {
        case .int: return Int64(bitPattern: entry.payload) >= 0 ? entry.payload : nil
        case .uint: return entry.payload
        default: return nil
        }
    }

    /// Any number as a Double (integers above 2^53 round to the nearest double).
    @inlinable
    public var double: Double? { number?.doubleValue }

    /// The string, as a new Swift `String`. Use `withUTF8` to read it without allocating.
    public var string: String? {
        withUTF8 { String(decoding: $0, as: UTF8.self) }
    }

    /// Calls `body` with the UTF-8 bytes of a string (valid UTF-8, unescaped), or returns nil
    /// for other kinds. The bytes must not escape `body`.
    @inlinable
    public func withUTF8<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R? {
        let entry = self.entry
        guard entry.tag == .string else { return nil }
        return try storage.withStringBytes(entry, body)
    }

    /// The number of Unicode scalars (code points) of a string, as JSON Schema's
    /// `minLength`/`maxLength` count them; nil for other kinds.
    public var unicodeScalarCount: Int? {
        withUTF8 { bytes in
            var count = 0
            for byte in bytes where byte & 0xC0 != 0x80 { count += 1 }
            return count
        }
    }

    /// Elements of an array or properties of an object; 0 for scalars.
    @inlinable
    public var count: Int {
        let entry = self.entry
        return entry.tag.rawValue >= TapeTag.array.rawValue ? entry.count : 0
    }

    /// The value of property `name` of an object (nil if absent or not an object).
    /// Properties are sorted, so the scan stops at the first larger name.
    public subscript(_ name: String) -> Node? {
        var name = name
        return name.withUTF8 { property(named: UnsafeRawBufferPointer($0)) }
    }

    /// The value of the property whose name has these UTF-8 bytes.
    public func property(named name: UnsafeRawBufferPointer) -> Node? {
        storage.withTape { entries, strings in
            let object = entries[index]
            guard object.tag == .object else { return nil }
            var position = index + 1
            for _ in 0..<object.count {
                let key = entries[position]
                let order = compareBytes(strings + Int(truncatingIfNeeded: key.payload), key.count,
                                         name.baseAddress ?? UnsafeRawPointer(strings), name.count)
                if order == 0 { return Node(storage: storage, index: position + 1) }
                if order > 0 { return nil }
                position += 1 + entries[position + 1].span
            }
            return nil
        }
    }

    /// Element `index` of an array (nil if out of range or not an array). O(index).
    public subscript(_ elementIndex: Int) -> Node? {
        storage.withTape { entries, _ in
            let array = entries[index]
            guard array.tag == .array, elementIndex >= 0, elementIndex < array.count else { return nil }
            var position = index + 1
            for _ in 0..<elementIndex { position += entries[position].span }
            return Node(storage: storage, index: position)
        }
    }

    /// The value at `pointer` below this node.
    public subscript(_ pointer: JSONPointer) -> Node? {
        var node = self
        for token in pointer.tokens {
            switch node.kind {
            case .object:
                guard let child = node[token.name] else { return nil }
                node = child
            case .array:
                guard let elementIndex = token.index, let child = node[elementIndex] else { return nil }
                node = child
            default:
                return nil
            }
        }
        return node
    }

    /// The elements of an array (empty for other kinds).
    public var elements: Elements { Elements(node: self) }

    /// The properties of an object in name order (empty for other kinds).
    public var properties: Properties { Properties(node: self) }

    /// A copy as a heap `JSONValue`.
    public var jsonValue: JSONValue {
        switch entry.tag {
        case .null: return .null
        case .false: return .bool(false)
        case .true: return .bool(true)
        case .int: return .int(Int64(bitPattern: entry.payload))
        case .uint: return .uint(entry.payload)
        case .double: return .double(Double(bitPattern: entry.payload))
        case .string: return .string(string!)
        case .array: return .array(elements.map(\.jsonValue))
        case .object:
            // Already sorted and unique: build the object's storage directly.
            return .object(JSONObject(sortedUniqueProperties: properties.map { ($0.name, $0.value.jsonValue) }))
        }
    }
}

extension Node {
    /// The elements of an array, in order.
    public struct Elements: Sequence, Sendable {
        let node: Node

        public var count: Int { node.kind == .array ? node.count : 0 }

        public func makeIterator() -> Iterator {
            let isArray = node.kind == .array
            return Iterator(storage: node.storage, position: node.index + 1, remaining: isArray ? node.count : 0)
        }

        public struct Iterator: IteratorProtocol, @unchecked Sendable {
            let storage: TapeStorage
            var position: Int
            var remaining: Int

            public mutating func next() -> Node? {
                guard remaining > 0 else { return nil }
                remaining -= 1
                let node = Node(storage: storage, index: position)
                position += storage.entry(position).span
                return node
            }
        }
    }

    /// One property of an object: its name and value.
    public struct Property: Sendable {
        /// The name's string node (use `withUTF8` to read it without allocating).
        public let nameNode: Node
        public let value: Node

        /// The name as a new Swift `String`.
        public var name: String { nameNode.string! }
    }

    /// The properties of an object, sorted by name bytes.
    public struct Properties: Sequence, Sendable {
        let node: Node

        public var count: Int { node.kind == .object ? node.count : 0 }

        public func makeIterator() -> Iterator {
            let isObject = node.kind == .object
            return Iterator(storage: node.storage, position: node.index + 1, remaining: isObject ? node.count : 0)
        }

        public struct Iterator: IteratorProtocol, @unchecked Sendable {
            let storage: TapeStorage
            var position: Int
            var remaining: Int

            public mutating func next() -> Property? {
                guard remaining > 0 else { return nil }
                remaining -= 1
                let property = Property(nameNode: Node(storage: storage, index: position),
                                        value: Node(storage: storage, index: position + 1))
                position += 1 + storage.entry(position + 1).span
                return property
            }
        }
    }
}

extension Node: CustomStringConvertible, CustomDebugStringConvertible {
    /// Canonical compact JSON.
    public var description: String {
        var bytes: [UInt8] = []
        JSONSerializer.append(self, to: &bytes)
        return String(decoding: bytes, as: UTF8.self)
    }

    public var debugDescription: String { "Node(\(description))" }
}
