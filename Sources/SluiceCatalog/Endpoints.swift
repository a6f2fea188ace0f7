// Endpoint and resource configs of the built-in connectors (../shared/design/SEMANTICS.md §4).
// Each connector's module reads its typed config from here; `check` validates them all.

/// A configuration value that must never be printed: tokens, DSNs with passwords, keys.
public struct Secret: Hashable, Sendable, CustomStringConvertible, CustomDebugStringConvertible {
    public let value: String

    public init(_ value: String) { self.value = value }

    public var description: String { "<secret>" }
    public var debugDescription: String { "<secret>" }
}

public enum CaptureEndpoint: Sendable {
    case files(FilesCaptureEndpoint)
    case httpIngest(HTTPIngestEndpoint)
    case airbyte(AirbyteEndpoint)
    case postgresCDC(PostgresCDCEndpoint)

    /// The connector's name as written in the catalog.
    public var connectorName: String {
        switch self {
        case .files: return "files"
        case .httpIngest: return "http-ingest"
        case .airbyte: return "airbyte"
        case .postgresCDC: return "postgres-cdc"
        }
    }
}

/// `files: {root?: DIR}`: relative globs resolve against `root`, itself relative to the catalog.
public struct FilesCaptureEndpoint: Hashable, Sendable {
    /// Absolute directory.
    public var root: String
}

/// `http-ingest: {listen, token?, idFromHeader?, maxBodyBytes?}`.
public struct HTTPIngestEndpoint: Hashable, Sendable {
    /// `host:port`; loopback by default.
    public var listen: String
    public var token: Secret?
    /// Request header whose value becomes `/_meta/webhookId`.
    public var idFromHeader: String?
    public var maxBodyBytes: Int

    /// 16 MiB: large batches fit; a runaway client does not exhaust memory.
    public static let defaultMaxBodyBytes = 16 << 20
    public static let defaultListen = "127.0.0.1:8080"
}

/// `airbyte: {command: [...], config: {...} | configFile: PATH, env?: {...}}`.
public struct AirbyteEndpoint: Hashable, Sendable {
    public var command: [String]
    /// The connector's config as JSON text (inline, or the content of `configFile`).
    public var config: Secret
    public var environment: [String: String]

    public init(command: [String], config: Secret, environment: [String: String] = [:]) {
        self.command = command
        self.config = config
        self.environment = environment
    }
}

/// `postgres-cdc: {dsn, slot?, publication?, backfillChunkRows?}`.
public struct PostgresCDCEndpoint: Hashable, Sendable {
    public var dsn: Secret
    public var slot: String?
    public var publication: String?
    /// Rows per backfill query (and per backfill checkpoint); nil: the change source's default.
    public var backfillChunkRows: Int?

    public init(dsn: Secret, slot: String? = nil, publication: String? = nil, backfillChunkRows: Int? = nil) {
        self.dsn = dsn
        self.slot = slot
        self.publication = publication
        self.backfillChunkRows = backfillChunkRows
    }
}

public enum CaptureResource: Hashable, Sendable {
    public enum FileFormat: String, Hashable, Sendable, CaseIterable { case jsonl, csv }
    public enum SyncMode: String, Hashable, Sendable, CaseIterable {
        case incremental
        case fullRefresh = "full_refresh"
    }

    /// `{path: GLOB, format?, follow?}`; the format defaults from the file extension.
    case files(path: String, format: FileFormat?, follow: Bool)
    /// `{path: /orders}`.
    case httpIngest(path: String)
    /// `{stream, namespace?, syncMode?, cursorField?}`.
    case airbyte(stream: String, namespace: String?, syncMode: SyncMode?, cursorField: [String]?)
    /// `{table: schema.table}`.
    case postgresCDC(table: String)
}

public enum MaterializationEndpoint: Sendable {
    case sqlite(path: String)
    case postgres(dsn: Secret, schema: String)
    case redis(url: Secret, ttlSeconds: Double?)
    case files(FilesMaterializationEndpoint)
    case s3(S3Endpoint)

    public var connectorName: String {
        switch self {
        case .sqlite: return "sqlite"
        case .postgres: return "postgres"
        case .redis: return "redis"
        case .files: return "files"
        case .s3: return "s3"
        }
    }
}

/// `files: {dir, format?: jsonl, codec?: none|zstd, rollBytes?, rollInterval?}`.
public struct FilesMaterializationEndpoint: Hashable, Sendable {
    public enum Codec: String, Hashable, Sendable, CaseIterable { case none, zstd }

    /// Absolute directory.
    public var directory: String
    public var codec: Codec
    public var rollBytes: Int
    public var rollIntervalSeconds: Double?

    /// 128 MiB files: few enough files, small enough to rewrite on a re-run.
    public static let defaultRollBytes = 128 << 20
}

/// `s3: {bucket, prefix?, endpoint?, region, accessKeyId, secretAccessKey, codec?, rollBytes?}`.
public struct S3Endpoint: Hashable, Sendable {
    public var bucket: String
    public var prefix: String
    public var endpoint: String?
    public var region: String
    public var accessKeyID: Secret
    public var secretAccessKey: Secret
    public var codec: FilesMaterializationEndpoint.Codec
    public var rollBytes: Int
}

public enum MaterializationResource: Hashable, Sendable {
    public enum RedisFormat: String, Hashable, Sendable, CaseIterable { case json, hash }

    /// SQLite and PostgreSQL: `{table, delta_updates?}` (PostgreSQL also takes `schema`).
    case table(name: String, schema: String?, deltaUpdates: Bool)
    /// Redis: `{keyPrefix, format?}`.
    case redis(keyPrefix: String, format: RedisFormat)
    /// Files and S3: `{prefix}`.
    case files(prefix: String)
}
