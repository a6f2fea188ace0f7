// SchemaProgram: a compiled schema, as flat tables the validator reads without allocating.
//
// Every subschema is a `CompiledNode`: a run of `Keyword`s in `keywords`. Keyword payloads are
// plain values and indices into side tables (node lists, sorted property names, constants,
// regular expressions), so evaluating one never touches a reference count. The program is
// immutable once compiled and shared by every `SchemaValidator` of a `Schema`.
import SluiceDocument

/// A compiled subschema: its keywords (a range of `SchemaProgram.keywords`), the schema
/// resource it belongs to, and whether it is a boolean schema.
struct CompiledNode: Sendable {
    enum Constant: UInt8, Sendable {
        /// An ordinary schema object: evaluate its keywords.
        case none
        /// `true` (or `{}`): valid for every instance.
        case alwaysValid
        /// `false`: valid for none.
        case alwaysInvalid
    }

    var keywordStart: Int32
    var keywordEnd: Int32
    /// Index of the schema resource (`SchemaProgram.resources`) whose base URI applies here.
    var resource: Int32
    var constant: Constant
    /// The node has `unevaluatedProperties` or `unevaluatedItems`, so it tracks which
    /// properties or items its keywords evaluated.
    var tracksEvaluation: Bool
    /// Index in `SchemaProgram.locations`: where this schema is, for errors.
    var location: Int32
    /// Index in `SchemaProgram.constants` of this schema's `default`, or -1.
    var defaultValue: Int32
    /// The fast pass (validity and annotations, no error messages) checks a leading `type`
    /// keyword here and logs a trailing `reduce` itself, evaluating only the keywords in
    /// `fastKeywordStart..<fastKeywordEnd`: two fewer dispatches for most nodes. The
    /// collecting pass evaluates every keyword as they are.
    var fastKeywordStart: Int32 = 0
    var fastKeywordEnd: Int32 = 0
    /// The leading `type` (`hasTypeMask`), and the trailing `reduce`'s annotation (or -1).
    var typeMask = TypeMask()
    var hasTypeMask = false
    var trailingReduce: Int32 = -1
}

/// JSON types as a bit set (`type` may list several).
struct TypeMask: OptionSet, Sendable, Hashable {
    let rawValue: UInt8

    static let null = TypeMask(rawValue: 1 << 0)
    static let boolean = TypeMask(rawValue: 1 << 1)
    static let integer = TypeMask(rawValue: 1 << 2)
    static let number = TypeMask(rawValue: 1 << 3)
    static let string = TypeMask(rawValue: 1 << 4)
    static let array = TypeMask(rawValue: 1 << 5)
    static let object = TypeMask(rawValue: 1 << 6)

    init(rawValue: UInt8) { self.rawValue = rawValue }

    /// The bit of a type name, or nil for an unknown name.
    init?(typeName: String) {
        switch typeName {
        case "null": self = .null
        case "boolean": self = .boolean
        case "integer": self = .integer
        case "number": self = .number
        case "string": self = .string
        case "array": self = .array
        case "object": self = .object
        default: return nil
        }
    }

    /// The type names, in the order `type` lists them in messages.
    var names: [String] {
        var names: [String] = []
        if contains(.null) { names.append("null") }
        if contains(.boolean) { names.append("boolean") }
        if contains(.integer) { names.append("integer") }
        if contains(.number) { names.append("number") }
        if contains(.string) { names.append("string") }
        if contains(.array) { names.append("array") }
        if contains(.object) { names.append("object") }
        return names
    }
}

/// One compiled keyword. Payloads are values or indices into the program's tables; ranges are
/// `(start, count)` pairs.
enum Keyword: Sendable {
    // Assertions on any instance.
    case type(TypeMask)
    case constant(Int32)  // constants[i]
    case enumeration(start: Int32, count: Int32)  // constants
    case enumerationOfStrings(start: Int32, count: Int32)  // names, sorted; every enum value is a string

    // Numbers.
    case minimum(JSONNumber)
    case maximum(JSONNumber)
    case exclusiveMinimum(JSONNumber)
    case exclusiveMaximum(JSONNumber)
    case multipleOf(Int32)  // divisors

    // Strings.
    case minLength(Int)
    case maxLength(Int)
    case pattern(Int32)  // regexes
    case format(SchemaFormat)

    // Arrays.
    case minItems(Int)
    case maxItems(Int)
    case uniqueItems
    case prefixItems(start: Int32, count: Int32)  // nodeLists
    /// Items from index `from` on (2020-12 `items` after `prefixItems`; `additionalItems`).
    case items(node: Int32, from: Int32)
    /// `contains` with `minContains` and `maxContains` (Int.max when absent).
    case contains(node: Int32, minimum: Int, maximum: Int)
    case unevaluatedItems(Int32)

    // Objects.
    case minProperties(Int)
    case maxProperties(Int)
    case required(start: Int32, count: Int32)  // names (node -1), sorted
    case dependentRequired(start: Int32, count: Int32)  // dependents
    case properties(start: Int32, count: Int32)  // names → nodes, sorted
    case patternProperties(start: Int32, count: Int32)  // patternEntries
    /// `additionalProperties`: the properties neither the node's `properties` (a range of names)
    /// nor its `patternProperties` (a range of patternEntries) cover.
    case additionalProperties(node: Int32, properties: Int32, propertyCount: Int32, patterns: Int32, patternCount: Int32)
    case propertyNames(Int32)
    case dependentSchemas(start: Int32, count: Int32)  // names → nodes
    case unevaluatedProperties(Int32)

    // In-place applicators.
    case allOf(start: Int32, count: Int32)  // nodeLists
    case anyOf(start: Int32, count: Int32)
    case oneOf(start: Int32, count: Int32)
    case not(Int32)
    /// `if` with `then` and `else` (-1 where absent).
    case conditional(condition: Int32, then: Int32, otherwise: Int32)
    case reference(Int32)
    /// `$dynamicRef`: the statically resolved node, and the dynamic anchor name to look for in
    /// the dynamic scope (-1 when the reference is not dynamic: no bookending anchor).
    case dynamicReference(node: Int32, anchor: Int32)
    /// `$recursiveRef` (2019-09): the statically resolved node; dynamic when that node's
    /// resource has `$recursiveAnchor: true`.
    case recursiveReference(node: Int32, dynamic: Bool)

    // Annotations.
    case reduce(UInt16)  // annotations
}

/// A property name in `SchemaProgram.nameBytes`, and the node it maps to (-1 for name lists).
struct NameEntry: Sendable {
    var start: Int32
    var count: Int32
    var node: Int32
}

/// `dependentRequired`: when property `name` is present, `required` names must be too.
struct DependentEntry: Sendable {
    var name: NameEntry
    var requiredStart: Int32
    var requiredCount: Int32
}

/// A `patternProperties` entry.
struct PatternEntry: Sendable {
    var regex: Int32
    var node: Int32
}

/// Where a keyword or schema is: the base URI of its resource and the JSON pointer from that
/// resource's root, for `absoluteKeywordLocation`.
struct SchemaLocation: Sendable, Hashable {
    var resourceURI: String
    var pointer: String

    var absolute: String { resourceURI + "#" + pointer }
}

/// A schema resource (a document root or a subschema with `$id`): its dynamic anchors.
struct CompiledResource: Sendable {
    var uri: String
    /// `$dynamicAnchor` name (in `SchemaProgram.anchorNames`) → node.
    var dynamicAnchors: [Int32: Int32]
    /// `$recursiveAnchor: true` at the resource root (2019-09).
    var recursiveAnchor: Bool
    var root: Int32
}

/// A `multipleOf` divisor, with its decimal form for exact checks of non-integers.
struct Divisor: Sendable {
    var value: JSONNumber
    var decimal: DecimalNumber?
}

/// The whole compiled schema.
///
/// Unchecked Sendable: every property is immutable after `init`; the raw buffers (name bytes,
/// constants' tapes) are allocated by `init`, never written after it, and freed by `deinit`,
/// so pointers into them are valid while the program is alive (validators hold it).
final class SchemaProgram: @unchecked Sendable {
    let nodes: [CompiledNode]
    let keywords: [Keyword]
    /// Per keyword: its name and where it is, for errors.
    let keywordSites: [KeywordSite]
    let nodeLists: [Int32]
    let names: [NameEntry]
    let nameBytes: [UInt8]
    let dependents: [DependentEntry]
    let patternEntries: [PatternEntry]
    let constants: [Document]
    let divisors: [Divisor]
    let regexes: [ECMARegex]
    /// Where the steps of `regexes[i].simple` are in `simpleSteps` (plain values, so the
    /// validator's ASCII fast path counts no references).
    let simplePatternSteps: [SimplePatternSteps]
    let simpleSteps: [SimplePattern.Step]
    let annotations: [ReduceAnnotation]
    let resources: [CompiledResource]
    let anchorNames: [String]
    let locations: [SchemaLocation]
    let root: Int32
    let formatAssertion: Bool

    /// `nameBytes` and the constants' tape bytes, in one allocation owned by the program.
    private let storage: UnsafeMutableRawBufferPointer
    /// The start of the name bytes in `storage`.
    let nameBase: UnsafeRawPointer
    /// Each constant as a tape view into `storage`.
    let constantTapes: [TapeView]

    init(nodes: [CompiledNode], keywords: [Keyword], keywordSites: [KeywordSite], nodeLists: [Int32],
         names: [NameEntry], nameBytes: [UInt8], dependents: [DependentEntry], patternEntries: [PatternEntry],
         constants: [Document], divisors: [Divisor], regexes: [ECMARegex], annotations: [ReduceAnnotation],
         resources: [CompiledResource], anchorNames: [String], locations: [SchemaLocation], root: Int32,
         formatAssertion: Bool) {
        self.nodes = nodes
        self.keywords = keywords
        self.keywordSites = keywordSites
        self.nodeLists = nodeLists
        self.names = names
        self.nameBytes = nameBytes
        self.dependents = dependents
        self.patternEntries = patternEntries
        self.constants = constants
        self.divisors = divisors
        self.regexes = regexes
        var patternSteps: [SimplePatternSteps] = []
        var steps: [SimplePattern.Step] = []
        for regex in regexes {
            if let simple = regex.simple {
                patternSteps.append(SimplePatternSteps(start: Int32(steps.count), count: Int32(simple.steps.count), isSimple: true,
                                                       anchoredStart: simple.anchoredStart, anchoredEnd: simple.anchoredEnd))
                steps.append(contentsOf: simple.steps)
            } else {
                patternSteps.append(SimplePatternSteps(start: 0, count: 0, isSimple: false, anchoredStart: false, anchoredEnd: false))
            }
        }
        self.simplePatternSteps = patternSteps
        self.simpleSteps = steps
        self.annotations = annotations
        self.resources = resources
        self.anchorNames = anchorNames
        self.locations = locations
        self.root = root
        self.formatAssertion = formatAssertion
        var tapes: [[UInt8]] = []
        for constant in constants {
            var bytes: [UInt8] = []
            constant.appendTapeBytes(to: &bytes)
            tapes.append(bytes)
        }
        // Constants' tapes at 16-byte aligned offsets after the names.
        var offsets: [Int] = []
        var size = (nameBytes.count + 15) & ~15
        for tape in tapes {
            offsets.append(size)
            size += (tape.count + 15) & ~15
        }
        storage = UnsafeMutableRawBufferPointer.allocate(byteCount: max(size, 16), alignment: 16)
        // Safety: every copy below lands inside `storage`, sized above.
        storage.copyBytes(from: nameBytes)
        var views: [TapeView] = []
        for (tape, offset) in zip(tapes, offsets) {
            UnsafeMutableRawBufferPointer(rebasing: storage[offset..<(offset + tape.count)]).copyBytes(from: tape)
            let entryCount = tape.count >= TapeView.headerBytes
                ? Int(UInt32(littleEndian: storage.loadUnaligned(fromByteOffset: offset + 4, as: UInt32.self))) : 0
            let entries = UnsafeRawPointer(storage.baseAddress! + offset + TapeView.headerBytes)
            views.append(TapeView(entries: entries, strings: entries + 16 * entryCount, entryCount: entryCount))
        }
        nameBase = UnsafeRawPointer(storage.baseAddress!)
        constantTapes = views
    }

    deinit { storage.deallocate() }

    /// The UTF-8 of a name entry, in place.
    @inline(__always)
    func nameBuffer(_ entry: NameEntry) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(start: nameBase + Int(entry.start), count: Int(entry.count))
    }

    /// The UTF-8 of a name entry.
    func bytes(of entry: NameEntry) -> ArraySlice<UInt8> {
        nameBytes[Int(entry.start)..<Int(entry.start + entry.count)]
    }

    /// The name of entry `entry` as a String (for messages).
    func name(_ entry: NameEntry) -> String {
        String(decoding: nameBytes[Int(entry.start)..<Int(entry.start + entry.count)], as: UTF8.self)
    }
}

/// A one-pass pattern's steps in `SchemaProgram.simpleSteps`.
struct SimplePatternSteps: Sendable {
    var start: Int32
    var count: Int32
    var isSimple: Bool
    var anchoredStart: Bool
    var anchoredEnd: Bool
}

/// A keyword's name and its place in the schema.
struct KeywordSite: Sendable {
    var keyword: String
    /// The schema node the keyword belongs to.
    var node: Int32
    /// Where the keyword is (the schema's location with `/keyword` appended).
    var location: SchemaLocation
}
