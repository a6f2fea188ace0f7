// Schema: a JSON schema compiled once, validated against many documents.
public import SluiceDocument

/// A compiled JSON schema (2020-12; 2019-09 and draft-07 resources too). Immutable and
/// Sendable: share one across threads and give each thread its own `SchemaValidator`.
///
///     let schema = try Schema(["type": "object", "required": ["id"],
///                              "reduce": ["strategy": "merge"],
///                              "properties": ["total": ["type": "number", "reduce": ["strategy": "sum"]]]])
///     var validator = schema.validator()
///     let annotations = try validator.validate(document)   // or throws ValidationFailure
///     annotations[document.root]                            // {strategy: merge}
public struct Schema: Sendable {
    let program: SchemaProgram

    /// Compiles a schema. References resolve within it, then through `resolver` (local files,
    /// given documents, the built-in metaschemas; never the network).
    public init(_ schema: JSONValue, options: SchemaOptions = SchemaOptions(),
                resolver: SchemaResolver = SchemaResolver()) throws(SchemaCompileError) {
        program = try SchemaCompiler(options: options, resolver: resolver).compile(schema)
        errorLimit = options.errorLimit
    }

    /// Compiles a schema held as a document.
    public init(_ document: Document, options: SchemaOptions = SchemaOptions(),
                resolver: SchemaResolver = SchemaResolver()) throws(SchemaCompileError) {
        try self.init(document.jsonValue, options: options, resolver: resolver)
    }

    /// Compiles the schema in a JSON file; its relative references resolve to files beside it.
    public init(contentsOfFile path: String, options: SchemaOptions = SchemaOptions(),
                resolver: SchemaResolver = SchemaResolver()) throws(SchemaCompileError) {
        let uri = SchemaResolver.fileURI(path: path)
        var options = options
        if options.baseURI == nil { options.baseURI = uri }
        let value = try SchemaResolver.readJSON(path: path, uri: uri)
        try self.init(value, options: options, resolver: resolver)
    }

    let errorLimit: Int

    /// A validator for this schema (keep one per thread: it reuses its buffers).
    public func validator() -> SchemaValidator { SchemaValidator(self) }

    /// Validates one document with a fresh validator (for occasional use; a loop should keep
    /// a `SchemaValidator`).
    public func validate(_ document: Document) throws(ValidationFailure) -> ReduceAnnotations {
        var validator = SchemaValidator(self)
        return try validator.validate(document)
    }

    /// The distinct `reduce` annotations the schema contains.
    public var reduceAnnotations: [ReduceAnnotation] { program.annotations }

    /// The `default` the schema gives the location `pointer`, found without a document by
    /// following `properties`, `prefixItems` and `items` from the root through `$ref`,
    /// `allOf` and the other in-place applicators (a default every branch that has one agrees
    /// on). For collection keys whose location may be missing (`KeyExtractor(defaults:)`).
    public func defaultValue(at pointer: JSONPointer) -> JSONValue? {
        SchemaDefaults(program: program).defaultValue(at: pointer)
    }
}
