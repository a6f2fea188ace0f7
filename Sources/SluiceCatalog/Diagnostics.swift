// SluiceCatalog: the YAML catalog (the shape of Estuary Flow's flow.yaml) as a checked model.
//
// A catalog is one YAML file plus the files it imports. Loading it yields either a `Catalog`
// or every problem found at once, each with a file, line and column and a path such as
// `collections[acme/orders].key[0]`. Inline schemas and connector configs are kept as
// canonical JSON text, so the layers above parse them with SluiceDocument. Loading does only
// structural and cross-reference checks; checks that need compiled schemas (keys required,
// key-able types) run in the runtime's `sluice check`.

/// A place in a catalog file. Lines and columns count from 1.
public struct SourceLocation: Hashable, Sendable, CustomStringConvertible {
    public var file: String
    public var line: Int
    public var column: Int

    public init(file: String, line: Int, column: Int) {
        self.file = file
        self.line = line
        self.column = column
    }

    public var description: String { "\(file):\(line):\(column)" }
}

/// One problem in a catalog: where, along which path, and what.
public struct CatalogDiagnostic: Hashable, Sendable, CustomStringConvertible {
    public var location: SourceLocation?
    /// For example `collections[acme/orders].key[0]`.
    public var path: String
    public var message: String

    public init(location: SourceLocation?, path: String, message: String) {
        self.location = location
        self.path = path
        self.message = message
    }

    /// `flow.yaml:12:5: collections[acme/orders].key[0]: … `
    public var description: String {
        let place = location.map { "\($0): " } ?? ""
        return path.isEmpty ? "\(place)\(message)" : "\(place)\(path): \(message)"
    }
}

/// Every problem found in a catalog, in file order.
public struct CatalogError: Error, Sendable, CustomStringConvertible {
    public var diagnostics: [CatalogDiagnostic]

    public init(_ diagnostics: [CatalogDiagnostic]) { self.diagnostics = diagnostics }

    public var description: String {
        let count = diagnostics.count
        return diagnostics.map(\.description).joined(separator: "\n")
            + "\n\(count) error\(count == 1 ? "" : "s") in the catalog"
    }
}

/// Collects diagnostics while a catalog is read, so all of them are reported at once.
final class DiagnosticSink {
    private(set) var diagnostics: [CatalogDiagnostic] = []

    func report(_ node: CatalogNode?, _ path: CatalogPath, _ message: String) {
        diagnostics.append(CatalogDiagnostic(location: node?.location, path: path.description, message: message))
    }

    func report(at location: SourceLocation?, _ path: CatalogPath, _ message: String) {
        diagnostics.append(CatalogDiagnostic(location: location, path: path.description, message: message))
    }

    var isEmpty: Bool { diagnostics.isEmpty }

    /// In file order, then line and column; diagnostics without a location last.
    var sorted: [CatalogDiagnostic] {
        diagnostics.enumerated().sorted { left, right in
            switch (left.element.location, right.element.location) {
            case let (l?, r?):
                if l.file != r.file { return left.offset < right.offset }
                return (l.line, l.column, left.offset) < (r.line, r.column, right.offset)
            case (nil, nil): return left.offset < right.offset
            case (_?, nil): return true
            case (nil, _?): return false
            }
        }.map(\.element)
    }
}

/// A path into the catalog: `collections[acme/orders].key[0]`.
struct CatalogPath: CustomStringConvertible {
    private var text: String

    static let root = CatalogPath(text: "")

    private init(text: String) { self.text = text }

    /// A property: `a.b`.
    func property(_ name: String) -> CatalogPath {
        CatalogPath(text: text.isEmpty ? name : "\(text).\(name)")
    }

    /// A named entry of a map of entities, or an array index: `collections[acme/orders]`, `key[0]`.
    func entry(_ name: String) -> CatalogPath { CatalogPath(text: "\(text)[\(name)]") }

    func index(_ index: Int) -> CatalogPath { entry(String(index)) }

    var description: String { text }
}

/// "did you mean" suggestions by edit distance.
enum Suggestion {
    /// The closest candidate within a distance that grows with the word's length, if any.
    static func closest(to word: String, in candidates: some Sequence<String>) -> String? {
        let limit = max(2, word.count / 3)
        var best: (String, Int)?
        for candidate in candidates {
            let distance = editDistance(word.lowercased(), candidate.lowercased())
            if distance <= limit, distance < (best?.1 ?? Int.max) { best = (candidate, distance) }
        }
        return best?.0
    }

    /// ` (did you mean "x"?)` or the empty string.
    static func hint(for word: String, in candidates: some Sequence<String>) -> String {
        closest(to: word, in: candidates).map { " (did you mean \"\($0)\"?)" } ?? ""
    }

    /// Levenshtein distance over Unicode scalars.
    static func editDistance(_ a: String, _ b: String) -> Int {
        let a = Array(a.unicodeScalars), b = Array(b.unicodeScalars)
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var previous = Array(0...b.count)
        var current = [Int](repeating: 0, count: b.count + 1)
        for i in 1...a.count {
            current[0] = i
            for j in 1...b.count {
                let cost = a[i - 1] == b[j - 1] ? 0 : 1
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            }
            swap(&previous, &current)
        }
        return previous[b.count]
    }
}
