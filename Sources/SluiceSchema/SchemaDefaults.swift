// SchemaDefaults: the `default` a schema gives a location, found statically (without a
// document): the collection key of a document whose key location is missing takes it
// (SEMANTICS.md §1).
import SluiceDocument

struct SchemaDefaults {
    let program: SchemaProgram

    func defaultValue(at pointer: JSONPointer) -> JSONValue? {
        var current = closure([program.root])
        for token in pointer.tokens {
            var next: [Int32] = []
            for node in current { next += children(of: node, token: token) }
            guard !next.isEmpty else { return nil }
            current = closure(next)
        }
        var found: JSONValue?
        for node in current {
            let index = program.nodes[Int(node)].defaultValue
            guard index >= 0 else { continue }
            let value = program.constants[Int(index)].jsonValue
            if let found, found != value { return nil }  // branches disagree
            found = value
        }
        return found
    }

    /// `nodes` and every node they apply in place (references, allOf, anyOf, oneOf, if/then/else).
    func closure(_ nodes: [Int32]) -> [Int32] {
        var seen = Set<Int32>()
        var pending = nodes
        var result: [Int32] = []
        while let node = pending.popLast() {
            guard seen.insert(node).inserted else { continue }
            result.append(node)
            let compiled = program.nodes[Int(node)]
            for keywordIndex in Int(compiled.keywordStart)..<Int(compiled.keywordEnd) {
                switch program.keywords[keywordIndex] {
                case .reference(let target), .dynamicReference(let target, _), .recursiveReference(let target, _):
                    pending.append(target)
                case .allOf(let start, let count), .anyOf(let start, let count), .oneOf(let start, let count):
                    pending += program.nodeLists[Int(start)..<Int(start + count)]
                case .conditional(_, let then, let otherwise):
                    if then >= 0 { pending.append(then) }
                    if otherwise >= 0 { pending.append(otherwise) }
                default:
                    break
                }
            }
        }
        return result
    }

    /// The subschemas that apply to `token` below `node`.
    func children(of node: Int32, token: JSONPointer.Token) -> [Int32] {
        var result: [Int32] = []
        var matched = false
        let compiled = program.nodes[Int(node)]
        let nameBytes = Array(token.name.utf8)
        for keywordIndex in Int(compiled.keywordStart)..<Int(compiled.keywordEnd) {
            switch program.keywords[keywordIndex] {
            case .properties(let start, let count):
                for entry in program.names[Int(start)..<Int(start + count)] where program.bytes(of: entry).elementsEqual(nameBytes) {
                    result.append(entry.node)
                    matched = true
                }
            case .prefixItems(let start, let count):
                if let index = token.index, index < Int(count) {
                    result.append(program.nodeLists[Int(start) + index])
                    matched = true
                }
            case .items(let itemsNode, let from):
                if let index = token.index, index >= Int(from) { result.append(itemsNode) }
            case .additionalProperties(let additional, _, _, _, _):
                if !matched { result.append(additional) }
            default:
                break
            }
        }
        return result
    }
}
