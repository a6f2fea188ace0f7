import Testing
import SluiceDocument
@testable import SluiceSchema

/// `reduce` annotations with 2020-12 annotation semantics: failed branches contribute nothing;
/// allOf, $ref, then/else do; the last annotation evaluated for a location wins, and a
/// schema's own `reduce` is evaluated after its in-place applicators.
@Suite struct AnnotationTests {
    static let merge = ReduceAnnotation(strategy: .merge)
    static let sum = ReduceAnnotation(strategy: .sum)
    static let maximize = ReduceAnnotation(strategy: .maximize)

    /// The annotation at `pointer` of `document` after validating against `schemaText`.
    static func annotation(_ schemaText: String, _ documentText: String, at pointer: JSONPointer) throws -> ReduceAnnotation? {
        let compiled = try schema(schemaText)
        let instance = document(documentText)
        let annotations = try compiled.validate(instance)
        #expect(annotations.entryCount == instance.entryCount)
        return try annotations[#require(instance[pointer: pointer])]
    }

    @Test func propertiesAndRoot() throws {
        let text = ##"{"reduce": {"strategy": "merge"}, "properties": {"a": {"reduce": {"strategy": "sum"}}, "b": {}}}"##
        let instance = document(##"{"a": 1, "b": 2, "c": [1, 2]}"##)
        let annotations = try schema(text).validate(instance)
        #expect(annotations[instance.root] == Self.merge)
        #expect(annotations[instance["a"]!] == Self.sum)
        #expect(annotations[instance["b"]!] == nil)  // lastWriteWins by default
        #expect(annotations[instance["c"]!] == nil)
        #expect(!annotations.isEmpty)
    }

    @Test func throughReferencesAllOfAndItems() throws {
        let text = ##"""
            {"$defs": {"total": {"type": "number", "reduce": {"strategy": "sum"}}},
             "allOf": [{"properties": {"n": {"$ref": "#/$defs/total"}}}],
             "properties": {"list": {"items": {"reduce": {"strategy": "maximize"}}}}}
            """##
        #expect(try Self.annotation(text, ##"{"n": 5, "list": [1, 2]}"##, at: "/n") == Self.sum)
        #expect(try Self.annotation(text, ##"{"n": 5, "list": [1, 2]}"##, at: "/list/1") == Self.maximize)
        #expect(try Self.annotation(text, ##"{"n": 5, "list": [1, 2]}"##, at: "/list") == nil)
    }

    @Test func failedAnyOfBranchesContributeNothing() throws {
        let text = ##"""
            {"anyOf": [{"type": "string", "reduce": {"strategy": "sum"}},
                       {"type": "integer", "reduce": {"strategy": "maximize"}}]}
            """##
        #expect(try Self.annotation(text, "5", at: "") == Self.maximize)
        #expect(try Self.annotation(text, ##""x""##, at: "") == Self.sum)
    }

    @Test func passingAnyOfBranchesAllContributeLastWins() throws {
        let text = ##"{"anyOf": [{"reduce": {"strategy": "sum"}}, {"reduce": {"strategy": "maximize"}}]}"##
        #expect(try Self.annotation(text, "5", at: "") == Self.maximize)
    }

    @Test func oneOfKeepsTheMatchingBranch() throws {
        let text = ##"""
            {"properties": {"v": {"oneOf": [{"type": "string", "reduce": {"strategy": "lastWriteWins", "delete": true}},
                                           {"type": "number", "reduce": {"strategy": "sum"}}]}}}
            """##
        #expect(try Self.annotation(text, ##"{"v": 1.5}"##, at: "/v") == Self.sum)
        #expect(try Self.annotation(text, ##"{"v": "x"}"##, at: "/v") == ReduceAnnotation(strategy: .lastWriteWins, delete: true))
    }

    @Test func ifThenElse() throws {
        let text = ##"""
            {"if": {"properties": {"kind": {"const": "counter"}}, "required": ["kind"]},
             "then": {"properties": {"value": {"reduce": {"strategy": "sum"}}}},
             "else": {"properties": {"value": {"reduce": {"strategy": "maximize"}}}}}
            """##
        #expect(try Self.annotation(text, ##"{"kind": "counter", "value": 1}"##, at: "/value") == Self.sum)
        #expect(try Self.annotation(text, ##"{"kind": "gauge", "value": 1}"##, at: "/value") == Self.maximize)
    }

    @Test func aFailedIfContributesNothingAPassingOneDoes() throws {
        let passing = ##"{"if": {"reduce": {"strategy": "sum"}}, "then": true}"##
        #expect(try Self.annotation(passing, "1", at: "") == Self.sum)
        let failing = ##"{"if": {"type": "string", "reduce": {"strategy": "sum"}}, "else": true}"##
        #expect(try Self.annotation(failing, "1", at: "") == nil)
    }

    @Test func notAndPropertyNamesContributeNothing() throws {
        #expect(try Self.annotation(##"{"not": {"type": "string", "reduce": {"strategy": "sum"}}}"##, "1", at: "") == nil)
        #expect(try Self.annotation(##"{"propertyNames": {"reduce": {"strategy": "sum"}}}"##, ##"{"a": 1}"##, at: "/a") == nil)
    }

    @Test func containsAnnotatesOnlyMatchingItems() throws {
        let text = ##"{"contains": {"type": "integer", "reduce": {"strategy": "sum"}}}"##
        #expect(try Self.annotation(text, ##"[1, "x", 2]"##, at: "/0") == Self.sum)
        #expect(try Self.annotation(text, ##"[1, "x", 2]"##, at: "/1") == nil)
        #expect(try Self.annotation(text, ##"[1, "x", 2]"##, at: "/2") == Self.sum)
    }

    /// Flow's order: a schema's own annotation is recorded first and in-place applications
    /// append theirs, so `$ref`, `allOf` and `then` override the schema's own `reduce`.
    @Test func inPlaceApplicatorsOverrideTheSchemasOwnReduce() throws {
        let text = ##"{"$defs": {"base": {"reduce": {"strategy": "sum"}}}, "$ref": "#/$defs/base", "reduce": {"strategy": "maximize"}}"##
        #expect(try Self.annotation(text, "1", at: "") == Self.sum)
        let later = ##"{"allOf": [{"reduce": {"strategy": "sum"}}, {"reduce": {"strategy": "maximize"}}]}"##
        #expect(try Self.annotation(later, "1", at: "") == Self.maximize)
        // The deletion pattern: the root merges, and deletes when the condition holds.
        let deletion = ##"{"reduce": {"strategy": "merge"}, "if": {"required": ["gone"]}, "then": {"reduce": {"strategy": "merge", "delete": true}}}"##
        #expect(try Self.annotation(deletion, ##"{"gone": 1}"##, at: "") == ReduceAnnotation(strategy: .merge, delete: true))
        #expect(try Self.annotation(deletion, ##"{"kept": 1}"##, at: "") == ReduceAnnotation(strategy: .merge))
    }

    @Test func keyedOptionsCarryThrough() throws {
        let text = ##"{"reduce": {"strategy": "merge", "key": ["/id", "/sub~1part"]}}"##
        #expect(try Self.annotation(text, "[]", at: "") == ReduceAnnotation(strategy: .merge, key: ["/id", "/sub~1part"]))
        let notAssociative = ##"{"reduce": {"strategy": "append", "associative": false}}"##
        #expect(try Self.annotation(notAssociative, "[]", at: "") == ReduceAnnotation(strategy: .append, associative: false))
    }

    @Test func dynamicReferencesAnnotate() throws {
        // A tree whose nodes reduce by merge, extended through $dynamicAnchor.
        let text = ##"""
            {"$id": "https://example.com/tree", "$dynamicAnchor": "node",
             "reduce": {"strategy": "merge"},
             "properties": {"children": {"items": {"$dynamicRef": "#node"}}, "n": {"reduce": {"strategy": "sum"}}}}
            """##
        #expect(try Self.annotation(text, ##"{"children": [{"n": 1, "children": [{"n": 2}]}]}"##, at: "/children/0/children/0") == Self.merge)
        #expect(try Self.annotation(text, ##"{"children": [{"n": 1, "children": [{"n": 2}]}]}"##, at: "/children/0/children/0/n") == Self.sum)
    }

    @Test func anInvalidDocumentYieldsErrorsNotAnnotations() throws {
        let compiled = try schema(##"{"type": "object", "reduce": {"strategy": "merge"}}"##)
        #expect(throws: ValidationFailure.self) { _ = try compiled.validate(document("[]")) }
        var validator = compiled.validator()
        let validObject = validator.isValid(document("{}"))
        let validNumber = validator.isValid(document("1"))
        #expect(validObject)
        #expect(!validNumber)
        // A validator is reusable after a failure.
        let annotations = try validator.validate(document(##"{"a": 1}"##))
        #expect(annotations[0] == Self.merge)
    }

    @Test func annotationsEqualityIsByLocation() throws {
        let instance = document(##"{"a": 1}"##)
        let fromValidator = try schema(##"{"properties": {"a": {"reduce": {"strategy": "sum"}}}}"##).validate(instance)
        var byHand = ReduceAnnotations(entryCount: instance.entryCount)
        byHand.set(Self.sum, at: instance["a"]!.tapeIndex)
        #expect(fromValidator == byHand)
        #expect(ReduceAnnotations(entryCount: 3).isEmpty)
        let none = try schema(##"{"anyOf": [{"type": "string", "reduce": {"strategy": "sum"}}, true]}"##).validate(instance)
        #expect(none.isEmpty)
    }

    @Test func theWorkloadSchemaAnnotatesWhatTheCombinerNeeds() throws {
        let compiled = try schema(WorkloadSchemaText.json)
        let instance = document(##"""
            {"id":"key-000001","seq":0,"ts":"2024-01-01T00:00:00.229Z",
             "customer":{"cid":"c-0815","name":"Ada Ito","tier":"gold","region":"eu","city":"Paris"},
             "amount":123.45,"qty":3,"tags":["q4"],"note":"hello"}
            """##)
        let annotations = try compiled.validate(instance)
        #expect(annotations[instance.root] == Self.merge)
        #expect(annotations[instance["amount"]!] == Self.sum)
        #expect(annotations[instance["qty"]!] == Self.sum)
        #expect(annotations[instance["ts"]!] == Self.maximize)
        #expect(annotations[instance["note"]!] == .lastWriteWins)
        #expect(annotations[instance["customer"]!] == nil)
    }

    /// The validator reuses the slots of the annotations it returned last once they are
    /// dropped; annotations still held keep their own (copy on write), whatever is validated
    /// next.
    @Test func heldAnnotationsSurviveLaterValidations() throws {
        let text = ##"{"reduce": {"strategy": "merge"}, "properties": {"a": {"reduce": {"strategy": "sum"}}, "b": {"reduce": {"strategy": "maximize"}}}}"##
        var validator = try schema(text).validator()
        let first = document(##"{"a": 1, "z": [1, 2, 3]}"##)
        let second = document(##"{"b": 1, "a": 2}"##)
        let held = try validator.validate(first)
        for _ in 0..<3 {
            let other = try validator.validate(second)
            #expect(other[second["a"]!] == Self.sum)
            #expect(other[second["b"]!] == Self.maximize)
            #expect(other[second.root] == Self.merge)
        }
        #expect(held.entryCount == first.entryCount)
        #expect(held[first.root] == Self.merge)
        #expect(held[first["a"]!] == Self.sum)
        #expect(held[first["z"]!] == nil)
        for index in 3..<first.entryCount { #expect(held[index] == nil) }
        // Dropped results are reused, and still right.
        for text in [##"{"a": 5}"##, ##"{"b": 1, "c": {"d": [1]}}"##, ##"{}"##] {
            let instance = document(text)
            let annotations = try validator.validate(instance)
            #expect(annotations.entryCount == instance.entryCount)
            #expect(annotations[instance.root] == Self.merge)
            #expect(annotations[instance["a"] ?? instance.root] == (instance["a"] == nil ? Self.merge : Self.sum))
        }
    }
}
