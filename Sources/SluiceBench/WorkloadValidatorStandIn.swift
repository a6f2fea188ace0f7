// A stand-in for validating the standard workload against its schema, until SluiceSchema's
// validator is merged (the lead re-measures then). It does the work a compiled validator of
// this schema must do, by hand: every property checked for presence and type, formats and
// bounds checked, unknown properties rejected, and the reduce annotations placed:
//
//     {type: object, reduce: {strategy: merge}, additionalProperties: false,
//      required: [id, seq, ts, customer, amount, qty, tags, note],
//      properties: {
//        id: {type: string, pattern: "^key-[0-9]{6}$"}, seq: {type: integer, minimum: 0},
//        ts: {type: string, format: date-time, reduce: {strategy: maximize}},
//        customer: {type: object, additionalProperties: false, required: [cid, name, tier, region, city],
//                   properties: {cid: {type: string}, name: {type: string}, tier: {enum: [free, bronze, silver, gold, platinum]},
//                                region: {type: string}, city: {type: string}}},
//        amount: {type: number, minimum: 0, reduce: {strategy: sum}},
//        qty: {type: integer, minimum: 1, reduce: {strategy: sum}},
//        tags: {type: array, items: {type: string}, maxItems: 16},
//        note: {type: string, maxLength: 2000}}}
//
// A general validator also walks keyword lists and collects outcomes, so it will likely be
// slower than this; docs/benchmarks.md says which one a figure used.
public import SluiceCombine
public import SluiceDocument
public import SluiceSchema

public struct WorkloadValidatorStandIn: DocumentValidator {
    public struct Invalid: Error, CustomStringConvertible {
        public let pointer: String
        public let message: String
        public var description: String { "\(pointer): \(message)" }
    }

    static let merge = ReduceAnnotation(strategy: .merge)
    static let sum = ReduceAnnotation(strategy: .sum)
    static let maximize = ReduceAnnotation(strategy: .maximize)
    static let tiers: [StaticString] = ["free", "bronze", "silver", "gold", "platinum"]

    /// True if `bytes` are the UTF-8 of `literal`.
    @inline(__always)
    static func equals(_ bytes: UnsafeRawBufferPointer, _ literal: StaticString) -> Bool {
        guard bytes.count == literal.utf8CodeUnitCount else { return false }
        let expected = literal.utf8Start
        for index in 0..<bytes.count where bytes[index] != expected[index] { return false }
        return true
    }

    public init() {}

    public mutating func validate(_ document: Document) throws -> ReduceAnnotations {
        let root = document.root
        guard root.kind == .object else { throw Invalid(pointer: "", message: "expected an object") }
        var annotations = ReduceAnnotations(entryCount: document.entryCount)
        annotations.set(Self.merge, at: root.tapeIndex)
        var seen = 0
        for property in root.properties {
            let value = property.value
            let matched: Bool = try property.nameNode.withUTF8 { name throws -> Bool in
                switch name.count {
                case 2 where Self.equals(name, "id"):
                    guard let valid = value.withUTF8({ Self.isKey($0) }), valid else { throw Invalid(pointer: "/id", message: "expected a string like key-000000") }
                    seen |= 1
                case 3 where Self.equals(name, "seq"):
                    guard let seq = value.int64, seq >= 0 else { throw Invalid(pointer: "/seq", message: "expected an integer ≥ 0") }
                    seen |= 2
                case 2 where Self.equals(name, "ts"):
                    guard let valid = value.withUTF8({ Self.isDateTime($0) }), valid else { throw Invalid(pointer: "/ts", message: "expected a date-time") }
                    annotations.set(Self.maximize, at: value.tapeIndex)
                    seen |= 4
                case 8 where Self.equals(name, "customer"):
                    try Self.validateCustomer(value)
                    seen |= 8
                case 6 where Self.equals(name, "amount"):
                    guard let amount = value.number, amount >= JSONNumber.int(0) else { throw Invalid(pointer: "/amount", message: "expected a number ≥ 0") }
                    annotations.set(Self.sum, at: value.tapeIndex)
                    seen |= 16
                case 3 where Self.equals(name, "qty"):
                    guard let qty = value.int64, qty >= 1 else { throw Invalid(pointer: "/qty", message: "expected an integer ≥ 1") }
                    annotations.set(Self.sum, at: value.tapeIndex)
                    seen |= 32
                case 4 where Self.equals(name, "tags"):
                    guard value.kind == .array, value.count <= 16 else { throw Invalid(pointer: "/tags", message: "expected at most 16 strings") }
                    for tag in value.elements where tag.kind != .string { throw Invalid(pointer: "/tags", message: "expected strings") }
                    seen |= 64
                case 4 where Self.equals(name, "note"):
                    guard let length = value.unicodeScalarCount, length <= 2000 else { throw Invalid(pointer: "/note", message: "expected a string of at most 2000 characters") }
                    seen |= 128
                default:
                    return false
                }
                return true
            } ?? false
            if !matched { throw Invalid(pointer: "/" + property.name, message: "property not allowed") }
        }
        guard seen == 255 else { throw Invalid(pointer: "", message: "missing required properties") }
        return annotations
    }

    static func validateCustomer(_ customer: Node) throws {
        guard customer.kind == .object else { throw Invalid(pointer: "/customer", message: "expected an object") }
        var seen = 0
        for property in customer.properties {
            guard property.value.kind == .string else { throw Invalid(pointer: "/customer/" + property.name, message: "expected a string") }
            let bit: Int = property.nameNode.withUTF8 { name in
                if equals(name, "cid") { return 1 }
                if equals(name, "name") { return 2 }
                if equals(name, "tier") { return 4 }
                if equals(name, "region") { return 8 }
                if equals(name, "city") { return 16 }
                return 0
            } ?? 0
            if bit == 0 { throw Invalid(pointer: "/customer/" + property.name, message: "property not allowed") }
            if bit == 4, property.value.withUTF8({ tier in tiers.contains { equals(tier, $0) } }) != true {
                throw Invalid(pointer: "/customer/tier", message: "not one of the tiers")
            }
            seen |= bit
        }
        guard seen == 31 else { throw Invalid(pointer: "/customer", message: "missing required properties") }
    }

    /// `^key-[0-9]{6}$`.
    static func isKey(_ bytes: UnsafeRawBufferPointer) -> Bool {
        guard bytes.count == 10, bytes[0] == 0x6B, bytes[1] == 0x65, bytes[2] == 0x79, bytes[3] == 0x2D else { return false }
        for index in 4..<10 where !(0x30...0x39).contains(bytes[index]) { return false }
        return true
    }

    /// RFC 3339 date-time: `YYYY-MM-DDThh:mm:ss[.fraction](Z|±hh:mm)` with ranges checked.
    static func isDateTime(_ bytes: UnsafeRawBufferPointer) -> Bool {
        func digits(_ start: Int, _ count: Int) -> Int? {
            guard start + count <= bytes.count else { return nil }
            var value = 0
            for index in start..<(start + count) {
                let byte = bytes[index]
                guard byte >= 0x30 && byte <= 0x39 else { return nil }
                value = value * 10 + Int(byte - 0x30)
            }
            return value
        }
        guard bytes.count >= 20, let year = digits(0, 4), bytes[4] == 0x2D, let month = digits(5, 2), bytes[7] == 0x2D,
              let day = digits(8, 2), bytes[10] == 0x54 || bytes[10] == 0x74, let hour = digits(11, 2), bytes[13] == 0x3A,
              let minute = digits(14, 2), bytes[16] == 0x3A, let second = digits(17, 2) else { return false }
        let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
        let monthDays = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
        guard (1...12).contains(month), day >= 1, day <= monthDays[month - 1], hour < 24, minute < 60, second <= 60 else { return false }
        var index = 19
        if index < bytes.count && bytes[index] == 0x2E {
            index += 1
            let start = index
            while index < bytes.count, bytes[index] >= 0x30 && bytes[index] <= 0x39 { index += 1 }
            guard index > start else { return false }
        }
        guard index < bytes.count else { return false }
        if bytes[index] == 0x5A || bytes[index] == 0x7A { return index + 1 == bytes.count }
        guard bytes[index] == 0x2B || bytes[index] == 0x2D, let offsetHour = digits(index + 1, 2), offsetHour < 24,
              index + 3 < bytes.count, bytes[index + 3] == 0x3A, let offsetMinute = digits(index + 4, 2), offsetMinute < 60 else { return false }
        return index + 6 == bytes.count
    }
}
