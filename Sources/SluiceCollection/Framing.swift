public import SluiceDocument
public import SluiceMessage

/// How collection documents are framed in journals: one JSON document per line, each with
/// `/_meta/uuid` (docs/collections.md, "Framing"). ACKs are `{"_meta":{"ack":true,"uuid":"…"}}`.
public enum Framing {
    /// Appends `document` (an object) as one line with `/_meta/uuid` set to `uuid`, properties
    /// in sorted order as the document model keeps them. An existing `/_meta/uuid` is replaced;
    /// other `_meta` properties are kept.
    public static func appendLine(_ document: Document, uuid: MessageUUID, to output: inout [UInt8]) {
        let root = document.root
        precondition(root.kind == .object, "collection documents are objects (validated before framing)")
        output.append(0x7B)  // {
        var first = true
        var metaWritten = false
        for property in root.properties {
            let order = property.nameNode.withUTF8 { compareToMeta($0) }!
            if !metaWritten, order >= 0 {
                if !first { output.append(0x2C) }
                first = false
                appendMeta(existing: order == 0 ? property.value : nil, uuid: uuid, to: &output)
                metaWritten = true
                if order == 0 { continue }
            }
            if !first { output.append(0x2C) }
            first = false
            property.nameNode.withUTF8 { JSONSerializer.appendString($0, to: &output) }
            output.append(0x3A)  // :
            JSONSerializer.append(property.value, to: &output)
        }
        if !metaWritten {
            if !first { output.append(0x2C) }
            appendMeta(existing: nil, uuid: uuid, to: &output)
        }
        output.append(0x7D)  // }
        output.append(0x0A)
    }

    /// Appends the ACK line of `uuid`.
    public static func appendAcknowledgement(uuid: MessageUUID, to output: inout [UInt8]) {
        output.append(contentsOf: #"{"_meta":{"ack":true,"uuid":""#.utf8)
        uuid.appendText(to: &output)
        output.append(contentsOf: "\"}}\n".utf8)
    }

    /// The UUID of a framed document, or `.zero` when it has none (a document written by
    /// something other than a Sluice publisher: delivered as committed). Nil when `/_meta/uuid`
    /// is present but not a UUID.
    public static func uuid(of document: Document) -> MessageUUID? {
        guard let node = document.root["_meta"]?["uuid"] else { return .zero }
        return node.withUTF8 { bytes in try? MessageUUID(parsing: bytes) } ?? nil
    }

    /// `"_meta":{…}` with `uuid` placed in sorted order among the existing properties.
    private static func appendMeta(existing: Node?, uuid: MessageUUID, to output: inout [UInt8]) {
        output.append(contentsOf: #""_meta":{"#.utf8)
        var first = true
        var uuidWritten = false
        func writeUUID() {
            if !first { output.append(0x2C) }
            first = false
            output.append(contentsOf: #""uuid":""#.utf8)
            uuid.appendText(to: &output)
            output.append(0x22)
            uuidWritten = true
        }
        if let existing, existing.kind == .object {
            for property in existing.properties {
                let order = property.nameNode.withUTF8 { compare($0, uuidName) }!
                if !uuidWritten, order >= 0 {
                    writeUUID()
                    if order == 0 { continue }  // the old uuid is replaced
                }
                if !first { output.append(0x2C) }
                first = false
                property.nameNode.withUTF8 { JSONSerializer.appendString($0, to: &output) }
                output.append(0x3A)
                JSONSerializer.append(property.value, to: &output)
            }
        }
        if !uuidWritten { writeUUID() }
        output.append(0x7D)
    }

    private static let metaName: [UInt8] = Array("_meta".utf8)
    private static let uuidName: [UInt8] = Array("uuid".utf8)

    private static func compareToMeta(_ name: UnsafeRawBufferPointer) -> Int { compare(name, metaName) }

    /// Byte-wise comparison (the document model's property order).
    private static func compare(_ name: UnsafeRawBufferPointer, _ other: [UInt8]) -> Int {
        let count = min(name.count, other.count)
        for index in 0..<count where name[index] != other[index] {
            return name[index] < other[index] ? -1 : 1
        }
        return name.count == other.count ? 0 : (name.count < other.count ? -1 : 1)
    }
}
