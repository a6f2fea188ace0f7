// KeyGroup: reducing the documents of one key, as merges and drains find them.
public import SluiceDocument
import SluiceSchema
import SluiceReduce

/// Counts of what a combiner did.
public struct CombinerStatistics: Sendable, Equatable {
    /// Documents given to `add`.
    public var documentsAdded = 0
    /// Documents validated (added, reduced into another, drained).
    public var validations = 0
    /// Reductions done.
    public var reductions = 0
    /// Partial reductions refused by `associative: false` (both documents kept).
    public var heldBack = 0
    /// Runs written because memory passed the budget.
    public var spills = 0
    /// Runs written by merge passes (more runs than `mergeFanInMax`).
    public var mergePasses = 0
    /// Compressed bytes written to the spill file.
    public var spilledBytes = 0
    /// Documents written to the spill file.
    public var spilledDocuments = 0
    /// Documents drained.
    public var documentsDrained = 0

    public init() {}
}

/// One document drained from a combiner.
public struct DrainedDocument: Sendable {
    /// The key, packed (FoundationDB tuple encoding): drained documents come in this order.
    public let packedKey: [UInt8]
    public let document: Document
    /// Full mode: the reduced document's root is `delete: true`, so the key is to be removed
    /// (the document is the tombstone). Always false in partial mode.
    public let isDeleted: Bool
}

/// A document of a key with its record flags.
struct GroupRecord {
    var document: Document
    var flags: SpillRecordFlags
}

/// Validation and reduction shared by a combiner and its drainer.
struct CombineEngine {
    var validator: any DocumentValidator
    var reducer = Reducer()
    let configuration: CombinerConfiguration
    var statistics = CombinerStatistics()

    init(validator: any DocumentValidator, configuration: CombinerConfiguration) {
        self.validator = validator
        self.configuration = configuration
    }

    mutating func validate(_ document: Document, key: UnsafeRawBufferPointer) throws(CombineError) -> ReduceAnnotations {
        statistics.validations += 1
        do {
            return try validator.validate(document)
        } catch {
            throw CombineError.invalidDocument(key: CombineError.describe(packedKey: key), reason: "\(error)")
        }
    }

    /// Reduces `right` (with its annotations) into `left`; nil when a partial reduction is
    /// refused by `associative: false`.
    mutating func reduce(_ left: Document?, _ right: Document, _ annotations: ReduceAnnotations, mode: ReductionMode,
                         key: UnsafeRawBufferPointer) throws(CombineError) -> ReduceOutcome? {
        do {
            let outcome = try reducer.reduce(left, right, annotations: annotations, mode: mode)
            statistics.reductions += 1
            return outcome
        } catch {
            if error.reason == .notAssociative && mode == .partial {
                statistics.heldBack += 1
                return nil
            }
            throw CombineError.reduction(key: CombineError.describe(packedKey: key), error)
        }
    }

    /// Validates `right` and reduces it into `left` partially; nil if refused.
    mutating func reducePartially(_ left: Document, _ right: Document, key: UnsafeRawBufferPointer) throws(CombineError) -> Document? {
        let annotations = try validate(right, key: key)
        return try reduce(left, right, annotations, mode: .partial, key: key)?.document
    }

    /// Combines the records of one key partially: front documents into one front, the others
    /// left to right, a record kept apart where a reduction is refused (and marked held back).
    mutating func combine(_ records: [GroupRecord], key: UnsafeRawBufferPointer) throws(CombineError) -> (front: Document?, chain: [GroupRecord]) {
        var front: Document? = nil
        var chain: [GroupRecord] = []
        for record in records {
            if record.flags.contains(.front) {
                if let left = front {
                    guard let reduced = try reducePartially(left, record.document, key: key) else {
                        throw CombineError.frontsNotAssociative(key: CombineError.describe(packedKey: key))
                    }
                    front = reduced
                } else {
                    front = record.document
                }
            } else if let last = chain.indices.last, !chain[last].flags.contains(.heldBack) {
                if let reduced = try reducePartially(chain[last].document, record.document, key: key) {
                    chain[last] = GroupRecord(document: reduced, flags: record.flags)
                } else {
                    chain[last].flags.insert(.heldBack)
                    chain.append(record)
                }
            } else {
                chain.append(record)
            }
        }
        return (front, chain)
    }

    /// The drained documents of one key: in partial mode the combination (more than one only
    /// where `associative: false` kept documents apart); in full mode one document, the front
    /// (or the first document reduced into nothing) with the others reduced into it. Each is
    /// validated.
    mutating func finish(_ records: [GroupRecord], key: UnsafeRawBufferPointer, into output: inout [DrainedDocument]) throws(CombineError) {
        let (front, chain) = try combine(records, key: key)
        let packedKey = Array(key)
        let countBefore = output.count
        defer { statistics.documentsDrained += output.count - countBefore }
        switch configuration.mode {
        case .partial:
            var documents: [Document] = []
            if let front {
                if let first = chain.first, let reduced = try reducePartially(front, first.document, key: key) {
                    documents.append(reduced)
                    documents.append(contentsOf: chain.dropFirst().map(\.document))
                } else {
                    documents.append(front)
                    documents.append(contentsOf: chain.map(\.document))
                }
            } else {
                documents = chain.map(\.document)
            }
            for document in documents {
                _ = try validate(document, key: key)
                output.append(DrainedDocument(packedKey: packedKey, document: document, isDeleted: false))
            }
        case .full:
            var rest = chain[...]
            var reduced: Document
            var isDeleted = false
            var isValidated = false
            if let front {
                reduced = front
            } else {
                let first = rest.removeFirst().document
                let annotations = try validate(first, key: key)
                let outcome = try reduce(nil, first, annotations, mode: .full, key: key)!
                reduced = outcome.document
                isDeleted = outcome.isDeleted
                isValidated = !outcome.removedLocations
            }
            for record in rest {
                let annotations = try validate(record.document, key: key)
                let outcome = try reduce(reduced, record.document, annotations, mode: .full, key: key)!
                reduced = outcome.document
                isDeleted = outcome.isDeleted
                isValidated = false
            }
            if !isValidated { _ = try validate(reduced, key: key) }
            output.append(DrainedDocument(packedKey: packedKey, document: reduced, isDeleted: isDeleted))
        }
    }
}
