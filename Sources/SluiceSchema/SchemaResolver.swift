// SchemaResolver: where schemas referenced by URI come from while compiling. Never the
// network: documents given in a map, local folders standing for URI prefixes (the test
// suite's `http://localhost:1234/` is its `remotes` folder), `file:` URIs read from disk, and
// the built-in standard metaschemas. Validation itself does no I/O.
import Foundation
public import SluiceDocument

/// Finds the schema documents that `$ref` and `$schema` name.
public struct SchemaResolver: Sendable {
    /// Schemas by absolute URI (without fragment), consulted first.
    public var documents: [String: JSONValue]
    /// URI prefixes served from local folders: a URI starting with `prefix` is read from
    /// `folder` + the rest of the URI (`http://localhost:1234/a.json` → `remotes/a.json`).
    public var folders: [(prefix: String, folder: String)]
    /// Whether `file:` URIs are read from disk (relative references of a schema loaded from a
    /// file resolve to files beside it).
    public var readsFiles: Bool

    public init(documents: [String: JSONValue] = [:], folders: [(prefix: String, folder: String)] = [],
                readsFiles: Bool = true) {
        self.documents = documents
        self.folders = folders
        self.readsFiles = readsFiles
    }

    /// The document at `uri` (without fragment), nil when no source has it; throws when a
    /// source has it but it cannot be read or parsed.
    func load(_ uri: String) throws(SchemaCompileError) -> JSONValue? {
        if let document = documents[uri] { return document }
        if uri.hasSuffix("#"), let document = documents[String(uri.dropLast())] { return document }
        for (prefix, folder) in folders where uri.hasPrefix(prefix) {
            let path = (folder as NSString).appendingPathComponent(String(uri.dropFirst(prefix.count)))
            if FileManager.default.fileExists(atPath: path) {
                return try SchemaResolver.readJSON(path: path, uri: uri)
            }
        }
        if readsFiles, uri.hasPrefix("file://") {
            let path = SchemaURI.percentDecoded(String(uri.dropFirst("file://".count))) ?? ""
            if FileManager.default.fileExists(atPath: path) {
                return try SchemaResolver.readJSON(path: path, uri: uri)
            }
        }
        if let builtIn = Metaschemas.documents.first(where: { $0.uri == uri }) {
            do {
                return try JSONValue(parsing: builtIn.json)
            } catch {
                preconditionFailure("built-in metaschema \(uri) does not parse: \(error)")
            }
        }
        return nil
    }

    /// Reads and parses a JSON file.
    static func readJSON(path: String, uri: String) throws(SchemaCompileError) -> JSONValue {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw SchemaCompileError(location: uri, message: "cannot read \(path)")
        }
        do {
            return try Document(parsing: [UInt8](data)).jsonValue
        } catch {
            throw SchemaCompileError(location: uri, message: "\(path) is not valid JSON: \(error)")
        }
    }

    /// The `file://` URI of a local path (made absolute against the current directory).
    public static func fileURI(path: String) -> String {
        let absolute = path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path
        let standardized = (absolute as NSString).standardizingPath
        var text = "file://"
        for byte in standardized.utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                 UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "/"), UInt8(ascii: "-"), UInt8(ascii: "."),
                 UInt8(ascii: "_"), UInt8(ascii: "~"):
                text.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                text += "%" + String(byte, radix: 16, uppercase: true).leftPadded(to: 2)
            }
        }
        return text
    }
}

extension String {
    fileprivate func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}
