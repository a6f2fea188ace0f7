/// Collection failures, naming the collection, journal, offset, line or field at fault.
public enum CollectionError: Error, CustomStringConvertible, Equatable {
    case missingPartition(collection: String, field: String, pointer: String)
    case invalidPartitionValue(collection: String, field: String, value: String)
    /// A document failed validation: which one (1-based position in its batch or line), why.
    case invalidDocument(collection: String, position: Int, reason: String)
    /// A line in a journal is not a JSON document (corruption or a foreign writer).
    case badJournalLine(journal: String, offset: Int64, reason: String)
    /// A journal line is larger than the reader accepts.
    case lineTooLarge(journal: String, offset: Int64, bytes: Int, limit: Int)
    /// Reducing or combining documents failed.
    case combine(collection: String, reason: String)
    /// A read had to jump over offsets that are gone (pruned or lost).
    case unknownCollection(name: String, known: [String])

    /// A document refused for what it is (schema, partitions, reduction): the same input fails
    /// the same way again, so a task does not retry it (docs/runtime.md, "Failures").
    public var isDataError: Bool {
        switch self {
        case .missingPartition, .invalidPartitionValue, .invalidDocument, .combine: return true
        case .badJournalLine, .lineTooLarge, .unknownCollection: return false
        }
    }

    public var description: String {
        switch self {
        case .missingPartition(let collection, let field, let pointer):
            return "\(collection): document has no value at \(pointer) for partition field \(field)"
        case .invalidPartitionValue(let collection, let field, let value):
            return "\(collection): partition field \(field) must be a string, integer, boolean or null, not \(value)"
        case .invalidDocument(let collection, let position, let reason):
            return "\(collection): document \(position) is invalid: \(reason)"
        case .badJournalLine(let journal, let offset, let reason):
            return "journal \(journal), offset \(offset): \(reason)"
        case .lineTooLarge(let journal, let offset, let bytes, let limit):
            return "journal \(journal), offset \(offset): a document of \(bytes) bytes is larger than the limit of \(limit)"
        case .combine(let collection, let reason):
            return "\(collection): \(reason)"
        case .unknownCollection(let name, let known):
            let hint = known.isEmpty ? "" : " (collections: \(known.joined(separator: ", ")))"
            return "no collection named \(name)\(hint)"
        }
    }
}
