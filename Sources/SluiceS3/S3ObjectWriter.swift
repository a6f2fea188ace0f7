/// Writes one object from a stream of bytes. An object smaller than a part goes up as one
/// PutObject at `finish()`; a larger one becomes a multipart upload: each time `partBytes`
/// bytes are buffered they go up as a part, and `finish()` uploads the rest as the last part and
/// completes the upload. Either way the object appears whole at `finish()` or not at all (S3
/// shows neither partial PutObjects nor incomplete uploads), so a writer that fails or is
/// abandoned leaves any previous object of the same key in place.
///
/// Lifecycle: `writing` → `finished` (or `aborted`). A failed part upload or completion aborts
/// the multipart upload (best effort) before the error is rethrown. A process killed mid-upload
/// leaves an incomplete upload that S3 keeps (and bills) until it is aborted: a bucket lifecycle
/// rule `AbortIncompleteMultipartUpload` cleans those (docs/s3.md).
///
/// Memory: at most `partBytes` plus the bytes of one `write` call are buffered.
public struct S3ObjectWriter: Sendable {
    public enum State: Sendable, Equatable { case writing, finished, aborted }

    public let client: S3Client
    public let bucket: String
    public let key: String
    public let contentType: String?
    public let partBytes: Int
    public private(set) var state: State = .writing
    /// Bytes written so far.
    public private(set) var writtenBytes: Int64 = 0

    private var buffer: [UInt8] = []
    private var uploadId: String?
    private var parts: [S3CompletedPart] = []

    /// 8 MiB parts by default: above S3's 5 MiB minimum, and 10,000 parts reach 80 GiB.
    public static let partBytesDefault = 8 << 20

    public init(client: S3Client, bucket: String, key: String, contentType: String? = nil,
                partBytes: Int = S3ObjectWriter.partBytesDefault) {
        precondition((S3Client.partBytesMin...S3Client.partBytesMax).contains(partBytes),
                     "parts are 5 MiB to 5 GiB, not \(partBytes) bytes")
        self.client = client
        self.bucket = bucket
        self.key = key
        self.contentType = contentType
        self.partBytes = partBytes
    }

    /// True once a multipart upload has started (the object is larger than one part).
    public var isMultipart: Bool { uploadId != nil }

    /// Appends bytes; uploads every full part.
    public mutating func write(_ bytes: [UInt8]) async throws {
        precondition(state == .writing, "write after \(state)")
        buffer.append(contentsOf: bytes)
        writtenBytes += Int64(bytes.count)
        while buffer.count >= partBytes {
            let part = Array(buffer[..<partBytes])
            buffer.removeFirst(partBytes)
            try await upload(part)
        }
    }

    /// Makes the object visible: one PutObject, or the last part and CompleteMultipartUpload.
    public mutating func finish() async throws -> S3PutResult {
        precondition(state == .writing, "finish after \(state)")
        guard let uploadId else {
            let result = try await client.putObject(bucket: bucket, key: key, body: buffer, contentType: contentType)
            buffer = []
            state = .finished
            return result
        }
        do {
            if !buffer.isEmpty {
                try await upload(buffer)
                buffer = []
            }
            let result = try await client.completeMultipartUpload(bucket: bucket, key: key, uploadId: uploadId, parts: parts)
            state = .finished
            return result
        } catch {
            await abort()
            throw error
        }
    }

    /// Discards what was written (aborts the multipart upload if one started). Never throws:
    /// a failed abort leaves an incomplete upload for the bucket's lifecycle rule.
    public mutating func abort() async {
        guard state == .writing else { return }
        state = .aborted
        buffer = []
        if let uploadId {
            try? await client.abortMultipartUpload(bucket: bucket, key: key, uploadId: uploadId)
        }
    }

    private mutating func upload(_ part: [UInt8]) async throws {
        do {
            if uploadId == nil {
                uploadId = try await client.createMultipartUpload(bucket: bucket, key: key, contentType: contentType)
            }
            guard parts.count < S3Client.partsMax else {
                throw S3Error(.invalidRequest, operation: "UploadPart", bucket: bucket, key: key,
                              message: "more than \(S3Client.partsMax) parts of \(partBytes) bytes; use larger parts")
            }
            parts.append(try await client.uploadPart(bucket: bucket, key: key, uploadId: uploadId!,
                                                     partNumber: parts.count + 1, body: part))
        } catch {
            await abort()
            throw error
        }
    }
}
