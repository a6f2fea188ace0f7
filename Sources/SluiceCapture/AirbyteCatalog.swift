// AirbyteCatalog: the streams a connector's `discover` reports, and the configured catalog a
// capture hands to `read` (SEMANTICS.md §7): one entry per binding, with the discovered stream
// (its json_schema included), the sync mode, the cursor field and the primary key.
public import SluiceCatalog
public import SluiceDocument

/// A stream of a discovered catalog.
public struct AirbyteStream: Sendable {
    public var name: String
    public var namespace: String?
    /// The stream's JSON schema (`json_schema`).
    public var jsonSchema: JSONValue
    /// `full_refresh`, `incremental`.
    public var supportedSyncModes: [String]
    /// The source picks the cursor (the catalog's `cursor_field` is then ignored by it).
    public var sourceDefinedCursor: Bool
    public var defaultCursorField: [String]?
    /// Each key component as a path of property names (`[["id"]]`, `[["a","b"]]`).
    public var sourceDefinedPrimaryKey: [[String]]?
    /// The stream object as discovered, passed back unchanged in the configured catalog.
    public var discovered: JSONValue

    /// `namespace.name`, or `name`.
    public var qualifiedName: String { namespace.map { "\($0).\(name)" } ?? name }
}

/// A discovered catalog.
public struct AirbyteCatalog: Sendable {
    public var streams: [AirbyteStream]

    /// From the `catalog` object of a CATALOG message.
    public init(parsing catalog: JSONValue) throws(AirbyteError) {
        guard case .array(let elements)? = catalog["streams"] else {
            throw AirbyteError.catalog("the connector's catalog has no streams array")
        }
        var streams: [AirbyteStream] = []
        for (index, element) in elements.enumerated() {
            guard let name = element["name"]?.string else {
                throw AirbyteError.catalog("the connector's catalog: streams[\(index)] has no name")
            }
            let modes = element["supported_sync_modes"]?.array?.compactMap(\.string) ?? ["full_refresh"]
            let cursor = element["default_cursor_field"]?.array?.compactMap(\.string)
            let key = element["source_defined_primary_key"]?.array?.map { $0.array?.compactMap(\.string) ?? [] }
            streams.append(AirbyteStream(
                name: name, namespace: element["namespace"]?.string, jsonSchema: element["json_schema"] ?? ["type": "object"],
                supportedSyncModes: modes, sourceDefinedCursor: element["source_defined_cursor"]?.bool ?? false,
                defaultCursorField: cursor, sourceDefinedPrimaryKey: key?.filter { !$0.isEmpty }, discovered: element))
        }
        self.streams = streams
    }

    /// The stream named `name` (in `namespace` when given).
    public func stream(_ name: String, namespace: String?) -> AirbyteStream? {
        streams.first { $0.name == name && (namespace == nil || $0.namespace == namespace) }
    }

    /// The configured catalog for `resources` (the bindings' `{stream, namespace?, syncMode?,
    /// cursorField?}`, in binding order), or an error naming the binding that cannot work.
    ///
    /// Sync mode: the binding's, else `incremental` when the stream supports it, else
    /// `full_refresh`. Cursor: the binding's, else the stream's default. The destination sync
    /// mode is `append` (collections reduce by key themselves).
    public func configured(_ resources: [CaptureResource]) throws(AirbyteError) -> JSONValue {
        var entries: [JSONValue] = []
        for (index, resource) in resources.enumerated() {
            guard case .airbyte(let name, let namespace, let syncMode, let cursorField) = resource else {
                throw AirbyteError.catalog("bindings[\(index)]: not an airbyte resource")
            }
            guard let stream = stream(name, namespace: namespace) else {
                let known = streams.map(\.qualifiedName).sorted().joined(separator: ", ")
                throw AirbyteError.catalog("bindings[\(index)].resource.stream: the connector has no stream "
                                           + "\(namespace.map { "\($0)." } ?? "")\(name) (it has: \(known))")
            }
            let mode = syncMode?.rawValue ?? (stream.supportedSyncModes.contains("incremental") ? "incremental" : "full_refresh")
            guard stream.supportedSyncModes.contains(mode) else {
                throw AirbyteError.catalog("bindings[\(index)].resource.syncMode: stream \(stream.qualifiedName) supports "
                                           + "\(stream.supportedSyncModes.joined(separator: ", ")), not \(mode)")
            }
            let cursor = cursorField ?? stream.defaultCursorField ?? []
            if mode == "incremental" && cursor.isEmpty && !stream.sourceDefinedCursor {
                throw AirbyteError.catalog("bindings[\(index)].resource.cursorField: stream \(stream.qualifiedName) has no "
                                           + "default cursor; incremental sync needs one")
            }
            entries.append([
                "stream": stream.discovered,
                "sync_mode": .string(mode),
                "cursor_field": .array(cursor.map { .string($0) }),
                "destination_sync_mode": "append",
                "primary_key": .array((stream.sourceDefinedPrimaryKey ?? []).map { .array($0.map { .string($0) }) }),
            ])
        }
        return ["streams": .array(entries)]
    }
}
