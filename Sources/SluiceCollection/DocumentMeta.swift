public import SluiceDocument

/// `/_meta` handling for documents read from collections.
public enum DocumentMeta {
    /// The document without `/_meta/uuid` (and without `/_meta` when nothing else is in it):
    /// what reductions and comparisons of committed documents see, since each document's UUID
    /// differs and is not part of its data. Other `_meta` properties (`op`, `before`, …) stay.
    public static func removingUUID(_ document: Document) -> Document {
        let root = document.root
        guard let meta = root["_meta"], meta.kind == .object, meta["uuid"] != nil || meta["ack"] != nil else {
            return document
        }
        var builder = DocumentBuilder()
        builder.beginObject()
        for property in root.properties {
            if property.nameNode.string == "_meta" {
                let kept = meta.properties.filter { $0.nameNode.string != "uuid" && $0.nameNode.string != "ack" }
                if kept.isEmpty { continue }
                builder.property("_meta")
                builder.beginObject()
                for inner in kept { builder.property(inner) }
                builder.endObject()
            } else {
                builder.property(property)
            }
        }
        builder.endObject()
        // Safety of the force: every part was copied from a valid document.
        return try! builder.finish()
    }
}
