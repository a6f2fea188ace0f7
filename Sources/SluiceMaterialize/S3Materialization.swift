// S3Materialization: `s3: {bucket, prefix?, endpoint?, region, accessKeyId, secretAccessKey,
// codec?, rollBytes?}` with bindings `{prefix}`: rolled JSON-lines objects (RolledFiles.swift)
// uploaded with SluiceS3 (one PutObject, or a multipart upload for objects past one part), the
// checkpoint record an object beside them.
import Foundation
public import SluiceCatalog
import SluiceS3
public import SluiceTask

/// The `s3` materialization connector.
public struct S3Materialization: MaterializationConnector {
    public init() {}

    public func open(endpoint: MaterializationEndpoint, bindings: [MaterializationBindingSpec],
                     context: TaskContext) async throws -> any MaterializationSession {
        guard case .s3(let s3) = endpoint else {
            throw TaskError.configuration(task: context.taskName, message: "the s3 connector needs an s3 endpoint")
        }
        let client: S3Client
        do {
            client = try S3Client(configuration: S3Configuration(
                region: s3.region, endpoint: s3.endpoint,
                credentials: S3Credentials(accessKeyId: s3.accessKeyID.value, secretAccessKey: s3.secretAccessKey.value)))
        } catch {
            throw TaskError.configuration(task: context.taskName, message: "\(error)")
        }
        let settings = RolledFilesSettings(codec: s3.codec, rollBytes: s3.rollBytes, rollIntervalSeconds: nil)
        let store = S3FileStore(client: client, bucket: s3.bucket, prefix: s3.prefix)
        return try await RolledFilesSession.open(store: store, bindings: bindings, settings: settings, context: context)
    }
}

/// Objects under `prefix` in a bucket.
struct S3FileStore: FileStore {
    let client: S3Client
    let bucket: String
    let prefix: String

    var location: String { "s3://\(bucket)/\(prefix)" }

    func read(_ key: String) async throws -> [UInt8]? {
        do {
            return try await client.getObject(bucket: bucket, key: prefix + key).body
        } catch let error as S3Error where error.httpStatus == 404 && error.code != "NoSuchBucket" {
            return nil
        }
    }

    func write(_ key: String, _ bytes: [UInt8]) async throws {
        try await client.putObject(bucket: bucket, key: prefix + key, body: bytes, contentType: "application/json")
    }

    func list(prefix listed: String) async throws -> [String] {
        try await client.listAllObjects(bucket: bucket, prefix: prefix + listed).map { String($0.key.dropFirst(prefix.count)) }
    }

    func delete(_ key: String) async throws {
        try await client.deleteObject(bucket: bucket, key: prefix + key)
    }

    func makeWriter(_ key: String, instance: String) async throws -> any FileStoreWriter {
        S3FileWriter(writer: S3ObjectWriter(client: client, bucket: bucket, key: prefix + key,
                                            contentType: key.hasSuffix(".zst") ? "application/zstd" : "application/x-ndjson"))
    }

    /// S3 has no locks: the roll's fence check and its record write are separate requests
    /// (docs/materializations.md, "Fencing on S3").
    func withLock<Result: Sendable>(_ name: String, _ body: @Sendable () async throws -> Result) async throws -> Result {
        try await body()
    }
}

/// An S3ObjectWriter behind the FileStoreWriter interface.
///
/// Unchecked Sendable: used by one session, one call at a time.
final class S3FileWriter: FileStoreWriter, @unchecked Sendable {
    private var writer: S3ObjectWriter

    init(writer: S3ObjectWriter) { self.writer = writer }

    func write(_ bytes: [UInt8]) async throws {
        var current = writer
        defer { writer = current }
        try await current.write(bytes)
    }

    func finish() async throws {
        var current = writer
        defer { writer = current }
        _ = try await current.finish()
    }

    func abort() async {
        var current = writer
        await current.abort()
        writer = current
    }
}
