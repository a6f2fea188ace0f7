// SchemaTextInference (over schema JSON, before compilation; knows `default`, used by `sluice
// check`). Schema.shape(at:) in SchemaInference.swift answers the same over a compiled schema.
// What a schema says about one location of every valid document, without a document: whether
// it must exist, which JSON types it may have, and its default. Used by `sluice check` (keys
// and partitions must exist and be key-able).
//
// The inference is conservative: where it cannot tell (a `$dynamicRef`, a reference to another
// resource, a `not`), it answers "may be absent" and "any type", so a check built on it never
// accepts something that could fail at run time.
public import SluiceDocument

extension JSONTypeSet {
    /// The set a `type` keyword's name stands for (`number` brings `integer` along).
    init(typeName: String) {
        switch typeName {
        case "null": self = .null
        case "boolean": self = .boolean
        case "integer": self = .integer
        case "number": self = [.integer, .number]
        case "string": self = .string
        case "array": self = .array
        case "object": self = .object
        default: self = []
        }
    }
}

/// What a schema implies at one location.
public struct LocationInference: Sendable, Hashable {
    /// Every valid document has a value here.
    public var mustExist: Bool
    /// The types a value here may have.
    public var types: JSONTypeSet
    /// The schema's `default` here, if one is unambiguous.
    public var defaultValue: JSONValue?

    public init(mustExist: Bool, types: JSONTypeSet, defaultValue: JSONValue? = nil) {
        self.mustExist = mustExist
        self.types = types
        self.defaultValue = defaultValue
    }

    /// Nothing known: may be absent, any type.
    public static let unknown = LocationInference(mustExist: false, types: .all)
}

public enum SchemaTextInference {
    /// What `schema` (a JSON schema document) implies at `pointer`. `rootIsObject`: the
    /// documents are known to be objects (collection documents are), so the root's `required`
    /// applies even without `type: object`.
    public static func infer(_ schema: JSONValue, at pointer: JSONPointer, rootIsObject: Bool = true) -> LocationInference {
        var walker = Walker(root: schema)
        return walker.infer(schema, tokens: pointer.tokens[...], depth: 0, knownObject: rootIsObject)
    }

    /// The top-level properties an object schema declares (`properties`, in name order), with
    /// what it implies for each: the fields a materialization projects by default.
    public static func topLevelProperties(_ schema: JSONValue) -> [(name: String, inference: LocationInference)] {
        var names: Set<String> = []
        var walker = Walker(root: schema)
        walker.collectPropertyNames(schema, into: &names, depth: 0)
        return names.sorted().map { name in
            (name, infer(schema, at: JSONPointer(tokens: [JSONPointer.Token(name)])))
        }
    }

    struct Walker {
        let root: JSONValue
        /// Deeper than this, a schema is treated as unknown (reference cycles).
        static let depthMax = 64

        init(root: JSONValue) { self.root = root }

        /// The inference for `tokens` below `schema`.
        mutating func infer(_ schema: JSONValue, tokens: ArraySlice<JSONPointer.Token>, depth: Int, knownObject: Bool) -> LocationInference {
            if depth > Self.depthMax { return .unknown }
            switch schema {
            case .bool(true): return .unknown
            case .bool(false): return LocationInference(mustExist: true, types: [])  // nothing is valid
            case .object(let object):
                var result = tokens.isEmpty ? here(object) : child(object, tokens: tokens, depth: depth, knownObject: knownObject)
                // In-place applicators narrow the result.
                if let reference = object["$ref"]?.string {
                    if let target = resolve(reference) {
                        result = Self.intersect(result, infer(target, tokens: tokens, depth: depth + 1, knownObject: knownObject))
                    }
                }
                if let branches = object["allOf"]?.array {
                    for branch in branches { result = Self.intersect(result, infer(branch, tokens: tokens, depth: depth + 1, knownObject: knownObject)) }
                }
                for keyword in ["anyOf", "oneOf"] {
                    if let branches = object[keyword]?.array, !branches.isEmpty {
                        let union = branches.map { infer($0, tokens: tokens, depth: depth + 1, knownObject: knownObject) }.reduce(nil) { (sum: LocationInference?, next) in
                            sum.map { Self.union($0, next) } ?? next
                        }
                        if let union { result = Self.intersect(result, union) }
                    }
                }
                if object["if"] != nil, let then = object["then"], let otherwise = object["else"] {
                    result = Self.intersect(result, Self.union(infer(then, tokens: tokens, depth: depth + 1, knownObject: knownObject),
                                                               infer(otherwise, tokens: tokens, depth: depth + 1, knownObject: knownObject)))
                }
                return result
            default:
                return .unknown
            }
        }

        /// The schema object's own statements about its location.
        private func here(_ object: JSONObject) -> LocationInference {
            var types = JSONTypeSet.all
            if let type = object["type"] {
                if let name = type.string {
                    types = JSONTypeSet(typeName: name)
                } else if let names = type.array {
                    types = names.reduce([]) { $0.union(JSONTypeSet(typeName: $1.string ?? "")) }
                }
            }
            if let constant = object["const"] { types = types.intersection(Self.types(of: constant)) }
            if let values = object["enum"]?.array { types = types.intersection(values.reduce([]) { $0.union(Self.types(of: $1)) }) }
            return LocationInference(mustExist: true, types: types, defaultValue: object["default"])
        }

        /// The location `tokens` below this object schema, through `properties`,
        /// `patternProperties`-free `additionalProperties`, `items` and `prefixItems`.
        private mutating func child(_ object: JSONObject, tokens: ArraySlice<JSONPointer.Token>, depth: Int, knownObject: Bool) -> LocationInference {
            let token = tokens.first!
            let rest = tokens.dropFirst()
            // Without a schema for the child, it is anything (and, at the end of the path, it
            // exists exactly when it is required).
            var result = rest.isEmpty ? LocationInference(mustExist: true, types: .all) : .unknown
            if let property = object["properties"]?[token.name] {
                result = infer(property, tokens: rest, depth: depth + 1, knownObject: false)
            } else if object["patternProperties"] == nil, let additional = object["additionalProperties"] {
                result = infer(additional, tokens: rest, depth: depth + 1, knownObject: false)
            } else if let index = token.index {
                if let prefix = object["prefixItems"]?.array, index < prefix.count {
                    result = infer(prefix[index], tokens: rest, depth: depth + 1, knownObject: false)
                } else if let items = object["items"], items.array == nil {
                    result = infer(items, tokens: rest, depth: depth + 1, knownObject: false)
                }
            }
            // The child exists when this location exists and requires it (objects), and the
            // rest of the path exists below it.
            let required = object["required"]?.array?.contains { $0.string == token.name } ?? false
            let mayBeOtherType = !knownObject && !here(object).types.subtracting([.object]).isEmpty
            result.mustExist = result.mustExist && required && !mayBeOtherType
            return result
        }

        /// Only references within the root document (`#`, `#/…`) are followed.
        private func resolve(_ reference: String) -> JSONValue? {
            guard reference.hasPrefix("#") else { return nil }
            let fragment = String(reference.dropFirst())
            if fragment.isEmpty { return root }
            guard let pointer = try? JSONPointer(parsing: fragment) else { return nil }
            return root[pointer: pointer]
        }

        mutating func collectPropertyNames(_ schema: JSONValue, into names: inout Set<String>, depth: Int) {
            guard depth <= Self.depthMax, let object = schema.object else { return }
            if let properties = object["properties"]?.object {
                for name in properties.names { names.insert(name) }
            }
            if let reference = object["$ref"]?.string, let target = resolve(reference) {
                collectPropertyNames(target, into: &names, depth: depth + 1)
            }
            for keyword in ["allOf", "anyOf", "oneOf"] {
                for branch in object[keyword]?.array ?? [] { collectPropertyNames(branch, into: &names, depth: depth + 1) }
            }
        }

        static func types(of value: JSONValue) -> JSONTypeSet {
            switch value {
            case .null: return .null
            case .bool: return .boolean
            case .string: return .string
            case .array: return .array
            case .object: return .object
            default:
                if let number = value.number, number.exactInteger != nil { return .integer }
                return .number
            }
        }

        /// Both hold (in-place applicators).
        static func intersect(_ left: LocationInference, _ right: LocationInference) -> LocationInference {
            LocationInference(mustExist: left.mustExist || right.mustExist, types: left.types.intersection(right.types),
                              defaultValue: left.defaultValue ?? right.defaultValue)
        }

        /// One of them holds (anyOf, oneOf, then/else).
        static func union(_ left: LocationInference, _ right: LocationInference) -> LocationInference {
            LocationInference(mustExist: left.mustExist && right.mustExist, types: left.types.union(right.types),
                              defaultValue: left.defaultValue == right.defaultValue ? left.defaultValue : nil)
        }
    }
}
