import Yams

/// A YAML value of a catalog with its source location: the JSON data model (YAML's other
/// types have no place in a catalog). Plain scalars are typed by the YAML 1.2 core schema, as
/// Flow's YAML reader does: `null`, `~` and the empty scalar are null; `true`/`false` (any of
/// their three casings) are booleans; decimal, `0o` and `0x` integers and decimal floats are
/// numbers; anything else, and every quoted scalar, is a string. So `yes`, `on` and `2024-01-01`
/// stay strings.
struct CatalogNode {
    enum Value {
        case null
        case bool(Bool)
        case integer(Int64)
        case unsigned(UInt64)
        case double(Double)
        case string(String)
        case array([CatalogNode])
        /// Properties in document order; duplicates are rejected when the tree is built.
        case object([(key: String, keyLocation: SourceLocation, value: CatalogNode)])
    }

    var value: Value
    var location: SourceLocation

    /// What kind of value this is, for messages: "a string", "an object".
    var kindDescription: String {
        switch value {
        case .null: return "null"
        case .bool: return "a boolean"
        case .integer, .unsigned: return "an integer"
        case .double: return "a number"
        case .string: return "a string"
        case .array: return "an array"
        case .object: return "an object"
        }
    }

    var string: String? { if case .string(let text) = value { return text } else { return nil } }

    var objectEntries: [(key: String, keyLocation: SourceLocation, value: CatalogNode)]? {
        if case .object(let entries) = value { return entries } else { return nil }
    }

    var arrayElements: [CatalogNode]? { if case .array(let elements) = value { return elements } else { return nil } }

    subscript(key: String) -> CatalogNode? { objectEntries?.first { $0.key == key }?.value }
}

// MARK: - From YAML

enum CatalogYAML {
    /// Parses one YAML document into a node tree, reporting problems (syntax errors, duplicate
    /// keys, non-JSON values) to `sink`. Returns nil when the document cannot be read at all.
    static func parse(_ text: String, file: String, sink: DiagnosticSink) -> CatalogNode? {
        let root: Node?
        do {
            root = try Yams.compose(yaml: text, .basic)
        } catch let error as YamlError {
            sink.report(at: location(of: error, file: file), .root, "invalid YAML: \(describe(error))")
            return nil
        } catch {
            sink.report(at: SourceLocation(file: file, line: 1, column: 1), .root, "invalid YAML: \(error)")
            return nil
        }
        guard let root else {
            return CatalogNode(value: .object([]), location: SourceLocation(file: file, line: 1, column: 1))
        }
        return convert(root, file: file, path: .root, sink: sink)
    }

    private static func convert(_ node: Node, file: String, path: CatalogPath, sink: DiagnosticSink) -> CatalogNode {
        let location = SourceLocation(file: file, line: node.mark?.line ?? 1, column: node.mark?.column ?? 1)
        switch node {
        case .scalar(let scalar):
            let value: CatalogNode.Value
            if scalar.style == .plain {
                value = typedPlainScalar(scalar.string) ?? .string(scalar.string)
                if case .double(let number) = value, !number.isFinite {
                    sink.report(at: location, path, "\(scalar.string) is not a JSON number")
                }
            } else {
                value = .string(scalar.string)
            }
            return CatalogNode(value: value, location: location)
        case .sequence(let sequence):
            let elements = sequence.enumerated().map { index, element in
                convert(element, file: file, path: path.index(index), sink: sink)
            }
            return CatalogNode(value: .array(elements), location: location)
        case .mapping(let mapping):
            var entries: [(key: String, keyLocation: SourceLocation, value: CatalogNode)] = []
            var seen: [String: SourceLocation] = [:]
            for (keyNode, valueNode) in mapping {
                let keyLocation = SourceLocation(file: file, line: keyNode.mark?.line ?? location.line,
                                                 column: keyNode.mark?.column ?? location.column)
                guard case .scalar(let keyScalar) = keyNode else {
                    sink.report(at: keyLocation, path, "a property name must be a string, not a \(keyNode.isMapping ? "mapping" : "sequence")")
                    continue
                }
                let key = keyScalar.string
                if let first = seen[key] {
                    sink.report(at: keyLocation, path.property(key), "duplicate property (first at line \(first.line))")
                    continue
                }
                seen[key] = keyLocation
                let value = convert(valueNode, file: file, path: path.property(key), sink: sink)
                entries.append((key: key, keyLocation: keyLocation, value: value))
            }
            return CatalogNode(value: .object(entries), location: location)
        case .alias:
            sink.report(at: location, path, "unresolved YAML alias")
            return CatalogNode(value: .null, location: location)
        }
    }

    /// The YAML 1.2 core schema's typing of a plain scalar, or nil for a string.
    static func typedPlainScalar(_ text: String) -> CatalogNode.Value? {
        switch text {
        case "", "~", "null", "Null", "NULL": return .null
        case "true", "True", "TRUE": return .bool(true)
        case "false", "False", "FALSE": return .bool(false)
        case ".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF": return .double(.infinity)
        case "-.inf", "-.Inf", "-.INF": return .double(-.infinity)
        case ".nan", ".NaN", ".NAN": return .double(.nan)
        default: break
        }
        let bytes = Array(text.utf8)
        if bytes.count > 2, bytes[0] == 0x30, bytes[1] == 0x78 || bytes[1] == 0x6F {  // 0x…, 0o…
            let radix = bytes[1] == 0x78 ? 16 : 8
            if let value = Int64(text.dropFirst(2), radix: radix) { return .integer(value) }
            if let value = UInt64(text.dropFirst(2), radix: radix) { return .unsigned(value) }
            return nil
        }
        if isDecimalInteger(bytes) {
            if let value = Int64(text) { return .integer(value) }
            if let value = UInt64(text.hasPrefix("+") ? String(text.dropFirst()) : text) { return .unsigned(value) }
            return Double(text).map { .double($0) }
        }
        if isDecimalFloat(bytes), let value = Double(text) { return .double(value) }
        return nil
    }

    /// `[-+]?[0-9]+`
    private static func isDecimalInteger(_ bytes: [UInt8]) -> Bool {
        var index = 0
        if index < bytes.count, bytes[index] == 0x2D || bytes[index] == 0x2B { index += 1 }
        guard index < bytes.count else { return false }
        return bytes[index...].allSatisfy { (0x30...0x39).contains($0) }
    }

    /// `[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?`
    private static func isDecimalFloat(_ bytes: [UInt8]) -> Bool {
        var index = 0
        func digits() -> Int {
            let start = index
            while index < bytes.count, (0x30...0x39).contains(bytes[index]) { index += 1 }
            return index - start
        }
        if index < bytes.count, bytes[index] == 0x2D || bytes[index] == 0x2B { index += 1 }
        var mantissaDigits = digits()
        if index < bytes.count, bytes[index] == 0x2E {
            index += 1
            mantissaDigits += digits()
        }
        guard mantissaDigits > 0 else { return false }
        if index < bytes.count, bytes[index] == 0x65 || bytes[index] == 0x45 {
            index += 1
            if index < bytes.count, bytes[index] == 0x2D || bytes[index] == 0x2B { index += 1 }
            guard digits() > 0 else { return false }
        }
        return index == bytes.count
    }

    private static func location(of error: YamlError, file: String) -> SourceLocation {
        switch error {
        case .scanner(_, _, let mark, _), .parser(_, _, let mark, _), .composer(_, _, let mark, _):
            return SourceLocation(file: file, line: mark.line, column: mark.column)
        case .duplicatedKeysInMapping(_, let context):
            return SourceLocation(file: file, line: context.mark.line, column: context.mark.column)
        default:
            return SourceLocation(file: file, line: 1, column: 1)
        }
    }

    private static func describe(_ error: YamlError) -> String {
        switch error {
        case .scanner(let context, let problem, _, _), .parser(let context, let problem, _, _),
             .composer(let context, let problem, _, _):
            return [context?.text, problem].compactMap { $0 }.filter { !$0.isEmpty }.joined(separator: ": ")
        case .duplicatedKeysInMapping(let duplicates, _):
            let names = duplicates.map { "\"\($0)\"" }.joined(separator: ", ")
            return "duplicate property \(names) (a mapping names each property once)"
        default:
            return "\(error)"
        }
    }
}

private extension Node {
    var isMapping: Bool { if case .mapping = self { return true } else { return false } }
}

// MARK: - To JSON

extension CatalogNode {
    /// Compact JSON text of the value, properties in document order.
    var jsonText: String {
        var output = ""
        appendJSON(to: &output)
        return output
    }

    func appendJSON(to output: inout String) {
        switch value {
        case .null: output += "null"
        case .bool(let flag): output += flag ? "true" : "false"
        case .integer(let number): output += String(number)
        case .unsigned(let number): output += String(number)
        case .double(let number):
            output += number.isFinite ? "\(number)" : "null"
        case .string(let text): CatalogNode.appendJSONString(text, to: &output)
        case .array(let elements):
            output += "["
            for (index, element) in elements.enumerated() {
                if index > 0 { output += "," }
                element.appendJSON(to: &output)
            }
            output += "]"
        case .object(let entries):
            output += "{"
            for (index, entry) in entries.enumerated() {
                if index > 0 { output += "," }
                CatalogNode.appendJSONString(entry.key, to: &output)
                output += ":"
                entry.value.appendJSON(to: &output)
            }
            output += "}"
        }
    }

    static func appendJSONString(_ text: String, to output: inout String) {
        output += "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": output += "\\\""
            case "\\": output += "\\\\"
            case "\n": output += "\\n"
            case "\r": output += "\\r"
            case "\t": output += "\\t"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                output += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: output.unicodeScalars.append(scalar)
            }
        }
        output += "\""
    }
}
