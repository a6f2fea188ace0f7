import Foundation

/// Flow's `endpoint: {connector: {image, config}}` for the Estuary images whose behaviour a
/// built-in connector provides. Any other image is refused with the built-in alternative.
enum ConnectorImages {
    /// Image names without registry tag, mapped to the built-in connector they become.
    static let captureImages = [
        "ghcr.io/estuary/source-http-ingest": "http-ingest",
        "ghcr.io/estuary/source-postgres": "postgres-cdc",
    ]
    static let materializationImages = [
        "ghcr.io/estuary/materialize-sqlite": "sqlite",
        "ghcr.io/estuary/materialize-postgres": "postgres",
    ]

    /// `ghcr.io/estuary/source-postgres:dev` → `ghcr.io/estuary/source-postgres`.
    static func repository(of image: String) -> String {
        if let at = image.firstIndex(of: "@") { return String(image[..<at]) }
        if let colon = image.lastIndex(of: ":"), !image[colon...].contains("/") { return String(image[..<colon]) }
        return image
    }

    static func captureEndpoint(_ node: CatalogNode, path: CatalogPath, context: LoadContext) -> CaptureEndpoint? {
        guard let (image, config, configPath) = read(node, path: path, context: context) else { return nil }
        switch captureImages[repository(of: image)] {
        case "http-ingest":
            // Flow's config: {require_auth_token?, paths?}; the listen address is Sluice's default.
            guard var reader = NodeReader(config, configPath, context.sink, what: "source-http-ingest config") else { return nil }
            let token = reader.string("require_auth_token").map { Secret($0.value) }
            _ = reader.stringArray("paths")
            let listen = reader.string("listen")?.value ?? HTTPIngestEndpoint.defaultListen
            reader.finish()
            return .httpIngest(HTTPIngestEndpoint(listen: listen, token: token, idFromHeader: nil,
                                                  maxBodyBytes: HTTPIngestEndpoint.defaultMaxBodyBytes))
        case "postgres-cdc":
            // Flow's config: {address, user, password, database, advanced?: {slotName, publicationName}}.
            guard var reader = NodeReader(config, configPath, context.sink, what: "source-postgres config") else { return nil }
            let address = reader.nonEmptyString("address", required: true)
            let user = reader.nonEmptyString("user", required: true)
            let password = reader.string("password")?.value ?? ""
            let database = reader.string("database")?.value ?? "postgres"
            var slot: String?
            var publication: String?
            if let advancedNode = reader.node("advanced"),
               var advanced = NodeReader(advancedNode, configPath.property("advanced"), context.sink, what: "advanced settings") {
                slot = advanced.string("slotName")?.value
                publication = advanced.string("publicationName")?.value
                advanced.finish()
            }
            reader.finish()
            guard let address, let user else { return nil }
            let dsn = PostgresDSN.build(address: address.value, user: user.value, password: password, database: database)
            return .postgresCDC(PostgresCDCEndpoint(dsn: Secret(dsn), slot: slot, publication: publication))
        default:
            context.sink.report(node, path.property("image"),
                                "connector image \"\(image)\" is not supported: Sluice runs built-in connectors "
                                + "(files, http-ingest, airbyte, postgres-cdc); for an Airbyte source use "
                                + "endpoint: {airbyte: {command: [source-…], config: {…}}}")
            return nil
        }
    }

    static func materializationEndpoint(_ node: CatalogNode, path: CatalogPath, context: LoadContext) -> MaterializationEndpoint? {
        guard let (image, config, configPath) = read(node, path: path, context: context) else { return nil }
        switch materializationImages[repository(of: image)] {
        case "sqlite":
            guard var reader = NodeReader(config, configPath, context.sink, what: "materialize-sqlite config") else { return nil }
            let file = reader.nonEmptyString("path", required: true)
            reader.finish()
            guard let file else { return nil }
            let folder = (path.description.isEmpty ? "" : node.location.file)
            return .sqlite(path: context.resolve(file.value, against: (folder as NSString).deletingLastPathComponent))
        case "postgres":
            guard var reader = NodeReader(config, configPath, context.sink, what: "materialize-postgres config") else { return nil }
            let address = reader.nonEmptyString("address", required: true)
            let user = reader.nonEmptyString("user", required: true)
            let password = reader.string("password")?.value ?? ""
            let database = reader.string("database")?.value ?? "postgres"
            let schema = reader.string("schema")?.value ?? "public"
            reader.finish()
            guard let address, let user else { return nil }
            let dsn = PostgresDSN.build(address: address.value, user: user.value, password: password, database: database)
            return .postgres(dsn: Secret(dsn), schema: schema)
        default:
            context.sink.report(node, path.property("image"),
                                "connector image \"\(image)\" is not supported: Sluice materializes with built-in "
                                + "connectors (sqlite, postgres, redis, files, s3)")
            return nil
        }
    }

    private static func read(_ node: CatalogNode, path: CatalogPath, context: LoadContext) -> (String, CatalogNode, CatalogPath)? {
        guard var reader = NodeReader(node, path, context.sink, what: "a connector") else { return nil }
        let image = reader.nonEmptyString("image", required: true)
        let config = reader.node("config", required: true)
        reader.finish()
        guard let image, let config else { return nil }
        return (image.value, config, path.property("config"))
    }
}

enum PostgresDSN {
    /// `postgresql://user:password@host:port/database`, with the parts percent-encoded.
    static func build(address: String, user: String, password: String, database: String) -> String {
        func encode(_ text: String) -> String {
            text.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(.init(charactersIn: "-._~"))) ?? text
        }
        let credentials = password.isEmpty ? encode(user) : "\(encode(user)):\(encode(password))"
        return "postgresql://\(credentials)@\(address)/\(encode(database))"
    }
}
