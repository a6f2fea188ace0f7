// Helpers for SluiceCombine's tests: documents from text, a combiner run to a list, and a
// seeded workload with a naive reference reducer.
import Testing
import SluiceCombine
import SluiceDocument
import SluiceReduce
import SluiceSchema
import SluiceWorkload

func document(_ text: String) -> Document {
    try! Document(parsing: text)
}

func canonical(_ document: Document) -> String {
    var bytes: [UInt8] = []
    JSONSerializer.append(document, to: &bytes)
    return String(decoding: bytes, as: UTF8.self)
}

func canonical(_ text: String) -> String { canonical(document(text)) }

/// Drains everything left in `drainer`.
func drainAll(_ drainer: inout CombinerDrainer) throws -> [DrainedDocument] {
    var output: [DrainedDocument] = []
    while let drained = try drainer.next() { output.append(drained) }
    return output
}

/// A spill directory of the test's own, removed at the end.
func temporaryDirectory() -> String {
    "/tmp"
}

/// The plan of the property workload: a root merge with one property per strategy.
let workloadPlan = ReduceAnnotationPlan.init(.merge, properties: [
    "n": ReduceAnnotationPlan(.sum),
    "max": ReduceAnnotationPlan(.maximize),
    "min": ReduceAnnotationPlan(.minimize),
    "first": ReduceAnnotationPlan(.firstWriteWins),
    "log": ReduceAnnotationPlan(.append),
    "set": ReduceAnnotationPlan(.set, properties: ["add": ReduceAnnotationPlan(additionalProperties: ReduceAnnotationPlan(.sum))]),
    "obj": ReduceAnnotationPlan(.merge, additionalProperties: ReduceAnnotationPlan(.sum)),
    "gone": ReduceAnnotationPlan(.lastWriteWins, delete: true),
])

/// Seeded documents for the property tests: keys `/id` from a small set, each document a
/// random subset of the workload's properties.
struct WorkloadDocuments {
    var random: SplitMix64
    let allowsDelete: Bool

    mutating func below(_ bound: Int) -> Int { random.below(bound) }
    mutating func chance(_ percent: Int) -> Bool { below(100) < percent }

    mutating func document(key: Int) -> Document {
        var object: JSONObject = ["id": key % 3 == 0 ? .int(Int64(key)) : .string("k\(key)")]
        if chance(60) { object["n"] = chance(70) ? .int(Int64(below(1000)) - 500) : .double(Double(below(100)) / 4) }
        if chance(40) { object["max"] = .string("v\(below(50))") }
        if chance(40) { object["min"] = .int(Int64(below(50))) }
        if chance(30) { object["first"] = .int(Int64(below(9))) }
        if chance(30) { object["log"] = .array((0..<below(3)).map { _ in .int(Int64(below(9))) }) }
        if chance(30) {
            var set = JSONObject()
            if chance(70) { set["add"] = .object(JSONObject((0..<below(3)).map { _ in (name: "m\(below(5))", value: JSONValue.int(Int64(below(5)))) })) }
            if chance(40) { set["remove"] = .object(JSONObject((0..<below(2)).map { _ in (name: "m\(below(5))", value: JSONValue.int(0)) })) }
            object["set"] = .object(set)
        }
        if chance(30) { object["obj"] = .object(JSONObject((0..<below(3)).map { _ in (name: "p\(below(4))", value: JSONValue.int(Int64(below(9)))) })) }
        if chance(20) { object["note"] = .string(String(repeating: "x", count: below(200))) }
        if allowsDelete && chance(10) { object["gone"] = .int(Int64(below(9))) }
        return try! Document(.object(object))
    }
}

/// The naive reference: each key's documents folded in order, fronts first.
/// Partial mode: one partial fold. Full mode: the front (or the first document reduced into
/// nothing) with every later document reduced fully, one by one.
func referenceReduce(_ fronts: [Document], _ documents: [Document], plan: ReduceAnnotationPlan, mode: ReductionMode) throws -> (Document, Bool) {
    var reducer = Reducer()
    func reduce(_ left: Document?, _ right: Document, _ mode: ReductionMode) throws -> ReduceOutcome {
        try reducer.reduce(left, right, annotations: plan.annotations(for: right), mode: mode)
    }
    var front: Document? = nil
    for document in fronts { front = front == nil ? document : try reduce(front, document, .partial).document }
    switch mode {
    case .partial:
        var result = front
        for document in documents { result = result == nil ? document : try reduce(result, document, .partial).document }
        return (result!, false)
    case .full:
        var rest = documents[...]
        var result: ReduceOutcome
        if let front {
            result = ReduceOutcome.kept(front)
        } else {
            result = try reduce(nil, rest.removeFirst(), .full)
        }
        for document in rest { result = try reduce(result.document, document, .full) }
        return (result.document, result.isDeleted)
    }
}

extension ReduceOutcome {
    /// A document taken as it is (a front nobody reduced into).
    static func kept(_ document: Document) -> ReduceOutcome {
        var reducer = Reducer()
        return try! reducer.reduce(nil, document, annotations: ReduceAnnotations(entryCount: document.entryCount), mode: .partial)
    }
}
