// SchemaTypes: the JSON types a schema allows at a location, for readers of typed text formats
// (the files capture's CSV cells become integers, numbers, booleans or nulls where the
// collection's schema says so, docs/captures.md). A view of `Schema.shape(at:)`
// (SchemaInference.swift), which materializations use for column types.
public import SluiceDocument

extension JSONTypeSet {
    /// True when an integer value is allowed (`integer` or `number`).
    public var allowsInteger: Bool { contains(.integer) || contains(.number) }
}

extension Schema {
    /// The types the schema allows at `pointer`, or nil when it does not constrain them (any
    /// type). As in JSON Schema, `number` includes `integer`.
    ///
    ///     try Schema(["properties": ["qty": ["type": ["integer", "null"]]]]).types(at: "/qty")
    ///     // null, integer
    public func types(at pointer: JSONPointer) -> JSONTypeSet? {
        let types = shape(at: pointer).types
        return types == .all ? nil : types
    }
}
