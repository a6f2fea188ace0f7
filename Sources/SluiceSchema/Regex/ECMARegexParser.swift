// ECMARegexParser: ECMA-262 regular expression syntax, as JSON Schema's `pattern`,
// `patternProperties` and `format: regex` use it, in Unicode mode (the `u` flag): the pattern
// and the input are sequences of code points, `\p{…}` is available, and escapes are strict (an
// identity escape only for syntax characters, so `\a` is an error). No flags: case-sensitive,
// `^` and `$` match only at the ends of the input, `.` matches anything but a line terminator.
//
// The parser makes a small tree (`RegexNode`); ECMARegexCompiler turns it into instructions.

/// A parsed regular expression.
indirect enum RegexNode: Sendable {
    case empty
    case scalar(UInt32)
    /// `.`: any code point except line terminators.
    case dot
    case characterClass(RegexCharacterClass)
    case sequence([RegexNode])
    case alternation([RegexNode])
    /// A group; `capture` is its 1-based number for capturing groups.
    case group(RegexNode, capture: Int?)
    case repetition(RegexNode, minimum: Int, maximum: Int?, greedy: Bool)
    case inputStart
    case inputEnd
    case wordBoundary(negated: Bool)
    case lookaround(RegexNode, ahead: Bool, negated: Bool)
    case backReference(Int)

    /// True when the node can match the empty string.
    var canMatchEmpty: Bool {
        switch self {
        case .empty, .inputStart, .inputEnd, .wordBoundary, .lookaround, .backReference: true
        case .scalar, .dot, .characterClass: false
        case .sequence(let nodes): nodes.allSatisfy(\.canMatchEmpty)
        case .alternation(let nodes): nodes.contains(where: \.canMatchEmpty)
        case .group(let node, _): node.canMatchEmpty
        case .repetition(let node, let minimum, _, _): minimum == 0 || node.canMatchEmpty
        }
    }

    var hasBackReference: Bool {
        switch self {
        case .backReference: true
        case .sequence(let nodes), .alternation(let nodes): nodes.contains(where: \.hasBackReference)
        case .group(let node, _), .repetition(let node, _, _, _), .lookaround(let node, _, _): node.hasBackReference
        default: false
        }
    }
}

/// A set of code points: sorted, disjoint ranges, plus Unicode property tests, possibly negated.
struct RegexCharacterClass: Sendable {
    var ranges: [ClosedRange<UInt32>]
    var properties: [UnicodePropertyTest]
    var negated: Bool

    init(ranges: [ClosedRange<UInt32>] = [], properties: [UnicodePropertyTest] = [], negated: Bool = false) {
        self.ranges = RegexCharacterClass.normalized(ranges)
        self.properties = properties
        self.negated = negated
    }

    func contains(_ scalar: UInt32) -> Bool {
        var found = false
        // Binary search over the sorted, disjoint ranges.
        var low = 0
        var high = ranges.count
        while low < high {
            let middle = (low + high) / 2
            let range = ranges[middle]
            if scalar < range.lowerBound {
                high = middle
            } else if scalar > range.upperBound {
                low = middle + 1
            } else {
                found = true
                break
            }
        }
        if !found, !properties.isEmpty, let value = Unicode.Scalar(scalar) {
            found = properties.contains { $0.matches(value) }
        }
        return found != negated
    }

    /// Sorts and merges overlapping or adjacent ranges.
    static func normalized(_ ranges: [ClosedRange<UInt32>]) -> [ClosedRange<UInt32>] {
        let sorted = ranges.sorted { $0.lowerBound < $1.lowerBound }
        var merged: [ClosedRange<UInt32>] = []
        for range in sorted {
            if let last = merged.last, range.lowerBound <= last.upperBound &+ 1 {
                merged[merged.count - 1] = last.lowerBound...max(last.upperBound, range.upperBound)
            } else {
                merged.append(range)
            }
        }
        return merged
    }

    /// The code points not in `ranges` (for `\D`, `\W`, `\S` inside a class).
    static func complement(_ ranges: [ClosedRange<UInt32>]) -> [ClosedRange<UInt32>] {
        var result: [ClosedRange<UInt32>] = []
        var next: UInt32 = 0
        for range in normalized(ranges) {
            if range.lowerBound > next { result.append(next...(range.lowerBound - 1)) }
            next = range.upperBound &+ 1
            if range.upperBound == 0x10FFFF { return result }
        }
        result.append(next...0x10FFFF)
        return result
    }

    static let digits: [ClosedRange<UInt32>] = [0x30...0x39]
    static let wordCharacters: [ClosedRange<UInt32>] = [0x30...0x39, 0x41...0x5A, 0x5F...0x5F, 0x61...0x7A]
    /// ECMA-262 WhiteSpace and LineTerminator: tab, LF, VT, FF, CR, space, NBSP, U+1680,
    /// U+2000–U+200A, U+2028, U+2029, U+202F, U+205F, U+3000, BOM.
    static let whiteSpace: [ClosedRange<UInt32>] = [
        0x09...0x0D, 0x20...0x20, 0xA0...0xA0, 0x1680...0x1680, 0x2000...0x200A, 0x2028...0x2029,
        0x202F...0x202F, 0x205F...0x205F, 0x3000...0x3000, 0xFEFF...0xFEFF,
    ]
}

/// A syntax error in a regular expression, at a code point offset.
public struct RegexSyntaxError: Error, Sendable, Equatable, CustomStringConvertible {
    public var message: String
    /// Offset in code points from the start of the pattern.
    public var offset: Int

    public var description: String { "\(message) at character \(offset + 1)" }
}

struct ECMARegexParser {
    /// Bounds the work of compiling one pattern: counted repetitions are expanded.
    static let repetitionCountMax = 1_000

    private let scalars: [Unicode.Scalar]
    private var position = 0
    private(set) var captureCount = 0
    private var groupNames: [String: Int] = [:]
    /// Back references by name (`\k<name>`) and number, checked once all groups are known.
    private var pendingNamedReferences: [(name: String, offset: Int)] = []
    private var largestBackReference = (number: 0, offset: 0)

    init(_ pattern: String) {
        scalars = Array(pattern.unicodeScalars)
    }

    /// Parses the whole pattern.
    static func parse(_ pattern: String) throws(RegexSyntaxError) -> (node: RegexNode, captureCount: Int) {
        var parser = ECMARegexParser(pattern)
        // First pass: count capturing groups and their names, which back references may use
        // before the group appears.
        parser.countGroups()
        let node = try parser.parseDisjunction()
        if parser.position < parser.scalars.count {
            throw parser.error(parser.scalars[parser.position] == ")" ? "unmatched ')'" : "unexpected character")
        }
        if parser.largestBackReference.number > parser.captureCount {
            throw RegexSyntaxError(message: "back reference \\\(parser.largestBackReference.number) to a group that does not exist",
                                   offset: parser.largestBackReference.offset)
        }
        for reference in parser.pendingNamedReferences where parser.groupNames[reference.name] == nil {
            throw RegexSyntaxError(message: "back reference to unknown group name '\(reference.name)'", offset: reference.offset)
        }
        return (node, parser.captureCount)
    }

    static func isDigit(_ scalar: Unicode.Scalar) -> Bool { scalar.value >= 0x30 && scalar.value <= 0x39 }

    private func error(_ message: String) -> RegexSyntaxError {
        RegexSyntaxError(message: message, offset: position)
    }

    private var current: Unicode.Scalar? { position < scalars.count ? scalars[position] : nil }

    private func peek(_ offset: Int) -> Unicode.Scalar? {
        position + offset < scalars.count ? scalars[position + offset] : nil
    }

    private mutating func consume(_ scalar: Unicode.Scalar) -> Bool {
        if current == scalar {
            position += 1
            return true
        }
        return false
    }

    /// Counts capturing groups and records their names (a pre-pass over the pattern).
    private mutating func countGroups() {
        var index = 0
        var inClass = false
        var count = 0
        while index < scalars.count {
            let scalar = scalars[index]
            if scalar == "\\" {
                index += 2
                continue
            }
            if inClass {
                if scalar == "]" { inClass = false }
            } else if scalar == "[" {
                inClass = true
            } else if scalar == "(" {
                if index + 1 < scalars.count, scalars[index + 1] == "?" {
                    if index + 2 < scalars.count, scalars[index + 2] == "<",
                       index + 3 < scalars.count, scalars[index + 3] != "=", scalars[index + 3] != "!" {
                        count += 1
                        var name = ""
                        var cursor = index + 3
                        while cursor < scalars.count, scalars[cursor] != ">" {
                            name.unicodeScalars.append(scalars[cursor])
                            cursor += 1
                        }
                        groupNames[name] = count
                    }
                } else {
                    count += 1
                }
            }
            index += 1
        }
    }

    // MARK: - Disjunction, alternative, term

    private mutating func parseDisjunction() throws(RegexSyntaxError) -> RegexNode {
        var alternatives = [try parseAlternative()]
        while consume("|") {
            alternatives.append(try parseAlternative())
        }
        return alternatives.count == 1 ? alternatives[0] : .alternation(alternatives)
    }

    private mutating func parseAlternative() throws(RegexSyntaxError) -> RegexNode {
        var terms: [RegexNode] = []
        while let scalar = current, scalar != "|", scalar != ")" {
            terms.append(try parseTerm())
        }
        switch terms.count {
        case 0: return .empty
        case 1: return terms[0]
        default: return .sequence(terms)
        }
    }

    private mutating func parseTerm() throws(RegexSyntaxError) -> RegexNode {
        guard let scalar = current else { throw error("unexpected end of pattern") }
        // Assertions (no quantifier allowed after them in Unicode mode).
        switch scalar {
        case "^":
            position += 1
            try rejectQuantifier()
            return .inputStart
        case "$":
            position += 1
            try rejectQuantifier()
            return .inputEnd
        case "\\" where peek(1) == "b" || peek(1) == "B":
            let negated = peek(1) == "B"
            position += 2
            try rejectQuantifier()
            return .wordBoundary(negated: negated)
        case "(" where peek(1) == "?" && (peek(2) == "=" || peek(2) == "!"):
            let negated = peek(2) == "!"
            position += 3
            let body = try parseDisjunction()
            guard consume(")") else { throw error("missing ')' to close the lookahead") }
            try rejectQuantifier()
            return .lookaround(body, ahead: true, negated: negated)
        case "(" where peek(1) == "?" && peek(2) == "<" && (peek(3) == "=" || peek(3) == "!"):
            let negated = peek(3) == "!"
            position += 4
            let body = try parseDisjunction()
            guard consume(")") else { throw error("missing ')' to close the lookbehind") }
            try rejectQuantifier()
            return .lookaround(body, ahead: false, negated: negated)
        default:
            break
        }
        return try parseQuantifier(try parseAtom())
    }

    private mutating func rejectQuantifier() throws(RegexSyntaxError) {
        if let scalar = current, scalar == "*" || scalar == "+" || scalar == "?" || (scalar == "{" && quantifierBraceAhead()) {
            throw error("nothing to repeat")
        }
    }

    /// True if a `{` at the current position starts a valid `{n}`, `{n,}` or `{n,m}`.
    private func quantifierBraceAhead() -> Bool {
        var index = position + 1
        var digits = 0
        while index < scalars.count, ECMARegexParser.isDigit(scalars[index]) {
            index += 1
            digits += 1
        }
        guard digits > 0, index < scalars.count else { return false }
        if scalars[index] == "}" { return true }
        guard scalars[index] == "," else { return false }
        index += 1
        while index < scalars.count, ECMARegexParser.isDigit(scalars[index]) { index += 1 }
        return index < scalars.count && scalars[index] == "}"
    }

    private mutating func parseQuantifier(_ atom: RegexNode) throws(RegexSyntaxError) -> RegexNode {
        guard let scalar = current else { return atom }
        var minimum: Int
        var maximum: Int?
        switch scalar {
        case "*": minimum = 0; maximum = nil; position += 1
        case "+": minimum = 1; maximum = nil; position += 1
        case "?": minimum = 0; maximum = 1; position += 1
        case "{":
            guard quantifierBraceAhead() else { throw error("lone '{' (write \\{ for the character)") }
            position += 1
            minimum = try parseDecimal()
            maximum = minimum
            if consume(",") {
                maximum = current == "}" ? nil : try parseDecimal()
            }
            guard consume("}") else { throw error("missing '}' in the quantifier") }
            if let maximum, maximum < minimum { throw error("numbers out of order in {} quantifier") }
        default:
            return atom
        }
        if minimum > ECMARegexParser.repetitionCountMax || (maximum ?? 0) > ECMARegexParser.repetitionCountMax {
            throw error("repetition count above \(ECMARegexParser.repetitionCountMax)")
        }
        let greedy = !consume("?")
        if let next = current, next == "*" || next == "+" || next == "?" || (next == "{" && quantifierBraceAhead()) {
            throw error("nothing to repeat")
        }
        return .repetition(atom, minimum: minimum, maximum: maximum, greedy: greedy)
    }

    private mutating func parseDecimal() throws(RegexSyntaxError) -> Int {
        var value = 0
        var digits = 0
        while let scalar = current, ECMARegexParser.isDigit(scalar) {
            value = min(value * 10 + Int(scalar.value - 0x30), Int(Int32.max))
            digits += 1
            position += 1
        }
        guard digits > 0 else { throw error("expected a number") }
        return value
    }

    // MARK: - Atoms

    private mutating func parseAtom() throws(RegexSyntaxError) -> RegexNode {
        guard let scalar = current else { throw error("unexpected end of pattern") }
        switch scalar {
        case ".":
            position += 1
            return .dot
        case "(":
            return try parseGroup()
        case "[":
            return .characterClass(try parseClass())
        case "\\":
            return try parseAtomEscape()
        case "*", "+", "?":
            throw error("nothing to repeat")
        case "{":
            throw error(quantifierBraceAhead() ? "nothing to repeat" : "lone '{' (write \\{ for the character)")
        case "}":
            throw error("lone '}' (write \\} for the character)")
        case "]":
            throw error("lone ']' (write \\] for the character)")
        case ")":
            throw error("unmatched ')'")
        default:
            position += 1
            return .scalar(scalar.value)
        }
    }

    private mutating func parseGroup() throws(RegexSyntaxError) -> RegexNode {
        position += 1  // (
        var capture: Int?
        if consume("?") {
            if consume(":") {
                capture = nil
            } else if consume("<") {
                var name = ""
                while let scalar = current, scalar != ">" {
                    guard scalar.properties.isIDContinue || scalar == "$" else {
                        throw error("invalid character in a group name")
                    }
                    if name.isEmpty, !(scalar.properties.isIDStart || scalar == "$" || scalar == "_") {
                        throw error("invalid group name")
                    }
                    name.unicodeScalars.append(scalar)
                    position += 1
                }
                guard consume(">"), !name.isEmpty else { throw error("invalid group name") }
                guard let number = groupNames[name] else { throw error("invalid group name") }
                capture = number
            } else {
                throw error("invalid group: '(?' must be followed by ':', '=', '!', '<=', '<!' or '<name>'")
            }
        } else {
            captureCount += 1
            capture = captureCount
        }
        if let capture, capture > captureCount { captureCount = capture }
        let body = try parseDisjunction()
        guard consume(")") else { throw error("missing ')'") }
        return .group(body, capture: capture)
    }

    private mutating func parseAtomEscape() throws(RegexSyntaxError) -> RegexNode {
        position += 1  // backslash
        guard let scalar = current else { throw error("\\ at the end of the pattern") }
        // Back references.
        if ECMARegexParser.isDigit(scalar), scalar != "0" {
            let offset = position - 1
            let number = try parseDecimal()
            if number > largestBackReference.number { largestBackReference = (number, offset) }
            return .backReference(number)
        }
        if scalar == "k" {
            let offset = position - 1
            position += 1
            guard consume("<") else { throw error("\\k must be followed by <name>") }
            var name = ""
            while let next = current, next != ">" {
                name.unicodeScalars.append(next)
                position += 1
            }
            guard consume(">"), !name.isEmpty else { throw error("\\k must be followed by <name>") }
            pendingNamedReferences.append((name, offset))
            return .backReference(groupNames[name] ?? 0)
        }
        if let characterClass = try parseClassEscape() {
            return .characterClass(characterClass)
        }
        return .scalar(try parseCharacterEscape(inClass: false))
    }

    /// `\d \D \w \W \s \S \p{…} \P{…}`, or nil (without consuming) for other escapes.
    private mutating func parseClassEscape() throws(RegexSyntaxError) -> RegexCharacterClass? {
        guard let scalar = current else { return nil }
        switch scalar {
        case "d": position += 1; return RegexCharacterClass(ranges: RegexCharacterClass.digits)
        case "D": position += 1; return RegexCharacterClass(ranges: RegexCharacterClass.complement(RegexCharacterClass.digits))
        case "w": position += 1; return RegexCharacterClass(ranges: RegexCharacterClass.wordCharacters)
        case "W": position += 1; return RegexCharacterClass(ranges: RegexCharacterClass.complement(RegexCharacterClass.wordCharacters))
        case "s": position += 1; return RegexCharacterClass(ranges: RegexCharacterClass.whiteSpace)
        case "S": position += 1; return RegexCharacterClass(ranges: RegexCharacterClass.complement(RegexCharacterClass.whiteSpace))
        case "p", "P":
            let negated = scalar == "P"
            let start = position - 1
            position += 1
            guard consume("{") else { throw error("\\\(scalar) must be followed by {property}") }
            var text = ""
            while let next = current, next != "}" {
                text.unicodeScalars.append(next)
                position += 1
            }
            guard consume("}") else { throw error("missing '}' after \\\(scalar){") }
            guard let test = UnicodePropertyTest(expression: text, negated: negated) else {
                throw RegexSyntaxError(message: "unknown or unsupported Unicode property '\(text)'", offset: start)
            }
            return RegexCharacterClass(properties: [test])
        default:
            return nil
        }
    }

    /// One escaped character (after the backslash): control escapes, `\cX`, `\0`, `\xHH`,
    /// `\uHHHH` (surrogate pairs combine), `\u{…}`, and identity escapes of syntax characters.
    private mutating func parseCharacterEscape(inClass: Bool) throws(RegexSyntaxError) -> UInt32 {
        guard let scalar = current else { throw error("\\ at the end of the pattern") }
        position += 1
        switch scalar {
        case "t": return 0x09
        case "n": return 0x0A
        case "v": return 0x0B
        case "f": return 0x0C
        case "r": return 0x0D
        case "b" where inClass: return 0x08
        case "-" where inClass: return 0x2D
        case "c":
            guard let letter = current, letter.isASCII,
                  (letter >= "a" && letter <= "z") || (letter >= "A" && letter <= "Z") else {
                throw error("\\c must be followed by a letter")
            }
            position += 1
            return letter.value % 32
        case "0":
            if let next = current, ECMARegexParser.isDigit(next) {
                throw error("octal escapes are not allowed")
            }
            return 0
        case "x":
            guard let high = hexDigit(current), let low = hexDigit(peek(1)) else {
                throw error("\\x must be followed by two hexadecimal digits")
            }
            position += 2
            return high << 4 | low
        case "u":
            return try parseUnicodeEscape()
        case "^", "$", "\\", ".", "*", "+", "?", "(", ")", "[", "]", "{", "}", "|", "/":
            return scalar.value
        default:
            position -= 1
            throw error("invalid escape '\\\(scalar)'")
        }
    }

    private mutating func parseUnicodeEscape() throws(RegexSyntaxError) -> UInt32 {
        if consume("{") {
            var value: UInt32 = 0
            var digits = 0
            while let digit = hexDigit(current) {
                value = value << 4 | digit
                digits += 1
                position += 1
                guard value <= 0x10FFFF else { throw error("code point above U+10FFFF") }
            }
            guard digits > 0, consume("}") else { throw error("invalid \\u{…} escape") }
            return value
        }
        guard let value = fourHexDigits() else { throw error("\\u must be followed by four hexadecimal digits") }
        // A high surrogate followed by an escaped low surrogate is one code point.
        if value >= 0xD800, value <= 0xDBFF, current == "\\", peek(1) == "u" {
            let saved = position
            position += 2
            if let low = fourHexDigits(), low >= 0xDC00, low <= 0xDFFF {
                return 0x10000 + ((value - 0xD800) << 10) + (low - 0xDC00)
            }
            position = saved
        }
        return value
    }

    private mutating func fourHexDigits() -> UInt32? {
        var value: UInt32 = 0
        for offset in 0..<4 {
            guard let digit = hexDigit(peek(offset)) else { return nil }
            value = value << 4 | digit
        }
        position += 4
        return value
    }

    private func hexDigit(_ scalar: Unicode.Scalar?) -> UInt32? {
        guard let scalar, scalar.isASCII else { return nil }
        switch scalar {
        case "0"..."9": return scalar.value - 0x30
        case "a"..."f": return scalar.value - 0x61 + 10
        case "A"..."F": return scalar.value - 0x41 + 10
        default: return nil
        }
    }

    // MARK: - Character classes

    private mutating func parseClass() throws(RegexSyntaxError) -> RegexCharacterClass {
        position += 1  // [
        let negated = consume("^")
        var ranges: [ClosedRange<UInt32>] = []
        var properties: [UnicodePropertyTest] = []
        while true {
            guard let scalar = current else { throw error("missing ']' to close the character class") }
            if scalar == "]" {
                position += 1
                break
            }
            let first = try parseClassAtom()
            if current == "-", let next = peek(1), next != "]" {
                position += 1  // -
                let second = try parseClassAtom()
                guard case .scalar(let low) = first, case .scalar(let high) = second else {
                    throw error("a class escape cannot bound a range")
                }
                guard low <= high else { throw error("range out of order in character class") }
                ranges.append(low...high)
                continue
            }
            switch first {
            case .scalar(let value): ranges.append(value...value)
            case .set(let set):
                // Class escapes are never negated sets: \D is a complement of ranges and \P{…}
                // a negated property test.
                properties += set.properties
                ranges += set.ranges
            }
        }
        return RegexCharacterClass(ranges: ranges, properties: properties, negated: negated)
    }

    private enum ClassAtom {
        case scalar(UInt32)
        case set(RegexCharacterClass)
    }

    private mutating func parseClassAtom() throws(RegexSyntaxError) -> ClassAtom {
        guard let scalar = current else { throw error("missing ']' to close the character class") }
        if scalar == "\\" {
            position += 1
            if let set = try parseClassEscape() { return .set(set) }
            return .scalar(try parseCharacterEscape(inClass: true))
        }
        position += 1
        return .scalar(scalar.value)
    }
}
