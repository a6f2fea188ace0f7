// jsonSchemaMerge: two JSON schemas make one that accepts what either accepts.
import SluiceDocument

extension Reducer {
    /// jsonSchemaMerge: the result accepts every instance either schema accepts. Both values
    /// are schemas (objects or booleans). The result is the union of their alternatives:
    /// `true` if either is `true`; `false` and repeats dropped; one alternative as itself, more
    /// as `{"anyOf": [...]}`. A schema that is only `{"anyOf": [...]}` contributes its
    /// alternatives (recursively), so the union stays flat and the reduction associative.
    mutating func jsonSchemaMerge(_ left: Node, _ right: Node) throws(ReduceError) {
        guard left.kind == .object || left.kind == .boolean, right.kind == .object || right.kind == .boolean else {
            throw ReduceError(.jsonSchemaMergeExpectsSchemas, left: left, right: right)
        }
        var alternatives: [Node] = []
        var acceptsEverything = false
        func collect(_ schema: Node) {
            if let accepts = schema.bool {
                if accepts { acceptsEverything = true }
                return
            }
            if schema.kind == .object, schema.count == 1, let anyOf = schema["anyOf"], anyOf.kind == .array {
                for alternative in anyOf.elements { collect(alternative) }
                return
            }
            if !alternatives.contains(where: { $0 == schema }) { alternatives.append(schema) }
        }
        collect(left)
        collect(right)
        if acceptsEverything {
            builder.bool(true)
        } else if alternatives.isEmpty {
            builder.bool(false)
        } else if alternatives.count == 1 {
            builder.copy(alternatives[0])
        } else {
            builder.beginObject()
            builder.property("anyOf")
            builder.beginArray()
            for alternative in alternatives { builder.copy(alternative) }
            builder.endArray()
            builder.endObject()
        }
    }
}
