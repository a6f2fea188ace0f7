// SchemaValidator: recording errors in the collecting pass, and the words of messages.
import SluiceDocument

extension SchemaValidator {
    /// Appends the path segment of keyword `keywordIndex` (plus `suffix`) while collecting.
    @inline(__always)
    mutating func pushPath(_ keywordIndex: Int, _ suffix: String) {
        guard collecting else { return }
        evaluationPath.append("/" + SchemaCompiler.escape(program.keywordSites[keywordIndex].keyword) + suffix)
    }

    @inline(__always)
    mutating func popPath() {
        guard collecting else { return }
        evaluationPath.removeLast()
    }

    /// Records an error of keyword `keywordIndex` at `instance` (collecting pass only).
    mutating func record(_ keywordIndex: Int, _ instance: Int, _ message: String) {
        guard collecting, !errorsTruncated else { return }
        if errors.count >= errorLimit {
            errorsTruncated = true
            return
        }
        let path = evaluationPath.joined() + "/" + SchemaCompiler.escape(program.keywordSites[keywordIndex].keyword)
        errors.append(PendingError(tapeIndex: instance, keywordIndex: keywordIndex, path: path, message: message))
    }

    /// Records that a `false` schema was met (`properties: {x: false}` and the like).
    mutating func recordFalseSchema(_ node: Int32, _ instance: Int) {
        guard collecting, !errorsTruncated else { return }
        if errors.count >= errorLimit {
            errorsTruncated = true
            return
        }
        let location = program.locations[Int(program.nodes[Int(node)].location)]
        errors.append(PendingError(tapeIndex: instance, keywordIndex: -1, path: evaluationPath.joined(),
                                   message: "no value is allowed here (the schema is false)", schemaLocation: location.absolute))
    }

    /// The value at tape index `instance` of the document being validated, for messages
    /// (collecting pass only).
    func describe(_ instance: Int) -> DescribedValue {
        guard let document = collectingDocument else { return DescribedValue(kind: "value", short: "the value") }
        let node = InstanceLocator(document: document).node(atTapeIndex: instance)
        let kind = node.kind == .number ? (SchemaValidator.isInteger(node) ? "integer" : "number") : node.kind.description
        return DescribedValue(kind: kind, short: Messages.clip(node.description))
    }

    static func isInteger(_ node: Node) -> Bool {
        switch node.number {
        case .int?, .uint?: return true
        case .double(let value)?: return value.rounded(.towardZero) == value
        case nil: return false
        }
    }
}

/// A value as messages show it: its JSON (cut when long) and its kind.
struct DescribedValue {
    var kind: String
    var short: String
}

/// Message fragments.
enum Messages {
    /// JSON text, cut to 60 characters for a message.
    static func clip(_ text: String) -> String {
        text.count <= 60 ? text : String(text.prefix(57)) + "…"
    }

    static func quoted(_ text: String) -> String {
        var bytes: [UInt8] = []
        var copy = text
        copy.withUTF8 { JSONSerializer.appendString(UnsafeRawBufferPointer($0), to: &bytes) }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// A property name as a JSON pointer token.
    static func escaped(_ name: String) -> String { SchemaCompiler.escape(name) }

    static func type(_ mask: TypeMask, _ value: DescribedValue) -> String {
        let names = mask.names
        let expected = names.count == 1 ? names[0] : names.dropLast().joined(separator: ", ") + " or " + names.last!
        return "expected \(expected), found \(value.kind) \(value.short)"
    }

    static func enumeration(_ allowed: [String], _ value: DescribedValue) -> String {
        let list = allowed.count <= 12 ? allowed.joined(separator: ", ") : allowed.prefix(12).joined(separator: ", ") + ", … (\(allowed.count) values)"
        return "\(value.short) is not one of \(list)"
    }
}
