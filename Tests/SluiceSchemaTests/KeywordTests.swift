import Testing
import SluiceDocument
import SluiceWorkload
@testable import SluiceSchema

/// Keyword semantics at the edges: exact numbers across Int64, UInt64 and Double, lengths in
/// code points, semantic equality, deep documents; and a seeded property test.
@Suite struct KeywordTests {
    static func valid(_ schemaText: String, _ documentText: String) throws -> Bool {
        var validator = try schema(schemaText).validator()
        return validator.isValid(document(documentText))
    }

    @Test func boundsAreExactAcrossRepresentations() throws {
        // 2^63 does not fit Int64: parsed as UInt64, compared exactly with a double bound.
        #expect(try Self.valid(#"{"maximum": 9223372036854775807}"#, "9223372036854775808") == false)
        #expect(try Self.valid(#"{"maximum": 9.223372036854775808e18}"#, "9223372036854775808"))
        #expect(try Self.valid(#"{"exclusiveMaximum": 9.223372036854775808e18}"#, "9223372036854775808") == false)
        #expect(try Self.valid(#"{"exclusiveMaximum": 9.223372036854775808e18}"#, "9223372036854775807"))
        #expect(try Self.valid(#"{"minimum": 18446744073709551615}"#, "18446744073709551615"))
        #expect(try Self.valid(#"{"minimum": 18446744073709551615}"#, "18446744073709551614") == false)
        #expect(try Self.valid(#"{"minimum": -1}"#, "18446744073709551615"))
        #expect(try Self.valid(#"{"maximum": 9007199254740992}"#, "9007199254740993") == false)  // 2^53 + 1: no rounding
        #expect(try Self.valid(#"{"type": "integer"}"#, "1.0"))
        #expect(try Self.valid(#"{"type": "integer"}"#, "1e300"))
        #expect(try Self.valid(#"{"type": "integer"}"#, "1.5") == false)
    }

    @Test func multipleOfIsExactInDecimal() throws {
        #expect(try Self.valid(#"{"multipleOf": 0.0001}"#, "0.0075"))
        #expect(try Self.valid(#"{"multipleOf": 0.01}"#, "19.99"))
        #expect(try Self.valid(#"{"multipleOf": 0.01}"#, "19.995") == false)
        #expect(try Self.valid(#"{"multipleOf": 0.5}"#, "1e308"))
        #expect(try Self.valid(#"{"multipleOf": 3}"#, "18446744073709551615"))
        #expect(try Self.valid(#"{"multipleOf": 2}"#, "-9223372036854775808"))
        #expect(try Self.valid(#"{"multipleOf": 1e-8}"#, "12391239123"))
        #expect(DecimalNumber(.double(0.1)) == DecimalNumber(significand: 1, exponent: -1))
    }

    @Test func lengthsCountCodePoints() throws {
        #expect(try Self.valid(#"{"maxLength": 2}"#, #""🐲🐲""#))
        #expect(try Self.valid(#"{"minLength": 3}"#, #""éé""#) == false)
        #expect(try Self.valid(#"{"minLength": 2}"#, #""e\u0301""#))  // two code points, one grapheme
    }

    @Test func equalityIsSemantic() throws {
        #expect(try Self.valid(#"{"const": {"a": [1, 2.0], "b": null}}"#, #"{"b": null, "a": [1.0, 2]}"#))
        #expect(try Self.valid(#"{"enum": [[1], {"x": false}]}"#, #"{"x": false}"#))
        #expect(try Self.valid(#"{"enum": [1]}"#, "true") == false)
        #expect(try Self.valid(#"{"uniqueItems": true}"#, "[1, 1.0]") == false)
        // Both sides of the pairwise/sorting boundary, with the duplicate at the ends.
        for count in [SchemaValidator.uniqueItemsPairwiseMax, SchemaValidator.uniqueItemsPairwiseMax + 1] {
            let distinct = (0..<count).map(String.init)
            #expect(try Self.valid(#"{"uniqueItems": true}"#, "[\(distinct.joined(separator: ","))]"))
            #expect(try Self.valid(#"{"uniqueItems": true}"#, "[\((distinct.dropLast() + ["0.0"]).joined(separator: ","))]") == false)
        }
        let long = (0..<40).map(String.init).joined(separator: ",")
        #expect(try Self.valid(#"{"uniqueItems": true}"#, "[\(long)]"))
        #expect(try Self.valid(#"{"uniqueItems": true}"#, "[\(long), {\"a\": 1}, {\"a\": 1.0}]") == false)
    }

    @Test func deepDocumentsDoNotExhaustTheStack() throws {
        var parser = JSONParser(depthMax: JSONParser.depthMaxLimit)
        let depth = JSONParser.depthMaxLimit
        let nested = try parser.parse(Array((String(repeating: "[", count: depth) + String(repeating: "]", count: depth)).utf8))
        var validator = try schema(##"{"$defs": {"list": {"items": {"$ref": "#/$defs/list"}}}, "$ref": "#/$defs/list"}"##).validator()
        let valid = validator.isValid(nested)
        #expect(valid)
    }

    @Test func theDefaultOfALocation() throws {
        let compiled = try schema(##"""
            {"properties": {"id": {"type": "string", "default": "none"},
                            "customer": {"$ref": "#/$defs/customer"},
                            "list": {"prefixItems": [{"default": 0}], "items": {"default": 1}}},
             "allOf": [{"properties": {"region": {"default": "eu"}}}],
             "anyOf": [{"properties": {"mode": {"default": "a"}}}, {"properties": {"mode": {"default": "b"}}}],
             "$defs": {"customer": {"properties": {"tier": {"default": "free"}}}}}
            """##)
        #expect(compiled.defaultValue(at: "/id") == "none")
        #expect(compiled.defaultValue(at: "/customer/tier") == "free")
        #expect(compiled.defaultValue(at: "/region") == "eu")
        #expect(compiled.defaultValue(at: "/list/0") == 0)
        #expect(compiled.defaultValue(at: "/list/5") == 1)
        #expect(compiled.defaultValue(at: "/mode") == nil)  // the branches disagree
        #expect(compiled.defaultValue(at: "/missing") == nil)
        let extractor = KeyExtractor(pointers: ["/id"], defaults: [compiled.defaultValue(at: "/id")])
        #expect(extractor.extract(document("{}")) == ["none"])
    }

    /// Seeded property test: random documents against a schema exercising every keyword family;
    /// `isValid`, `validate` and `errors` agree, and every error names an existing location.
    @Test func validityAgreesAcrossEntryPoints() throws {
        let seed: UInt64 = 0xC0FF_EE00_5C4E_0001
        var random = SplitMix64(seed: seed)
        let compiled = try schema(##"""
            {"type": "object", "required": ["id"], "reduce": {"strategy": "merge"},
             "properties": {"id": {"type": "string", "pattern": "^[a-c]+$"},
                            "n": {"type": "integer", "minimum": -5, "maximum": 5, "reduce": {"strategy": "sum"}},
                            "tags": {"type": "array", "items": {"enum": ["x", "y"]}, "uniqueItems": true},
                            "nested": {"$ref": "#"}},
             "patternProperties": {"^p": {"type": "boolean"}},
             "anyOf": [{"required": ["n"]}, {"required": ["tags"]}],
             "unevaluatedProperties": false}
            """##)
        var validator = compiled.validator()
        let names = ["id", "n", "tags", "nested", "p1", "q"]
        func value(_ depth: Int) -> String {
            switch random.below(depth > 1 ? 5 : 6) {
            case 0: return ["\"abc\"", "\"abd\"", "\"\"", "\"x\"", "\"y\""][random.below(5)]
            case 1: return String(random.below(13) - 6)
            case 2: return ["true", "false", "null", "1.5"][random.below(4)]
            case 3: return "[" + (0..<random.below(3)).map { _ in ["\"x\"", "\"y\"", "1"][random.below(3)] }.joined(separator: ",") + "]"
            default: return object(depth + 1)
            }
        }
        func object(_ depth: Int) -> String {
            var members: [String] = []
            // Mostly-valid documents: a good id usually, an unexpected property rarely.
            if random.below(10) > 0 { members.append("\"id\":" + (random.below(4) > 0 ? "\"abc\"" : value(depth))) }
            if random.below(3) > 0 { members.append("\"n\":" + (random.below(3) > 0 ? String(random.below(11) - 5) : value(depth))) }
            for name in names.dropFirst(2) where random.below(depth == 0 ? 3 : 6) == 0 {
                members.append("\"\(name)\":" + value(depth))
            }
            return "{" + members.joined(separator: ",") + "}"
        }
        var counts = (valid: 0, invalid: 0)
        for iteration in 0..<2_000 {
            let instance = document(object(0))
            let isValid = validator.isValid(instance)
            let failure = validator.errors(instance)
            let annotations = try? validator.validate(instance)
            #expect(isValid == (failure == nil), "seed \(seed) iteration \(iteration): \(instance)")
            #expect(isValid == (annotations != nil), "seed \(seed) iteration \(iteration): \(instance)")
            if let failure {
                counts.invalid += 1
                #expect(!failure.errors.isEmpty)
                for error in failure.errors {
                    #expect(instance[pointer: error.instanceLocation] != nil, "seed \(seed): \(error) in \(instance)")
                }
            } else {
                counts.valid += 1
                #expect(annotations?[0] == ReduceAnnotation(strategy: .merge))
            }
        }
        #expect(counts.valid > 100 && counts.invalid > 100, "seed \(seed): \(counts)")
    }
}
