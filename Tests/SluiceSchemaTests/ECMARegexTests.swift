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
                checked += 1
            }
        }
        #expect(checked > 5_000)
    }
}
