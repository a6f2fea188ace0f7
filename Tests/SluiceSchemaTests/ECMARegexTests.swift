import Testing
import SluiceWorkload
@testable import SluiceSchema

/// The ECMA-262 (Unicode mode) engine: syntax, semantics, linear time, and the one-pass fast
/// path agreeing with the backtracking machine.
@Suite struct ECMARegexTests {
    static func matches(_ pattern: String, _ text: String) throws -> Bool {
        try ECMARegex(pattern).matches(text)
    }

    @Test(arguments: [
        ("a+", "xxaayy", true), ("^abc$", "abc", true), ("^abc$", "abc\n", false), ("^a*$", "", true),
        ("^\\d+$", "42", true), ("^\\d+$", "৪২", false), ("^\\p{Nd}+$", "৪২", true), ("^\\p{digit}+$", "৪২", true),
        ("^\\w$", "é", false), ("^\\W$", "é", true), ("^\\s$", "\u{2003}", true), ("^\\S$", "\u{2003}", false),
        ("^\\p{Letter}+$", "πa", true), ("^\\P{L}+$", "12", true), ("^[^a-c]$", "d", true), ("^[^a-c]$", "b", false),
        ("^.$", "🐲", true), ("^.$", "\n", false), ("^🐲*$", "🐲🐲", true), ("^\\u{1F432}$", "🐲", true),
        ("^\\uD83D\\uDC32$", "🐲", true), ("^\\cC$", "\u{3}", true), ("^\\x41$", "A", true), ("^[\\-a]+$", "-a-", true),
        ("(a)\\1", "xaa", true), ("(a)\\1", "ab", false), ("(?<n>b)\\k<n>", "abb", true),
        ("(?=a)a", "a", true), ("a(?!b)", "ab", false), ("a(?!b)", "ac", true),
        ("(?<=a+)b", "aab", true), ("(?<!a)b", "ab", false), ("(?<!a)b", "cb", true),
        ("\\bfoo\\b", "a foo b", true), ("\\bfoo\\b", "afoob", false), ("^a{2,3}$", "aaaa", false), ("^a{2,}$", "aaaa", true),
        ("^(?:ab|cd)+$", "abcdab", true), ("^(a|ab)(c|bcd)(d*)$", "abcd", true), ("^[a-z]+?x$", "abx", true),
        ("colou?r", "color", true), ("^$", "", true), ("x*", "", true),
    ])
    func semantics(pattern: String, text: String, expected: Bool) throws {
        #expect(try Self.matches(pattern, text) == expected, "\(pattern) on \(text)")
    }

    @Test(arguments: [
        "(?P<name>x)", "(?P<n>a)(?P=n)", "(?#comment)a", "\\a", "^(abc]", "a{2,1}", "*a", "a**", "(", ")", "[a", "a{",
        "\\1", "\\k<missing>(?<x>a)", "\\p{NoSuchProperty}", "\\p{Script=Greek}", "[z-a]", "\\u{110000}", "\\c1", "\\01", "^*",
    ])
    func syntaxErrors(pattern: String) {
        #expect(throws: RegexSyntaxError.self) { _ = try ECMARegex(pattern) }
    }

    @Test func limitsAtTheirBoundaries() throws {
        _ = try ECMARegex("^a{\(ECMARegexParser.repetitionCountMax)}$")
        #expect(throws: RegexSyntaxError.self) { _ = try ECMARegex("^a{\(ECMARegexParser.repetitionCountMax + 1)}$") }
        // Nested counted repetitions expand: 1,000 × 30 copies exceed the instruction limit.
        #expect(throws: RegexSyntaxError.self) { _ = try ECMARegex("(?:a{1000}){30}") }
        _ = try ECMARegex("(?:a{1000}){19}")  // 19,000 instructions and a few: within ECMARegex.instructionsMax
        #expect(ECMARegex.instructionsMax == 20_000)
    }

    @Test func catastrophicPatternsRunInLinearTime() throws {
        let regex = try ECMARegex("^(a+)+$")
        let text = String(repeating: "a", count: 5_000) + "b"
        #expect(regex.simple == nil)
        #expect(!regex.matches(text))  // a classic backtracker would take 2^5000 steps
        #expect(try ECMARegex("(x+x+)+y").matches(String(repeating: "x", count: 3_000)) == false)
    }

    @Test func backReferencesHaveAStepBudget() throws {
        let regex = try ECMARegex("^(a*)*\\1b$")
        var scratch = RegexScratch()
        let text = Array(String(repeating: "a", count: 200).utf8)
        let outcome = text.withUnsafeBytes { regex.search($0, scratch: &scratch) }
        #expect(outcome == .noMatch || outcome == .budgetExceeded)
    }

    @Test func simplePatternsTakeTheFastPath() throws {
        for pattern in ["^key-[0-9]{6,8}$", "^c-[0-9]{4}$", "^[a-z_]+$", "^\\d{4}-\\d{2}$", "abc", "[0-9]+x"] {
            #expect(try ECMARegex(pattern).simple != nil, "\(pattern)")
        }
        for pattern in ["^a*a$", "^[a-z]*[a-c]$", "(ab)+", "a|b", "^a?b?$"] {
            #expect(try ECMARegex(pattern).simple == nil, "\(pattern)")
        }
    }

    /// Seeded: random simple patterns and strings; the fast path must agree with the machine.
    @Test func fastPathAgreesWithTheMachine() throws {
        let seed: UInt64 = 0x5EED_2E6E
        var random = SplitMix64(seed: seed)
        let atoms = ["a", "b", "c", "[ab]", "[^a]", "\\d", ".", "[0-9]", "é", "🐲", "-"]
        let quantifiers = ["", "", "*", "+", "?", "{2}", "{1,3}", "{0,2}", "{2,}"]
        let alphabet: [Character] = ["a", "b", "c", "1", "2", "é", "🐲", "-", "x"]
        var checked = 0
        var asciiChecked = 0
        for _ in 0..<3_000 {
            var pattern = random.below(2) == 0 ? "^" : ""
            for _ in 0..<(1 + random.below(4)) {
                pattern += atoms[random.below(atoms.count)] + quantifiers[random.below(quantifiers.count)]
            }
            if random.below(2) == 0 { pattern += "$" }
            let regex = try ECMARegex(pattern)
            guard let simple = regex.simple else { continue }
            for _ in 0..<10 {
                let text = String((0..<random.below(7)).map { _ in alphabet[random.below(alphabet.count)] })
                let bytes = Array(text.utf8)
                var scratch = RegexScratch()
                let fast = bytes.withUnsafeBytes { simple.search($0) }
                let machine = bytes.withUnsafeBytes { regex.searchWithMachine($0, scratch: &scratch) } == .match
                #expect(fast == machine, "seed \(seed): pattern \(pattern) on \(text)")
                // The validator's ASCII path answers for ASCII input (and only for it), the same.
                let ascii = simple.steps.withUnsafeBufferPointer { steps in
                    bytes.withUnsafeBytes { SimplePattern.searchASCII(steps, anchoredStart: simple.anchoredStart, anchoredEnd: simple.anchoredEnd, $0) }
                }
                if bytes.allSatisfy({ $0 < 0x80 }) {
                    #expect(ascii == machine, "seed \(seed): pattern \(pattern) on \(text) (ASCII path)")
                    asciiChecked += 1
                } else if let ascii {
                    #expect(ascii == machine, "seed \(seed): pattern \(pattern) on \(text) (ASCII path, non-ASCII input)")
                }
                checked += 1
            }
        }
        #expect(checked > 5_000)
        #expect(asciiChecked > 1_000)
    }
}

/// Seeded robustness: random patterns and inputs never crash the regex parser or matcher, and
/// random strings never crash a format check.
@Suite struct RobustnessTests {
    @Test func randomPatternsCompileOrThrowAndMatchWithoutCrashing() {
        let seed: UInt64 = 0xF022_0001
        var random = SplitMix64(seed: seed)
        let pieces = ["a", "b", "(", ")", "[", "]", "{", "}", "{2}", "{1,", ",", "*", "+", "?", "|", "^", "$", ".", "\\",
                      "\\d", "\\w", "\\b", "\\1", "\\k<n>", "(?<n>", "(?=", "(?!", "(?<=", "(?<!", "(?:", "-", "\\p{L}",
                      "\\u{1F432}", "\\uD83D", "\\x4", "\\c", "é", "🐲", "0", "9"]
        var compiled = 0
        for _ in 0..<5_000 {
            let pattern = (0..<(1 + random.below(8))).map { _ in pieces[random.below(pieces.count)] }.joined()
            guard let regex = try? ECMARegex(pattern) else { continue }
            compiled += 1
            for text in ["", "a", "ab", "aab1", "é🐲b", String(repeating: "ab", count: 20)] {
                _ = regex.matches(text)
            }
        }
        #expect(compiled > 500, "seed \(seed)")
    }

    /// Random strings through every format: nothing traps, and the formats that contain
    /// others agree (a valid uri is a valid uri-reference and iri; a hostname is an
    /// idn-hostname; an email an idn-email; a date-time starts with a date).
    @Test func randomStringsKeepFormatImplications() {
        let seed: UInt64 = 0xF022_0002
        var random = SplitMix64(seed: seed)
        let implications: [(SchemaFormat, SchemaFormat)] = [
            (.uri, .uriReference), (.uri, .iri), (.iri, .iriReference), (.uriReference, .iriReference),
            (.hostname, .idnHostname), (.email, .idnEmail), (.ipv4, .hostname),
        ]
        var validCount = 0
        let alphabet: [String] = ["a", "Z", "0", "9", ":", ".", "-", "+", "@", "[", "]", "/", "?", "#", "%", "%4", "%41", "\"",
                                  "\\", "T", "Z", "P", "W", "x", "n", "{", "}", ",", "*", "~", "~0", " ", "é", "\u{05D0}",
                                  "\u{0660}", "\u{200C}", "\u{00B7}", "xn--", "::", "1.2.3.4", "2024-01-01", "T00:00:00"]
        for _ in 0..<20_000 {
            let text = (0..<random.below(10)).map { _ in alphabet[random.below(alphabet.count)] }.joined()
            var copy = text
            let results: [SchemaFormat: Bool] = copy.withUTF8 { bytes in
                Dictionary(uniqueKeysWithValues: SchemaFormat.allCases.map { ($0, $0.check(UnsafeRawBufferPointer(bytes))) })
            }
            validCount += results.values.filter { $0 }.count
            for (narrow, wide) in implications where results[narrow] == true {
                #expect(results[wide] == true, "seed \(seed): \(text) is a valid \(narrow.name) but not \(wide.name)")
            }
            if results[.dateTime] == true {
                #expect(FormatTests.check(.date, String(text.prefix(10))), "seed \(seed): \(text)")
            }
        }
        #expect(validCount > 1_000, "seed \(seed)")
    }
}
