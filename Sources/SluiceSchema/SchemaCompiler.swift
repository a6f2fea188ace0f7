// SchemaCompiler: turns schema documents into a SchemaProgram.
//
// Compiling happens in two steps per document. *Discovery* walks the document through the
// keywords whose values are schemas (per dialect), computing each subschema's base URI from
// `$id`s, registering schema resources, `$anchor`s and `$dynamicAnchor`s, and the dialect and
// vocabularies in force (from `$schema`). *Compilation* then turns subschemas into nodes on
// demand, starting from the root and following references; a reference to a URI not yet known
// asks the resolver for the document, which is then discovered in turn. A reference into a
// place discovery did not visit (an unknown keyword, `examples`) compiles that value as a
// schema with the base URI of its nearest discovered ancestor.
import SluiceDocument

final class SchemaCompiler {
    /// A schema document being compiled: the root's and each one a reference loaded.
    struct LoadedDocument {
        var uri: SchemaURI
        var root: JSONValue
    }

    /// What discovery learned about one subschema location.
    struct LocationInfo {
        var base: SchemaURI
        var resource: Int
        /// The location's JSON pointer from its resource's root.
        var resourcePointer: String
        var dialect: SchemaDialect
        var vocabularies: SchemaVocabularies
    }

    /// A schema resource: a document root or a subschema with `$id`.
    struct ResourceInfo {
        var uri: SchemaURI
        var document: Int
        /// The resource root's JSON pointer within its document.
        var pointer: String
        var anchors: [String: String] = [:]
        var dynamicAnchors: [String: String] = [:]
        var recursiveAnchor = false
    }

    let options: SchemaOptions
    let resolver: SchemaResolver
    var documents: [LoadedDocument] = []
    var locations: [String: LocationInfo] = [:]
    var resources: [ResourceInfo] = []
    var resourceByURI: [String: Int] = [:]
    /// Dialects and vocabularies of metaschemas already looked at, by `$schema` URI.
    var metaschemaCache: [String: (SchemaDialect, SchemaVocabularies)] = [:]

    // The program being built.
    var nodes: [CompiledNode] = []
    var nodeByLocation: [String: Int32] = [:]
    var keywords: [Keyword] = []
    var keywordSites: [KeywordSite] = []
    var nodeLists: [Int32] = []
    var names: [NameEntry] = []
    var nameBytes: [UInt8] = []
    var dependents: [DependentEntry] = []
    var patternEntries: [PatternEntry] = []
    var constants: [Document] = []
    var divisors: [Divisor] = []
    var regexes: [ECMARegex] = []
    var regexByPattern: [String: Int32] = [:]
    var annotations: [ReduceAnnotation] = []
    var anchorNames: [String] = []
    var nodeLocations: [SchemaLocation] = []
    var formatAssertionUsed = false

    init(options: SchemaOptions, resolver: SchemaResolver) {
        self.options = options
        self.resolver = resolver
    }

    /// Compiles `root` into a program.
    func compile(_ root: JSONValue) throws(SchemaCompileError) -> SchemaProgram {
        let base = SchemaURI(parsing: options.baseURI ?? SchemaOptions.anonymousBaseURI)
        let document = try addDocument(root, uri: base.withoutFragment)
        let rootNode = try compileNode(document: document, pointer: "")
        // Dynamic anchors are looked up at run time in whatever resources are in scope:
        // compile every one that a loaded resource declares.
        var resourceIndex = 0
        while resourceIndex < resources.count {
            for (_, pointer) in resources[resourceIndex].dynamicAnchors.sorted(by: { $0.key < $1.key }) {
                _ = try compileNode(document: resources[resourceIndex].document, pointer: pointer)
            }
            resourceIndex += 1
        }
        try checkForInPlaceCycles()
        let compiledResources = resources.enumerated().map { index, resource in
            var anchors: [Int32: Int32] = [:]
            for (name, pointer) in resource.dynamicAnchors {
                anchors[internAnchorName(name)] = nodeByLocation[SchemaCompiler.key(resource.document, pointer)]
            }
            return CompiledResource(uri: resource.uri.description, dynamicAnchors: anchors,
                                    recursiveAnchor: resource.recursiveAnchor,
                                    root: nodeByLocation[SchemaCompiler.key(resource.document, resource.pointer)] ?? -1)
        }
        return SchemaProgram(
            nodes: nodes, keywords: keywords, keywordSites: keywordSites, nodeLists: nodeLists, names: names,
            nameBytes: nameBytes, dependents: dependents, patternEntries: patternEntries, constants: constants,
            divisors: divisors, regexes: regexes, annotations: annotations, resources: compiledResources,
            anchorNames: anchorNames, locations: nodeLocations, root: rootNode,
            formatAssertion: options.formatAssertion)
    }

    /// A chain of in-place applicators (`$ref`, `allOf`, `anyOf`, `oneOf`, `not`, `if`/`then`/
    /// `else`) that leads back to where it started evaluates the same value forever: a compile
    /// error, named by the schemas in the chain. (`$dynamicRef` targets depend on the dynamic
    /// scope; the validator's depth limit catches those cycles.)
    func checkForInPlaceCycles() throws(SchemaCompileError) {
        func successors(_ node: Int) -> [Int32] {
            var next: [Int32] = []
            for keyword in keywords[Int(nodes[node].keywordStart)..<Int(nodes[node].keywordEnd)] {
                switch keyword {
                case .reference(let target): next.append(target)
                case .recursiveReference(let target, false): next.append(target)
                case .dynamicReference(let target, -1): next.append(target)
                case .allOf(let start, let count), .anyOf(let start, let count), .oneOf(let start, let count):
                    next += nodeLists[Int(start)..<Int(start + count)]
                case .not(let target): next.append(target)
                case .conditional(let condition, let then, let otherwise):
                    next += [condition, then, otherwise].filter { $0 >= 0 }
                default: break
                }
            }
            return next
        }
        // Iterative depth-first search: 0 unvisited, 1 on the stack, 2 done.
        var state = [UInt8](repeating: 0, count: nodes.count)
        for start in 0..<nodes.count where state[start] == 0 {
            var stack: [(node: Int, next: [Int32], position: Int)] = [(start, successors(start), 0)]
            state[start] = 1
            while !stack.isEmpty {
                let top = stack.count - 1
                if stack[top].position == stack[top].next.count {
                    state[stack[top].node] = 2
                    stack.removeLast()
                    continue
                }
                let child = Int(stack[top].next[stack[top].position])
                stack[top].position += 1
                if state[child] == 1 {
                    let cycle = stack.map(\.node).drop { $0 != child } + [child]
                    let names = cycle.map { nodeLocations[Int(nodes[$0].location)].absolute }
                    throw SchemaCompileError(
                        location: names[0],
                        message: "reference cycle that never moves into the document: \(names.joined(separator: " → ")) (evaluating it would never end)")
                }
                if state[child] == 0 {
                    state[child] = 1
                    stack.append((child, successors(child), 0))
                }
            }
        }
    }

    func internAnchorName(_ name: String) -> Int32 {
        if let index = anchorNames.firstIndex(of: name) { return Int32(index) }
        anchorNames.append(name)
        return Int32(anchorNames.count - 1)
    }

    static func key(_ document: Int, _ pointer: String) -> String { "\(document)\u{0}\(pointer)" }

    // MARK: - Documents and discovery

    /// Registers a document retrieved from `uri` and discovers its subschemas.
    func addDocument(_ root: JSONValue, uri: SchemaURI) throws(SchemaCompileError) -> Int {
        let index = documents.count
        documents.append(LoadedDocument(uri: uri, root: root))
        let resource = addResource(uri: uri, document: index, pointer: "")
        let (dialect, vocabularies) = try dialectOf(schemaKeyword: nil, inherited: (options.defaultDialect, options.defaultDialect.defaultVocabularies),
                                                    location: uri.description)
        try discover(root, document: index, pointer: "", base: uri, resource: resource, resourcePointer: "",
                     dialect: dialect, vocabularies: vocabularies)
        return index
    }

    @discardableResult
    func addResource(uri: SchemaURI, document: Int, pointer: String) -> Int {
        let text = uri.withoutFragment.description
        if let existing = resourceByURI[text] { return existing }
        resources.append(ResourceInfo(uri: uri.withoutFragment, document: document, pointer: pointer))
        resourceByURI[text] = resources.count - 1
        return resources.count - 1
    }

    /// The dialect and vocabularies a `$schema` value selects (or those inherited without one).
    func dialectOf(schemaKeyword: String?, inherited: (SchemaDialect, SchemaVocabularies),
                   location: String) throws(SchemaCompileError) -> (SchemaDialect, SchemaVocabularies) {
        guard let text = schemaKeyword else { return inherited }
        if let dialect = SchemaDialect(metaschemaURI: text) { return (dialect, dialect.defaultVocabularies) }
        let uri = SchemaURI(parsing: text).withoutFragment.description
        if let cached = metaschemaCache[uri] { return cached }
        if text.hasPrefix("http://json-schema.org/draft-04/") || text.hasPrefix("http://json-schema.org/draft-03/") {
            throw SchemaCompileError(location: location, message: "$schema \(text): draft-04 and older are not supported (use draft-07, 2019-09 or 2020-12)")
        }
        guard let metaschema = try loadDocument(uri: uri, location: location), let object = metaschema.object else {
            throw SchemaCompileError(location: location, message: "$schema \(text) is neither a known dialect nor a metaschema the resolver can find")
        }
        var dialect = options.defaultDialect
        if let parent = object["$schema"]?.string, let known = SchemaDialect(metaschemaURI: parent) { dialect = known }
        var vocabularies = dialect.defaultVocabularies
        if let declared = object["$vocabulary"]?.object {
            vocabularies = [.core]
            for (name, required) in declared {
                if let vocabulary = SchemaVocabularies(vocabularyURI: name) {
                    vocabularies.insert(vocabulary)
                } else if required.bool == true {
                    throw SchemaCompileError(location: location, message: "metaschema \(text) requires vocabulary \(name), which Sluice does not know")
                }
            }
        }
        metaschemaCache[uri] = (dialect, vocabularies)
        return (dialect, vocabularies)
    }

    /// A document by URI: already loaded, or from the resolver (then discovered).
    func loadDocument(uri: String, location: String) throws(SchemaCompileError) -> JSONValue? {
        if let resource = resourceByURI[uri] {
            let info = resources[resource]
            return value(document: info.document, pointer: info.pointer)
        }
        guard let root = try resolver.load(uri) else { return nil }
        let index = try addDocument(root, uri: SchemaURI(parsing: uri))
        return documents[index].root
    }

    /// Walks a schema value, registering locations, resources and anchors.
    func discover(_ value: JSONValue, document: Int, pointer: String, base: SchemaURI, resource: Int,
                  resourcePointer: String, dialect: SchemaDialect, vocabularies: SchemaVocabularies) throws(SchemaCompileError) {
        guard case .object(let object) = value else {
            locations[SchemaCompiler.key(document, pointer)] = LocationInfo(
                base: base, resource: resource, resourcePointer: resourcePointer, dialect: dialect, vocabularies: vocabularies)
            return
        }
        let here = base.with(fragment: resourcePointer).description
        var dialect = dialect
        var vocabularies = vocabularies
        var base = base
        var resource = resource
        var resourcePointer = resourcePointer
        if let schemaURI = object["$schema"]?.string {
            (dialect, vocabularies) = try dialectOf(schemaKeyword: schemaURI, inherited: (dialect, vocabularies), location: here)
        }
        if let id = object["$id"]?.string {
            if !dialect.isModern && object["$ref"] != nil {
                // draft-07: `$ref` hides its siblings, `$id` included.
            } else if !dialect.isModern && id.hasPrefix("#") {
                resources[resource].anchors[String(id.dropFirst())] = pointer
            } else {
                let resolved = base.resolving(id)
                if let fragment = resolved.fragment, !fragment.isEmpty {
                    if dialect.isModern {
                        throw SchemaCompileError(location: here + "/$id", message: "$id \(id) must not have a fragment (use $anchor)")
                    }
                    // draft-07 `$id: "other.json#name"`: a resource and a name in it.
                }
                let previous = resourceByURI[resolved.withoutFragment.description]
                if let previous, !(resources[previous].document == document && resources[previous].pointer == pointer) {
                    // Two schemas with one URI: the first one discovered wins; tell the user.
                    throw SchemaCompileError(location: here + "/$id", message: "$id \(resolved.withoutFragment) identifies two different schemas")
                }
                base = resolved.withoutFragment
                resource = addResource(uri: base, document: document, pointer: pointer)
                resourcePointer = ""
                if !dialect.isModern, let fragment = resolved.fragment { resources[resource].anchors[fragment] = pointer }
            }
        }
        locations[SchemaCompiler.key(document, pointer)] = LocationInfo(
            base: base, resource: resource, resourcePointer: resourcePointer, dialect: dialect, vocabularies: vocabularies)
        if dialect.isModern, let anchor = object["$anchor"]?.string {
            resources[resource].anchors[anchor] = pointer
        }
        if dialect == .draft2020_12, let anchor = object["$dynamicAnchor"]?.string {
            resources[resource].anchors[anchor] = pointer
            resources[resource].dynamicAnchors[anchor] = pointer
        }
        if dialect == .draft2019_09, object["$recursiveAnchor"]?.bool == true, resourcePointer.isEmpty {
            resources[resource].recursiveAnchor = true
        }
        func child(_ value: JSONValue, _ tokens: [String]) throws(SchemaCompileError) {
            let suffix = tokens.map { "/" + SchemaCompiler.escape($0) }.joined()
            try discover(value, document: document, pointer: pointer + suffix, base: base, resource: resource,
                         resourcePointer: resourcePointer + suffix, dialect: dialect, vocabularies: vocabularies)
        }
        for keyword in SubschemaKeywords.single(dialect) {
            if let value = object[keyword] { try child(value, [keyword]) }
        }
        for keyword in SubschemaKeywords.array(dialect) {
            if case .array(let elements)? = object[keyword] {
                for (index, element) in elements.enumerated() { try child(element, [keyword, String(index)]) }
            }
        }
        for keyword in SubschemaKeywords.map(dialect) {
            if case .object(let members)? = object[keyword] {
                for (name, member) in members { try child(member, [keyword, name]) }
            }
        }
        if SubschemaKeywords.hasLegacyItems(dialect) {
            switch object["items"] {
            case .array(let elements)?:
                for (index, element) in elements.enumerated() { try child(element, ["items", String(index)]) }
            case let value? where value.kind == .object || value.kind == .boolean:
                try child(value, ["items"])
            default:
                break
            }
        }
        if case .object(let members)? = object["dependencies"] {
            for (name, member) in members where member.kind == .object || member.kind == .boolean {
                try child(member, ["dependencies", name])
            }
        }
    }

    /// `~` → `~0`, `/` → `~1`.
    static func escape(_ token: String) -> String {
        guard token.contains("~") || token.contains("/") else { return token }
        var escaped = ""
        for character in token.unicodeScalars {
            switch character {
            case "~": escaped += "~0"
            case "/": escaped += "~1"
            default: escaped.unicodeScalars.append(character)
            }
        }
        return escaped
    }

    /// The value at an (escaped) JSON pointer in a document.
    func value(document: Int, pointer: String) -> JSONValue? {
        guard let parsed = try? JSONPointer(parsing: pointer) else { return nil }
        var value = documents[document].root
        for token in parsed.tokens {
            switch value {
            case .object(let object):
                guard let next = object[token.name] else { return nil }
                value = next
            case .array(let elements):
                guard let index = token.index, index < elements.count else { return nil }
                value = elements[index]
            default:
                return nil
            }
        }
        return value
    }

    /// Location facts for a place discovery did not visit: those of its nearest discovered
    /// ancestor, extended by the rest of the pointer; the subtree is then discovered.
    func locationInfo(document: Int, pointer: String) throws(SchemaCompileError) -> LocationInfo {
        if let info = locations[SchemaCompiler.key(document, pointer)] { return info }
        var ancestor = pointer
        while true {
            guard let slash = ancestor.lastIndex(of: "/") else {
                preconditionFailure("a document root is always discovered")
            }
            ancestor = String(ancestor[..<slash])
            if let info = locations[SchemaCompiler.key(document, ancestor)] {
                let suffix = String(pointer.dropFirst(ancestor.count))
                guard let value = value(document: document, pointer: pointer) else {
                    throw SchemaCompileError(location: info.base.description + "#" + info.resourcePointer + suffix, message: "nothing at this location")
                }
                try discover(value, document: document, pointer: pointer, base: info.base, resource: info.resource,
                             resourcePointer: info.resourcePointer + suffix, dialect: info.dialect, vocabularies: info.vocabularies)
                return locations[SchemaCompiler.key(document, pointer)]!
            }
        }
    }

    // MARK: - References

    /// Resolves a reference (already absolute) to (document, pointer).
    func resolve(_ uri: SchemaURI, from location: String) throws(SchemaCompileError) -> (document: Int, pointer: String) {
        let resourceText = uri.withoutFragment.description
        if resourceByURI[resourceText] == nil {
            guard try loadDocument(uri: resourceText, location: location) != nil else {
                throw SchemaCompileError(
                    location: location,
                    message: "cannot resolve \(uri): no schema has that URI (references are resolved only within the schema, from local files and from the resolver's documents, never over the network)")
            }
        }
        guard let resourceIndex = resourceByURI[resourceText] else {
            throw SchemaCompileError(location: location, message: "cannot resolve \(uri)")
        }
        let resource = resources[resourceIndex]
        guard let fragment = uri.decodedFragment else {
            throw SchemaCompileError(location: location, message: "reference \(uri) has a malformed percent-encoding")
        }
        if fragment.isEmpty { return (resource.document, resource.pointer) }
        if fragment.hasPrefix("/") {
            guard (try? JSONPointer(parsing: fragment)) != nil else {
                throw SchemaCompileError(location: location, message: "reference \(uri): the fragment is not a valid JSON pointer")
            }
            let pointer = resource.pointer + fragment
            guard value(document: resource.document, pointer: pointer) != nil else {
                throw SchemaCompileError(location: location, message: "reference \(uri): nothing at that JSON pointer")
            }
            return (resource.document, pointer)
        }
        guard let pointer = resource.anchors[fragment] else {
            throw SchemaCompileError(location: location, message: "reference \(uri): no $anchor named \"\(fragment)\" in \(resource.uri)")
        }
        return (resource.document, pointer)
    }
}
