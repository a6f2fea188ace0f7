// LambdaFields: the document locations a SQLite lambda may bind, and how `$parameters` name
// them (Flow's projections, docs/derivations.md "Parameters").
public import SluiceDocument

/// A location of source documents a lambda may bind: a field name and its pointer.
///
/// Fields are the source collection's projections as Flow has them: every location its schema
/// describes through `properties` (the field is the pointer without its leading `/`:
/// `customer/name`), each explicit projection of the catalog (`projections: {region: /r}`),
/// `_meta/uuid` and `_meta/op`, and `flow_document`, the whole document.
public struct LambdaField: Sendable, Hashable {
    public let field: String
    public let pointer: JSONPointer

    public init(field: String, pointer: JSONPointer) {
        self.field = field
        self.pointer = pointer
    }

    /// The canonical parameter that names this field: `/` becomes `$`, `-` and whitespace
    /// become `_` (`customer/first-name` → `$customer$first_name`). A field with any other
    /// character is written `$p::(field)` with whitespace as `_`.
    public var parameter: String { LambdaFields.canonicalParameter(field) }
}

/// A parameter that names no field of the source.
public struct UnknownParameter: Error, Sendable, Hashable, CustomStringConvertible {
    public let parameter: String
    /// The canonical parameter of the closest field, if the source has any.
    public let suggestion: String?

    public init(parameter: String, suggestion: String?) {
        self.parameter = parameter
        self.suggestion = suggestion
    }

    public var description: String {
        "parameter \(parameter) is not a field of the source" + (suggestion.map { " (did you mean \($0)?)" } ?? "")
    }
}

/// The fields of a source collection, with parameter resolution.
public struct LambdaFields: Sendable {
    /// Every field, in the order found (explicit projections, then the schema's locations in
    /// document order, then the `_meta` fields and `flow_document`).
    public let fields: [LambdaField]
    private let byField: [String: LambdaField]

    /// Nesting below this many properties is not projected (a recursive schema has no end).
    public static let locationDepthMax = 16

    /// The explicit-field prefix of Flow's parameter syntax: `$p::(field)`.
    public static let explicitPrefix = "$p::("

    public init(fields: [LambdaField]) {
        var unique: [LambdaField] = []
        var byField: [String: LambdaField] = [:]
        for field in fields where byField[field.field] == nil {
            byField[field.field] = field
            unique.append(field)
        }
        self.fields = unique
        self.byField = byField
    }

    /// The fields of a collection with this (read) schema and explicit projections
    /// (field → pointer).
    public init(schema: JSONValue, projections: [(field: String, pointer: JSONPointer)] = []) {
        var fields = projections.map { LambdaField(field: $0.field, pointer: $0.pointer) }
        for pointer in SchemaLocations.properties(of: schema, depthMax: Self.locationDepthMax) {
            fields.append(LambdaField(field: String(pointer.description.dropFirst()), pointer: pointer))
        }
        fields.append(LambdaField(field: "_meta/uuid", pointer: JSONPointer(names: ["_meta", "uuid"])))
        fields.append(LambdaField(field: "_meta/op", pointer: JSONPointer(names: ["_meta", "op"])))
        fields.append(LambdaField(field: "flow_document", pointer: .root))
        self.init(fields: fields)
    }

    public func field(named name: String) -> LambdaField? { byField[name] }

    /// The field a parameter names (with its `$`): an exact field first (`$` read as `/`),
    /// else a field where `_` in the parameter stands for whitespace or `-` (whitespace only
    /// for the explicit `$p::(…)` form).
    public func resolve(_ parameter: String) -> Result<LambdaField, UnknownParameter> {
        let isExplicit = parameter.hasPrefix(Self.explicitPrefix) && parameter.hasSuffix(")")
        let name: String
        if isExplicit {
            name = String(parameter.dropFirst(Self.explicitPrefix.count).dropLast())
        } else if parameter.hasPrefix("$") {
            name = String(parameter.dropFirst()).replacingDollars()
        } else {
            return .failure(UnknownParameter(parameter: parameter, suggestion: nil))
        }
        if let exact = byField[name] { return .success(exact) }
        let wanted = Array(name.unicodeScalars)
        for candidate in fields {
            let scalars = Array(candidate.field.unicodeScalars)
            guard scalars.count == wanted.count else { continue }
            let matches = zip(wanted, scalars).allSatisfy { want, have in
                want == have || (want == "_" && (have.properties.isWhitespace || (have == "-" && !isExplicit)))
            }
            if matches { return .success(candidate) }
        }
        let suggestion = Suggestions.closest(to: name, in: fields.map(\.field)).map(Self.canonicalParameter)
        return .failure(UnknownParameter(parameter: parameter, suggestion: suggestion))
    }

    /// The canonical parameter of a field name (see `LambdaField.parameter`).
    public static func canonicalParameter(_ field: String) -> String {
        let isSimple = field.unicodeScalars.allSatisfy {
            $0.properties.isAlphabetic || $0.properties.numericType != nil || $0.properties.isWhitespace
                || $0 == "_" || $0 == "-" || $0 == "/"
        }
        var result = ""
        for scalar in field.unicodeScalars {
            if scalar.properties.isWhitespace {
                result.unicodeScalars.append("_")
            } else if isSimple && scalar == "/" {
                result.unicodeScalars.append("$")
            } else if isSimple && scalar == "-" {
                result.unicodeScalars.append("_")
            } else {
                result.unicodeScalars.append(scalar)
            }
        }
        return isSimple ? "$" + result : explicitPrefix + result + ")"
    }
}

extension String {
    fileprivate func replacingDollars() -> String {
        String(unicodeScalars.map { $0 == "$" ? "/" : Character($0) })
    }
}

/// The object locations a JSON schema describes, found without a document.
enum SchemaLocations {
    /// Pointers of every property reachable through `properties` from the root, following
    /// `allOf`, `anyOf`, `oneOf`, `if`/`then`/`else` and local `$ref`s (`#`, `#/$defs/…`,
    /// `#/definitions/…`, any `#/pointer`), in the order first found, at most `depthMax` deep.
    static func properties(of schema: JSONValue, depthMax: Int) -> [JSONPointer] {
        var found: [JSONPointer] = []
        var seen = Set<JSONPointer>()
        func walk(_ node: JSONValue, _ at: JSONPointer, _ references: Set<String>) {
            guard case .object(let object) = node, at.tokens.count <= depthMax else { return }
            if case .object(let properties)? = object["properties"] {
                for (name, subschema) in properties {
                    let pointer = at.appending(name)
                    if seen.insert(pointer).inserted { found.append(pointer) }
                    walk(subschema, pointer, references)
                }
            }
            for keyword in ["allOf", "anyOf", "oneOf"] {
                if case .array(let branches)? = object[keyword] {
                    for branch in branches { walk(branch, at, references) }
                }
            }
            for keyword in ["if", "then", "else"] {
                if let branch = object[keyword] { walk(branch, at, references) }
            }
            if case .string(let reference)? = object["$ref"], reference.hasPrefix("#"), !references.contains(reference) {
                let target = String(reference.dropFirst())
                if target.isEmpty {
                    walk(schema, at, references.union([reference]))
                } else if let pointer = try? JSONPointer(parsing: target), let resolved = schema[pointer: pointer] {
                    walk(resolved, at, references.union([reference]))
                }
            }
        }
        walk(schema, .root, [])
        return found
    }
}
