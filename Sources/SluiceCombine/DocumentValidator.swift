// DocumentValidator: the seam between the combiner and validation (SluiceSchema).
public import SluiceDocument
public import SluiceSchema
public import SluiceReduce

/// Validates documents for a combiner and says where their `reduce` annotations are.
///
/// The combiner validates every document it is given before reducing it (the annotations of
/// the right-hand document choose the strategies), every combined document it reduces into
/// another, and every document it drains. A thrown error rejects the document.
public protocol DocumentValidator {
    /// Checks `document` against the schema and returns the annotations in force at each of
    /// its locations; throws (with a readable description) if it is not valid.
    mutating func validate(_ document: Document) throws -> ReduceAnnotations
}

/// A validator from a closure.
public struct ClosureValidator: DocumentValidator {
    private let body: (Document) throws -> ReduceAnnotations

    public init(_ body: @escaping (Document) throws -> ReduceAnnotations) {
        self.body = body
    }

    public mutating func validate(_ document: Document) throws -> ReduceAnnotations {
        try body(document)
    }
}

/// A plan annotates by location and accepts every document (it validates nothing).
extension ReduceAnnotationPlan: DocumentValidator {
    public func validate(_ document: Document) -> ReduceAnnotations {
        annotations(for: document)
    }
}

/// SluiceSchema's validator is the combiner's validator.
extension SchemaValidator: DocumentValidator {}
