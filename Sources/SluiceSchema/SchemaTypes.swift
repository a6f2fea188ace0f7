// SchemaTypes: the JSON types a schema allows at a location, found statically (without a
// document). Readers of typed text formats use it to turn text into values: the files
// capture's CSV cells become integers, numbers, booleans or nulls where the collection's
// schema says so (docs/captures.md).
public import SluiceDocument

/// A set of JSON Schema type names (`null`, `boolean`, `integer`, `number`, `string`, `array`,
/// `object`). `number` includes `integer`, as in JSON Schema.
public struct JSONTypeSet: OptionSet, Sendable, Hashable, CustomStringConvertible {
    public let rawValue: UInt8

    public init(rawValue: UInt8) { self.rawValue = rawValue }

    public static let null = JSONTypeSet(rawValue: 1 << 0)
    public static let boolean = JSONTypeSet(rawValue: 1 << 1)
    public static let integer = JSONTypeSet(rawValue: 1 << 2)
    public static let number = JSONTypeSet(rawValue: 1 << 3)
    public static let string = JSONTypeSet(rawValue: 1 << 4)
    public static let array = JSONTypeSet(rawValue: 1 << 5)
    public static let object = JSONTypeSet(rawValue: 1 << 6)
    public static let any: JSONTypeSet = [.null, .boolean, .integer, .number, .string, .array, .object]

    /// True when an integer value is allowed (`integer` or `number`).
    public var allowsInteger: Bool { contains(.integer) || contains(.number) }

    public var description: String {
        var names: [String] = []
        if contains(.null) { names.append("null") }
        if contains(.boolean) { names.append("boolean") }
        if contains(.integer) { names.append("integer") }
        if contains(.number) { names.append("number") }
        if contains(.string) { names.append("string") }
        if contains(.array) { names.append("array") }
        if contains(.object) { names.append("object") }
        return "[" + names.joined(separator: ", ") + "]"
    }
}

extension Schema {
    /// The types the schema allows at `pointer`: the union of the `type` keywords of every
    /// subschema that applies there (through `properties`, `prefixItems`, `items`,
    /// `additionalProperties`, `$ref`, `allOf`, `anyOf`, `oneOf`, `if/then/else`), or nil
    /// when none of them says (any type). `const` and `enum` are not consulted.
    ///
    ///     try Schema(["properties": ["qty": ["type": ["integer", "null"]]]]).types(at: "/qty")
    ///     // [null, integer]
    public func types(at pointer: JSONPointer) -> JSONTypeSet? {
        SchemaDefaults(program: program).types(at: pointer)
    }
}

extension SchemaDefaults {
    func types(at pointer: JSONPointer) -> JSONTypeSet? {
        var current = closure([program.root])
        for token in pointer.tokens {
            var next: [Int32] = []
            for node in current { next += children(of: node, token: token) }
            guard !next.isEmpty else { return nil }
            current = closure(next)
        }
        var found: JSONTypeSet?
        for node in current {
            let compiled = program.nodes[Int(node)]
            for keywordIndex in Int(compiled.keywordStart)..<Int(compiled.keywordEnd) {
                if case .type(let mask) = program.keywords[keywordIndex] {
                    found = (found ?? []).union(JSONTypeSet(rawValue: mask.rawValue))
                }
            }
        }
        return found
    }
}
