import Testing
import SluiceWorkload
@testable import SluiceDocument

/// Seeded mutation fuzzing of the parser: valid documents (the workload, random values, the
/// conformance corpus' shapes) mutated byte by byte must parse or fail with an error whose
/// offset lies inside the input, never crash or hang; whatever parses must round-trip.
@Suite struct ParserFuzzTests {
    static let interestingBytes: [UInt8] = Array("{}[]\",:\\-+.eE0123456789tfnu \n\t".utf8) + [0x00, 0x1F, 0x7F, 0x80, 0xBF, 0xC0, 0xC3, 0xE0, 0xED, 0xEF, 0xF0, 0xF4, 0xF5, 0xFF]

    static func mutate(_ input: [UInt8], _ random: inout SplitMix64) -> [UInt8] {
        var bytes = input
        for _ in 0..<(1 + random.below(4)) {
            guard !bytes.isEmpty else { bytes.append(interestingBytes[random.below(interestingBytes.count)]); continue }
            let position = random.below(bytes.count)
            switch random.below(6) {
            case 0: bytes[position] = interestingBytes[random.below(interestingBytes.count)]
            case 1: bytes[position] = UInt8(truncatingIfNeeded: random.next())
            case 2: bytes.insert(interestingBytes[random.below(interestingBytes.count)], at: position)
            case 3: bytes.remove(at: position)
            case 4:
                // Duplicate a slice (makes duplicate keys, deeper nesting, long numbers).
                let end = min(bytes.count, position + 1 + random.below(16))
                bytes.insert(contentsOf: bytes[position..<end], at: position)
            default: bytes.removeSubrange(position..<min(bytes.count, position + 1 + random.below(8)))
            }
        }
        return bytes
    }

    @Test(arguments: [UInt64(0xF0221), 0xF0222])
    func mutatedInputsNeverCrash(seed: UInt64) throws {
        var random = SplitMix64(seed: seed)
        var values = RandomJSON(seed: seed)
        var corpus: [[UInt8]] = []
        var generator = WorkloadGenerator(WorkloadSpec(documents: 50, keys: 10, seed: seed))
        var line: [UInt8] = []
        while generator.appendNext(to: &line) {
            corpus.append(line)
            line.removeAll()
        }
        for _ in 0..<50 { corpus.append(values.value().jsonBytes) }
        corpus.append(Array(#"{"a":"\ud834\udd1e\u00e9","b":[1e5,-0.5e-3,18446744073709551615],"c":{"d":null}}"#.utf8))

        var parser = JSONParser(depthMax: 16)
        var parsed = 0
        var rejected = 0
        let iterations = 6000
        for iteration in 0..<iterations {
            let input = Self.mutate(corpus[random.below(corpus.count)], &random)
            do {
                let document = try parser.parse(input)
                parsed += 1
                let again = try parser.parse(document.jsonBytes)
                if again != document || again.jsonBytes != document.jsonBytes {
                    Issue.record("seed \(seed) iteration \(iteration): round trip differs for \(input)")
                }
            } catch {
                rejected += 1
                if error.offset < 0 || error.offset > input.count {
                    Issue.record("seed \(seed) iteration \(iteration): offset \(error.offset) outside \(input.count) bytes")
                }
            }
        }
        #expect(parsed + rejected == iterations)
        #expect(parsed > 100 && rejected > 100, "seed \(seed): \(parsed) parsed, \(rejected) rejected")
    }

    /// Regression: every truncation of a valid document is rejected at or before its end.
    @Test func everyTruncationIsRejected() throws {
        let bytes = Array(#"{"a":[1,-2.5e3,"x\u00e9\"",true,false,null,{}],"b":{"c":[]}}"#.utf8)
        var parser = JSONParser()
        for length in 0..<bytes.count {
            #expect(throws: JSONParseError.self, "length \(length)") { try parser.parse(Array(bytes[0..<length])) }
        }
    }
}
