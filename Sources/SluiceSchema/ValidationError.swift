// ValidationError and ValidationFailure: what is wrong with an invalid document, in words a
// person can act on, with the places in the document and in the schema.
public import SluiceDocument

/// One reason a document is invalid.
///
///     /customer/tier: "platinum" is not one of "bronze", "silver", "gold"
///         (enum at urn:sluice:schema#/properties/customer/properties/tier/enum)
public struct ValidationError: Sendable, Hashable, CustomStringConvertible {
    /// Where in the document (`""` for the whole document).
    public var instanceLocation: JSONPointer
    /// The keyword that failed (`enum`, `required`, `format`, …).
    public var keyword: String
    /// The path through the schema as evaluated, through references
    /// (`/properties/customer/$ref/properties/tier/enum`).
    public var keywordLocation: String
    /// The keyword's own place: the schema resource's URI and a JSON pointer
    /// (`https://example.com/customer.json#/properties/tier/enum`).
    public var absoluteKeywordLocation: String
    /// What is wrong, and what would be right.
    public var message: String

    public init(instanceLocation: JSONPointer, keyword: String, keywordLocation: String,
                absoluteKeywordLocation: String, message: String) {
        self.instanceLocation = instanceLocation
        self.keyword = keyword
        self.keywordLocation = keywordLocation
        self.absoluteKeywordLocation = absoluteKeywordLocation
        self.message = message
    }

    /// `pointer: message (keyword at absolute location)`; the whole document is `(root)`.
    public var description: String {
        let place = instanceLocation.tokens.isEmpty ? "(root)" : instanceLocation.description
        return "\(place): \(message) (\(keyword) at \(absoluteKeywordLocation))"
    }
}

/// A document failed validation: its errors, in document order as found.
public struct ValidationFailure: Error, Sendable, Hashable, CustomStringConvertible {
    public var errors: [ValidationError]
    /// True when validation stopped at the error limit: more errors may exist.
    public var isTruncated: Bool

    public init(errors: [ValidationError], isTruncated: Bool) {
        self.errors = errors
        self.isTruncated = isTruncated
    }

    /// One error per line; a last line says when the list was cut at the limit.
    public var description: String {
        var lines = errors.map(\.description)
        if isTruncated { lines.append("… and possibly more (stopped after \(errors.count) errors)") }
        return lines.joined(separator: "\n")
    }
}
