import Testing
@testable import SluiceReduce
import SluiceDocument
import SluiceSchema
import SluiceWorkload

/// The flat merge (a fast path over tape bytes) gives exactly what the general path gives,
/// and leaves every case it cannot do (and every error) to it.
@Suite struct FlatMergeTests {
    static let strategies: [ReduceAnnotation?] = [
        nil, .lastWriteWins, ReduceAnnotation(strategy: .firstWriteWins), ReduceAnnotation(strategy: .sum),
        ReduceAnnotation(strategy: .minimize), ReduceAnnotation(strategy: .maximize),
        // Not flat: the general path does these.
        ReduceAnnotation(strategy: .append), ReduceAnnotation(strategy: .merge), ReduceAnnotation(strategy: .maximize, key: ["/k"]),
        ReduceAnnotation(strategy: .lastWriteWins, delete: true), ReduceAnnotation(strategy: .sum, associative: false),
    ]

    static func value(_ random: inout SplitMix64) -> JSONValue {
        switch random.below(9) {
        case 0: return .null
        case 1: return .bool(random.below(2) == 0)
        case 2: return .int(Int64(random.below(random.below(2) == 0 ? 5 : 2001)) - (random.below(2) == 0 ? 2 : 1000))
        case 3: return [.int(Int64.max), .int(Int64.min), .uint(UInt64.max), .uint(1 << 63)][random.below(4)]
        case 4: return .double(random.below(2) == 0 ? Double(random.below(5) - 2) : Double(random.below(2001) - 1000) / 8)
        case 5: return .string(["", "a", "b", "é", "ab\u{0}c"][random.below(5)])
        case 6: return .array([.int(1), .string("x")])
        case 7: return ["k": .int(Int64(random.below(3)))]
        default: return .double([1e308, -1e308, 0.1][random.below(3)])
        }
    }

    @Test(arguments: (0..<200).map { UInt64(0xF1A7_0000) + $0 })
    func flatMergeAgreesWithTheGeneralPath(seed: UInt64) throws {
        var random = SplitMix64(seed: seed)
        let names = ["a", "b", "c", "id", "n", "zz", "é"]
        var properties: [String: ReduceAnnotationPlan] = [:]
        for name in names {
            let strategy = Self.strategies[random.below(random.below(4) == 0 ? Self.strategies.count : 6)]
            properties[name] = ReduceAnnotationPlan(strategy)
        }
        let plan = ReduceAnnotationPlan(.merge, properties: properties)
        func document(_ random: inout SplitMix64) throws -> Document {
            var object = JSONObject()
            for name in names where random.below(3) != 0 { object[name] = Self.value(&random) }
            return try Document(.object(object))
        }
        var fast = Reducer()
        var general = Reducer()
        general.usesFlatMerge = false
        for _ in 0..<20 {
            let left = try document(&random)
            let right = try document(&random)
            let annotations = plan.annotations(for: right)
            for mode in [ReductionMode.partial, .full] {
                let a = Result { () throws(ReduceError) in try fast.reduce(left, right, annotations: annotations, mode: mode) }
                let b = Result { () throws(ReduceError) in try general.reduce(left, right, annotations: annotations, mode: mode) }
                switch (a, b) {
                case (.success(let x), .success(let y)):
                    #expect(canonical(x.document) == canonical(y.document), "seed \(seed): \(left) ⊕ \(right)")
                    #expect(x.isDeleted == y.isDeleted && x.removedLocations == y.removedLocations)
                case (.failure(let x), .failure(let y)):
                    #expect(x == y)
                default:
                    Issue.record("seed \(seed): one path failed: \(a) vs \(b) for \(left) ⊕ \(right)")
                }
            }
        }
    }

    @Test func theWorkloadReductionTakesTheFlatPath() throws {
        let plan = ReduceAnnotationPlan(.merge, properties: ["amount": ReduceAnnotationPlan(.sum), "ts": ReduceAnnotationPlan(.maximize)])
        let left = try Document(parsing: #"{"amount":1.5,"customer":{"cid":"c"},"id":"k","tags":["a"],"ts":"2024-01-02"}"#)
        let right = try Document(parsing: #"{"amount":2,"customer":{"cid":"d"},"id":"k","note":"n","tags":[],"ts":"2024-01-01"}"#)
        var reducer = Reducer()
        reducer.annotations = plan.annotations(for: right)
        let result = reducer.flatMerge(left, right)
        let flat = try #require(result)
        #expect(canonical(flat) == #"{"amount":3.5,"customer":{"cid":"d"},"id":"k","note":"n","tags":[],"ts":"2024-01-02"}"#)
    }

    @Test func tiesAndBoundariesOnTheFlatPath() throws {
        let plan = ReduceAnnotationPlan(.merge, properties: ["max": ReduceAnnotationPlan(.maximize), "min": ReduceAnnotationPlan(.minimize),
                                                            "sum": ReduceAnnotationPlan(.sum), "first": ReduceAnnotationPlan(.firstWriteWins)])
        let cases: [(String, String, String)] = [
            (#"{"max":2.0,"min":2.0}"#, #"{"max":2,"min":2}"#, #"{"max":2,"min":2}"#),  // equal: the later one
            (#"{"max":"b","min":"b"}"#, #"{"max":"a","min":"a"}"#, #"{"max":"b","min":"a"}"#),
            (#"{"max":null,"min":true}"#, #"{"max":false,"min":1}"#, #"{"max":false,"min":true}"#),
            (#"{"sum":9223372036854775807}"#, #"{"sum":1}"#, #"{"sum":9223372036854775808}"#),
            (#"{"sum":18446744073709551615}"#, #"{"sum":-18446744073709551615.0}"#, #"{"sum":0.0}"#),
            (#"{"first":1,"x":1}"#, #"{"first":2,"y":2}"#, #"{"first":1,"x":1,"y":2}"#),
            (#"{"b":1}"#, #"{"a":1,"c":{"d":[1,{"e":"é"}]}}"#, #"{"a":1,"b":1,"c":{"d":[1,{"e":"é"}]}}"#),
        ]
        var reducer = Reducer()
        for (left, right, expected) in cases {
            let l = try Document(parsing: left)
            let r = try Document(parsing: right)
            reducer.annotations = plan.annotations(for: r)
            reducer.isFull = false
            let result = reducer.flatMerge(l, r)
            let flat = try #require(result, "\(left) ⊕ \(right) did not take the flat path")
            #expect(canonical(flat) == expected)
        }
    }

    /// Annotations from validators share one table per schema, and the flat merge works out
    /// once per table what each annotation asks. One reducer fed by two schemas in turn (the
    /// same slots mean different strategies in each) agrees with the general path every time,
    /// through `reduce(intoTapeBytes:)` too.
    @Test(arguments: [UInt64(0xF1A7_1000), 0xF1A7_1001])
    func alternatingSchemasAgreeWithTheGeneralPath(seed: UInt64) throws {
        let first = try Schema(JSONValue(parsing: ##"{"reduce": {"strategy": "merge"}, "properties": {"a": {"reduce": {"strategy": "sum"}}, "b": {"reduce": {"strategy": "maximize"}}, "c": {"reduce": {"strategy": "firstWriteWins"}}}}"##))
        let second = try Schema(JSONValue(parsing: ##"{"reduce": {"strategy": "merge"}, "properties": {"a": {"reduce": {"strategy": "minimize"}}, "b": {"reduce": {"strategy": "firstWriteWins"}}, "c": {"reduce": {"strategy": "append"}}}}"##))
        var validators = [first.validator(), second.validator()]
        var random = SplitMix64(seed: seed)
        var fast = Reducer()
        var general = Reducer()
        general.usesFlatMerge = false
        func document(_ random: inout SplitMix64) throws -> Document {
            var object = JSONObject()
            for name in ["a", "b", "c", "d"] where random.below(4) != 0 {
                object[name] = name == "c" && random.below(2) == 0 ? .array([.int(Int64(random.below(3)))]) : .int(Int64(random.below(100)) - 50)
            }
            return try Document(.object(object))
        }
        for round in 0..<400 {
            let which = random.below(2)
            let left = try document(&random)
            let right = try document(&random)
            let annotations = try validators[which].validate(right)
            let a = Result { () throws(ReduceError) in try fast.reduce(left, right, annotations: annotations, mode: .partial) }
            let b = Result { () throws(ReduceError) in try general.reduce(left, right, annotations: annotations, mode: .partial) }
            switch (a, b) {
            case (.success(let x), .success(let y)):
                #expect(x.document.tapeBytes == y.document.tapeBytes || canonical(x.document) == canonical(y.document),
                        "seed \(seed) round \(round): \(left) ⊕ \(right)")
                var bytes = left.tapeBytes
                if fast.reduce(intoTapeBytes: &bytes, right, annotations: annotations) {
                    #expect(canonical(try Document(tapeBytes: bytes)) == canonical(y.document), "seed \(seed) round \(round)")
                }
            case (.failure(let x), .failure(let y)):
                #expect(x == y)
            default:
                Issue.record("seed \(seed) round \(round): one path failed: \(a) vs \(b) for \(left) ⊕ \(right)")
            }
        }
    }
}
