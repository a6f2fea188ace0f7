// AirbyteDiscovery: collection specs suggested from a connector's discovered catalog (`sluice
// discover`). Each stream becomes a collection `<prefix>/<stream>` (`<prefix>/<namespace>/<stream>`
// with a namespace) whose schema is the stream's `json_schema` and whose key is the source-defined
// primary key, made usable as a key: the key's properties are required and not nullable. A
// binding for the capture comes with each.
public import SluiceDocument
import SluiceCatalog

/// A suggested collection and binding for one discovered stream.
public struct AirbyteCollectionSuggestion: Sendable {
    /// The collection's name.
    public var collection: String
    /// The stream's schema, with the key's locations required and not nullable.
    public var schema: JSONValue
    /// JSON pointers of the key; empty when the stream has no primary key (a note says so).
    public var key: [String]
    /// The binding's resource: `{stream, namespace?, syncMode}`.
    public var resource: JSONValue
    /// What a person must decide or check.
    public var notes: [String]

    /// `{schema, key}` as a catalog's collection entry.
    public var collectionSpec: JSONValue {
        ["schema": schema, "key": .array(key.map { .string($0) })]
    }

    /// `{resource, target}` as a capture's binding.
    public var binding: JSONValue {
        ["resource": resource, "target": .string(collection)]
    }
}

public enum AirbyteDiscovery {
    /// Suggestions for every stream of `catalog`, in stream order, named under `prefix`.
    public static func suggestions(_ catalog: AirbyteCatalog, prefix: String) -> [AirbyteCollectionSuggestion] {
        catalog.streams.map { suggestion($0, prefix: prefix) }
    }

    static func suggestion(_ stream: AirbyteStream, prefix: String) -> AirbyteCollectionSuggestion {
        let name = prefix + "/" + (stream.namespace.map { $0 + "/" } ?? "") + stream.name
        var notes: [String] = []
        var schema = stream.jsonSchema
        if case .object(var object) = schema, object["type"] == nil {
            object["type"] = "object"
            schema = .object(object)
        }
        var pointers: [String] = []
        if let key = stream.sourceDefinedPrimaryKey, !key.isEmpty {
            for path in key {
                pointers.append(JSONPointer(names: path).description)
                if let note = requireKeyLocation(path, in: &schema) { notes.append("\(stream.qualifiedName): \(note)") }
            }
        } else {
            notes.append("\(stream.qualifiedName) has no source-defined primary key: choose a key for \(name)")
        }
        var resource: JSONObject = ["stream": .string(stream.name)]
        if let namespace = stream.namespace { resource["namespace"] = .string(namespace) }
        if stream.supportedSyncModes.contains("incremental") && (stream.sourceDefinedCursor || stream.defaultCursorField != nil) {
            resource["syncMode"] = "incremental"
        } else {
            resource["syncMode"] = "full_refresh"
            if stream.supportedSyncModes.contains("incremental") {
                notes.append("\(stream.qualifiedName) supports incremental sync with a cursorField you choose; full_refresh suggested")
            }
        }
        return AirbyteCollectionSuggestion(collection: name, schema: schema, key: pointers, resource: .object(resource), notes: notes)
    }

    /// Makes the location at `path` required at every level and removes `null` from its type.
    /// Returns a note when the location cannot be a key (a type other than string, integer or
    /// boolean).
    static func requireKeyLocation(_ path: [String], in schema: inout JSONValue) -> String? {
        guard let first = path.first, case .object(var object) = schema else { return nil }
        var required = object["required"]?.array ?? []
        if !required.contains(.string(first)) { required.append(.string(first)) }
        object["required"] = .array(required)
        var properties = object["properties"]?.object ?? JSONObject()
        var child = properties[first] ?? ["type": "object"]
        var note: String?
        if path.count > 1 {
            note = requireKeyLocation(Array(path.dropFirst()), in: &child)
        } else if case .object(var property) = child {
            var types: [String] = []
            if let single = property["type"]?.string {
                types = [single]
            } else if let several = property["type"]?.array {
                types = several.compactMap(\.string)
            }
            types.removeAll { $0 == "null" }
            if !types.isEmpty { property["type"] = types.count == 1 ? .string(types[0]) : .array(types.map { .string($0) }) }
            if types.contains(where: { !["string", "integer", "boolean"].contains($0) }) {
                note = "key /\(path.joined(separator: "/")) has type \(types.joined(separator: " or ")); keys must be strings, integers or booleans"
            }
            child = .object(property)
        }
        properties[first] = child
        object["properties"] = .object(properties)
        schema = .object(object)
        return note
    }
}
