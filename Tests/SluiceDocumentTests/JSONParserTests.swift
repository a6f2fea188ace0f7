import Testing
@testable import SluiceDocument

@Suite struct JSONParserTests {
    /// A parser reuses the storage of the last document it made once nobody holds it; a
    /// document still held never changes, whatever is parsed next (seeded: documents of every
    /// size, some kept, some dropped at once).
    @Test(arguments: [UInt64(0x5EED_0001), 0x5EED_0002])
    func documentsStillHeldNeverChange(seed: UInt64) throws {
        var random = RandomJSON(seed: seed)
        var parser = JSONParser()
        var kept: [(Document, [UInt8])] = []
        for round in 0..<400 {
            let text = random.value().jsonBytes
            let document = try parser.parse(text)
            let expected = try Document(parsing: text)
            #expect(document.tapeBytes == expected.tapeBytes, "seed \(seed) round \(round)")
            #expect(document.memoryBytes >= 16 * (document.entryCount + (document.stringByteCount + 15) / 16))
            if random.random.below(3) == 0 { kept.append((document, expected.tapeBytes)) }
        }
        for (document, bytes) in kept { #expect(document.tapeBytes == bytes, "seed \(seed)") }
    }

    /// `document(uncheckedTapeBytes:)` shares the parser's recycled storages: what it makes
    /// equals the document the bytes came from, and documents held stay unchanged.
    @Test(arguments: [UInt64(0x5EED_0003)])
    func documentsFromTapeBytesShareRecycledStorages(seed: UInt64) throws {
        var random = RandomJSON(seed: seed)
        var parser = JSONParser()
        var kept: [(Document, [UInt8])] = []
        for round in 0..<400 {
            let source = try Document(random.value())
            let bytes = source.tapeBytes
            let document = random.random.below(2) == 0
                ? bytes.withUnsafeBytes { parser.document(uncheckedTapeBytes: $0) }
                : try parser.parse(source.jsonBytes)
            #expect(document.tapeBytes == bytes || document == source, "seed \(seed) round \(round)")
            if random.random.below(3) == 0 { kept.append((document, document.tapeBytes)) }
        }
        for (document, bytes) in kept { #expect(document.tapeBytes == bytes, "seed \(seed)") }
    }

    @Test func scalarsAndContainers() throws {
        let document = try Document(parsing: #" {"s":"x","t":true,"f":false,"n":null,"i":-7,"d":2.5,"a":[1,[2]],"o":{}} "#)
        #expect(document.kind == .object)
        #expect(document["s"]?.string == "x")
        #expect(document["t"]?.bool == true)
        #expect(document["f"]?.bool == false)
        #expect(document["n"]?.isNull == true)
        #expect(document["i"]?.int64 == -7)
        #expect(document["d"]?.double == 2.5)
        #expect(document["a"]?.count == 2)
        #expect(document["a"]?[1]?[0]?.int64 == 2)
        #expect(document["o"]?.kind == .object)
        #expect(document["missing"] == nil)
        #expect(document["a"]?[2] == nil)
        #expect(document["s"]?["x"] == nil)
        #expect(document.root.count == 8)
    }

    @Test func propertiesAreSortedByNameBytes() throws {
        let document = try Document(parsing: #"{"b":1,"a":2,"é":3,"Z":4,"aa":5,"":6}"#)
        #expect(document.root.properties.map(\.name) == ["", "Z", "a", "aa", "b", "é"])
        #expect(document.description == #"{"":6,"Z":4,"a":2,"aa":5,"b":1,"é":3}"#)
        #expect(document["aa"]?.int64 == 5)
        #expect(document[""]?.int64 == 6)
    }

    @Test func integersStayExact() throws {
        let document = try Document(parsing: "[9223372036854775807,-9223372036854775808,9223372036854775808,18446744073709551615,18446744073709551616,-9223372036854775809,0,-0,10000000000000000000]")
        let numbers = document.root.elements.map { $0.number! }
        #expect(numbers[0] == .int(Int64.max))
        #expect(document[0]?.int64 == Int64.max)
        #expect(numbers[1] == .int(Int64.min))
        if case .uint(let value) = numbers[2] { #expect(value == 1 << 63) } else { Issue.record("2^63 is a UInt64") }
        if case .uint(let value) = numbers[3] { #expect(value == UInt64.max) } else { Issue.record("2^64-1 is a UInt64") }
        if case .double(let value) = numbers[4] { #expect(value == 18446744073709551616.0) } else { Issue.record("2^64 is a double") }
        if case .double(let value) = numbers[5] { #expect(value == -9223372036854775809.0) } else { Issue.record("below Int64.min is a double") }
        #expect(numbers[6] == .int(0))
        if case .double(let value) = numbers[7] { #expect(value == 0 && value.sign == .minus) } else { Issue.record("-0 is the double -0.0") }
        if case .uint(let value) = numbers[8] { #expect(value == 10_000_000_000_000_000_000) } else { Issue.record("10^19 is a UInt64") }
        #expect(document[2]?.int64 == nil)
        #expect(document[2]?.uint64 == 1 << 63)
        #expect(document[1]?.uint64 == nil)
    }

    @Test func doublesRoundCorrectly() throws {
        let cases: [(String, Double)] = [
            ("123.45", 123.45), ("0.1", 0.1), ("1e22", 1e22), ("1e23", 1e23), ("-2.5e-3", -2.5e-3),
            ("0.000123", 0.000123), ("1.7976931348623157e308", .greatestFiniteMagnitude),
            ("4.9e-324", .leastNonzeroMagnitude), ("2.2250738585072011e-308", Double(bitPattern: 0x000F_FFFF_FFFF_FFFF)),
            ("9007199254740993", 9007199254740993), ("9007199254740993.0", 9007199254740992),
            ("1e-400", 0), ("12345678901234567890123e-3", 12345678901234567890.123),
            ("0.30000000000000004", 0.30000000000000004), ("1E2", 100), ("1e+2", 100),
            ("179769313486231580793728971405303415079934132710037826936173778980444968292764750946649017977587207096330286416692887910946555547851940402630657488671505820681908902000708383676273854845817711531764475730270069855571366959622842914819860834936475292719074168444365510704342711559699508093042880177904174497791.9999999999999999999999999999999999999999999999999999999999999999999999", .greatestFiniteMagnitude),
        ]
        for (text, expected) in cases {
            let number = try Document(parsing: text).root.number
            #expect(number?.doubleValue == expected, "\(text)")
            #expect(number?.doubleValue.bitPattern == expected.bitPattern || expected == 0, "\(text)")
        }
    }

    @Test func numberOutOfRangeIsAnError() {
        #expect(parseError("1e400")?.reason == .numberOutOfRange)
        #expect(parseError("[-1.8e308]")?.reason == .numberOutOfRange)
        #expect(parseError("[-1.8e308]")?.offset == 1)
    }

    @Test func stringsUnescapeAndValidate() throws {
        let document = try Document(parsing: #"["\"\\\/\b\f\n\r\t", "\u0041\u00e9\u20AC\ud834\udd1e", "\u0000", "é€𝄞"]"#)
        #expect(document[0]?.string == "\"\\/\u{8}\u{C}\n\r\t")
        #expect(document[1]?.string == "Aé€𝄞")
        #expect(document[2]?.string == "\u{0}")
        #expect(document[3]?.string == "é€𝄞")
        #expect(parseError(#""\ud834""#)?.reason == .loneSurrogate)
        #expect(parseError(#""\udd1e""#)?.reason == .loneSurrogate)
        #expect(parseError(#""\ud834\u0041""#)?.reason == .loneSurrogate)
        #expect(parseError(#""\x""#)?.reason == .invalidEscape)
        #expect(parseError(#""\u12g4""#)?.reason == .invalidEscape)
        #expect(parseError("\"a\tb\"")?.reason == .controlCharacterInString)
        // Overlong, surrogate, above U+10FFFF, truncated, stray continuation.
        for bad: [UInt8] in [[0xC0, 0xAF], [0xE0, 0x80, 0xAF], [0xED, 0xA0, 0x80], [0xF4, 0x90, 0x80, 0x80], [0xE2, 0x82], [0x80], [0xFF]] {
            #expect(parseError([0x22] + bad + [0x22])?.reason == .invalidUTF8, "\(bad)")
            #expect(parseError([0x22] + bad + [0x22])?.offset == 1)
        }
        // Long strings take the eight-byte path; specials at every position of a word.
        for position in 0..<17 {
            var text = String(repeating: "a", count: 17)
            let index = text.index(text.startIndex, offsetBy: position)
            text.replaceSubrange(index...index, with: "\\n")
            #expect(try Document(parsing: "\"\(text)\"").root.string?.utf8.count == 17)
        }
    }

    @Test func errorsSayWhereAndWhat() throws {
        let error = try #require(parseError("{\n  \"a\": 1,\n  \"b\" 2\n}"))
        #expect(error.line == 3)
        #expect(error.column == 7)
        #expect(error.offset == 18)
        #expect(error.reason == .unexpectedByte(found: UInt8(ascii: "2"), expected: "':' after a property name"))
        #expect(error.description == "line 3, column 7 (byte 18): expected ':' after a property name, found '2'")
        #expect(parseError("[1,2")?.reason == .unexpectedEnd(expected: "',' or ']'"))
        #expect(parseError("")?.reason == .unexpectedEnd(expected: "a JSON value"))
        #expect(parseError("[1,]")?.reason == .unexpectedByte(found: UInt8(ascii: "]"), expected: "a JSON value"))
        #expect(parseError("{} x")?.offset == 3)
        #expect(parseError("01")?.offset == 1)
        #expect(parseError("tru")?.reason == .unexpectedByte(found: UInt8(ascii: "t"), expected: "true"))
    }

    @Test func duplicatePropertiesAreErrors() {
        // In order (found at once) and out of order (found when the object is sorted).
        let inOrder = parseError(#"{"a":1,"a":2}"#)
        #expect(inOrder?.reason == .duplicateProperty("a"))
        #expect(inOrder?.offset == 7)
        let outOfOrder = parseError(#"{"b":1,"a":2,"b":3}"#)
        #expect(outOfOrder?.reason == .duplicateProperty("b"))
        #expect(outOfOrder?.offset == 13)
        #expect(parseError(#"{"a":{"b":1,"c":1},"b":{"b":1}}"#) == nil)
        #expect(parseError(#"[{"x":1,"y":{"z":1,"x":2}},{"x":1}]"#) == nil)
    }

    @Test func depthIsLimited() throws {
        let limit = JSONParser.depthMaxDefault
        let deepest = String(repeating: "[", count: limit) + String(repeating: "]", count: limit)
        #expect(parseError(deepest) == nil)
        let tooDeep = String(repeating: "[", count: limit + 1) + String(repeating: "]", count: limit + 1)
        #expect(parseError(tooDeep)?.reason == .depthExceeded(limit: limit))
        #expect(parseError(tooDeep)?.offset == limit)
        #expect(parseError(String(repeating: "{\"a\":", count: 3) + "1}}}", depthMax: 2)?.reason == .depthExceeded(limit: 2))
        // Far deeper than the limit: an error, not a stack overflow.
        #expect(parseError(String(repeating: "[", count: 100_000))?.reason == .depthExceeded(limit: limit))
    }

    @Test func byteOrderMarkIsRejected() {
        #expect(parseError([0xEF, 0xBB, 0xBF] + Array("{}".utf8))?.reason == .byteOrderMark)
    }

    @Test func parserIsReusableAndCopiesAreIndependent() throws {
        var parser = JSONParser()
        let first = try parser.parse(Array(#"{"a":[1,2,3]}"#.utf8))
        var copy = parser
        let second = try copy.parse(Array(#"{"b":"x"}"#.utf8))
        let third = try parser.parse(Array("[true]".utf8))
        #expect(first.description == #"{"a":[1,2,3]}"#)
        #expect(second.description == #"{"b":"x"}"#)
        #expect(third.description == "[true]")
        #expect(throws: JSONParseError.self) { try parser.parse(Array("[".utf8)) }
        #expect(try parser.parse(Array("7".utf8)).root.int64 == 7)
    }

    @Test func largeObjectsSortWithTheStandardSort() throws {
        // More than 32 properties out of order take the non-insertion path.
        let names = (0..<100).map { "k\(($0 * 37) % 100)" }
        let text = "{" + names.map { "\"\($0)\":\"\($0)\"" }.joined(separator: ",") + "}"
        let document = try Document(parsing: text)
        let sorted = document.root.properties.map(\.name)
        #expect(sorted == names.sorted { compareUTF8($0, $1) < 0 })
        for property in document.root.properties { #expect(property.value.string == property.name) }
        #expect(parseError("{" + (names + ["k5"]).map { "\"\($0)\":1" }.joined(separator: ",") + "}")?.reason == .duplicateProperty("k5"))
    }
}
