/// Reads the properties of one catalog object, reporting every problem to a sink, and at
/// `finish` every property that was not read (with a "did you mean").
struct NodeReader {
    let node: CatalogNode
    let path: CatalogPath
    let sink: DiagnosticSink
    private let entries: [(key: String, keyLocation: SourceLocation, value: CatalogNode)]
    private var used: Set<String> = []

    /// Nil (after reporting) when `node` is not an object.
    init?(_ node: CatalogNode, _ path: CatalogPath, _ sink: DiagnosticSink, what: String) {
        guard let entries = node.objectEntries else {
            sink.report(node, path, "expected \(what) (an object), found \(node.kindDescription)")
            return nil
        }
        self.node = node
        self.path = path
        self.sink = sink
        self.entries = entries
    }

    var keys: [String] { entries.map(\.key) }

    func has(_ key: String) -> Bool { entries.contains { $0.key == key } }

    /// The raw node of a property, marking it read.
    mutating func node(_ key: String, required: Bool = false) -> CatalogNode? {
        used.insert(key)
        guard let entry = entries.first(where: { $0.key == key }) else {
            if required { sink.report(node, path, "missing required property \"\(key)\"") }
            return nil
        }
        return entry.value
    }

    mutating func string(_ key: String, required: Bool = false) -> (value: String, location: SourceLocation)? {
        guard let value = node(key, required: required) else { return nil }
        guard let text = value.string else {
            sink.report(value, path.property(key), "expected a string, found \(value.kindDescription)")
            return nil
        }
        return (text, value.location)
    }

    mutating func nonEmptyString(_ key: String, required: Bool = false) -> (value: String, location: SourceLocation)? {
        guard let result = string(key, required: required) else { return nil }
        if result.value.isEmpty {
            sink.report(at: result.location, path.property(key), "must not be empty")
            return nil
        }
        return result
    }

    mutating func bool(_ key: String) -> Bool? {
        guard let value = node(key) else { return nil }
        guard case .bool(let flag) = value.value else {
            sink.report(value, path.property(key), "expected true or false, found \(value.kindDescription)")
            return nil
        }
        return flag
    }

    mutating func integer(_ key: String, in range: ClosedRange<Int>) -> Int? {
        guard let value = node(key) else { return nil }
        guard case .integer(let number) = value.value else {
            sink.report(value, path.property(key), "expected an integer, found \(value.kindDescription)")
            return nil
        }
        guard let small = Int(exactly: number), range.contains(small) else {
            sink.report(value, path.property(key), "\(number) is out of range \(range.lowerBound)...\(range.upperBound)")
            return nil
        }
        return small
    }

    mutating func number(_ key: String) -> Double? {
        guard let value = node(key) else { return nil }
        switch value.value {
        case .integer(let number): return Double(number)
        case .unsigned(let number): return Double(number)
        case .double(let number): return number
        default:
            sink.report(value, path.property(key), "expected a number, found \(value.kindDescription)")
            return nil
        }
    }

    /// A duration: a number of seconds, or text such as `500ms`, `30s`, `5m`, `2h`, `1h30m`, `7d`.
    mutating func duration(_ key: String) -> Double? {
        guard let value = node(key) else { return nil }
        switch value.value {
        case .integer(let number) where number >= 0: return Double(number)
        case .double(let number) where number >= 0: return number
        case .string(let text):
            if let seconds = Durations.parse(text) { return seconds }
            sink.report(value, path.property(key), "\"\(text)\" is not a duration (examples: 500ms, 30s, 5m, 2h, 1h30m, 7d)")
            return nil
        default:
            sink.report(value, path.property(key), "expected a duration such as \"30s\" or \"2h\", found \(value.kindDescription)")
            return nil
        }
    }

    /// A size in bytes: an integer, or text such as `64MiB`, `1GB`, `512KiB`.
    mutating func bytes(_ key: String) -> Int? {
        guard let value = node(key) else { return nil }
        switch value.value {
        case .integer(let number) where number > 0: return Int(number)
        case .string(let text):
            if let bytes = Durations.parseBytes(text), bytes > 0 { return bytes }
            sink.report(value, path.property(key), "\"\(text)\" is not a size (examples: 1048576, 512KiB, 64MiB, 1GB)")
            return nil
        default:
            sink.report(value, path.property(key), "expected a positive size in bytes, found \(value.kindDescription)")
            return nil
        }
    }

    mutating func stringArray(_ key: String, required: Bool = false) -> [(value: String, location: SourceLocation)]? {
        guard let value = node(key, required: required) else { return nil }
        guard let elements = value.arrayElements else {
            sink.report(value, path.property(key), "expected an array of strings, found \(value.kindDescription)")
            return nil
        }
        var result: [(value: String, location: SourceLocation)] = []
        for (index, element) in elements.enumerated() {
            guard let text = element.string else {
                sink.report(element, path.property(key).index(index), "expected a string, found \(element.kindDescription)")
                continue
            }
            result.append((text, element.location))
        }
        return result
    }

    /// An object of string values.
    mutating func stringMap(_ key: String) -> [String: String]? {
        guard let value = node(key) else { return nil }
        guard let entries = value.objectEntries else {
            sink.report(value, path.property(key), "expected an object of strings, found \(value.kindDescription)")
            return nil
        }
        var result: [String: String] = [:]
        for entry in entries {
            guard let text = entry.value.string else {
                sink.report(entry.value, path.property(key).property(entry.key), "expected a string, found \(entry.value.kindDescription)")
                continue
            }
            result[entry.key] = text
        }
        return result
    }

    /// A string that must be one of `choices`.
    mutating func choice<Choice: RawRepresentable & CaseIterable>(_ key: String, as type: Choice.Type) -> Choice?
    where Choice.RawValue == String {
        guard let (text, location) = string(key) else { return nil }
        if let choice = Choice(rawValue: text) { return choice }
        let names = Choice.allCases.map(\.rawValue)
        sink.report(at: location, path.property(key),
                    "\"\(text)\" is not one of \(names.joined(separator: ", "))\(Suggestion.hint(for: text, in: names))")
        return nil
    }

    /// Reports every property that was not read.
    func finish() {
        let known = used
        for entry in entries where !known.contains(entry.key) {
            sink.report(at: entry.keyLocation, path.property(entry.key),
                        "unknown property\(Suggestion.hint(for: entry.key, in: known.sorted()))")
        }
    }
}

/// Durations and sizes written as text.
enum Durations {
    /// Seconds of `500ms`, `30s`, `5m`, `2h`, `1h30m`, `7d`, or a plain number of seconds.
    static func parse(_ text: String) -> Double? {
        if let seconds = Double(text), seconds >= 0, seconds.isFinite { return seconds }
        let units: [(String, Double)] = [("ms", 0.001), ("s", 1), ("m", 60), ("h", 3600), ("d", 86_400)]
        var rest = Substring(text.trimmingCharacters(in: " "))
        var total = 0.0
        guard !rest.isEmpty else { return nil }
        while !rest.isEmpty {
            let digits = rest.prefix { $0.isNumber || $0 == "." }
            guard !digits.isEmpty, let amount = Double(digits) else { return nil }
            rest = rest.dropFirst(digits.count)
            guard let unit = units.first(where: { rest.hasPrefix($0.0) && !(($0.0 == "m") && rest.hasPrefix("ms")) }) else {
                return nil
            }
            rest = rest.dropFirst(unit.0.count)
            total += amount * unit.1
        }
        return total
    }

    /// Bytes of `1048576`, `512KiB`, `64MiB`, `1GiB`, `10KB`, `1MB`, `1GB`.
    static func parseBytes(_ text: String) -> Int? {
        if let bytes = Int(text) { return bytes }
        let units: [(String, Int)] = [
            ("KiB", 1 << 10), ("MiB", 1 << 20), ("GiB", 1 << 30), ("KB", 1_000), ("MB", 1_000_000),
            ("GB", 1_000_000_000), ("B", 1),
        ]
        for (suffix, factor) in units where text.hasSuffix(suffix) {
            let number = text.dropLast(suffix.count).trimmingCharacters(in: " ")
            if let amount = Double(number), amount >= 0, amount * Double(factor) < Double(Int.max) {
                return Int(amount * Double(factor))
            }
        }
        return nil
    }
}

private extension StringProtocol {
    func trimmingCharacters(in character: Character) -> String {
        String(drop { $0 == character }.reversed().drop { $0 == character }.reversed())
    }
}
