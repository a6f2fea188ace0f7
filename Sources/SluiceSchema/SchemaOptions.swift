// SchemaOptions: how a schema compiles and how its validators report.

/// Choices made when compiling a schema.
public struct SchemaOptions: Sendable, Hashable {
    /// The dialect of schema resources that name none with `$schema`.
    public var defaultDialect: SchemaDialect
    /// `format` is an assertion (true, the default: `date-time`, `email`, … are checked) or
    /// only an annotation. A metaschema that requires the format-assertion vocabulary makes
    /// it an assertion either way.
    public var formatAssertion: Bool
    /// The most errors one validation collects; past it, validation stops and says so.
    public var errorLimit: Int
    /// The URI the root schema was retrieved from, the base for its relative references
    /// (`file:///…` for a file). Without one, `urn:sluice:schema` (its `$id` may set one).
    public var baseURI: String?

    /// Errors collected per document at most, by default: enough to fix a document in one
    /// pass, bounded so that one bad document cannot make an unbounded report.
    public static let errorLimitDefault = 100

    public init(defaultDialect: SchemaDialect = .draft2020_12, formatAssertion: Bool = true,
                errorLimit: Int = SchemaOptions.errorLimitDefault, baseURI: String? = nil) {
        precondition(errorLimit >= 1, "errorLimit must be at least 1")
        self.defaultDialect = defaultDialect
        self.formatAssertion = formatAssertion
        self.errorLimit = errorLimit
        self.baseURI = baseURI
    }

    /// The base URI of a root schema without one.
    static let anonymousBaseURI = "urn:sluice:schema"
}
