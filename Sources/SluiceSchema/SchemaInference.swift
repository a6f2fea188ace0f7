// SchemaInference: what a schema says about one location without a document: which JSON types
// a value there may have and whether it must exist. Materializations use it to choose typed
// columns for projected fields (docs/materializations.md).
public import SluiceDocument

/// A set of JSON types. `number` includes integers (as JSON Schema's `type: number` does), so
/// a location that is `{type: integer}` has `[.integer]` and one that is `{type: number}` has
/// `[.integer, .number]`.
public struct JSONTypeSet: OptionSet, Sendable, Hashable, CustomStringConvertible {
    public let rawValue: UInt8

    public init(rawValue: UInt8) { self.rawValue = rawValue }

    public static let null = JSONTypeSet(rawValue: 1 << 0)
    public static let boolean = JSONTypeSet(rawValue: 1 << 1)
    public static let integer = JSONTypeSet(rawValue: 1 << 2)
    /// Non-integral numbers (a set with `.number` always has `.integer` too).
    public static let number = JSONTypeSet(rawValue: 1 << 3)
    public static let string = JSONTypeSet(rawValue: 1 << 4)
    public static let array = JSONTypeSet(rawValue: 1 << 5)
    public static let object = JSONTypeSet(rawValue: 1 << 6)

    public static let all: JSONTypeSet = [.null, .boolean, .integer, .number, .string, .array, .object]
    /// Values that are not containers.
    public static let scalars: JSONTypeSet = [.boolean, .integer, .number, .string]

    public var description: String {
        var names: [String] = []
        if contains(.null) { names.append("null") }
        if contains(.boolean) { names.append("boolean") }
        if contains(.number) { names.append("number") } else if contains(.integer) { names.append("integer") }
        if contains(.string) { names.append("string") }
        if contains(.array) { names.append("array") }
        if contains(.object) { names.append("object") }
        return names.isEmpty ? "nothing" : names.joined(separator: ", ")
    }

    /// From a compiled `type` mask: `number` brings `integer` along.
    init(_ mask: TypeMask) {
        var set = JSONTypeSet(rawValue: mask.rawValue)
        if set.contains(.number) { set.insert(.integer) }
        self = set
    }

    /// The type of a constant value.
    init(_ node: Node) {
        switch node.kind {
        case .null: self = .null
        case .boolean: self = .boolean
        case .number: self = node.int64 != nil || node.uint64 != nil ? .integer : .number
        case .string: self = .string
        case .array: self = .array
        case .object: self = .object
        }
    }
}

/// What a schema says about a location.
public struct LocationShape: Sendable, Hashable, CustomStringConvertible {
    /// The types a valid document's value there may have (empty: no valid document has one).
    public var types: JSONTypeSet
    /// Every valid document has a value there (each property on the way is `required`).
    public var mustExist: Bool

    public init(types: JSONTypeSet, mustExist: Bool) {
        self.types = types
        self.mustExist = mustExist
    }

    public var description: String { "\(types)\(mustExist ? " (required)" : "")" }

    /// Both hold (allOf): types intersect, existence of either side holds.
    func intersecting(_ other: LocationShape) -> LocationShape {
        LocationShape(types: types.intersection(other.types), mustExist: mustExist || other.mustExist)
    }

    /// Either holds (anyOf, oneOf, if/then/else): types unite, existence only if both promise it.
    func uniting(_ other: LocationShape) -> LocationShape {
        LocationShape(types: types.union(other.types), mustExist: mustExist && other.mustExist)
    }
}

/// A top-level property a schema describes, with its shape.
public struct SchemaProjection: Sendable, Hashable {
    /// The property's name (Flow's field name).
    public var field: String
    public var pointer: JSONPointer
    public var shape: LocationShape
}

extension Schema {
    /// The shape of the location `pointer`, found statically by following `properties`,
    /// `additionalProperties`, `prefixItems` and `items` from the root, through `$ref` and
    /// `allOf` (both hold) and `anyOf`, `oneOf`, `if`/`then`/`else` (either holds).
    /// `patternProperties`, `not` and `dependentSchemas` are not followed, so the answer may
    /// allow more than the schema does, never less.
    public func shape(at pointer: JSONPointer) -> LocationShape {
        SchemaInference(program: program).shape(program.root, tokens: pointer.tokens[...], depth: 0)
    }

    /// The properties the schema names at its root (through references and applicators), with
    /// their shapes, sorted by name.
    public func projections() -> [SchemaProjection] {
        let inference = SchemaInference(program: program)
        var names = Set<String>()
        inference.collectPropertyNames(program.root, into: &names, depth: 0)
        return names.sorted().map { name in
            let pointer = JSONPointer(names: [name])
            return SchemaProjection(field: name, pointer: pointer, shape: shape(at: pointer))
        }
    }
}

/// The static walk behind `Schema.shape(at:)` and `Schema.projections()`.
struct SchemaInference {
    let program: SchemaProgram
    /// References may cycle (`$ref: "#"`); deeper than this a location is unconstrained.
    static let depthMax = 64

    /// The shape of the location `tokens` below an instance of `node`, given that the instance
    /// exists (so an empty `tokens` always exists).
    func shape(_ node: Int32, tokens: ArraySlice<JSONPointer.Token>, depth: Int) -> LocationShape {
        let unconstrained = LocationShape(types: .all, mustExist: tokens.isEmpty)
        guard depth < Self.depthMax else { return LocationShape(types: .all, mustExist: false) }
        let compiled = program.nodes[Int(node)]
        switch compiled.constant {
        case .alwaysValid: return unconstrained
        case .alwaysInvalid: return LocationShape(types: [], mustExist: false)
        case .none: break
        }
        var result = unconstrained
        // Below this node: the child's shape from this node's own keywords (intersected), and
        // whether this node requires the child.
        var matchedProperty = false
        var child: LocationShape?
        func addChild(_ shape: LocationShape) { child = child.map { $0.intersecting(shape) } ?? shape }
        var required = false
        for keywordIndex in Int(compiled.keywordStart)..<Int(compiled.keywordEnd) {
            switch program.keywords[keywordIndex] {
            case .type(let mask) where tokens.isEmpty:
                result.types.formIntersection(JSONTypeSet(mask))
            case .constant(let index) where tokens.isEmpty:
                result.types.formIntersection(JSONTypeSet(program.constants[Int(index)].root))
            case .enumeration(let start, let count) where tokens.isEmpty:
                var types: JSONTypeSet = []
                for index in Int(start)..<Int(start + count) { types.formUnion(JSONTypeSet(program.constants[index].root)) }
                result.types.formIntersection(types)
            case .enumerationOfStrings where tokens.isEmpty:
                result.types.formIntersection(.string)
            case .properties(let start, let count) where !tokens.isEmpty:
                let name = Array(tokens.first!.name.utf8)
                for entry in program.names[Int(start)..<Int(start + count)] where program.bytes(of: entry).elementsEqual(name) {
                    addChild(shape(entry.node, tokens: tokens.dropFirst(), depth: depth + 1))
                    matchedProperty = true
                }
            case .additionalProperties(let additional, _, _, _, _) where !tokens.isEmpty:
                if !matchedProperty { addChild(shape(additional, tokens: tokens.dropFirst(), depth: depth + 1)) }
            case .prefixItems(let start, let count) where !tokens.isEmpty:
                if let index = tokens.first!.index, index < Int(count) {
                    addChild(shape(program.nodeLists[Int(start) + index], tokens: tokens.dropFirst(), depth: depth + 1))
                }
            case .items(let items, let from) where !tokens.isEmpty:
                if let index = tokens.first!.index, index >= Int(from) {
                    addChild(shape(items, tokens: tokens.dropFirst(), depth: depth + 1))
                }
            case .required(let start, let count) where !tokens.isEmpty:
                let name = Array(tokens.first!.name.utf8)
                if program.names[Int(start)..<Int(start + count)].contains(where: { program.bytes(of: $0).elementsEqual(name) }) {
                    required = true
                }
            case .reference(let target), .dynamicReference(let target, _), .recursiveReference(let target, _):
                result = result.intersecting(shape(target, tokens: tokens, depth: depth + 1))
            case .allOf(let start, let count):
                for index in Int(start)..<Int(start + count) {
                    result = result.intersecting(shape(program.nodeLists[index], tokens: tokens, depth: depth + 1))
                }
            case .anyOf(let start, let count), .oneOf(let start, let count):
                var union: LocationShape?
                for index in Int(start)..<Int(start + count) {
                    let branch = shape(program.nodeLists[index], tokens: tokens, depth: depth + 1)
                    union = union.map { $0.uniting(branch) } ?? branch
                }
                if let union { result = result.intersecting(union) }
            case .conditional(_, let then, let otherwise):
                let thenShape = then >= 0 ? shape(then, tokens: tokens, depth: depth + 1) : unconstrained
                let elseShape = otherwise >= 0 ? shape(otherwise, tokens: tokens, depth: depth + 1) : unconstrained
                result = result.intersecting(thenShape.uniting(elseShape))
            default:
                break
            }
        }
        if !tokens.isEmpty {
            // The child exists if this node requires it; the location below it if the child's
            // own schema then promises the rest.
            let below = child ?? LocationShape(types: .all, mustExist: tokens.count == 1)
            result = result.intersecting(LocationShape(types: below.types, mustExist: required && below.mustExist))
        }
        return result
    }

    /// Property names of the object at `node` (through references and applicators).
    func collectPropertyNames(_ node: Int32, into names: inout Set<String>, depth: Int) {
        guard depth < Self.depthMax else { return }
        let compiled = program.nodes[Int(node)]
        for keywordIndex in Int(compiled.keywordStart)..<Int(compiled.keywordEnd) {
            switch program.keywords[keywordIndex] {
            case .properties(let start, let count):
                for entry in program.names[Int(start)..<Int(start + count)] { names.insert(program.name(entry)) }
            case .reference(let target), .dynamicReference(let target, _), .recursiveReference(let target, _):
                collectPropertyNames(target, into: &names, depth: depth + 1)
            case .allOf(let start, let count), .anyOf(let start, let count), .oneOf(let start, let count):
                for index in Int(start)..<Int(start + count) { collectPropertyNames(program.nodeLists[index], into: &names, depth: depth + 1) }
            case .conditional(_, let then, let otherwise):
                if then >= 0 { collectPropertyNames(then, into: &names, depth: depth + 1) }
                if otherwise >= 0 { collectPropertyNames(otherwise, into: &names, depth: depth + 1) }
            default:
                break
            }
        }
    }
}
