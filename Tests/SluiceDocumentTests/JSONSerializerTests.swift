import Testing
@testable import SluiceDocument

@Suite struct JSONSerializerTests {
    /// Doubles: shortest round-trip digits in serde_json's (ryu's) layout. docs/document.md.
    @Test func doubleLayout() throws {
        let cases: [(Double, String)] = [
            (1.0, "1.0"), (-1.0, "-1.0"), (0.0, "0.0"), (-0.0, "-0.0"), (123.45, "123.45"), (0.1, "0.1"),
            (100.0, "100.0"), (1e15, "1000000000000000.0"), (1e16, "1e16"), (1.5e16, "1.5e16"), (1e20, "1e20"),
            (1.2345e21, "1.2345e21"), (0.0001, "0.0001"), (0.00001, "0.00001"), (1e-5, "0.00001"), (1.5e-6, "1.5e-6"), (1.5e-5, "0.000015"),
            (1e-7, "1e-7"), (1.25e-7, "1.25e-7"), (5e-324, "5e-324"), (1.7976931348623157e308, "1.7976931348623157e308"),
            (9007199254740993, "9007199254740992.0"), (0.30000000000000004, "0.30000000000000004"),
            (123456789012345.6, "123456789012345.6"), (1234567890123456.7, "1234567890123456.8"),
        ]
        for (value, text) in cases {
            var bytes: [UInt8] = []
            JSONSerializer.appendDouble(value, to: &bytes)
            #expect(String(decoding: bytes, as: UTF8.self) == text, "\(value)")
            // And it is valid JSON that parses back to the same bits.
            #expect(try Document(parsing: bytes).root.number?.doubleValue.bitPattern == value.bitPattern, "\(text)")
        }
    }

    @Test func integersAndEscapes() throws {
        let value: JSONValue = ["i": .int(Int64.min), "u": .uint(UInt64.max), "s": "q\"b\\s/\u{8}\u{C}\n\r\t\u{0}\u{1F}\u{7F}é😀"]
        #expect(value.description == #"{"i":-9223372036854775808,"s":"q\"b\\s/\b\f\n\r\t\u0000\u001f"# + "\u{7F}é😀\",\"u\":18446744073709551615}")
        let document = try Document(value)
        #expect(document.jsonBytes == value.jsonBytes)
        #expect(try Document(parsing: document.jsonBytes) == document)
    }

    /// A plain byte-at-a-time escaper, the reference for the eight-bytes-at-a-time one.
    static func referenceEscape(_ text: String) -> String {
        var output = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": output += "\\\""
            case "\\": output += "\\\\"
            case "\u{8}": output += "\\b"
            case "\u{C}": output += "\\f"
            case "\n": output += "\\n"
            case "\r": output += "\\r"
            case "\t": output += "\\t"
            case let control where control.value < 0x20:
                output += "\\u00" + (control.value < 0x10 ? "0" : "") + String(control.value, radix: 16)
            default: output.unicodeScalars.append(scalar)
            }
        }
        return output + "\""
    }

    @Test func escapingAtEveryPositionOfAWord() {
        for special in ["\"", "\\", "\n", "\u{1}", "\u{1F}", "é", "😀", "\u{7F}"] {
            for length in 0..<20 {
                for position in 0...length {
                    var text = String(repeating: "abcdefgh", count: 3).prefix(length)
                    text.insert(contentsOf: special, at: text.index(text.startIndex, offsetBy: position))
                    let value = JSONValue.string(String(text))
                    #expect(value.description == Self.referenceEscape(String(text)), "\(special) at \(position) of \(length)")
                }
            }
        }
    }

    @Test func nodesSerializeAlone() throws {
        let document = try Document(parsing: #"{"a":{"c":[1,{"e":[]},{}],"b":"x"},"z":0}"#)
        #expect(document["a"]?.description == #"{"b":"x","c":[1,{"e":[]},{}]}"#)
        #expect(document["a"]?["c"]?[1]?.description == #"{"e":[]}"#)
        #expect(document["z"]?.description == "0")
        var output = Array("prefix ".utf8)
        JSONSerializer.append(document, to: &output)
        #expect(String(decoding: output, as: UTF8.self) == #"prefix {"a":{"b":"x","c":[1,{"e":[]},{}]},"z":0}"#)
    }

    /// Seeded: parse(serialize(x)) == x, and serializing again gives the same bytes.
    @Test(arguments: [UInt64(1), 2, 3, 4])
    func roundTrip(seed: UInt64) throws {
        var random = RandomJSON(seed: seed)
        var parser = JSONParser()
        for iteration in 0..<500 {
            let value = random.value()
            let bytes = value.jsonBytes
            let document = try parser.parse(bytes)
            #expect(document.jsonValue == value, "seed \(seed) iteration \(iteration): \(value)")
            #expect(document.jsonBytes == bytes, "seed \(seed) iteration \(iteration)")
            #expect(try Document(value) == document)
            // Exact representation survives too (not only semantic equality).
            #expect(document.jsonValue.description == value.description)
        }
    }
}
