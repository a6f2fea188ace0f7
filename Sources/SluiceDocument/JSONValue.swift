// JSONValue: an ergonomic heap JSON value, for tests and API users. Converts to and from
// `Document` (`Document(value)`, `node.jsonValue`).

/// A JSON value on the heap, with literal conformances:
///
///     let value: JSONValue = ["id": "a", "qty": 3, "tags": ["x"], "price": 1.5, "gone": .null]
///
/// (Not `ExpressibleByNilLiteral`: with it, `value["x"] == nil` would compare against
/// `.null` instead of testing for absence.)
///
/// Equality, hashing and `<` are semantic (SEMANTICS.md §1), so `.int(20) == .double(20)`.
/// Integers keep their exact representation: `.int` for values that fit Int64, `.uint` above
/// Int64.max (a `.uint` that fits Int64 is accepted and normalized when converted to a tape).
/// Doubles must be finite to become a `Document`.
public enum JSONValue: Sendable {
    case null
    case bool(Bool)
    case int(Int64)
    case uint(UInt64)
    case double(Double)
    case string(String)
    case array([JSONValue])
    case object(JSONObject)

    public var kind: JSONKind {
        switch self {
        case .null: .null
        case .bool: .boolean
        case .int, .uint, .double: .number
        case .string: .string
        case .array: .array
        case .object: .object
        }
    }

    /// Parses JSON text.
    public init(parsing text: String) throws(JSONParseError) {
        self = try Document(parsing: text).jsonValue
    }

    public var isNull: Bool { if case .null = self { true } else { false } }
    public var bool: Bool? { if case .bool(let value) = self { value } else { nil } }
    public var string: String? { if case .string(let value) = self { value } else { nil } }
    public var array: [JSONValue]? { if case .array(let value) = self { value } else { nil } }
    public var object: JSONObject? { if case .object(let value) = self { value } else { nil } }

    public var number: JSONNumber? {
        switch self {
        case .int(let value): .int(value)
        case .uint(let value): JSONNumber(value)
        case .double(let value): .double(value)
        default: nil
        }
    }

    public init(_ number: JSONNumber) {
        switch number {
        case .int(let value): self = .int(value)
        case .uint(let value): self = .uint(value)
        case .double(let value): self = .double(value)
        }
    }

    /// Property `name` of an object (nil otherwise). Setting on a non-object is a
    /// programming error; setting nil removes the property.
    public subscript(_ name: String) -> JSONValue? {
        get { object?[name] }
        set {
            guard case .object(var object) = self else {
                preconditionFailure("JSONValue: setting property \(name) on a \(kind)")
            }
            self = .null  // release the enum's reference so `object` is uniquely referenced
            object[name] = newValue
            self = .object(object)
        }
    }

    /// Element `index` of an array (nil if out of range or not an array).
    public subscript(_ index: Int) -> JSONValue? {
        guard case .array(let array) = self, array.indices.contains(index) else { return nil }
        return array[index]
    }

    /// The value at `pointer`. Setting creates what is missing on the way (RFC 6901 create on
    /// write, as Flow does): a missing or null parent becomes an object, or an array when the
    /// token is an index or `-`; an array grows with nulls up to the index; `-` appends.
    /// Setting through a scalar is a programming error; use `set(_:at:)` to get an error.
    public subscript(pointer pointer: JSONPointer) -> JSONValue? {
        get {
            var value = self
            for token in pointer.tokens {
                switch value {
                case .object(let object):
                    guard let child = object[token.name] else { return nil }
                    value = child
                case .array(let array):
                    guard let index = token.index, array.indices.contains(index) else { return nil }
                    value = array[index]
                default:
                    return nil
                }
            }
            return value
        }
        set {
            do {
                try set(newValue ?? .null, at: pointer)
            } catch {
                preconditionFailure("JSONValue: \(error)")
            }
        }
    }

    /// Sets `value` at `pointer`, creating what is missing on the way (see the subscript).
    /// Throws if the way passes through a scalar, or an object where an array is needed.
    public mutating func set(_ value: JSONValue, at pointer: JSONPointer) throws(JSONPointerError) {
        try Self.set(value, at: pointer.tokens[...], in: &self, pointer: pointer)
    }

    private static func set(_ value: JSONValue, at tokens: ArraySlice<JSONPointer.Token>, in target: inout JSONValue,
                            pointer: JSONPointer) throws(JSONPointerError) {
        guard let token = tokens.first else {
            target = value
            return
        }
        let rest = tokens.dropFirst()
        if case .null = target {
            target = (token.index != nil || token.isNextIndex) ? .array([]) : .object(JSONObject())
        }
        switch target {
        case .object(var object):
            target = .null
            var failure: JSONPointerError? = nil
            object.modify(token.name, default: .null) { child in
                do throws(JSONPointerError) { try set(value, at: rest, in: &child, pointer: pointer) } catch { failure = error }
            }
            target = .object(object)
            if let failure { throw failure }
        case .array(var array):
            let index: Int
            if token.isNextIndex {
                index = array.count
            } else if let tokenIndex = token.index {
                index = tokenIndex
            } else {
                throw JSONPointerError(pointer: pointer.description,
                                       message: "token \(token.name) is not an array index")
            }
            guard index <= array.count + JSONPointer.createPaddingElementsMax else {
                throw JSONPointerError(pointer: pointer.description,
                                       message: "index \(index) is more than \(JSONPointer.createPaddingElementsMax) past the array's end")
            }
            target = .null
            while array.count <= index { array.append(.null) }
            var failure: JSONPointerError? = nil
            do throws(JSONPointerError) { try set(value, at: rest, in: &array[index], pointer: pointer) } catch { failure = error }
            target = .array(array)
            if let failure { throw failure }
        default:
            throw JSONPointerError(pointer: pointer.description,
                                   message: "cannot create \(token.name) inside a \(target.kind)")
        }
    }
}

extension JSONValue: ExpressibleByBooleanLiteral, ExpressibleByIntegerLiteral,
    ExpressibleByFloatLiteral, ExpressibleByStringLiteral, ExpressibleByArrayLiteral, ExpressibleByDictionaryLiteral
{
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(integerLiteral value: Int64) { self = .int(value) }
    public init(floatLiteral value: Double) { self = .double(value) }
    public init(stringLiteral value: String) { self = .string(value) }
    public init(arrayLiteral elements: JSONValue...) { self = .array(elements) }
    public init(dictionaryLiteral elements: (String, JSONValue)...) {
        var object = JSONObject()
        for (name, value) in elements {
            precondition(!object.search(name).found, "duplicate property \(name) in an object literal")
            object[name] = value
        }
        self = .object(object)
    }
}

extension JSONValue: CustomStringConvertible, CustomDebugStringConvertible {
    /// Canonical compact JSON (properties sorted). Non-finite doubles print as `NaN`/`inf`,
    /// which is not JSON: such a value cannot become a `Document`.
    public var description: String {
        var bytes: [UInt8] = []
        JSONSerializer.append(self, to: &bytes)
        return String(decoding: bytes, as: UTF8.self)
    }

    public var debugDescription: String { "JSONValue(\(description))" }
}

extension Document {
    /// Builds a document from a heap value. Throws for non-finite doubles and for nesting
    /// deeper than `depthMax`.
    public init(_ value: JSONValue, depthMax: Int = JSONParser.depthMaxDefault) throws(DocumentBuilderError) {
        var builder = DocumentBuilder(depthMax: depthMax)
        builder.append(value)
        self = try builder.finish()
    }
}
