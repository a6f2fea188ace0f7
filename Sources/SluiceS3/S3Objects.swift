/// What PutObject, CompleteMultipartUpload and `S3ObjectWriter` return.
public struct S3PutResult: Sendable, Equatable {
    /// The ETag as S3 returns it, quotes included (`"9b2cf535f27731c974343645a3985328"`).
    public let etag: String
}

/// An object read by GetObject.
public struct S3Object: Sendable, Equatable {
    public let body: [UInt8]
    public let etag: String?
    public let contentType: String?
}

/// An object's metadata (HeadObject).
public struct S3ObjectHead: Sendable, Equatable {
    public let contentLength: Int64
    public let etag: String?
    public let contentType: String?
    /// As S3 sends it (an HTTP date).
    public let lastModified: String?
}

/// One entry of a listing.
public struct S3ObjectSummary: Sendable, Equatable {
    public let key: String
    public let size: Int64
    public let etag: String?
    /// As S3 sends it (ISO 8601).
    public let lastModified: String?
}

/// One page of ListObjectsV2.
public struct S3ListPage: Sendable, Equatable {
    public let objects: [S3ObjectSummary]
    /// With a delimiter: the prefixes that group keys (like folders).
    public let commonPrefixes: [String]
    public let isTruncated: Bool
    /// Pass to the next call to continue; nil on the last page.
    public let nextContinuationToken: String?
}

/// A part uploaded into a multipart upload, as CompleteMultipartUpload lists it.
public struct S3CompletedPart: Sendable, Equatable {
    public let partNumber: Int
    public let etag: String

    public init(partNumber: Int, etag: String) {
        self.partNumber = partNumber
        self.etag = etag
    }
}
