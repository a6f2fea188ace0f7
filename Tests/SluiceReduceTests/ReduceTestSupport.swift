// Helpers for SluiceReduce's tests: documents from JSON text, and sequences of reductions
// checked step by step (each step's right document reduces into the previous result).
import Testing
import SluiceDocument
import SluiceReduce
import SluiceSchema

func document(_ text: String, sourceLocation: SourceLocation = #_sourceLocation) -> Document {
    do {
        return try Document(parsing: text)
    } catch {
        Issue.record("bad JSON in a test: \(error): \(text)", sourceLocation: sourceLocation)
        return try! Document(parsing: "null")
    }
}

/// What one step of a reduction sequence should give.
enum Expected {
    /// The reduced document (compared as canonical JSON bytes, so `1` and `1.0` differ).
    case gives(String)
    /// A full reduction whose root is deleted, with the reduced (tombstone) document.
    case deletes(String)
    /// An error with this reason at this pointer; the previous result stays.
    case fails(ReduceError.Reason, at: JSONPointer = .root)
}

/// One reduction: `right` reduces into the result so far (the first into nothing).
struct Step {
    let mode: ReductionMode
    let right: String
    let expected: Expected

    static func partial(_ right: String, _ expected: Expected) -> Step { Step(mode: .partial, right: right, expected: expected) }
    static func full(_ right: String, _ expected: Expected) -> Step { Step(mode: .full, right: right, expected: expected) }
}

/// Canonical JSON of a document.
func canonical(_ document: Document) -> String {
    var bytes: [UInt8] = []
    JSONSerializer.append(document, to: &bytes)
    return String(decoding: bytes, as: UTF8.self)
}

/// Canonical JSON of JSON text.
func canonical(_ text: String) -> String { canonical(document(text)) }

/// Runs `steps` in order under `plan`, starting from nothing, and checks each result.
func runSteps(_ plan: ReduceAnnotationPlan, _ steps: [Step], sourceLocation: SourceLocation = #_sourceLocation) {
    var reducer = Reducer()
    var current: Document? = nil
    for (number, step) in steps.enumerated() {
        let right = document(step.right, sourceLocation: sourceLocation)
        let annotations = plan.annotations(for: right)
        do {
            let outcome = try reducer.reduce(current, right, annotations: annotations, mode: step.mode)
            switch step.expected {
            case .gives(let expected):
                #expect(canonical(outcome.document) == canonical(expected), "step \(number + 1): \(step.right)", sourceLocation: sourceLocation)
                #expect(!outcome.isDeleted, "step \(number + 1) should not delete", sourceLocation: sourceLocation)
            case .deletes(let expected):
                #expect(canonical(outcome.document) == canonical(expected), "step \(number + 1): \(step.right)", sourceLocation: sourceLocation)
                #expect(outcome.isDeleted, "step \(number + 1) should delete", sourceLocation: sourceLocation)
            case .fails(let reason, let pointer):
                Issue.record("step \(number + 1): expected \(reason) at \(pointer), got \(outcome.document)", sourceLocation: sourceLocation)
            }
            current = outcome.document
        } catch {
            switch step.expected {
            case .fails(let reason, let pointer):
                #expect(error.reason == reason, "step \(number + 1): \(error)", sourceLocation: sourceLocation)
                #expect(error.pointer == pointer, "step \(number + 1): \(error)", sourceLocation: sourceLocation)
            default:
                Issue.record("step \(number + 1): \(step.right) failed: \(error)", sourceLocation: sourceLocation)
            }
        }
    }
}

/// Reduces `right` into `left` once.
func reduce(_ left: String?, _ right: String, _ plan: ReduceAnnotationPlan, mode: ReductionMode = .partial) throws(ReduceError) -> ReduceOutcome {
    var reducer = Reducer()
    let rightDocument = document(right)
    return try reducer.reduce(left.map { document($0) }, rightDocument, annotations: plan.annotations(for: rightDocument), mode: mode)
}

extension ReduceAnnotationPlan {
    /// A root `merge` with these property plans.
    static func mergeRoot(_ properties: [String: ReduceAnnotationPlan]) -> ReduceAnnotationPlan {
        ReduceAnnotationPlan(.merge, properties: properties)
    }
}
