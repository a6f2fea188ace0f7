// SchemaCompiler: compiling one subschema's keywords into a node.
//
// Keyword order inside a node is chosen for speed and for annotation semantics: cheap
// assertions first (a type mismatch fails before anything else runs), then applicators into
// children, then the node's own `reduce`, then in-place applicators (`$ref`, `allOf`, `then`, …)
// whose annotations therefore override the node's own (the last annotation evaluated for a
// location wins, as in Flow's validator, where in-place applications unwind their outcomes
// after the parent's), and `unevaluated*` last, once everything they depend on ran.
import SluiceDocument

extension SchemaCompiler {
    /// Where a subschema is, and what is in force there.
    struct NodeContext {
        var document: Int
        var pointer: String
        var info: LocationInfo
        var object: JSONObject

        /// The absolute location of `keyword` (or of the schema itself).
        func location(_ keyword: String? = nil) -> String {
            info.base.description + "#" + info.resourcePointer + (keyword.map { "/" + SchemaCompiler.escape($0) } ?? "")
        }

        func site(_ keyword: String) -> SchemaLocation {
            SchemaLocation(resourceURI: info.base.description, pointer: info.resourcePointer + "/" + SchemaCompiler.escape(keyword))
        }

        var vocabularies: SchemaVocabularies { info.vocabularies }
        var dialect: SchemaDialect { info.dialect }
    }

    /// Compiles the subschema at (document, pointer) once; returns its node.
    func compileNode(document: Int, pointer: String) throws(SchemaCompileError) -> Int32 {
        let key = SchemaCompiler.key(document, pointer)
        if let existing = nodeByLocation[key] { return existing }
        let info = try locationInfo(document: document, pointer: pointer)
        guard let value = value(document: document, pointer: pointer) else {
            throw SchemaCompileError(location: info.base.description + "#" + info.resourcePointer, message: "no schema at this location")
        }
        let index = Int32(nodes.count)
        nodes.append(CompiledNode(keywordStart: 0, keywordEnd: 0, resource: Int32(info.resource), constant: .none,
                                  tracksEvaluation: false, location: Int32(nodeLocations.count), defaultValue: -1))
        nodeLocations.append(SchemaLocation(resourceURI: info.base.description, pointer: info.resourcePointer))
        nodeByLocation[key] = index
        switch value {
        case .bool(let flag):
            nodes[Int(index)].constant = flag ? .alwaysValid : .alwaysInvalid
        case .object(let object):
            let context = NodeContext(document: document, pointer: pointer, info: info, object: object)
            let compiled = try compileKeywords(context)
            nodes[Int(index)].keywordStart = Int32(keywords.count)
            for (keyword, name) in compiled {
                keywords.append(keyword)
                keywordSites.append(KeywordSite(keyword: name, node: index, location: context.site(name)))
                switch keyword {
                case .unevaluatedItems, .unevaluatedProperties: nodes[Int(index)].tracksEvaluation = true
                default: break
                }
            }
            nodes[Int(index)].keywordEnd = Int32(keywords.count)
            var fastStart = nodes[Int(index)].keywordStart
            var fastEnd = nodes[Int(index)].keywordEnd
            if case .type(let mask)? = compiled.first?.0 {
                nodes[Int(index)].typeMask = mask
                nodes[Int(index)].hasTypeMask = true
                fastStart += 1
            }
            if fastEnd > fastStart, case .reduce(let annotation) = keywords[Int(fastEnd) - 1] {
                nodes[Int(index)].trailingReduce = Int32(annotation)
                fastEnd -= 1
            }
            nodes[Int(index)].fastKeywordStart = fastStart
            nodes[Int(index)].fastKeywordEnd = fastEnd
            if compiled.isEmpty { nodes[Int(index)].constant = .alwaysValid }
            if let defaultValue = object["default"] {
                nodes[Int(index)].defaultValue = try addConstant(defaultValue, location: context.location("default"))
            }
        default:
            throw SchemaCompileError(location: info.base.description + "#" + info.resourcePointer,
                                     message: "a schema must be an object or a boolean, found \(value.kind)")
        }
        return index
    }

    /// Compiles the subschema under `tokens` of the context's schema.
    private func child(_ context: NodeContext, _ tokens: String...) throws(SchemaCompileError) -> Int32 {
        try compileNode(document: context.document, pointer: context.pointer + tokens.map { "/" + SchemaCompiler.escape($0) }.joined())
    }

    private func compileKeywords(_ context: NodeContext) throws(SchemaCompileError) -> [(Keyword, String)] {
        let object = context.object
        let vocabularies = context.vocabularies
        var assertions: [(Keyword, String)] = []
        var children: [(Keyword, String)] = []
        var inPlace: [(Keyword, String)] = []
        var annotationsHere: [(Keyword, String)] = []
        var unevaluated: [(Keyword, String)] = []

        // Core: references. In draft-07 and draft-06, `$ref` hides every sibling.
        if let text = try stringValue(context, "$ref") {
            let target = try resolveReference(context, text, keyword: "$ref")
            inPlace.append((.reference(target.node), "$ref"))
            if !context.dialect.isModern { return inPlace }
        }
        if context.dialect == .draft2020_12, let text = try stringValue(context, "$dynamicRef") {
            let target = try resolveReference(context, text, keyword: "$dynamicRef")
            var anchor: Int32 = -1
            let fragment = SchemaURI(parsing: text).decodedFragment ?? ""
            if !fragment.isEmpty, !fragment.hasPrefix("/"),
               resources[target.resource].dynamicAnchors[fragment] == target.pointer {
                anchor = internAnchorName(fragment)
            }
            inPlace.append((.dynamicReference(node: target.node, anchor: anchor), "$dynamicRef"))
        }
        if context.dialect == .draft2019_09, let text = try stringValue(context, "$recursiveRef") {
            let target = try resolveReference(context, text, keyword: "$recursiveRef")
            let resource = resources[target.resource]
            let dynamic = resource.recursiveAnchor && resource.pointer == target.pointer && resource.document == target.document
            inPlace.append((.recursiveReference(node: target.node, dynamic: dynamic), "$recursiveRef"))
        }

        if vocabularies.contains(.validation) {
            try compileValidation(context, into: &assertions)
        }
        if vocabularies.contains(.formatAnnotation) || vocabularies.contains(.formatAssertion),
           let formatValue = object["format"] {
            guard let name = formatValue.string else {
                throw SchemaCompileError(location: context.location("format"), message: "format must be a string")
            }
            if let format = SchemaFormat(name: name), options.formatAssertion || vocabularies.contains(.formatAssertion) {
                assertions.append((.format(format), "format"))
            }
        }
        if vocabularies.contains(.applicator) {
            try compileApplicators(context, children: &children, inPlace: &inPlace)
        }
        if context.dialect.isModern, vocabularies.contains(.unevaluated) || context.dialect == .draft2019_09 {
            if object["unevaluatedProperties"] != nil {
                unevaluated.append((.unevaluatedProperties(try child(context, "unevaluatedProperties")), "unevaluatedProperties"))
            }
            if object["unevaluatedItems"] != nil {
                unevaluated.append((.unevaluatedItems(try child(context, "unevaluatedItems")), "unevaluatedItems"))
            }
        }
        if let reduceValue = object["reduce"] {
            let annotation: ReduceAnnotation
            do {
                annotation = try ReduceAnnotation(keywordValue: reduceValue)
            } catch {
                throw SchemaCompileError(location: context.location("reduce") + error.pointerSuffix, message: error.message)
            }
            let index: Int
            if let existing = annotations.firstIndex(of: annotation) {
                index = existing
            } else {
                annotations.append(annotation)
                index = annotations.count - 1
            }
            annotationsHere.append((.reduce(UInt16(index)), "reduce"))
        }
        return assertions + children + annotationsHere + inPlace + unevaluated
    }

    // MARK: - Validation vocabulary

    private func compileValidation(_ context: NodeContext, into assertions: inout [(Keyword, String)]) throws(SchemaCompileError) {
        let object = context.object
        if let typeValue = object["type"] {
            var mask = TypeMask()
            let typeNames: [JSONValue]
            switch typeValue {
            case .string: typeNames = [typeValue]
            case .array(let elements): typeNames = elements
            default: throw SchemaCompileError(location: context.location("type"), message: "type must be a type name or an array of them")
            }
            for name in typeNames {
                guard let text = name.string, let bit = TypeMask(typeName: text) else {
                    throw SchemaCompileError(location: context.location("type"),
                                             message: "unknown type \(name) (expected null, boolean, integer, number, string, array or object)")
                }
                mask.insert(bit)
            }
            assertions.append((.type(mask), "type"))
        }
        if let constValue = object["const"] {
            assertions.append((.constant(try addConstant(constValue, location: context.location("const"))), "const"))
        }
        if let enumValue = object["enum"] {
            guard case .array(let elements) = enumValue else {
                throw SchemaCompileError(location: context.location("enum"), message: "enum must be an array")
            }
            if !elements.isEmpty, elements.allSatisfy({ $0.kind == .string }) {
                let range = addNames(elements.map { ($0.string!, -1) })
                assertions.append((.enumerationOfStrings(start: range.start, count: range.count), "enum"))
            } else {
                let start = Int32(constants.count)
                for element in elements { _ = try addConstant(element, location: context.location("enum")) }
                assertions.append((.enumeration(start: start, count: Int32(elements.count)), "enum"))
            }
        }
        for (name, make) in [("minimum", Keyword.minimum), ("maximum", Keyword.maximum),
                             ("exclusiveMinimum", Keyword.exclusiveMinimum), ("exclusiveMaximum", Keyword.exclusiveMaximum)] {
            if let bound = object[name] {
                guard let number = bound.number else {
                    throw SchemaCompileError(location: context.location(name), message: "\(name) must be a number, found \(bound.kind)")
                }
                assertions.append((make(number), name))
            }
        }
        if let divisorValue = object["multipleOf"] {
            guard let number = divisorValue.number, number > .int(0) else {
                throw SchemaCompileError(location: context.location("multipleOf"), message: "multipleOf must be a number above 0")
            }
            divisors.append(Divisor(value: number, decimal: DecimalNumber(number)))
            assertions.append((.multipleOf(Int32(divisors.count - 1)), "multipleOf"))
        }
        if let length = try count(context, "minLength") { assertions.append((.minLength(length), "minLength")) }
        if let length = try count(context, "maxLength") { assertions.append((.maxLength(length), "maxLength")) }
        if let patternValue = object["pattern"] {
            guard let text = patternValue.string else {
                throw SchemaCompileError(location: context.location("pattern"), message: "pattern must be a string")
            }
            assertions.append((.pattern(try addRegex(text, location: context.location("pattern"))), "pattern"))
        }
        if let items = try count(context, "minItems") { assertions.append((.minItems(items), "minItems")) }
        if let items = try count(context, "maxItems") { assertions.append((.maxItems(items), "maxItems")) }
        if let unique = object["uniqueItems"] {
            guard let flag = unique.bool else {
                throw SchemaCompileError(location: context.location("uniqueItems"), message: "uniqueItems must be true or false")
            }
            if flag { assertions.append((.uniqueItems, "uniqueItems")) }
        }
        if let properties = try count(context, "minProperties") { assertions.append((.minProperties(properties), "minProperties")) }
        if let properties = try count(context, "maxProperties") { assertions.append((.maxProperties(properties), "maxProperties")) }
        if let requiredValue = object["required"] {
            let list = try stringList(requiredValue, location: context.location("required"), what: "required")
            if !list.isEmpty {
                let range = addNames(list.map { ($0, -1) })
                assertions.append((.required(start: range.start, count: range.count), "required"))
            }
        }
        var dependencies: [(String, [String])] = []
        if context.dialect.isModern, case .object(let members)? = object["dependentRequired"] {
            for (name, list) in members {
                dependencies.append((name, try stringList(list, location: context.location("dependentRequired") + "/" + SchemaCompiler.escape(name),
                                                          what: "dependentRequired")))
            }
        } else if context.dialect.isModern, let other = object["dependentRequired"] {
            throw SchemaCompileError(location: context.location("dependentRequired"), message: "dependentRequired must be an object, found \(other.kind)")
        }
        if case .object(let members)? = object["dependencies"] {
            for (name, value) in members where value.kind == .array {
                dependencies.append((name, try stringList(value, location: context.location("dependencies") + "/" + SchemaCompiler.escape(name),
                                                          what: "dependencies")))
            }
        }
        if !dependencies.isEmpty {
            let start = Int32(self.dependents.count)
            for (name, list) in dependencies.sorted(by: { $0.0.utf8.lexicographicallyPrecedes($1.0.utf8) }) {
                let nameRange = addNames([(name, -1)])
                let requiredRange = addNames(list.map { ($0, -1) })
                self.dependents.append(DependentEntry(name: names[Int(nameRange.start)], requiredStart: requiredRange.start,
                                                      requiredCount: requiredRange.count))
            }
            assertions.append((.dependentRequired(start: start, count: Int32(dependencies.count)), "dependentRequired"))
        }
    }

    // MARK: - Applicator vocabulary

    private func compileApplicators(_ context: NodeContext, children: inout [(Keyword, String)],
                                    inPlace: inout [(Keyword, String)]) throws(SchemaCompileError) {
        let object = context.object
        var propertiesRange: (start: Int32, count: Int32) = (0, 0)
        if let propertiesValue = object["properties"] {
            guard case .object(let members) = propertiesValue else {
                throw SchemaCompileError(location: context.location("properties"), message: "properties must be an object of schemas")
            }
            var entries: [(String, Int32)] = []
            for (name, _) in members { entries.append((name, try child(context, "properties", name))) }
            propertiesRange = addNames(entries)
            children.append((.properties(start: propertiesRange.start, count: propertiesRange.count), "properties"))
        }
        var patternsRange: (start: Int32, count: Int32) = (Int32(patternEntries.count), 0)
        if let patternValue = object["patternProperties"] {
            guard case .object(let members) = patternValue else {
                throw SchemaCompileError(location: context.location("patternProperties"), message: "patternProperties must be an object of schemas")
            }
            var entries: [PatternEntry] = []
            for (pattern, _) in members {
                let regex = try addRegex(pattern, location: context.location("patternProperties") + "/" + SchemaCompiler.escape(pattern))
                entries.append(PatternEntry(regex: regex, node: try child(context, "patternProperties", pattern)))
            }
            patternsRange = (Int32(patternEntries.count), Int32(entries.count))
            patternEntries += entries
            children.append((.patternProperties(start: patternsRange.start, count: patternsRange.count), "patternProperties"))
        }
        if object["additionalProperties"] != nil {
            let node = try child(context, "additionalProperties")
            children.append((.additionalProperties(node: node, properties: propertiesRange.start, propertyCount: propertiesRange.count,
                                                   patterns: patternsRange.start, patternCount: patternsRange.count),
                             "additionalProperties"))
        }
        if object["propertyNames"] != nil {
            children.append((.propertyNames(try child(context, "propertyNames")), "propertyNames"))
        }
        // Items.
        if context.dialect == .draft2020_12 {
            var prefixCount: Int32 = 0
            if let prefixValue = object["prefixItems"] {
                guard case .array(let elements) = prefixValue, !elements.isEmpty else {
                    throw SchemaCompileError(location: context.location("prefixItems"), message: "prefixItems must be a non-empty array of schemas")
                }
                let range = try nodeList(context, "prefixItems", count: elements.count)
                prefixCount = range.count
                children.append((.prefixItems(start: range.start, count: range.count), "prefixItems"))
            }
            if let itemsValue = object["items"] {
                guard itemsValue.kind == .object || itemsValue.kind == .boolean else {
                    throw SchemaCompileError(location: context.location("items"),
                                             message: "items must be a schema in 2020-12 (use prefixItems for a list of schemas)")
                }
                children.append((.items(node: try child(context, "items"), from: prefixCount), "items"))
            }
        } else if let itemsValue = object["items"] {
            if case .array(let elements) = itemsValue {
                let range = try nodeList(context, "items", count: elements.count)
                children.append((.prefixItems(start: range.start, count: range.count), "items"))
                if object["additionalItems"] != nil {
                    children.append((.items(node: try child(context, "additionalItems"), from: range.count), "additionalItems"))
                }
            } else {
                children.append((.items(node: try child(context, "items"), from: 0), "items"))
            }
        }
        if object["contains"] != nil {
            let node = try child(context, "contains")
            var minimum = 1
            var maximum = Int.max
            if context.dialect.isModern, context.vocabularies.contains(.validation) {
                minimum = try count(context, "minContains") ?? 1
                maximum = try count(context, "maxContains") ?? Int.max
            }
            children.append((.contains(node: node, minimum: minimum, maximum: maximum), "contains"))
        }
        // In place.
        for name in ["allOf", "anyOf", "oneOf"] {
            guard let value = object[name] else { continue }
            guard case .array(let elements) = value, !elements.isEmpty else {
                throw SchemaCompileError(location: context.location(name), message: "\(name) must be a non-empty array of schemas")
            }
            let range = try nodeList(context, name, count: elements.count)
            switch name {
            case "allOf": inPlace.append((.allOf(start: range.start, count: range.count), name))
            case "anyOf": inPlace.append((.anyOf(start: range.start, count: range.count), name))
            default: inPlace.append((.oneOf(start: range.start, count: range.count), name))
            }
        }
        if object["not"] != nil {
            inPlace.append((.not(try child(context, "not")), "not"))
        }
        if context.dialect != .draft06, object["if"] != nil {
            let condition = try child(context, "if")
            let then = object["then"] != nil ? try child(context, "then") : -1
            let otherwise = object["else"] != nil ? try child(context, "else") : -1
            if then >= 0 || otherwise >= 0 {
                inPlace.append((.conditional(condition: condition, then: then, otherwise: otherwise), "if"))
            } else {
                // `if` alone asserts nothing, but its annotations count (unevaluated*).
                inPlace.append((.conditional(condition: condition, then: -1, otherwise: -1), "if"))
            }
        }
        var dependentSchemas: [(String, Int32)] = []
        if context.dialect.isModern, let value = object["dependentSchemas"] {
            guard case .object(let members) = value else {
                throw SchemaCompileError(location: context.location("dependentSchemas"), message: "dependentSchemas must be an object of schemas")
            }
            for (name, _) in members { dependentSchemas.append((name, try child(context, "dependentSchemas", name))) }
        }
        if case .object(let members)? = object["dependencies"] {
            for (name, value) in members where value.kind == .object || value.kind == .boolean {
                dependentSchemas.append((name, try child(context, "dependencies", name)))
            }
        }
        if !dependentSchemas.isEmpty {
            let range = addNames(dependentSchemas)
            inPlace.append((.dependentSchemas(start: range.start, count: range.count), "dependentSchemas"))
        }
    }

    // MARK: - Helpers

    private func stringValue(_ context: NodeContext, _ keyword: String) throws(SchemaCompileError) -> String? {
        guard let value = context.object[keyword] else { return nil }
        guard let text = value.string else {
            throw SchemaCompileError(location: context.location(keyword), message: "\(keyword) must be a string, found \(value.kind)")
        }
        return text
    }

    /// A reference resolved and compiled: the target node, its resource and place.
    private func resolveReference(_ context: NodeContext, _ text: String, keyword: String) throws(SchemaCompileError)
        -> (node: Int32, resource: Int, document: Int, pointer: String) {
        let uri = context.info.base.resolving(text)
        let target = try resolve(uri, from: context.location(keyword))
        let node = try compileNode(document: target.document, pointer: target.pointer)
        let info = try locationInfo(document: target.document, pointer: target.pointer)
        return (node, info.resource, target.document, target.pointer)
    }

    /// A non-negative integer keyword (integral doubles such as `2.0` count).
    private func count(_ context: NodeContext, _ keyword: String) throws(SchemaCompileError) -> Int? {
        guard let value = context.object[keyword] else { return nil }
        if let number = value.number, let exact = number.exactInteger {
            switch exact {
            case .int(let integer) where integer >= 0: return Int(integer)
            case .uint: return Int.max
            default: break
            }
        }
        throw SchemaCompileError(location: context.location(keyword), message: "\(keyword) must be a non-negative integer, found \(value)")
    }

    private func stringList(_ value: JSONValue, location: String, what: String) throws(SchemaCompileError) -> [String] {
        guard case .array(let elements) = value else {
            throw SchemaCompileError(location: location, message: "\(what) must be an array of property names")
        }
        var list: [String] = []
        for element in elements {
            guard let name = element.string else {
                throw SchemaCompileError(location: location, message: "\(what) must list property names (strings), found \(element.kind)")
            }
            if !list.contains(name) { list.append(name) }
        }
        return list
    }

    /// Compiles `count` subschemas under `keyword`/0…; returns their range in `nodeLists`.
    private func nodeList(_ context: NodeContext, _ keyword: String, count: Int) throws(SchemaCompileError) -> (start: Int32, count: Int32) {
        var list: [Int32] = []
        for index in 0..<count { list.append(try child(context, keyword, String(index))) }
        let start = Int32(nodeLists.count)
        nodeLists += list
        return (start, Int32(count))
    }

    /// Adds names (sorted by UTF-8 bytes, as object properties are on the tape) with nodes.
    func addNames(_ entries: [(String, Int32)]) -> (start: Int32, count: Int32) {
        let sorted = entries.sorted { $0.0.utf8.lexicographicallyPrecedes($1.0.utf8) }
        let start = Int32(names.count)
        for (name, node) in sorted {
            let bytes = Array(name.utf8)
            names.append(NameEntry(start: Int32(nameBytes.count), count: Int32(bytes.count), node: node))
            nameBytes += bytes
        }
        return (start, Int32(sorted.count))
    }

    func addConstant(_ value: JSONValue, location: String) throws(SchemaCompileError) -> Int32 {
        do {
            constants.append(try Document(value, depthMax: JSONParser.depthMaxLimit))
        } catch {
            throw SchemaCompileError(location: location, message: "value cannot be represented: \(error)")
        }
        return Int32(constants.count - 1)
    }

    func addRegex(_ pattern: String, location: String) throws(SchemaCompileError) -> Int32 {
        if let existing = regexByPattern[pattern] { return existing }
        do {
            regexes.append(try ECMARegex(pattern))
        } catch {
            throw SchemaCompileError(location: location, message: "invalid regular expression \"\(pattern)\": \(error)")
        }
        regexByPattern[pattern] = Int32(regexes.count - 1)
        return Int32(regexes.count - 1)
    }
}
