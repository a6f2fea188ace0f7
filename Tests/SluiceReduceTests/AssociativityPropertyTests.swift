import Testing
import SluiceDocument
import SluiceReduce
import SluiceSchema
import SluiceWorkload

/// A random schema-like shape: where each location's values come from and how they reduce.
/// Values are drawn so that reductions cannot fail (numbers small enough never to overflow,
/// doubles in halves so sums are exact, keyed arrays sorted), which makes associativity an
/// equality of bytes.
indirect enum Shape {
    case number(ReduceAnnotation.Strategy)  // sum, minimize, maximize, lastWriteWins, firstWriteWins
    case scalar(ReduceAnnotation.Strategy)  // minimize, maximize, lastWriteWins, firstWriteWins
    case append(nullable: Bool)
    case arrayByIndex(Shape)
    case arrayByKey(Shape)  // elements {"k": int, "v": Shape value}, merge by /k
    case object([(String, Shape)], delete: Bool)
    case keyedMinMax(maximize: Bool, [(String, Shape)])  // objects compared by /k, deep merged on ties
    case set(objectForm: Bool, member: Shape)
    case schema
    case replaced(deleting: Bool)  // lastWriteWins of any value, optionally a tombstone

    var plan: ReduceAnnotationPlan {
        switch self {
        case .number(let strategy), .scalar(let strategy):
            return ReduceAnnotationPlan(strategy)
        case .append(let nullable):
            return ReduceAnnotationPlan(.append, byKind: nullable ? [.null: .lastWriteWins] : [:])
        case .arrayByIndex(let element):
            return ReduceAnnotationPlan(.merge, items: element.plan)
        case .arrayByKey(let element):
            return ReduceAnnotationPlan(.merge, key: ["/k"], items: ReduceAnnotationPlan(.merge, properties: ["v": element.plan]))
        case .object(let properties, let delete):
            return ReduceAnnotationPlan(.merge, delete: delete, properties: Dictionary(uniqueKeysWithValues: properties.map { ($0.0, $0.1.plan) }))
        case .keyedMinMax(let maximize, let properties):
            return ReduceAnnotationPlan(maximize ? .maximize : .minimize, key: ["/k"],
                                        properties: Dictionary(uniqueKeysWithValues: properties.map { ($0.0, $0.1.plan) }))
        case .set(let objectForm, let member):
            let memberPlan = objectForm ? ReduceAnnotationPlan(additionalProperties: member.plan)
                                        : ReduceAnnotationPlan(items: ReduceAnnotationPlan(.merge, properties: ["v": member.plan]))
            return ReduceAnnotationPlan(.set, key: objectForm ? [] : ["/id"], properties: ["add": memberPlan, "intersect": memberPlan, "remove": memberPlan])
        case .schema:
            return ReduceAnnotationPlan(.jsonSchemaMerge)
        case .replaced(let deleting):
            return ReduceAnnotationPlan(.lastWriteWins, delete: deleting)
        }
    }
}

/// Seeded shapes and values.
struct ShapeGenerator {
    var random: SplitMix64
    /// Whether shapes may hold `delete: true` (partial reductions only are associative then).
    var allowsDelete: Bool

    mutating func below(_ bound: Int) -> Int { random.below(bound) }
    mutating func chance(_ percent: Int) -> Bool { below(100) < percent }

    static let names = ["a", "b", "c", "d", "é", "k2"]

    mutating func shape(depth: Int = 0) -> Shape {
        let leafOnly = depth >= 3
        switch below(leafOnly ? 4 : 13) {
        case 0: return .number([.sum, .sum, .minimize, .maximize, .lastWriteWins, .firstWriteWins][below(6)])
        case 1: return .scalar([.minimize, .maximize, .lastWriteWins, .firstWriteWins][below(4)])
        case 2: return .append(nullable: chance(50))
        case 3: return .schema
        case 4: return .arrayByIndex(shape(depth: depth + 1))
        case 5: return .arrayByKey(shape(depth: depth + 1))
        case 6, 7: return .object(properties(depth: depth), delete: allowsDelete && chance(15))
        case 8: return .keyedMinMax(maximize: chance(50), properties(depth: depth))
        case 9, 10: return .set(objectForm: chance(50), member: shape(depth: depth + 1))
        case 11: return .replaced(deleting: allowsDelete && chance(30))
        default: return .number(.sum)
        }
    }

    mutating func properties(depth: Int) -> [(String, Shape)] {
        var result: [(String, Shape)] = []
        for name in Self.names where chance(50) { result.append((name, shape(depth: depth + 1))) }
        return result
    }

    mutating func number() -> JSONValue {
        chance(60) ? .int(Int64(below(101)) - 50) : .double(Double(below(201) - 100) / 2)
    }

    mutating func scalar() -> JSONValue {
        switch below(5) {
        case 0: return .null
        case 1: return .bool(chance(50))
        case 2: return number()
        default: return .string(["", "a", "ab", "b", "é", "z"][below(6)])
        }
    }

    mutating func value(_ shape: Shape) -> JSONValue {
        switch shape {
        case .number: return number()
        case .scalar: return scalar()
        case .append(let nullable):
            if nullable && chance(10) { return .null }
            return .array((0..<below(3)).map { _ in scalar() })
        case .arrayByIndex(let element):
            return .array((0..<below(4)).map { _ in value(element) })
        case .arrayByKey(let element):
            var keys = Set<Int64>()
            for _ in 0..<below(4) { keys.insert(Int64(below(6))) }
            return .array(keys.sorted().map { key in
                var object: JSONObject = ["k": .int(key)]
                if chance(80) { object["v"] = value(element) }
                return .object(object)
            })
        case .object(let properties, _):
            var object = JSONObject()
            for (name, property) in properties where chance(70) { object[name] = value(property) }
            if chance(20) { object["x"] = scalar() }
            return .object(object)
        case .keyedMinMax(_, let properties):
            var object = JSONObject()
            if chance(90) { object["k"] = .int(Int64(below(3))) }
            for (name, property) in properties where chance(70) { object[name] = value(property) }
            return .object(object)
        case .set(let objectForm, let member):
            var object = JSONObject()
            if chance(70) { object["add"] = members(objectForm, member) }
            if chance(40) {
                object[chance(50) ? "remove" : "intersect"] = members(objectForm, member)
            }
            return .object(object)
        case .schema:
            let schemas: [JSONValue] = [.bool(true), .bool(false), ["type": "string"], ["type": "integer"], ["minimum": 1],
                                        ["anyOf": [["type": "null"], ["type": "string"]]], ["anyOf": []]]
            return schemas[below(chance(90) ? schemas.count - 1 : schemas.count)]
        case .replaced:
            return chance(50) ? scalar() : ["any": scalar()]
        }
    }

    mutating func members(_ objectForm: Bool, _ member: Shape) -> JSONValue {
        var ids = Set<Int>()
        for _ in 0..<below(4) { ids.insert(below(6)) }
        if objectForm {
            var object = JSONObject()
            for id in ids { object["m\(id)"] = value(member) }
            return .object(object)
        }
        return .array(ids.sorted().map { id in
            var object: JSONObject = ["id": .int(Int64(id))]
            if chance(80) { object["v"] = value(member) }
            return .object(object)
        })
    }

    /// A document: a root object of a few shaped properties.
    mutating func rootShape() -> Shape {
        var properties = self.properties(depth: 0)
        if properties.isEmpty { properties = [("a", shape(depth: 1))] }
        return .object(properties, delete: false)
    }
}

/// Reduces by a plan, as a combiner would: the right side's annotations come from the plan.
struct PlanReducer {
    let plan: ReduceAnnotationPlan
    var reducer = Reducer()

    mutating func reduce(_ left: Document?, _ right: Document, _ mode: ReductionMode) throws(ReduceError) -> Document {
        try reducer.reduce(left, right, annotations: plan.annotations(for: right), mode: mode).document
    }
}

@Suite struct AssociativityPropertyTests {
    static let seeds: [UInt64] = (0..<300).map { 0xA550_C000 + $0 }

    /// (a ⊕ b) ⊕ c == a ⊕ (b ⊕ c) for partial reductions, every strategy, tombstones included.
    @Test(arguments: seeds)
    func partialReductionsAreAssociative(seed: UInt64) throws {
        var generator = ShapeGenerator(random: SplitMix64(seed: seed), allowsDelete: true)
        let shape = generator.rootShape()
        var reducer = PlanReducer(plan: shape.plan)
        for _ in 0..<8 {
            let a = try Document(generator.value(shape))
            let b = try Document(generator.value(shape))
            let c = try Document(generator.value(shape))
            let left = try reducer.reduce(try reducer.reduce(a, b, .partial), c, .partial)
            let right = try reducer.reduce(a, try reducer.reduce(b, c, .partial), .partial)
            #expect(canonical(left) == canonical(right), "seed \(seed): a=\(a) b=\(b) c=\(c)")
        }
    }

    /// A full reduction into the left-most document gives the same whether the later
    /// documents were first combined partially or reduced one by one:
    /// F(F(a) ⊕ b) ⊕ c == F(a) ⊕ (b ⊕ c), with F a full reduction.
    @Test(arguments: seeds)
    func fullReductionsOfPartialCombinationsAreAssociative(seed: UInt64) throws {
        var generator = ShapeGenerator(random: SplitMix64(seed: seed ^ 0xF011), allowsDelete: false)
        let shape = generator.rootShape()
        var reducer = PlanReducer(plan: shape.plan)
        for _ in 0..<8 {
            let a = try Document(generator.value(shape))
            let b = try Document(generator.value(shape))
            let c = try Document(generator.value(shape))
            let base = try reducer.reduce(nil, a, .full)
            let sequential = try reducer.reduce(try reducer.reduce(base, b, .full), c, .full)
            let combined = try reducer.reduce(base, try reducer.reduce(b, c, .partial), .full)
            #expect(canonical(sequential) == canonical(combined), "seed \(seed): a=\(a) b=\(b) c=\(c)")
        }
    }

    /// Reductions are not commutative, but a document reduced into an equal one is itself for
    /// the write-wins strategies (a sanity check that the generator makes varied documents).
    @Test func generatorMakesVariedDocuments() {
        var generator = ShapeGenerator(random: SplitMix64(seed: 7), allowsDelete: true)
        var texts = Set<String>()
        for _ in 0..<50 {
            let shape = generator.rootShape()
            texts.insert(canonical(try! Document(generator.value(shape))))
        }
        #expect(texts.count > 40)
    }
}
