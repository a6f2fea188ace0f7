// JSONObject: the properties of a heap JSON object, sorted by name bytes like a tape's.

/// An object's properties, unique and sorted by the UTF-8 bytes of their names (not by
/// Swift's `String` order, which folds canonically equivalent strings together).
public struct JSONObject: Sendable {
    public typealias Property = (name: String, value: JSONValue)

    /// The properties in name order.
    public private(set) var properties: [Property]

    public init() { properties = [] }

    /// From properties in any order; a later duplicate name replaces an earlier one.
    public init(_ properties: some Sequence<Property>) {
        self.init()
        for property in properties { self[property.name] = property.value }
    }

    /// From properties already sorted by name bytes and unique (a tape's).
    init(sortedUniqueProperties: [Property]) {
        properties = sortedUniqueProperties
        assert(zip(properties, properties.dropFirst()).allSatisfy { compareUTF8($0.0.name, $0.1.name) < 0 })
    }

    public var count: Int { properties.count }
    public var isEmpty: Bool { properties.isEmpty }
    public var names: [String] { properties.map(\.name) }

    /// Where `name` is, or where it would be inserted.
    func search(_ name: String) -> (index: Int, found: Bool) {
        var low = 0
        var high = properties.count
        while low < high {
            let middle = (low + high) / 2
            let order = compareUTF8(properties[middle].name, name)
            if order == 0 { return (middle, true) }
            if order < 0 { low = middle + 1 } else { high = middle }
        }
        return (low, false)
    }

    /// The value of `name`; assigning nil removes the property.
    public subscript(_ name: String) -> JSONValue? {
        get {
            let (index, found) = search(name)
            return found ? properties[index].value : nil
        }
        set {
            let (index, found) = search(name)
            switch (found, newValue) {
            case (true, let value?): properties[index].value = value
            case (true, nil): properties.remove(at: index)
            case (false, let value?): properties.insert((name, value), at: index)
            case (false, nil): break
            }
        }
    }

    /// Modifies the value of `name` in place, inserting `default` first if absent.
    mutating func modify<R>(_ name: String, default: JSONValue, _ body: (inout JSONValue) throws -> R) rethrows -> R {
        var (index, found) = search(name)
        if !found {
            properties.insert((name, `default`), at: index)
            found = true
        }
        return try body(&properties[index].value)
    }
}

extension JSONObject: Sequence {
    public func makeIterator() -> IndexingIterator<[Property]> { properties.makeIterator() }
}

extension JSONObject: ExpressibleByDictionaryLiteral {
    /// Duplicate names in a literal are a programming error.
    public init(dictionaryLiteral elements: (String, JSONValue)...) {
        self.init()
        for (name, value) in elements {
            precondition(!search(name).found, "duplicate property \(name) in an object literal")
            self[name] = value
        }
    }
}

extension JSONObject: Equatable, Hashable, Comparable {
    public static func == (left: JSONObject, right: JSONObject) -> Bool {
        JSONValue.object(left) == JSONValue.object(right)
    }

    public static func < (left: JSONObject, right: JSONObject) -> Bool {
        JSONValue.object(left) < JSONValue.object(right)
    }

    public func hash(into hasher: inout Hasher) { JSONValue.object(self).hash(into: &hasher) }
}

/// Compares two strings by their UTF-8 bytes: -1, 0 or 1.
func compareUTF8(_ left: String, _ right: String) -> Int {
    var left = left
    var right = right
    return left.withUTF8 { a in
        right.withUTF8 { b in
            // Safety: `compareBytes` reads only inside both buffers; a dummy non-nil base is
            // passed for empty strings and never read (count 0).
            withUnsafeBytes(of: 0 as UInt8) { empty in
                compareBytes(UnsafeRawPointer(a.baseAddress) ?? empty.baseAddress!, a.count,
                             UnsafeRawPointer(b.baseAddress) ?? empty.baseAddress!, b.count)
            }
        }
    }.signum()
}
