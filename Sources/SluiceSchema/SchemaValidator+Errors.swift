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
    mutating func record(_ keywordIndex: Int, _ instance: Node, _ message: String) {
        guard collecting, !errorsTruncated else { return }
        if errors.count >= errorLimit {
            errorsTruncated = true
            return
        }
        let path = evaluationPath.joined() + "/" + SchemaCompiler.escape(program.keywordSites[keywordIndex].keyword)
        errors.append(PendingError(tapeIndex: instance.tapeIndex, keywordIndex: keywordIndex, path: path, message: message))
    }

    /// Records that a `false` schema was met (`properties: {x: false}` and the like).
    mutating func recordFalseSchema(_ node: Int32, _ instance: Node) {
        guard collecting, !errorsTruncated else { return }
        if errors.count >= errorLimit {
            errorsTruncated = true
            return
        }
        let location = program.locations[Int(program.nodes[Int(node)].location)]
        errors.append(PendingError(tapeIndex: instance.tapeIndex, keywordIndex: -1, path: evaluationPath.joined(),
                                   message: "no value is allowed here (the schema at \(location.absolute) is false)"))
    }
}

/// Message fragments.
enum Messages {
    /// A value as short JSON for a message (long values are cut).
    static func short(_ node: Node) -> String {
        let text = node.description
        return text.count <= 60 ? text : String(text.prefix(57)) + "…"
    }

    static func quoted(_ text: String) -> String {
        var bytes: [UInt8] = []
        var copy = text
        copy.withUTF8 { JSONSerializer.appendString(UnsafeRawBufferPointer($0), to: &bytes) }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// A property name as a JSON pointer token.
    static func escaped(_ name: String) -> String { SchemaCompiler.escape(name) }

    static func kindName(_ node: Node) -> String {
        if node.kind == .number { return SchemaValidator.isInteger(node) ? "integer" : "number" }
        return node.kind.description
    }

    static func type(_ mask: TypeMask, _ node: Node) -> String {
        let names = mask.names
        let expected = names.count == 1 ? names[0] : names.dropLast().joined(separator: ", ") + " or " + names.last!
        return "expected \(expected), found \(kindName(node)) \(short(node))"
    }

    static func constant(_ expected: Document, _ node: Node) -> String {
        "\(short(node)) is not the required value \(expected.root.description.count <= 60 ? expected.description : String(expected.description.prefix(57)) + "…")"
    }

    static func enumeration(_ allowed: [String], _ node: Node) -> String {
        let list = allowed.count <= 12 ? allowed.joined(separator: ", ") : allowed.prefix(12).joined(separator: ", ") + ", … (\(allowed.count) values)"
        return "\(short(node)) is not one of \(list)"
    }
}
