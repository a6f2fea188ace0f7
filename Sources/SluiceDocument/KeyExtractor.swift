// KeyExtractor: a collection key, a list of JSON pointers (SEMANTICS.md §1).

/// Extracts, compares and packs the key of documents: the values at a list of pointers.
/// A missing location takes its default (the schema's `default`, when the caller has one),
/// else null.
public struct KeyExtractor: Sendable, Hashable {
    public let pointers: [JSONPointer]
    /// Per pointer, the value used when the location is missing.
    public let defaults: [JSONValue?]
    /// Per pointer, per token, the token's UTF-8 and its array index.
    private let tokens: [[(name: [UInt8], index: Int?)]]

    public init(pointers: [JSONPointer], defaults: [JSONValue?]? = nil) {
        precondition(defaults == nil || defaults!.count == pointers.count, "one default per pointer")
        self.pointers = pointers
        self.defaults = defaults ?? Array(repeating: nil, count: pointers.count)
        self.tokens = pointers.map { pointer in pointer.tokens.map { (Array($0.name.utf8), $0.index) } }
    }

    public static func == (left: KeyExtractor, right: KeyExtractor) -> Bool {
        left.pointers == right.pointers && left.defaults == right.defaults
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(pointers)
        hasher.combine(defaults)
    }

    /// The node at pointer `component` of `root`, or nil if missing.
    public func node(_ component: Int, in root: Node) -> Node? {
        var node = root
        for token in tokens[component] {
            switch node.kind {
            case .object:
                guard let child = token.name.withUnsafeBytes({ node.property(named: $0) }) else { return nil }
                node = child
            case .array:
                guard let index = token.index, let child = node[index] else { return nil }
                node = child
            default:
                return nil
            }
        }
        return node
    }

    /// The key's values (defaults or null where missing).
    public func extract(_ document: Document) -> [JSONValue] {
        (0..<pointers.count).map { component in
            node(component, in: document.root)?.jsonValue ?? defaults[component] ?? .null
        }
    }

    /// The tape index of pointer `component` in a tape, or nil if missing. Walks the tape
    /// directly (no `Node`s, no reference counting).
    @inline(__always)
    func entryIndex(_ component: Int, _ entries: UnsafePointer<TapeEntry>, _ strings: UnsafeRawPointer) -> Int? {
        var index = 0
        for token in tokens[component] {
            let entry = entries[index]
            switch entry.tag {
            case .object:
                let found: Int? = token.name.withUnsafeBytes { name in
                    var position = index + 1
                    for _ in 0..<entry.count {
                        let key = entries[position]
                        let order = compareBytes(strings + Int(truncatingIfNeeded: key.payload), key.count,
                                                 name.baseAddress ?? strings, name.count)
                        if order == 0 { return position + 1 }
                        if order > 0 { return nil }
                        position += 1 + entries[position + 1].span
                    }
                    return nil
                }
                guard let found else { return nil }
                index = found
            case .array:
                guard let element = token.index, element < entry.count else { return nil }
                var position = index + 1
                for _ in 0..<element { position += entries[position].span }
                index = position
            default:
                return nil
            }
        }
        return index
    }

    /// Appends the packed key of `document` (PackedKey.swift) to `output`.
    public func pack(_ document: Document, into output: inout [UInt8]) {
        document.storage.withTape { entries, strings in
            // Safety: indices come from walking a valid tape.
            for component in 0..<tokens.count {
                if let index = entryIndex(component, entries, strings) {
                    let entry = entries[index]
                    switch entry.tag {
                    case .null: output.append(PackedKey.nullCode)
                    case .false: output.append(PackedKey.falseCode)
                    case .true: output.append(PackedKey.trueCode)
                    case .int, .uint, .double: PackedKey.append(TupleElement(number: tapeNumber(entry)), to: &output)
                    case .string:
                        PackedKey.appendEscaped(code: PackedKey.stringCode,
                                                UnsafeRawBufferPointer(start: strings + Int(truncatingIfNeeded: entry.payload), count: entry.count),
                                                to: &output)
                    case .array, .object:
                        PackedKey.append(Node(storage: document.storage, index: index), to: &output)
                    }
                } else if let value = defaults[component] {
                    PackedKey.append(value, to: &output)
                } else {
                    output.append(PackedKey.nullCode)
                }
            }
        }
    }

    /// The packed key of `document`.
    public func packed(_ document: Document) -> [UInt8] {
        var output: [UInt8] = []
        pack(document, into: &output)
        return output
    }

    /// Compares the keys of two documents component by component in semantic order:
    /// -1, 0 or 1.
    public func compare(_ left: Document, _ right: Document) -> Int {
        for component in 0..<pointers.count {
            let a = node(component, in: left.root)
            let b = node(component, in: right.root)
            let order: Int
            switch (a, b) {
            case (let a?, let b?): order = Node.compare(a, b)
            default:
                let x = a?.jsonValue ?? defaults[component] ?? .null
                let y = b?.jsonValue ?? defaults[component] ?? .null
                order = JSONValue.compare(x, y)
            }
            if order != 0 { return order }
        }
        return 0
    }
}
