import Foundation
import Testing
import SluiceDocument
@testable import SluiceSchema

/// Compile-time errors name the schema location; `reduce` is checked when compiling.
@Suite struct SchemaCompileTests {
    static func compileError(_ text: String, options: SchemaOptions = SchemaOptions(),
                             resolver: SchemaResolver = SchemaResolver()) -> SchemaCompileError? {
        do {
            _ = try Schema(json(text), options: options, resolver: resolver)
            return nil
        } catch {
            return error
        }
    }

    @Test func reduceStrategiesAndOptionsAreChecked() {
        #expect(Self.compileError(##"{"properties": {"a": {"reduce": {"strategy": "add"}}}}"##)?.description
                == ##"schema urn:sluice:schema#/properties/a/reduce/strategy: unknown reduce strategy "add" (expected one of lastWriteWins, firstWriteWins, append, sum, minimize, maximize, merge, set, jsonSchemaMerge)"##)
        #expect(Self.compileError(##"{"reduce": {"strategy": "merge", "keys": ["/a"]}}"##)?.description
                == ##"schema urn:sluice:schema#/reduce/keys: unknown reduce option "keys" (expected strategy, key, delete or associative)"##)
        #expect(Self.compileError(##"{"reduce": {"strategy": "merge", "key": "/a"}}"##)?.description
                == ##"schema urn:sluice:schema#/reduce/key: key must be a non-empty array of JSON pointers such as ["/id"]"##)
        #expect(Self.compileError(##"{"reduce": {"strategy": "merge", "key": ["a"]}}"##)?.description
                == ##"schema urn:sluice:schema#/reduce/key/0: "a" is not a JSON pointer: a JSON pointer must be empty or start with /"##)
        #expect(Self.compileError(##"{"reduce": {"strategy": "sum", "key": ["/a"]}}"##)?.description
                == "schema urn:sluice:schema#/reduce/key: key applies only to merge, minimize, maximize and set, not sum")
        #expect(Self.compileError(##"{"reduce": {"strategy": "append", "delete": true}}"##)?.description
                == "schema urn:sluice:schema#/reduce/delete: delete applies only to merge and lastWriteWins, not append")
        #expect(Self.compileError(##"{"reduce": {"strategy": "merge", "associative": "no"}}"##)?.description
                == "schema urn:sluice:schema#/reduce/associative: associative must be true or false")
        #expect(Self.compileError(##"{"reduce": "sum"}"##)?.description
                == ##"schema urn:sluice:schema#/reduce: reduce must be an object such as {"strategy": "merge"}, found string"##)
        #expect(Self.compileError(##"{"reduce": {}}"##)?.message.hasPrefix("reduce needs a strategy") == true)
        #expect(Self.compileError(##"{"reduce": {"strategy": "set", "key": ["/id"]}, "items": {"reduce": {"strategy": "lastWriteWins", "delete": true}}}"##) == nil)
    }

    @Test func patternSyntaxErrorsNameTheLocation() {
        #expect(Self.compileError(##"{"properties": {"id": {"pattern": "^(abc]"}}}"##)?.description
                == ##"schema urn:sluice:schema#/properties/id/pattern: invalid regular expression "^(abc]": lone ']' (write \] for the character) at character 6"##)
        #expect(Self.compileError(##"{"patternProperties": {"a{2,1}": true}}"##)?.location == "urn:sluice:schema#/patternProperties/a{2,1}")
        #expect(Self.compileError(##"{"pattern": "\\a"}"##)?.message == ##"invalid regular expression "\a": invalid escape '\a' at character 2"##)
    }

    @Test func keywordValuesAreChecked() {
        #expect(Self.compileError(##"{"type": "strin"}"##)?.description
                == ##"schema urn:sluice:schema#/type: unknown type "strin" (expected null, boolean, integer, number, string, array or object)"##)
        #expect(Self.compileError(##"{"minLength": -1}"##)?.message == "minLength must be a non-negative integer, found -1")
        #expect(Self.compileError(##"{"multipleOf": 0}"##)?.message == "multipleOf must be a number above 0")
        #expect(Self.compileError(##"{"properties": {"a": 5}}"##)?.description == "schema urn:sluice:schema#/properties/a: a schema must be an object or a boolean, found number")
        #expect(Self.compileError(##"{"items": [{"type": "string"}]}"##)?.message == "items must be a schema in 2020-12 (use prefixItems for a list of schemas)")
        #expect(Self.compileError(##"{"$id": "https://example.com/a#frag"}"##)?.message == "$id https://example.com/a#frag must not have a fragment (use $anchor)")
        #expect(Self.compileError(##"{"minLength": 2.0}"##) == nil)
    }

    @Test func referencesThatCannotResolve() {
        let remote = Self.compileError(##"{"$ref": "https://example.com/elsewhere.json"}"##)
        #expect(remote?.location == "urn:sluice:schema#/$ref")
        #expect(remote?.message.contains("never over the network") == true)
        #expect(Self.compileError(##"{"$ref": "#/$defs/missing"}"##)?.message == "reference urn:sluice:schema#/$defs/missing: nothing at that JSON pointer")
        #expect(Self.compileError(##"{"$ref": "#nowhere"}"##)?.message == ##"reference urn:sluice:schema#nowhere: no $anchor named "nowhere" in urn:sluice:schema"##)
        #expect(Self.compileError(##"{"$schema": "https://example.com/my-dialect"}"##)?.message
                == "$schema https://example.com/my-dialect is neither a known dialect nor a metaschema the resolver can find")
        #expect(Self.compileError(##"{"$schema": "http://json-schema.org/draft-04/schema#"}"##)?.message.hasPrefix("$schema http://json-schema.org/draft-04/schema#: draft-04") == true)
    }

    @Test func inPlaceReferenceCyclesAreRejected() {
        let error = Self.compileError(##"{"$defs": {"a": {"$ref": "#/$defs/b"}, "b": {"allOf": [{"$ref": "#/$defs/a"}]}}, "$ref": "#/$defs/a"}"##)
        #expect(error?.message.hasPrefix("reference cycle that never moves into the document: urn:sluice:schema#/$defs/a → ") == true)
        #expect(Self.compileError(##"{"$ref": "#"}"##)?.message.hasPrefix("reference cycle") == true)
        // Recursion through a child value is fine.
        #expect(Self.compileError(##"{"properties": {"next": {"$ref": "#"}}}"##) == nil)
    }

    @Test func unknownRequiredVocabulariesAreRejected() {
        let metaschema = json(##"""
            {"$schema": "https://json-schema.org/draft/2020-12/schema", "$id": "https://example.com/meta",
             "$vocabulary": {"https://json-schema.org/draft/2020-12/vocab/core": true, "https://example.com/vocab/custom": true}}
            """##)
        let resolver = SchemaResolver(documents: ["https://example.com/meta": metaschema])
        #expect(Self.compileError(##"{"$schema": "https://example.com/meta"}"##, resolver: resolver)?.message
                == "metaschema https://example.com/meta requires vocabulary https://example.com/vocab/custom, which Sluice does not know")
    }

    @Test func formatIsAnAssertionUnlessTurnedOff() throws {
        let invalid = document(##""not a date""##)
        #expect(throws: ValidationFailure.self) { _ = try schema(##"{"format": "date"}"##).validate(invalid) }
        _ = try schema(##"{"format": "date"}"##, options: SchemaOptions(formatAssertion: false)).validate(invalid)
        _ = try schema(##"{"format": "no-such-format"}"##).validate(invalid)  // unknown formats annotate only
    }

    @Test func compiledSchemasShareAcrossThreads() async throws {
        let compiled = try schema(##"{"properties": {"n": {"type": "integer", "reduce": {"strategy": "sum"}}}}"##)
        let counts = await withTaskGroup(of: Int.self) { group in
            for task in 0..<4 {
                group.addTask {
                    var validator = compiled.validator()
                    var valid = 0
                    for index in 0..<500 where validator.isValid(document(##"{"n": \##(index * task)}"##)) { valid += 1 }
                    return valid
                }
            }
            return await group.reduce(0, +)
        }
        #expect(counts == 2_000)
        #expect(compiled.reduceAnnotations == [ReduceAnnotation(strategy: .sum)])
    }
}
