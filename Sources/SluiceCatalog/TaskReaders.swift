import Foundation

extension LoadContext {
    // MARK: - Captures

    func readCapture(name: String, node: CatalogNode, path: CatalogPath, keyLocation: SourceLocation,
                     folder: String) -> CaptureDefinition? {
        guard var reader = NodeReader(node, path, sink, what: "a capture") else { return nil }
        let endpoint = reader.node("endpoint", required: true).flatMap {
            readCaptureEndpoint($0, path: path.property("endpoint"), folder: folder)
        }
        var bindings: [CaptureBinding] = []
        if let bindingsNode = reader.node("bindings", required: true) {
            if let elements = bindingsNode.arrayElements {
                for (index, element) in elements.enumerated() {
                    if let endpoint, let binding = readCaptureBinding(element, path: path.property("bindings").index(index), endpoint: endpoint) {
                        bindings.append(binding)
                    }
                }
            } else {
                sink.report(bindingsNode, path.property("bindings"), "expected an array of bindings")
            }
        }
        let interval = reader.duration("interval")
        reader.finish()
        guard let endpoint else { return nil }
        return CaptureDefinition(name: name, location: keyLocation, endpoint: endpoint, bindings: bindings, intervalSeconds: interval)
    }

    private func readCaptureEndpoint(_ node: CatalogNode, path: CatalogPath, folder: String) -> CaptureEndpoint? {
        guard let (connector, configNode, configPath) = singleConnector(node, path: path,
                                                                        known: ["files", "http-ingest", "airbyte", "postgres-cdc", "connector"])
        else { return nil }
        let config = substitutingEnvironment(in: configNode, path: configPath)
        switch connector {
        case "files":
            var root = folder
            if case .null = config.value {
            } else if var reader = NodeReader(config, configPath, sink, what: "files settings") {
                if let (relative, _) = reader.string("root") { root = resolve(relative, against: folder) }
                reader.finish()
            }
            return .files(FilesCaptureEndpoint(root: root))
        case "http-ingest":
            guard var reader = NodeReader(config, configPath, sink, what: "http-ingest settings") else { return nil }
            let listen = reader.string("listen")?.value ?? HTTPIngestEndpoint.defaultListen
            if !isHostPort(listen) {
                sink.report(config["listen"] ?? config, configPath.property("listen"), "\"\(listen)\" is not host:port, for example 127.0.0.1:8080")
            }
            let token = reader.string("token").map { Secret($0.value) }
            let header = reader.string("idFromHeader")?.value
            let maxBody = reader.bytes("maxBodyBytes") ?? HTTPIngestEndpoint.defaultMaxBodyBytes
            reader.finish()
            return .httpIngest(HTTPIngestEndpoint(listen: listen, token: token, idFromHeader: header, maxBodyBytes: maxBody))
        case "airbyte":
            guard var reader = NodeReader(config, configPath, sink, what: "airbyte settings") else { return nil }
            let command = reader.stringArray("command", required: true)?.map(\.value) ?? []
            if reader.has("command"), command.isEmpty {
                sink.report(config, configPath.property("command"), "the command needs at least the executable")
            }
            var connectorConfig = "{}"
            if let inline = reader.node("config") {
                if inline.objectEntries == nil {
                    sink.report(inline, configPath.property("config"), "expected the connector's config object, found \(inline.kindDescription)")
                }
                connectorConfig = inline.jsonText
            }
            if let (file, location) = reader.string("configFile") {
                if reader.has("config") {
                    sink.report(at: location, configPath.property("configFile"), "give either \"config\" or \"configFile\", not both")
                }
                let absolute = resolve(file, against: folder)
                if let data = FileManager.default.contents(atPath: absolute), let text = String(data: data, encoding: .utf8),
                   let tree = CatalogYAML.parse(text, file: absolute, sink: sink) {
                    connectorConfig = substitutingEnvironment(in: tree, path: configPath.property("configFile")).jsonText
                } else {
                    sink.report(at: location, configPath.property("configFile"), "config file \(absolute) does not exist or cannot be read")
                }
            }
            let environment = reader.stringMap("env") ?? [:]
            reader.finish()
            return .airbyte(AirbyteEndpoint(command: command, config: Secret(connectorConfig), environment: environment))
        case "postgres-cdc":
            guard var reader = NodeReader(config, configPath, sink, what: "postgres-cdc settings") else { return nil }
            let dsn = reader.nonEmptyString("dsn", required: true)
            let slot = reader.string("slot")?.value
            let publication = reader.string("publication")?.value
            let chunkRows = reader.integer("backfillChunkRows", in: 1...1_000_000)
            reader.finish()
            guard let dsn else { return nil }
            return .postgresCDC(PostgresCDCEndpoint(dsn: Secret(dsn.value), slot: slot, publication: publication,
                                                    backfillChunkRows: chunkRows))
        default:  // "connector"
            return ConnectorImages.captureEndpoint(config, path: configPath, context: self)
        }
    }

    private func readCaptureBinding(_ node: CatalogNode, path: CatalogPath, endpoint: CaptureEndpoint) -> CaptureBinding? {
        guard var reader = NodeReader(node, path, sink, what: "a binding") else { return nil }
        let target = reader.nonEmptyString("target", required: true)
        let resourcePath = path.property("resource")
        var resource: CaptureResource?
        if let resourceNode = reader.node("resource", required: true),
           var resourceReader = NodeReader(resourceNode, resourcePath, sink, what: "a resource") {
            switch endpoint {
            case .files:
                if let (glob, _) = resourceReader.nonEmptyString("path", required: true) {
                    let format = resourceReader.choice("format", as: CaptureResource.FileFormat.self)
                    let follow = resourceReader.bool("follow") ?? false
                    resource = .files(path: glob, format: format, follow: follow)
                }
            case .httpIngest:
                if let (urlPath, location) = resourceReader.nonEmptyString("path", required: true) {
                    if !urlPath.hasPrefix("/") || urlPath.contains(" ") || urlPath.contains("?") {
                        sink.report(at: location, resourcePath.property("path"), "\"\(urlPath)\" is not a URL path such as /orders")
                    }
                    resource = .httpIngest(path: urlPath)
                }
            case .airbyte:
                if let (stream, _) = resourceReader.nonEmptyString("stream", required: true) {
                    let namespace = resourceReader.string("namespace")?.value
                    let syncMode = resourceReader.choice("syncMode", as: CaptureResource.SyncMode.self)
                    let cursor = resourceReader.stringArray("cursorField")?.map(\.value)
                    resource = .airbyte(stream: stream, namespace: namespace, syncMode: syncMode, cursorField: cursor)
                }
            case .postgresCDC:
                if let (table, location) = resourceReader.nonEmptyString("table", required: true) {
                    if table.split(separator: ".").count > 2 {
                        sink.report(at: location, resourcePath.property("table"), "\"\(table)\" is not a table name such as public.orders")
                    }
                    resource = .postgresCDC(table: table)
                }
            }
            resourceReader.finish()
        }
        let backfill = reader.integer("backfill", in: 0...1_000_000_000) ?? 0
        let disable = reader.bool("disable") ?? false
        reader.finish()
        guard let target, let resource else { return nil }
        return CaptureBinding(resource: resource, target: target.value, targetLocation: target.location,
                              backfill: backfill, disable: disable, location: node.location)
    }

    // MARK: - Materializations

    func readMaterialization(name: String, node: CatalogNode, path: CatalogPath, keyLocation: SourceLocation,
                             folder: String) -> MaterializationDefinition? {
        guard var reader = NodeReader(node, path, sink, what: "a materialization") else { return nil }
        let endpoint = reader.node("endpoint", required: true).flatMap {
            readMaterializationEndpoint($0, path: path.property("endpoint"), folder: folder)
        }
        var bindings: [MaterializationBinding] = []
        if let bindingsNode = reader.node("bindings", required: true) {
            if let elements = bindingsNode.arrayElements {
                for (index, element) in elements.enumerated() {
                    if let endpoint, let binding = readMaterializationBinding(element, path: path.property("bindings").index(index), endpoint: endpoint) {
                        bindings.append(binding)
                    }
                }
            } else {
                sink.report(bindingsNode, path.property("bindings"), "expected an array of bindings")
            }
        }
        reader.finish()
        guard let endpoint else { return nil }
        return MaterializationDefinition(name: name, location: keyLocation, endpoint: endpoint, bindings: bindings)
    }

    private func readMaterializationEndpoint(_ node: CatalogNode, path: CatalogPath, folder: String) -> MaterializationEndpoint? {
        guard let (connector, configNode, configPath) = singleConnector(node, path: path,
                                                                        known: ["sqlite", "postgres", "redis", "files", "s3", "connector"])
        else { return nil }
        let config = substitutingEnvironment(in: configNode, path: configPath)
        switch connector {
        case "sqlite":
            guard var reader = NodeReader(config, configPath, sink, what: "sqlite settings") else { return nil }
            let file = reader.nonEmptyString("path", required: true)
            reader.finish()
            guard let file else { return nil }
            return .sqlite(path: resolve(file.value, against: folder))
        case "postgres":
            guard var reader = NodeReader(config, configPath, sink, what: "postgres settings") else { return nil }
            let dsn = reader.nonEmptyString("dsn", required: true)
            let schema = reader.nonEmptyString("schema")?.value ?? "public"
            reader.finish()
            guard let dsn else { return nil }
            return .postgres(dsn: Secret(dsn.value), schema: schema)
        case "redis":
            guard var reader = NodeReader(config, configPath, sink, what: "redis settings") else { return nil }
            let url = reader.nonEmptyString("url", required: true)
            if let url, !url.value.hasPrefix("redis://") {
                sink.report(at: url.location, configPath.property("url"), "expected a redis:// URL such as redis://127.0.0.1:6379/0")
            }
            let ttl = reader.duration("ttl")
            reader.finish()
            guard let url else { return nil }
            return .redis(url: Secret(url.value), ttlSeconds: ttl)
        case "files":
            guard var reader = NodeReader(config, configPath, sink, what: "files settings") else { return nil }
            let directory = reader.nonEmptyString("dir", required: true)
            if let (format, location) = reader.string("format"), format != "jsonl" {
                sink.report(at: location, configPath.property("format"), "\"\(format)\" is not a supported format (jsonl)")
            }
            let codec = reader.choice("codec", as: FilesMaterializationEndpoint.Codec.self) ?? FilesMaterializationEndpoint.Codec.none
            let rollBytes = reader.bytes("rollBytes") ?? FilesMaterializationEndpoint.defaultRollBytes
            let rollInterval = reader.duration("rollInterval")
            reader.finish()
            guard let directory else { return nil }
            return .files(FilesMaterializationEndpoint(directory: resolve(directory.value, against: folder), codec: codec,
                                                       rollBytes: rollBytes, rollIntervalSeconds: rollInterval))
        case "s3":
            guard var reader = NodeReader(config, configPath, sink, what: "s3 settings") else { return nil }
            let bucket = reader.nonEmptyString("bucket", required: true)
            let prefix = reader.string("prefix")?.value ?? ""
            let endpoint = reader.string("endpoint")?.value
            let region = reader.nonEmptyString("region", required: true)
            let keyID = reader.nonEmptyString("accessKeyId", required: true)
            let secret = reader.nonEmptyString("secretAccessKey", required: true)
            let codec = reader.choice("codec", as: FilesMaterializationEndpoint.Codec.self) ?? FilesMaterializationEndpoint.Codec.none
            let rollBytes = reader.bytes("rollBytes") ?? FilesMaterializationEndpoint.defaultRollBytes
            reader.finish()
            guard let bucket, let region, let keyID, let secret else { return nil }
            return .s3(S3Endpoint(bucket: bucket.value, prefix: prefix, endpoint: endpoint, region: region.value,
                                  accessKeyID: Secret(keyID.value), secretAccessKey: Secret(secret.value),
                                  codec: codec, rollBytes: rollBytes))
        default:
            return ConnectorImages.materializationEndpoint(config, path: configPath, context: self)
        }
    }

    private func readMaterializationBinding(_ node: CatalogNode, path: CatalogPath, endpoint: MaterializationEndpoint) -> MaterializationBinding? {
        guard var reader = NodeReader(node, path, sink, what: "a binding") else { return nil }
        let source = reader.node("source", required: true).flatMap { readSourceSelector($0, path: path.property("source")) }
        let resourcePath = path.property("resource")
        var resource: MaterializationResource?
        if let resourceNode = reader.node("resource", required: true),
           var resourceReader = NodeReader(resourceNode, resourcePath, sink, what: "a resource") {
            switch endpoint {
            case .sqlite, .postgres:
                if let (table, location) = resourceReader.nonEmptyString("table", required: true) {
                    if !SQLNames.isTableName(table) {
                        sink.report(at: location, resourcePath.property("table"),
                                    "\"\(table)\" is not a table name (letters, digits and '_', not starting with a digit)")
                    }
                    var schema: String?
                    if case .postgres = endpoint { schema = resourceReader.string("schema")?.value }
                    let delta = resourceReader.bool("delta_updates") ?? false
                    resource = .table(name: table, schema: schema, deltaUpdates: delta)
                }
            case .redis:
                if let (prefix, _) = resourceReader.string("keyPrefix", required: true) {
                    let format = resourceReader.choice("format", as: MaterializationResource.RedisFormat.self) ?? .json
                    resource = .redis(keyPrefix: prefix, format: format)
                }
            case .files, .s3:
                if let (prefix, _) = resourceReader.string("prefix", required: true) {
                    resource = .files(prefix: prefix)
                }
            }
            resourceReader.finish()
        }
        var fields = FieldSelection()
        if let fieldsNode = reader.node("fields"),
           var fieldsReader = NodeReader(fieldsNode, path.property("fields"), sink, what: "a field selection") {
            fields.include = fieldsReader.stringArray("include")?.map(\.value) ?? []
            fields.exclude = fieldsReader.stringArray("exclude")?.map(\.value) ?? []
            fields.recommended = fieldsReader.bool("recommended") ?? true
            fieldsReader.finish()
        }
        let backfill = reader.integer("backfill", in: 0...1_000_000_000) ?? 0
        let disable = reader.bool("disable") ?? false
        reader.finish()
        guard let source, let resource else { return nil }
        return MaterializationBinding(source: source, resource: resource, fields: fields, backfill: backfill,
                                      disable: disable, location: node.location)
    }

    // MARK: - Tests

    func readTest(name: String, node: CatalogNode, path: CatalogPath, keyLocation: SourceLocation, folder: String) -> TestDefinition? {
        guard let elements = node.arrayElements else {
            sink.report(node, path, "expected an array of steps (ingest and verify), found \(node.kindDescription)")
            return nil
        }
        var steps: [TestStep] = []
        for (index, element) in elements.enumerated() {
            let stepPath = path.index(index)
            guard var reader = NodeReader(element, stepPath, sink, what: "a test step") else { continue }
            let kinds = reader.keys.filter { $0 == "ingest" || $0 == "verify" }
            guard kinds.count == 1, let kind = kinds.first else {
                sink.report(element, stepPath, "a step is either {ingest: …} or {verify: …}")
                continue
            }
            _ = reader.string("description")  // optional, for people reading the catalog
            guard let body = reader.node(kind),
                  var bodyReader = NodeReader(body, stepPath.property(kind), sink, what: "an \(kind) step") else { continue }
            let collection = bodyReader.nonEmptyString("collection", required: true)
            var documents: [JSONText] = []
            if let documentsNode = bodyReader.node("documents", required: true) {
                documents = readTestDocuments(documentsNode, path: stepPath.property(kind).property("documents"), folder: folder)
            }
            bodyReader.finish()
            reader.finish()
            guard let collection else { continue }
            steps.append(kind == "ingest"
                ? .ingest(collection: collection.value, documents: documents, location: element.location)
                : .verify(collection: collection.value, documents: documents, location: element.location))
        }
        return TestDefinition(name: name, location: keyLocation, steps: steps)
    }

    /// Inline documents, or a file of a JSON array or JSON lines.
    private func readTestDocuments(_ node: CatalogNode, path: CatalogPath, folder: String) -> [JSONText] {
        var elements: [CatalogNode] = []
        if let inline = node.arrayElements {
            elements = inline
        } else if let relative = node.string {
            let file = resolve(relative, against: folder)
            guard let data = FileManager.default.contents(atPath: file), let text = String(data: data, encoding: .utf8) else {
                sink.report(node, path, "documents file \(file) does not exist or cannot be read")
                return []
            }
            if file.hasSuffix(".jsonl") || file.hasSuffix(".ndjson") {
                for (number, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated()
                where !line.trimmingCharacters(in: .whitespaces).isEmpty {
                    if let tree = CatalogYAML.parse("[\(line)]", file: "\(file):\(number + 1)", sink: sink)?.arrayElements?.first {
                        elements.append(tree)
                    }
                }
            } else if let tree = CatalogYAML.parse(text, file: file, sink: sink) {
                guard let array = tree.arrayElements else {
                    sink.report(tree, path, "\(file) must hold a JSON array of documents")
                    return []
                }
                elements = array
            }
        } else {
            sink.report(node, path, "expected an array of documents or a file of them, found \(node.kindDescription)")
            return []
        }
        var documents: [JSONText] = []
        for (index, element) in elements.enumerated() {
            guard element.objectEntries != nil else {
                sink.report(element, path.index(index), "a document must be an object, found \(element.kindDescription)")
                continue
            }
            documents.append(JSONText(text: element.jsonText, location: element.location))
        }
        return documents
    }

    // MARK: - Shared

    /// An endpoint names exactly one connector: `{sqlite: {...}}`.
    func singleConnector(_ node: CatalogNode, path: CatalogPath, known: [String]) -> (String, CatalogNode, CatalogPath)? {
        guard let entries = node.objectEntries else {
            sink.report(node, path, "expected an endpoint such as {\(known[0]): {…}}, found \(node.kindDescription)")
            return nil
        }
        guard entries.count == 1, let entry = entries.first else {
            sink.report(node, path, "an endpoint names exactly one connector (\(known.filter { $0 != "connector" }.joined(separator: ", ")))")
            return nil
        }
        guard known.contains(entry.key) else {
            sink.report(at: entry.keyLocation, path.property(entry.key),
                        "unknown connector\(Suggestion.hint(for: entry.key, in: known)); built-in connectors are \(known.filter { $0 != "connector" }.joined(separator: ", "))")
            return nil
        }
        return (entry.key, entry.value, path.property(entry.key))
    }

    private func isHostPort(_ text: String) -> Bool {
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]) else { return false }
        return (0...65_535).contains(port) && colon != text.startIndex
    }

    // MARK: - Cross references

    /// Checks what spans entities: sources and targets exist, collection names are not
    /// prefixes of each other (each owns the journals under its name).
    func checkReferences() {
        let names = catalog.collections.keys.sorted()
        func check(_ collection: String, at location: SourceLocation, _ path: CatalogPath) {
            if catalog.collections[collection] == nil {
                sink.report(at: location, path, "collection \"\(collection)\" is not defined\(Suggestion.hint(for: collection, in: names))")
            }
        }
        for name in names {
            // Every proper prefix at a '/' boundary must not be a collection too.
            var prefix = ""
            for segment in name.split(separator: "/").dropLast() {
                prefix += prefix.isEmpty ? String(segment) : "/\(segment)"
                if catalog.collections[prefix] != nil {
                    sink.report(at: catalog.collections[name]?.location, CatalogPath.root.property("collections").entry(name),
                                "collection name has the collection \"\(prefix)\" as a prefix; collection names must not nest")
                    break
                }
            }
        }
        for collection in catalog.collections.values {
            let path = CatalogPath.root.property("collections").entry(collection.name)
            for (index, transform) in (collection.derive?.transforms ?? []).enumerated() {
                check(transform.source.collection, at: transform.source.collectionLocation,
                      path.property("derive").property("transforms").index(index).property("source"))
            }
        }
        for capture in catalog.captures.values {
            for (index, binding) in capture.bindings.enumerated() {
                check(binding.target, at: binding.targetLocation,
                      CatalogPath.root.property("captures").entry(capture.name).property("bindings").index(index).property("target"))
                if catalog.collections[binding.target]?.derive != nil {
                    sink.report(at: binding.targetLocation,
                                CatalogPath.root.property("captures").entry(capture.name).property("bindings").index(index).property("target"),
                                "\"\(binding.target)\" is a derivation; captures write to plain collections")
                }
            }
        }
        for materialization in catalog.materializations.values {
            for (index, binding) in materialization.bindings.enumerated() {
                check(binding.source.collection, at: binding.source.collectionLocation,
                      CatalogPath.root.property("materializations").entry(materialization.name).property("bindings").index(index).property("source"))
            }
        }
        for test in catalog.tests.values {
            for (index, step) in test.steps.enumerated() {
                let kind: String
                if case .ingest = step { kind = "ingest" } else { kind = "verify" }
                check(step.collection, at: step.location,
                      CatalogPath.root.property("tests").entry(test.name).index(index).property(kind).property("collection"))
            }
        }
    }
}

enum SQLNames {
    /// An unquoted SQL identifier, optionally schema-qualified is not allowed here.
    static func isTableName(_ name: String) -> Bool {
        guard let first = name.unicodeScalars.first, first == "_" || (first.isASCII && first.properties.isAlphabetic) else {
            return false
        }
        return name.count <= 63 && name.unicodeScalars.allSatisfy {
            $0 == "_" || ($0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0)))
        }
    }
}
