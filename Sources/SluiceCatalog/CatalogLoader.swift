import Foundation

/// Loads a catalog file and its imports into a `Catalog`, or fails with every problem found.
public enum CatalogLoader {
    /// Largest catalog file read: a catalog is configuration, not data.
    public static let catalogFileBytesMax = 16 << 20

    /// Loads `path` (relative to the current directory) and every file it imports.
    /// `${NAME}` in endpoint configs is replaced from `environment`.
    public static func load(path: String, environment: [String: String]? = nil) throws(CatalogError) -> Catalog {
        let environment = environment ?? ProcessInfo.processInfo.environment
        let sink = DiagnosticSink()
        let context = LoadContext(sink: sink, environment: environment)
        let root = absolutePath(path)
        context.loadFile(root, importedFrom: nil)
        if sink.isEmpty { context.checkReferences() }
        guard sink.isEmpty else { throw CatalogError(sink.sorted) }
        return context.catalog
    }

    /// Loads a catalog from YAML text, as if read from a file at `path` (relative references
    /// resolve against its folder). For tests and the library API.
    public static func load(yaml: String, path: String, environment: [String: String] = [:]) throws(CatalogError) -> Catalog {
        let sink = DiagnosticSink()
        let context = LoadContext(sink: sink, environment: environment)
        context.loadText(yaml, file: absolutePath(path))
        if sink.isEmpty { context.checkReferences() }
        guard sink.isEmpty else { throw CatalogError(sink.sorted) }
        return context.catalog
    }

    static func absolutePath(_ path: String) -> String {
        let url = path.hasPrefix("/") ? URL(fileURLWithPath: path)
            : URL(fileURLWithPath: FileManager.default.currentDirectoryPath).appendingPathComponent(path)
        return url.standardizedFileURL.path
    }
}

/// State of one load: the catalog being built and the files seen.
final class LoadContext {
    let sink: DiagnosticSink
    let environment: [String: String]
    var catalog = Catalog()
    private var loadedFiles: Set<String> = []
    /// Where each entity was first defined, to report duplicates across files.
    private var definedAt: [String: SourceLocation] = [:]

    init(sink: DiagnosticSink, environment: [String: String]) {
        self.sink = sink
        self.environment = environment
    }

    func loadFile(_ file: String, importedFrom: (location: SourceLocation, path: CatalogPath)?) {
        guard !loadedFiles.contains(file) else { return }  // diamonds and cycles load once
        let data: Data
        do {
            let attributes = try FileManager.default.attributesOfItem(atPath: file)
            if let size = attributes[.size] as? Int, size > CatalogLoader.catalogFileBytesMax {
                sink.report(at: importedFrom?.location, importedFrom?.path ?? .root,
                            "\(file) is \(size) bytes; a catalog file may have at most \(CatalogLoader.catalogFileBytesMax)")
                return
            }
            data = try Data(contentsOf: URL(fileURLWithPath: file))
        } catch {
            let reason = FileManager.default.fileExists(atPath: file) ? "cannot be read" : "does not exist"
            sink.report(at: importedFrom?.location, importedFrom?.path ?? .root, "catalog file \(file) \(reason)")
            return
        }
        guard let text = String(data: data, encoding: .utf8) else {
            sink.report(at: SourceLocation(file: file, line: 1, column: 1), .root, "catalog file is not UTF-8")
            return
        }
        loadText(text, file: file)
    }

    func loadText(_ text: String, file: String) {
        loadedFiles.insert(file)
        catalog.files.append(file)
        guard let root = CatalogYAML.parse(text, file: file, sink: sink) else { return }
        guard var reader = NodeReader(root, .root, sink, what: "a catalog") else { return }
        let folder = (file as NSString).deletingLastPathComponent

        if let imports = reader.stringArray("import") {
            for (index, (relative, location)) in imports.enumerated() {
                let target = resolve(relative, against: folder)
                loadFile(target, importedFrom: (location, CatalogPath.root.property("import").index(index)))
            }
        }
        if let collections = reader.node("collections") {
            forEachEntity(collections, kind: "collections") { name, node, path, keyLocation in
                if let definition = readCollection(name: name, node: node, path: path, keyLocation: keyLocation, folder: folder) {
                    catalog.collections[name] = definition
                }
            }
        }
        if let captures = reader.node("captures") {
            forEachEntity(captures, kind: "captures") { name, node, path, keyLocation in
                if let definition = readCapture(name: name, node: node, path: path, keyLocation: keyLocation, folder: folder) {
                    catalog.captures[name] = definition
                }
            }
        }
        if let materializations = reader.node("materializations") {
            forEachEntity(materializations, kind: "materializations") { name, node, path, keyLocation in
                if let definition = readMaterialization(name: name, node: node, path: path, keyLocation: keyLocation, folder: folder) {
                    catalog.materializations[name] = definition
                }
            }
        }
        if let tests = reader.node("tests") {
            forEachEntity(tests, kind: "tests") { name, node, path, keyLocation in
                if let definition = readTest(name: name, node: node, path: path, keyLocation: keyLocation, folder: folder) {
                    catalog.tests[name] = definition
                }
            }
        }
        reader.finish()
    }

    /// Visits each `name: definition` entry of a top-level section, checking names and duplicates.
    private func forEachEntity(_ section: CatalogNode, kind: String,
                               _ body: (String, CatalogNode, CatalogPath, SourceLocation) -> Void) {
        let sectionPath = CatalogPath.root.property(kind)
        if case .null = section.value { return }
        guard let entries = section.objectEntries else {
            sink.report(section, sectionPath, "expected an object of \(kind) by name, found \(section.kindDescription)")
            return
        }
        for entry in entries {
            let path = sectionPath.entry(entry.key)
            if let problem = CatalogNames.problem(with: entry.key) {
                sink.report(at: entry.keyLocation, path, problem)
                continue
            }
            if kind == "collections", entry.key.hasPrefix("ops/") {
                sink.report(at: entry.keyLocation, path, "collection names under ops/ are reserved for Sluice's own collections (ops/stats)")
                continue
            }
            let scope = "\(kind == "tests" ? "tests" : kind)/\(entry.key)"
            if let first = definedAt[scope] {
                sink.report(at: entry.keyLocation, path, "defined twice (first at \(first))")
                continue
            }
            definedAt[scope] = entry.keyLocation
            body(entry.key, entry.value, path, entry.keyLocation)
        }
    }

    func resolve(_ relative: String, against folder: String) -> String {
        let path = relative.hasPrefix("/") ? relative : (folder as NSString).appendingPathComponent(relative)
        return URL(fileURLWithPath: path).standardizedFileURL.path
    }

    /// Replaces `${NAME}` with the environment's value; `$${` is a literal `${`. A missing
    /// variable is reported by name (values never appear in messages).
    func substituteEnvironment(_ text: String, node: CatalogNode, path: CatalogPath) -> String {
        guard text.contains("$") else { return text }
        var output = ""
        var rest = Substring(text)
        while let dollar = rest.firstIndex(of: "$") {
            output += rest[..<dollar]
            let after = rest[dollar...]
            if after.hasPrefix("$${") {
                output += "${"
                rest = after.dropFirst(3)
            } else if after.hasPrefix("${"), let close = after.firstIndex(of: "}") {
                let name = String(after[after.index(after.startIndex, offsetBy: 2)..<close])
                if CatalogNames.isEnvironmentName(name) {
                    if let value = environment[name] {
                        output += value
                    } else {
                        sink.report(node, path, "environment variable \(name) is not set")
                    }
                } else {
                    sink.report(node, path, "\"${\(name)}\" is not a valid environment variable reference")
                }
                rest = after[after.index(after: close)...]
            } else {
                output += "$"
                rest = after.dropFirst()
            }
        }
        output += rest
        return output
    }

    /// A copy of `node` with `${NAME}` substituted in every string (keys unchanged).
    func substitutingEnvironment(in node: CatalogNode, path: CatalogPath) -> CatalogNode {
        var copy = node
        switch node.value {
        case .string(let text):
            copy.value = .string(substituteEnvironment(text, node: node, path: path))
        case .array(let elements):
            copy.value = .array(elements.enumerated().map { substitutingEnvironment(in: $1, path: path.index($0)) })
        case .object(let entries):
            copy.value = .object(entries.map {
                (key: $0.key, keyLocation: $0.keyLocation, value: substitutingEnvironment(in: $0.value, path: path.property($0.key)))
            })
        default: break
        }
        return copy
    }
}

/// Naming rules shared by the catalog's entities.
enum CatalogNames {
    /// Longest entity name: journal names (at most 512 characters) add partitions after it.
    static let nameLengthMax = 256

    /// Flow's rule: segments of letters, digits, `-`, `_` and `.`, separated by single `/`.
    static func problem(with name: String) -> String? {
        if name.isEmpty { return "a name must not be empty" }
        if name.count > nameLengthMax { return "a name may have at most \(nameLengthMax) characters" }
        for segment in name.split(separator: "/", omittingEmptySubsequences: false) {
            if segment.isEmpty { return "\"\(name)\" has an empty path segment (leading, trailing or double '/')" }
            if segment == "." || segment == ".." { return "\"\(name)\" has a '\(segment)' segment" }
            if let bad = segment.unicodeScalars.first(where: { !isNameScalar($0) }) {
                return "\"\(name)\" has the character '\(bad)': names use letters, digits, '-', '_', '.' and '/'"
            }
        }
        return nil
    }

    private static func isNameScalar(_ scalar: Unicode.Scalar) -> Bool {
        scalar.properties.isAlphabetic || scalar.properties.numericType != nil || "-_.".unicodeScalars.contains(scalar)
    }

    static func isEnvironmentName(_ name: String) -> Bool {
        guard let first = name.unicodeScalars.first, first == "_" || (first.isASCII && first.properties.isAlphabetic) else {
            return false
        }
        return name.unicodeScalars.allSatisfy { $0 == "_" || ($0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0))) }
    }

    /// Nil if `pointer` is a well-formed, non-empty JSON pointer.
    static func pointerProblem(_ pointer: String) -> String? {
        if pointer.isEmpty { return "the empty pointer (the whole document) cannot be used here" }
        if !pointer.hasPrefix("/") {
            return "\"\(pointer)\" is not a JSON pointer (did you mean \"/\(pointer)\"?)"
        }
        var scalars = pointer.unicodeScalars.makeIterator()
        while let scalar = scalars.next() {
            if scalar == "~" {
                guard let next = scalars.next(), next == "0" || next == "1" else {
                    return "\"\(pointer)\" has a '~' not followed by 0 or 1"
                }
            }
        }
        return nil
    }
}
