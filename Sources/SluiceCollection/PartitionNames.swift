public import SluiceDocument
public import SluiceJournal

/// Maps a document's partition values to its journal's name, and a journal's name back to
/// partition values (docs/collections.md, "Journals of a collection").
///
///     acme/orders/region=eu/tier=gold/pivot=00        (partition fields in name order)
///     acme/orders/pivot=00                            (no partitions)
public enum PartitionNames {
    /// The suffix every collection journal ends with. Room for key-range splits later.
    public static let pivotSuffix = "pivot=00"

    /// The journal of `document` in `collection`.
    public static func journal(of document: Document, in collection: CollectionSpec) throws(CollectionError) -> JournalName {
        try validated(journalNameText(of: document, in: collection), collection)
    }

    /// As `journal(of:in:)`, with a cache of names already validated (publishers route every
    /// document; validating a name checks each character's Unicode properties).
    public static func journal(of document: Document, in collection: CollectionSpec,
                               cache: inout [String: JournalName]) throws(CollectionError) -> JournalName {
        let text = try journalNameText(of: document, in: collection)
        if let known = cache[text] { return known }
        let name = try validated(text, collection)
        cache[text] = name
        return name
    }

    private static func validated(_ name: String, _ collection: CollectionSpec) throws(CollectionError) -> JournalName {
        do {
            return try JournalName(name)
        } catch {
            throw .invalidPartitionValue(collection: collection.name, field: collection.partitions.last?.field ?? "",
                                         value: "journal name \(name) is not valid: \(error)")
        }
    }

    /// The journal name of `document`, not yet validated.
    static func journalNameText(of document: Document, in collection: CollectionSpec) throws(CollectionError) -> String {
        if collection.partitions.isEmpty { return collection.journalPrefix + pivotSuffix }
        var name = collection.journalPrefix
        for partition in collection.partitions {
            guard let node = document.root[partition.pointer] else {
                throw .missingPartition(collection: collection.name, field: partition.field, pointer: "\(partition.pointer)")
            }
            guard let encoded = encode(node) else {
                throw .invalidPartitionValue(collection: collection.name, field: partition.field,
                                             value: node.description)
            }
            name += partition.field + "=" + encoded + "/"
        }
        name += pivotSuffix
        return name
    }

    /// The encoding of a partition value: strings percent-encoded (bytes outside
    /// `A–Z a–z 0–9 - _ .` as `%XX`), integers in decimal, booleans `true`/`false`, null
    /// `%_null`. Nil for other kinds (numbers with fractions, arrays, objects).
    public static func encode(_ node: Node) -> String? {
        switch node.kind {
        case .null: return "%_null"
        case .boolean: return node.bool! ? "true" : "false"
        case .number:
            if let value = node.int64 { return String(value) }
            if let value = node.uint64 { return String(value) }
            return nil
        case .string:
            return node.withUTF8 { bytes in
                var text = ""
                for byte in bytes {
                    switch byte {
                    case 0x41...0x5A, 0x61...0x7A, 0x30...0x39, 0x2D, 0x5F, 0x2E:
                        text.unicodeScalars.append(Unicode.Scalar(byte))
                    default:
                        text += "%" + hexDigits[Int(byte >> 4)] + hexDigits[Int(byte & 0xF)]
                    }
                }
                return text
            }
        default: return nil
        }
    }

    private static let hexDigits = ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "A", "B", "C", "D", "E", "F"]

    /// The partition values named by a journal of `collection`, by field, as encoded text;
    /// nil when the journal does not belong to the collection or its fields differ.
    public static func partitionValues(of journal: JournalName, in collection: CollectionSpec) -> [String: String]? {
        guard journal.rawValue.hasPrefix(collection.journalPrefix) else { return nil }
        let rest = journal.rawValue.dropFirst(collection.journalPrefix.count)
        let segments = rest.split(separator: "/", omittingEmptySubsequences: false)
        guard segments.count == collection.partitions.count + 1, segments.last == Substring(pivotSuffix) else { return nil }
        var values: [String: String] = [:]
        for (segment, partition) in zip(segments.dropLast(), collection.partitions) {
            guard segment.hasPrefix(partition.field + "=") else { return nil }
            values[partition.field] = String(segment.dropFirst(partition.field.count + 1))
        }
        return values
    }

    /// Decodes an encoded string value (the inverse of `encode` for strings).
    public static func decodeString(_ encoded: String) -> String? {
        var bytes: [UInt8] = []
        var iterator = Array(encoded.utf8).makeIterator()
        while let byte = iterator.next() {
            if byte == 0x25 {
                guard let high = iterator.next(), let low = iterator.next(),
                      let value = UInt8(String(decoding: [high, low], as: UTF8.self), radix: 16) else { return nil }
                bytes.append(value)
            } else {
                bytes.append(byte)
            }
        }
        return String(validating: bytes, as: UTF8.self)
    }
}

/// Which journals of a collection a reader takes: include and exclude partition values (as
/// encoded by `PartitionNames.encode`). Empty selects everything.
public struct PartitionSelector: Sendable, Hashable {
    public var include: [String: Set<String>]
    public var exclude: [String: Set<String>]

    public init(include: [String: Set<String>] = [:], exclude: [String: Set<String>] = [:]) {
        self.include = include
        self.exclude = exclude
    }

    /// Builds a selector from JSON values per field (the catalog's `partitions: {include, exclude}`).
    public init(includeValues: [String: [JSONValue]], excludeValues: [String: [JSONValue]]) throws {
        func encoded(_ values: [String: [JSONValue]]) throws -> [String: Set<String>] {
            try values.mapValues { list in
                Set(try list.map { value in
                    let document = try Document(value)
                    guard let text = PartitionNames.encode(document.root) else {
                        throw CollectionError.invalidPartitionValue(collection: "", field: "", value: "\(value)")
                    }
                    return text
                })
            }
        }
        include = try encoded(includeValues)
        exclude = try encoded(excludeValues)
    }

    public func matches(_ values: [String: String]) -> Bool {
        for (field, allowed) in include {
            guard let value = values[field], allowed.contains(value) else { return false }
        }
        for (field, denied) in exclude {
            if let value = values[field], denied.contains(value) { return false }
        }
        return true
    }
}
