import Foundation
public import SluiceCatalog
import SluiceCollection
import SluiceDocument
import SluiceSchema

/// `sluice check`: everything that can be known about a catalog before running it. The loader
/// checks structure and references; this compiles every schema and checks what needs them:
/// keys and partitions must exist in every valid document and be key-able, shuffle keys too,
/// and connector-specific checks (SQLite lambda parameters) through `ConnectorSet.checks`.
public enum CatalogCheck {
    /// Every problem of the catalog, sorted by place; empty when it is valid.
    public static func diagnostics(_ catalog: Catalog, connectors: ConnectorSet = .builtIn) -> [CatalogDiagnostic] {
        var found: [CatalogDiagnostic] = []
        var schemas: [String: JSONValue] = [:]
        for (name, definition) in catalog.collections.sorted(by: { $0.key < $1.key }) {
            let path = "collections[\(name)]"
            do {
                _ = try CollectionSpec(definition: definition)
            } catch {
                found += error.diagnostics
                continue
            }
            guard let source = definition.effectiveReadSchema, let schema = try? JSONValue(parsing: source.json.text) else { continue }
            schemas[name] = schema
            for (index, key) in definition.key.enumerated() {
                if let problem = keyProblem(schema, key.pointer, what: "key location") {
                    found.append(CatalogDiagnostic(location: key.location, path: "\(path).key[\(index)]", message: problem))
                }
            }
            for projection in definition.partitionFields {
                let pointer = projection.location.pointer
                if let problem = partitionProblem(schema, pointer) {
                    found.append(CatalogDiagnostic(location: projection.location.location,
                                                   path: "\(path).projections[\(projection.field)]", message: problem))
                }
            }
        }
        for collection in catalog.derivations {
            for (index, transform) in (collection.derive?.transforms ?? []).enumerated() {
                guard case .key(let pointers) = transform.shuffle, let schema = schemas[transform.source.collection] else { continue }
                for (position, pointer) in pointers.enumerated() {
                    if let problem = keyProblem(schema, pointer.pointer, what: "shuffle key location",
                                                schemaName: "the schema of \(transform.source.collection)") {
                        found.append(CatalogDiagnostic(location: pointer.location,
                                                       path: "collections[\(collection.name)].derive.transforms[\(index)].shuffle.key[\(position)]",
                                                       message: problem))
                    }
                }
            }
        }
        for check in connectors.checks { found += check(catalog) }
        return found.sorted { left, right in
            let l = left.location.map { ($0.file, $0.line, $0.column) } ?? ("~", 0, 0)
            let r = right.location.map { ($0.file, $0.line, $0.column) } ?? ("~", 0, 0)
            return l < r
        }
    }

    /// Why `pointer` cannot be a key location in `schema`, or nil.
    static func keyProblem(_ schema: JSONValue, _ pointer: String, what: String, schemaName: String = "the schema") -> String? {
        guard let parsed = try? JSONPointer(parsing: pointer) else { return "\(pointer) is not a JSON pointer" }
        let inference = SchemaTextInference.infer(schema, at: parsed)
        if !inference.mustExist && inference.defaultValue == nil {
            return "\(what) \(pointer) is not required by \(schemaName): every document must have it "
                + "(add it to \"required\" along its path, or give it a \"default\")"
        }
        let keyable: JSONTypeSet = [.boolean, .integer, .string]
        if inference.types.isEmpty { return "\(what) \(pointer) can have no valid value in \(schemaName)" }
        if !inference.types.subtracting(keyable).isEmpty {
            return "\(what) \(pointer) may be \(inference.types) in \(schemaName); key locations must be strings, integers or booleans"
        }
        return nil
    }

    /// Why `pointer` cannot be a partition field, or nil.
    static func partitionProblem(_ schema: JSONValue, _ pointer: String) -> String? {
        guard let parsed = try? JSONPointer(parsing: pointer) else { return "\(pointer) is not a JSON pointer" }
        let inference = SchemaTextInference.infer(schema, at: parsed)
        if !inference.mustExist {
            return "partition location \(pointer) is not required by the schema: every document must have it (add it to \"required\")"
        }
        let allowed: JSONTypeSet = [.boolean, .integer, .string, .null]
        if !inference.types.subtracting(allowed).isEmpty {
            return "partition location \(pointer) may be \(inference.types); partitions must be strings, integers, booleans or null"
        }
        return nil
    }
}
