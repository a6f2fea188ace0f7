import Foundation

extension LoadContext {
    func readCollection(name: String, node: CatalogNode, path: CatalogPath, keyLocation: SourceLocation,
                        folder: String) -> CollectionDefinition? {
        guard var reader = NodeReader(node, path, sink, what: "a collection") else { return nil }
        let schema = reader.node("schema").flatMap { self.readSchema($0, path: path.property("schema"), folder: folder) }
        let writeSchema = reader.node("writeSchema").flatMap { self.readSchema($0, path: path.property("writeSchema"), folder: folder) }
        let readSchema = reader.node("readSchema").flatMap { self.readSchema($0, path: path.property("readSchema"), folder: folder) }
        if schema == nil, writeSchema == nil, readSchema == nil, !(reader.has("schema") || reader.has("writeSchema") || reader.has("readSchema")) {
            sink.report(node, path, "missing required property \"schema\" (or both \"writeSchema\" and \"readSchema\")")
        } else if reader.has("schema"), reader.has("writeSchema") || reader.has("readSchema") {
            sink.report(node, path, "give either \"schema\" or \"writeSchema\" with \"readSchema\", not both")
        } else if !reader.has("schema"), reader.has("writeSchema") != reader.has("readSchema") {
            sink.report(node, path, "\"writeSchema\" and \"readSchema\" go together")
        }

        var key: [LocatedPointer] = []
        if let keyNode = reader.node("key", required: true) {
            if let elements = keyNode.arrayElements, !elements.isEmpty {
                for (index, element) in elements.enumerated() {
                    guard let pointer = element.string else {
                        sink.report(element, path.property("key").index(index), "expected a JSON pointer string, found \(element.kindDescription)")
                        continue
                    }
                    if let problem = CatalogNames.pointerProblem(pointer) {
                        sink.report(element, path.property("key").index(index), problem)
                    } else {
                        key.append(LocatedPointer(pointer: pointer, location: element.location))
                    }
                }
            } else {
                sink.report(keyNode, path.property("key"), "expected a non-empty array of JSON pointers, for example [/id]")
            }
        }

        var projections: [String: Projection] = [:]
        if let projectionsNode = reader.node("projections") {
            let projectionsPath = path.property("projections")
            if let entries = projectionsNode.objectEntries {
                for entry in entries {
                    let entryPath = projectionsPath.entry(entry.key)
                    if entry.key.isEmpty || entry.key.contains("/") {
                        sink.report(at: entry.keyLocation, entryPath, "a field name must be non-empty and without '/'")
                        continue
                    }
                    var pointerText: String?
                    var pointerLocation = entry.value.location
                    var partition = false
                    if let text = entry.value.string {
                        pointerText = text
                    } else if var projection = NodeReader(entry.value, entryPath, sink, what: "a projection") {
                        if let (text, location) = projection.string("location", required: true) {
                            pointerText = text
                            pointerLocation = location
                        }
                        partition = projection.bool("partition") ?? false
                        projection.finish()
                    }
                    guard let pointer = pointerText else { continue }
                    if let problem = CatalogNames.pointerProblem(pointer) {
                        sink.report(at: pointerLocation, entryPath, problem)
                        continue
                    }
                    if partition, let problem = partitionFieldProblem(entry.key) {
                        sink.report(at: entry.keyLocation, entryPath, problem)
                        continue
                    }
                    projections[entry.key] = Projection(field: entry.key,
                                                        location: LocatedPointer(pointer: pointer, location: pointerLocation),
                                                        partition: partition)
                }
            } else {
                sink.report(projectionsNode, projectionsPath, "expected an object of fields, found \(projectionsNode.kindDescription)")
            }
        }

        let journals = reader.node("journals").map { readJournalSettings($0, path: path.property("journals")) } ?? JournalSettings()
        let derive = reader.node("derive").flatMap { readDerivation($0, path: path.property("derive"), folder: folder) }
        reader.finish()
        return CollectionDefinition(name: name, location: keyLocation, schema: schema, writeSchema: writeSchema,
                                    readSchema: readSchema, key: key, projections: projections,
                                    journals: journals, derive: derive)
    }

    /// Partition fields become journal name segments (`field=value`).
    private func partitionFieldProblem(_ field: String) -> String? {
        let allowed = CharacterSet.alphanumerics.union(CharacterSet(charactersIn: "-_."))
        if field.unicodeScalars.allSatisfy({ allowed.contains($0) }) { return nil }
        return "partition field \"\(field)\" may use only letters, digits, '-', '_' and '.'"
    }

    /// A schema: an inline object (or boolean), a file path, or `file#/pointer`.
    func readSchema(_ node: CatalogNode, path: CatalogPath, folder: String) -> SchemaSource? {
        switch node.value {
        case .object, .bool:
            return SchemaSource(json: JSONText(text: node.jsonText, location: node.location), origin: .inline,
                                baseFile: node.location.file)
        case .string(let reference):
            let parts = reference.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false)
            let file = resolve(String(parts[0]), against: folder)
            let pointer = parts.count > 1 ? String(parts[1]) : ""
            guard let data = FileManager.default.contents(atPath: file) else {
                sink.report(node, path, "schema file \(file) does not exist or cannot be read")
                return nil
            }
            guard let text = String(data: data, encoding: .utf8),
                  let tree = CatalogYAML.parse(text, file: file, sink: sink) else { return nil }
            guard let target = resolvePointer(pointer, in: tree) else {
                sink.report(node, path, "\(file) has nothing at #\(pointer)")
                return nil
            }
            return SchemaSource(json: JSONText(text: target.jsonText, location: target.location),
                                origin: .file(path: file, pointer: pointer), baseFile: file)
        default:
            sink.report(node, path, "expected a schema (an object) or a schema file path, found \(node.kindDescription)")
            return nil
        }
    }

    private func resolvePointer(_ pointer: String, in node: CatalogNode) -> CatalogNode? {
        guard !pointer.isEmpty else { return node }
        guard pointer.hasPrefix("/") else { return nil }
        var current = node
        for token in pointer.dropFirst().split(separator: "/", omittingEmptySubsequences: false) {
            let key = token.replacingOccurrences(of: "~1", with: "/").replacingOccurrences(of: "~0", with: "~")
            if let next = current[key] {
                current = next
            } else if let elements = current.arrayElements, let index = Int(key), elements.indices.contains(index) {
                current = elements[index]
            } else {
                return nil
            }
        }
        return current
    }

    /// Flow's `journals: {fragments: {length, compressionCodec, flushInterval, retention}}`.
    private func readJournalSettings(_ node: CatalogNode, path: CatalogPath) -> JournalSettings {
        var settings = JournalSettings()
        guard var reader = NodeReader(node, path, sink, what: "journal settings") else { return settings }
        if let fragmentsNode = reader.node("fragments"),
           var fragments = NodeReader(fragmentsNode, path.property("fragments"), sink, what: "fragment settings") {
            settings.fragmentLengthBytes = fragments.bytes("length")
            if let (codec, location) = fragments.string("compressionCodec") {
                switch codec.uppercased() {
                case "NONE": settings.codec = JournalSettings.Codec.none
                case "LZ4": settings.codec = .lz4
                case "ZSTANDARD", "ZSTD": settings.codec = .zstd
                default:
                    sink.report(at: location, path.property("fragments").property("compressionCodec"),
                                "\"\(codec)\" is not a supported codec (NONE, LZ4, ZSTANDARD)")
                }
            }
            settings.flushIntervalSeconds = fragments.duration("flushInterval").map { Int($0.rounded()) }
            settings.retentionSeconds = fragments.duration("retention").map { Int($0.rounded()) }
            fragments.finish()
        }
        reader.finish()
        return settings
    }

    // MARK: - Derivations

    private func readDerivation(_ node: CatalogNode, path: CatalogPath, folder: String) -> DerivationDefinition? {
        guard var reader = NodeReader(node, path, sink, what: "a derivation") else { return nil }
        var using: DerivationDefinition.Using?
        if let usingNode = reader.node("using", required: true),
           var usingReader = NodeReader(usingNode, path.property("using"), sink, what: "a derivation runtime") {
            let usingPath = path.property("using")
            let runtimes = usingReader.keys
            if runtimes.count != 1 {
                sink.report(usingNode, usingPath, "name exactly one runtime: sqlite or swift")
            }
            if let sqliteNode = usingReader.node("sqlite") {
                var migrations: [SQLText] = []
                if case .null = sqliteNode.value {
                } else if var sqlite = NodeReader(sqliteNode, usingPath.property("sqlite"), sink, what: "SQLite settings") {
                    if let migrationsNode = sqlite.node("migrations") {
                        if let elements = migrationsNode.arrayElements {
                            for (index, element) in elements.enumerated() {
                                if let sql = readSQL(element, path: usingPath.property("sqlite").property("migrations").index(index), folder: folder) {
                                    migrations.append(sql)
                                }
                            }
                        } else {
                            sink.report(migrationsNode, usingPath.property("sqlite").property("migrations"),
                                        "expected an array of SQL statements or .sql files")
                        }
                    }
                    sqlite.finish()
                }
                using = .sqlite(migrations: migrations)
            }
            if let swiftNode = usingReader.node("swift") {
                var module = ""
                if case .null = swiftNode.value {
                } else if var swift = NodeReader(swiftNode, usingPath.property("swift"), sink, what: "Swift settings") {
                    module = swift.string("module")?.value ?? ""
                    swift.finish()
                }
                using = .swift(module: module)
            }
            usingReader.finish()
        }

        var transforms: [TransformDefinition] = []
        if let transformsNode = reader.node("transforms", required: true) {
            let transformsPath = path.property("transforms")
            if let elements = transformsNode.arrayElements, !elements.isEmpty {
                var names: [String: SourceLocation] = [:]
                for (index, element) in elements.enumerated() {
                    guard let transform = readTransform(element, path: transformsPath.index(index), folder: folder,
                                                        isSQLite: { if case .sqlite = using { return true } else { return false } }())
                    else { continue }
                    if let first = names[transform.name] {
                        sink.report(at: transform.location, transformsPath.index(index),
                                    "transform name \"\(transform.name)\" is used twice (first at line \(first.line))")
                        continue
                    }
                    names[transform.name] = transform.location
                    transforms.append(transform)
                }
            } else {
                sink.report(transformsNode, transformsPath, "expected a non-empty array of transforms")
            }
        }
        let shards = reader.integer("shards", in: 1...256) ?? 1
        reader.finish()
        guard let using else { return nil }
        return DerivationDefinition(using: using, transforms: transforms, shards: shards, location: node.location)
    }

    private func readTransform(_ node: CatalogNode, path: CatalogPath, folder: String, isSQLite: Bool) -> TransformDefinition? {
        guard var reader = NodeReader(node, path, sink, what: "a transform") else { return nil }
        let name = reader.nonEmptyString("name", required: true)
        if let name, let problem = transformNameProblem(name.value) {
            sink.report(at: name.location, path.property("name"), problem)
        }
        let source = reader.node("source", required: true).flatMap { readSourceSelector($0, path: path.property("source")) }
        var shuffle = TransformDefinition.Shuffle.any
        if let shuffleNode = reader.node("shuffle") {
            let shufflePath = path.property("shuffle")
            if shuffleNode.string == "any" {
                shuffle = .any
            } else if var shuffleReader = NodeReader(shuffleNode, shufflePath, sink, what: "a shuffle (\"any\" or {key: [...]})") {
                if let pointers = shuffleReader.stringArray("key", required: true) {
                    var located: [LocatedPointer] = []
                    for (index, (pointer, location)) in pointers.enumerated() {
                        if let problem = CatalogNames.pointerProblem(pointer) {
                            sink.report(at: location, shufflePath.property("key").index(index), problem)
                        } else {
                            located.append(LocatedPointer(pointer: pointer, location: location))
                        }
                    }
                    if pointers.isEmpty { sink.report(shuffleNode, shufflePath.property("key"), "a shuffle key needs at least one pointer") }
                    shuffle = .key(located)
                }
                shuffleReader.finish()
            }
        }
        var lambda: SQLText?
        if let lambdaNode = reader.node("lambda") {
            lambda = readSQL(lambdaNode, path: path.property("lambda"), folder: folder)
        } else if isSQLite {
            sink.report(node, path, "missing required property \"lambda\" (the SQL run for each source document)")
        }
        let readDelay = reader.duration("readDelay") ?? 0
        let priority = reader.integer("priority", in: 0...1_000_000) ?? 0
        let backfill = reader.integer("backfill", in: 0...1_000_000_000) ?? 0
        reader.finish()
        guard let name, let source else { return nil }
        return TransformDefinition(name: name.value, source: source, shuffle: shuffle, lambda: lambda,
                                   readDelaySeconds: readDelay, priority: priority, backfill: backfill,
                                   location: node.location)
    }

    private func transformNameProblem(_ name: String) -> String? {
        let allowed = CharacterSet.alphanumerics.union(CharacterSet(charactersIn: "-_."))
        return name.unicodeScalars.allSatisfy({ allowed.contains($0) }) ? nil
            : "a transform name may use only letters, digits, '-', '_' and '.'"
    }

    /// SQL inline, or a relative path to a `.sql` file (a single line ending in `.sql`).
    func readSQL(_ node: CatalogNode, path: CatalogPath, folder: String) -> SQLText? {
        guard let text = node.string else {
            sink.report(node, path, "expected SQL text or a .sql file, found \(node.kindDescription)")
            return nil
        }
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        if trimmed.hasSuffix(".sql"), !trimmed.contains(where: { $0.isWhitespace }) {
            let file = resolve(trimmed, against: folder)
            guard let data = FileManager.default.contents(atPath: file), let sql = String(data: data, encoding: .utf8) else {
                sink.report(node, path, "SQL file \(file) does not exist or cannot be read")
                return nil
            }
            return SQLText(sql: sql, location: node.location, file: file)
        }
        return SQLText(sql: text, location: node.location, file: nil)
    }

    /// A source: a collection name, or `{name, partitions?: {include, exclude}, notBefore?, notAfter?}`.
    func readSourceSelector(_ node: CatalogNode, path: CatalogPath) -> SourceSelector? {
        if let name = node.string {
            return SourceSelector(collection: name, collectionLocation: node.location, includePartitions: [:],
                                  excludePartitions: [:], notBefore: nil, notAfter: nil)
        }
        guard var reader = NodeReader(node, path, sink, what: "a source (a collection name or {name: …})") else { return nil }
        let name = reader.nonEmptyString("name", required: true)
        var include: [String: [String]] = [:]
        var exclude: [String: [String]] = [:]
        if let partitions = reader.node("partitions"),
           var partitionsReader = NodeReader(partitions, path.property("partitions"), sink, what: "a partition selector") {
            include = readPartitionValues(partitionsReader.node("include"), path: path.property("partitions").property("include"))
            exclude = readPartitionValues(partitionsReader.node("exclude"), path: path.property("partitions").property("exclude"))
            partitionsReader.finish()
        }
        let notBefore = reader.string("notBefore")
        let notAfter = reader.string("notAfter")
        for (bound, label) in [(notBefore, "notBefore"), (notAfter, "notAfter")] {
            if let bound, !Timestamps.isRFC3339(bound.value) {
                sink.report(at: bound.location, path.property(label), "\"\(bound.value)\" is not an RFC 3339 time such as 2024-01-01T00:00:00Z")
            }
        }
        reader.finish()
        guard let name else { return nil }
        return SourceSelector(collection: name.value, collectionLocation: name.location, includePartitions: include,
                              excludePartitions: exclude, notBefore: notBefore?.value, notAfter: notAfter?.value)
    }

    private func readPartitionValues(_ node: CatalogNode?, path: CatalogPath) -> [String: [String]] {
        guard let node else { return [:] }
        guard let entries = node.objectEntries else {
            sink.report(node, path, "expected an object of field: [values], found \(node.kindDescription)")
            return [:]
        }
        var result: [String: [String]] = [:]
        for entry in entries {
            guard let values = entry.value.arrayElements else {
                sink.report(entry.value, path.property(entry.key), "expected an array of values")
                continue
            }
            result[entry.key] = values.map(\.jsonText)
        }
        return result
    }
}

enum Timestamps {
    /// `YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)`.
    static func isRFC3339(_ text: String) -> Bool {
        let pattern = #"^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$"#
        return text.range(of: pattern, options: .regularExpression) != nil
    }
}
