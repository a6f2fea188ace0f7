// SchemaDialect: which JSON Schema draft a schema resource is written in, and which of that
// draft's vocabularies are in force (2019-09 and later name them in a metaschema's
// `$vocabulary`). The dialect decides how keywords read: `items` as an array is a tuple in
// 2019-09 and draft-07 but an error in 2020-12; `$ref` hides its siblings in draft-07; and so on.

/// A JSON Schema draft.
public enum SchemaDialect: String, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    case draft2020_12 = "https://json-schema.org/draft/2020-12/schema"
    case draft2019_09 = "https://json-schema.org/draft/2019-09/schema"
    case draft07 = "http://json-schema.org/draft-07/schema"
    case draft06 = "http://json-schema.org/draft-06/schema"

    /// The dialect a `$schema` URI names, if it is one of these (with or without the empty
    /// fragment, over http or https).
    init?(metaschemaURI text: String) {
        var normalized = text
        if normalized.hasSuffix("#") { normalized.removeLast() }
        if normalized.hasPrefix("https://json-schema.org/draft-0") {
            normalized = "http://" + normalized.dropFirst("https://".count)
        }
        if normalized.hasPrefix("http://json-schema.org/draft/20") {
            normalized = "https://" + normalized.dropFirst("http://".count)
        }
        guard let dialect = SchemaDialect(rawValue: normalized) else { return nil }
        self = dialect
    }

    /// True for 2019-09 and 2020-12, where `$ref` applies beside its siblings, `$anchor` names
    /// locations and vocabularies exist.
    var isModern: Bool { self == .draft2020_12 || self == .draft2019_09 }

    public var description: String {
        switch self {
        case .draft2020_12: "2020-12"
        case .draft2019_09: "2019-09"
        case .draft07: "draft-07"
        case .draft06: "draft-06"
        }
    }

    /// Every vocabulary of the draft (the standard metaschema's `$vocabulary`, with format
    /// as an annotation).
    var defaultVocabularies: SchemaVocabularies {
        switch self {
        case .draft2020_12, .draft2019_09:
            [.core, .applicator, .unevaluated, .validation, .metaData, .formatAnnotation, .content]
        case .draft07, .draft06:
            [.core, .applicator, .validation, .metaData, .formatAnnotation, .content]
        }
    }
}

/// The vocabularies in force for a schema resource.
struct SchemaVocabularies: OptionSet, Sendable, Hashable {
    let rawValue: UInt16

    init(rawValue: UInt16) { self.rawValue = rawValue }

    static let core = SchemaVocabularies(rawValue: 1 << 0)
    static let applicator = SchemaVocabularies(rawValue: 1 << 1)
    static let unevaluated = SchemaVocabularies(rawValue: 1 << 2)
    static let validation = SchemaVocabularies(rawValue: 1 << 3)
    static let metaData = SchemaVocabularies(rawValue: 1 << 4)
    static let formatAnnotation = SchemaVocabularies(rawValue: 1 << 5)
    static let formatAssertion = SchemaVocabularies(rawValue: 1 << 6)
    static let content = SchemaVocabularies(rawValue: 1 << 7)

    /// The vocabulary a `$vocabulary` URI names, if known. Unknown optional vocabularies are
    /// ignored; unknown required ones are a compile error.
    init?(vocabularyURI text: String) {
        let names: [String: SchemaVocabularies] = [
            "core": .core, "applicator": .applicator, "unevaluated": .unevaluated, "validation": .validation,
            "meta-data": .metaData, "format-annotation": .formatAnnotation, "format-assertion": .formatAssertion,
            "content": .content, "format": .formatAnnotation,
        ]
        for prefix in ["https://json-schema.org/draft/2020-12/vocab/", "https://json-schema.org/draft/2019-09/vocab/"]
        where text.hasPrefix(prefix) {
            if let vocabulary = names[String(text.dropFirst(prefix.count))] {
                self = vocabulary
                return
            }
        }
        return nil
    }
}

/// The keywords whose values are schemas, by how they hold them, per dialect: the compiler
/// finds identifiers (`$id`, `$anchor`) only inside these, so an `$id` inside `const` or an
/// unknown keyword names nothing.
enum SubschemaKeywords {
    /// Keywords whose value is one schema.
    static func single(_ dialect: SchemaDialect) -> [String] {
        var keywords = ["additionalProperties", "propertyNames", "not", "if", "then", "else", "contains", "contentSchema"]
        switch dialect {
        case .draft2020_12: keywords += ["items", "unevaluatedItems", "unevaluatedProperties"]
        case .draft2019_09: keywords += ["additionalItems", "unevaluatedItems", "unevaluatedProperties"]
        case .draft07, .draft06: keywords += ["additionalItems"]
        }
        return keywords
    }

    /// Keywords whose value is an array of schemas.
    static func array(_ dialect: SchemaDialect) -> [String] {
        dialect == .draft2020_12 ? ["allOf", "anyOf", "oneOf", "prefixItems"] : ["allOf", "anyOf", "oneOf"]
    }

    /// Keywords whose value is an object of schemas.
    static func map(_ dialect: SchemaDialect) -> [String] {
        switch dialect {
        case .draft2020_12, .draft2019_09: ["properties", "patternProperties", "$defs", "definitions", "dependentSchemas"]
        case .draft07, .draft06: ["properties", "patternProperties", "definitions"]
        }
    }

    /// `items` as one schema or an array of schemas (before 2020-12), and `dependencies`,
    /// whose values are schemas or arrays of names (draft-07, and 2019-09 for compatibility).
    static func hasLegacyItems(_ dialect: SchemaDialect) -> Bool { dialect != .draft2020_12 }
}
