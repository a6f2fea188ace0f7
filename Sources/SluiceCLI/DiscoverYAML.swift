import SluiceDocument

/// JSON values as block-style YAML, for output people edit (`sluice discover`). Strings that
/// YAML would read as something else are double-quoted with JSON escapes (valid YAML); arrays of
/// scalars are written inline.
enum DiscoverYAML {
    static func text(_ value: JSONValue) -> String {
        var output = ""
        write(value, indent: 0, to: &output)
        return output
    }

    private static func write(_ value: JSONValue, indent: Int, to output: inout String) {
        let pad = String(repeating: " ", count: indent)
        switch value {
        case .object(let object) where !object.isEmpty:
            for (name, child) in object {
                output += pad + key(name) + ":"
                writeValue(child, indent: indent, to: &output)
            }
        case .array(let elements) where !isInline(value):
            for element in elements {
                output += pad + "-"
                if case .object(let object) = element, !object.isEmpty {
                    // The first property on the dash's line, the others under it.
                    var first = true
                    for (name, child) in object {
                        output += (first ? " " : pad + "  ") + key(name) + ":"
                        writeValue(child, indent: indent + 2, to: &output)
                        first = false
                    }
                } else {
                    writeValue(element, indent: indent, to: &output)
                }
            }
        default:
            output += pad + inline(value) + "\n"
        }
    }

    /// The value after `key:` or `-`: on the same line when inline, else on the next lines.
    private static func writeValue(_ value: JSONValue, indent: Int, to output: inout String) {
        if isInline(value) {
            output += " " + inline(value) + "\n"
        } else {
            output += "\n"
            write(value, indent: indent + 2, to: &output)
        }
    }

    private static func isInline(_ value: JSONValue) -> Bool {
        switch value {
        case .object(let object): return object.isEmpty
        case .array(let elements): return elements.allSatisfy { if case .object = $0 { false } else if case .array = $0 { false } else { true } }
        default: return true
        }
    }

    private static func inline(_ value: JSONValue) -> String {
        switch value {
        case .string(let text): return scalar(text)
        case .array(let elements): return "[" + elements.map(inline).joined(separator: ", ") + "]"
        case .object: return "{}"
        default: return value.description
        }
    }

    private static func key(_ name: String) -> String { scalar(name) }

    /// A plain scalar when YAML reads it back as the same string, else a JSON string literal.
    private static func scalar(_ text: String) -> String {
        let reserved: Set<String> = ["true", "false", "null", "yes", "no", "on", "off", "y", "n", "~", ""]
        let plain = text.utf8.allSatisfy { byte in
            (byte >= 0x61 && byte <= 0x7A) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x30 && byte <= 0x39)
                || byte == 0x5F || byte == 0x2F || byte == 0x2E || byte == 0x2D
        }
        let first = text.utf8.first ?? 0
        let startsLikeText = (first >= 0x61 && first <= 0x7A) || (first >= 0x41 && first <= 0x5A) || first == 0x5F || first == 0x2F
        if plain && startsLikeText && !reserved.contains(text.lowercased()) { return text }
        return JSONValue.string(text).description
    }
}
