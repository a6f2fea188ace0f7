/// A derivation that cannot run as written, or a transform that failed on a document. Each
/// error names the transform and, for SQL, the place in the SQL (line and column, in the
/// lambda's file when it came from one).
public struct DerivationError: Error, Sendable, CustomStringConvertible, Equatable {
    /// The derivation (collection) name.
    public var derivation: String
    /// The transform, when the error is one transform's.
    public var transform: String?
    /// Where in the SQL: `lambda line 2, column 8`, `migration 3, line 1, column 4`, or
    /// `fromOrders.sql:2:8`.
    public var place: String?
    public var message: String

    public init(derivation: String, transform: String? = nil, place: String? = nil, message: String) {
        self.derivation = derivation
        self.transform = transform
        self.place = place
        self.message = message
    }

    public var description: String {
        var text = "derivation \(derivation)"
        if let transform { text += ", transform \(transform)" }
        if let place { text += ", \(place)" }
        return text + ": " + message
    }
}

/// 1-based line and column (in Unicode scalars) of a UTF-8 byte offset in `text`.
func lineAndColumn(ofByteOffset offset: Int, in text: String) -> (line: Int, column: Int) {
    var line = 1
    var column = 1
    for (index, byte) in text.utf8.enumerated() {
        if index >= offset { break }
        if byte == 0x0A {
            line += 1
            column = 1
        } else if byte & 0xC0 != 0x80 {
            column += 1
        }
    }
    return (line, column)
}

/// "did you mean" by edit distance.
enum Suggestions {
    /// The candidate closest to `word` (optimal string alignment distance, case-insensitive
    /// first, then exact), or nil when there are none.
    static func closest(to word: String, in candidates: some Sequence<String>) -> String? {
        var best: (candidate: String, distance: Int)?
        let lowered = Array(word.lowercased().unicodeScalars)
        for candidate in candidates {
            let distance = editDistance(lowered, Array(candidate.lowercased().unicodeScalars)) * 2
                + (candidate == word ? 0 : 1)
            if distance < (best?.distance ?? Int.max) { best = (candidate, distance) }
        }
        return best?.candidate
    }

    /// Optimal string alignment distance (Levenshtein plus adjacent transpositions).
    static func editDistance(_ a: [Unicode.Scalar], _ b: [Unicode.Scalar]) -> Int {
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var rows = [[Int]](repeating: [Int](repeating: 0, count: b.count + 1), count: a.count + 1)
        for i in 0...a.count { rows[i][0] = i }
        for j in 0...b.count { rows[0][j] = j }
        for i in 1...a.count {
            for j in 1...b.count {
                let cost = a[i - 1] == b[j - 1] ? 0 : 1
                var value = min(rows[i - 1][j] + 1, rows[i][j - 1] + 1, rows[i - 1][j - 1] + cost)
                if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] {
                    value = min(value, rows[i - 2][j - 2] + 1)
                }
                rows[i][j] = value
            }
        }
        return rows[a.count][b.count]
    }
}
