import Foundation

/// An S3 client: signed requests (SigV4) over an `S3Transport`, retried with backoff.
///
/// Every operation validates the bucket and key, builds the URL for the configured addressing
/// style, hashes the body (SHA-256, signed as `x-amz-content-sha256`), signs with the current
/// time and sends with the request timeout. Transport failures, 5xx, 429 and S3's throttling
/// and transient codes are retried up to `S3RetryPolicy.attemptsMax` attempts, re-signed each
/// time; other errors throw at once. Errors are `S3Error`s naming the operation and
/// `s3://bucket/key`, with S3's code, message and request id.
public final class S3Client: Sendable {
    public let configuration: S3Configuration
    private let transport: any S3Transport
    private let signer: SigV4Signer
    private let base: Endpoint

    /// The parts of the endpoint URL.
    struct Endpoint: Sendable {
        let scheme: String
        let host: String
        let port: Int?
        let isAWS: Bool

        /// The Host header: the host, with the port when it is not the scheme's default.
        var hostHeader: String { Self.hostHeader(host, port: port, scheme: scheme) }

        static func hostHeader(_ host: String, port: Int?, scheme: String) -> String {
            let bracketed = host.contains(":") ? "[\(host)]" : host
            guard let port, port != (scheme == "https" ? 443 : 80) else { return bracketed }
            return "\(bracketed):\(port)"
        }
    }

    /// A client for `configuration`; `transport` defaults to URLSession. Throws for an
    /// endpoint that is not an http(s) URL with a host.
    public init(configuration: S3Configuration, transport: (any S3Transport)? = nil) throws {
        self.configuration = configuration
        self.transport = transport ?? URLSessionTransport()
        signer = SigV4Signer(credentials: configuration.credentials, region: configuration.region)
        if let endpoint = configuration.endpoint {
            guard let components = URLComponents(string: endpoint), let scheme = components.scheme?.lowercased(),
                  scheme == "http" || scheme == "https", let host = components.host, !host.isEmpty,
                  components.path.isEmpty || components.path == "/", components.query == nil else {
                throw S3Error(.invalidRequest, operation: "configure", bucket: nil, key: nil,
                              message: "endpoint \(endpoint) is not http(s)://host[:port] (without a path)")
            }
            base = Endpoint(scheme: scheme, host: host.trimmingCharacters(in: CharacterSet(charactersIn: "[]")),
                            port: components.port, isAWS: false)
        } else {
            base = Endpoint(scheme: "https", host: "s3.\(configuration.region).amazonaws.com", port: nil, isAWS: true)
        }
    }

    // MARK: - Buckets

    /// CreateBucket (outside us-east-1 with a location constraint, as AWS requires).
    public func createBucket(_ bucket: String) async throws {
        var body: [UInt8] = []
        if configuration.region != "us-east-1" {
            body = Array(("<CreateBucketConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
                + S3XMLNode.element("LocationConstraint", configuration.region) + "</CreateBucketConfiguration>").utf8)
        }
        _ = try await perform("CreateBucket", method: "PUT", bucket: bucket, key: nil, body: body)
    }

    // MARK: - Objects

    /// PutObject: the whole object in one request (up to 5 GiB; use `S3ObjectWriter` or the
    /// multipart calls for more).
    @discardableResult
    public func putObject(bucket: String, key: String, body: [UInt8], contentType: String? = nil) async throws -> S3PutResult {
        precondition(body.count <= Self.putObjectBytesMax, "PutObject takes at most 5 GiB; use a multipart upload")
        var headers: [(name: String, value: String)] = []
        if let contentType { headers.append(("Content-Type", contentType)) }
        let response = try await perform("PutObject", method: "PUT", bucket: bucket, key: key, headers: headers, body: body)
        return S3PutResult(etag: response.header("etag") ?? "")
    }

    /// GetObject, optionally a byte range (inclusive bounds, as HTTP's Range header).
    public func getObject(bucket: String, key: String, range: ClosedRange<Int64>? = nil) async throws -> S3Object {
        var headers: [(name: String, value: String)] = []
        if let range { headers.append(("Range", "bytes=\(range.lowerBound)-\(range.upperBound)")) }
        let response = try await perform("GetObject", method: "GET", bucket: bucket, key: key, headers: headers)
        return S3Object(body: response.body, etag: response.header("etag"), contentType: response.header("content-type"))
    }

    /// HeadObject: the object's metadata, or nil if there is no such object (HEAD responses
    /// have no body, so a missing bucket also reads as nil).
    public func headObject(bucket: String, key: String) async throws -> S3ObjectHead? {
        do {
            let response = try await perform("HeadObject", method: "HEAD", bucket: bucket, key: key)
            return S3ObjectHead(contentLength: Int64(response.header("content-length") ?? "") ?? 0,
                                etag: response.header("etag"), contentType: response.header("content-type"),
                                lastModified: response.header("last-modified"))
        } catch let error as S3Error where error.httpStatus == 404 {
            return nil
        }
    }

    /// DeleteObject (succeeds for a key that does not exist, as S3 does).
    public func deleteObject(bucket: String, key: String) async throws {
        _ = try await perform("DeleteObject", method: "DELETE", bucket: bucket, key: key)
    }

    /// One page of ListObjectsV2. `maxKeys` is 1…1000 (S3's own limit per page).
    public func listObjectsV2(bucket: String, prefix: String? = nil, delimiter: String? = nil,
                              continuationToken: String? = nil, startAfter: String? = nil,
                              maxKeys: Int = 1000) async throws -> S3ListPage {
        precondition((1...1000).contains(maxKeys), "maxKeys \(maxKeys) outside 1...1000")
        var query: [(name: String, value: String)] = [("list-type", "2"), ("max-keys", String(maxKeys))]
        if let prefix { query.append(("prefix", prefix)) }
        if let delimiter { query.append(("delimiter", delimiter)) }
        if let continuationToken { query.append(("continuation-token", continuationToken)) }
        if let startAfter { query.append(("start-after", startAfter)) }
        let response = try await perform("ListObjectsV2", method: "GET", bucket: bucket, key: nil, query: query)
        guard let root = S3XMLNode.parse(response.body), root.name == "ListBucketResult" else {
            throw invalidResponse("ListObjectsV2", bucket, nil, response, "expected <ListBucketResult>")
        }
        var objects: [S3ObjectSummary] = []
        for entry in root.children("Contents") {
            guard let key = entry.text("Key") else { throw invalidResponse("ListObjectsV2", bucket, nil, response, "<Contents> without <Key>") }
            objects.append(S3ObjectSummary(key: key, size: Int64(entry.text("Size") ?? "") ?? 0,
                                           etag: entry.text("ETag"), lastModified: entry.text("LastModified")))
        }
        let isTruncated = root.text("IsTruncated") == "true"
        let token = root.text("NextContinuationToken").flatMap { $0.isEmpty ? nil : $0 }
        if isTruncated, token == nil {
            throw invalidResponse("ListObjectsV2", bucket, nil, response, "truncated listing without <NextContinuationToken>")
        }
        return S3ListPage(objects: objects, commonPrefixes: root.children("CommonPrefixes").compactMap { $0.text("Prefix") },
                          isTruncated: isTruncated, nextContinuationToken: isTruncated ? token : nil)
    }

    /// Every object under `prefix`, following continuation tokens, at most `pagesMax` pages
    /// (10,000 pages of 1,000 keys by default: a bound, not an expected size).
    public func listAllObjects(bucket: String, prefix: String? = nil, pageKeys: Int = 1000,
                               pagesMax: Int = 10_000) async throws -> [S3ObjectSummary] {
        var objects: [S3ObjectSummary] = []
        var token: String?
        for _ in 0..<pagesMax {
            let page = try await listObjectsV2(bucket: bucket, prefix: prefix, continuationToken: token, maxKeys: pageKeys)
            objects.append(contentsOf: page.objects)
            guard let next = page.nextContinuationToken else { return objects }
            token = next
        }
        throw S3Error(.invalidResponse, operation: "ListObjectsV2", bucket: bucket, key: prefix,
                      message: "more than \(pagesMax) pages under the prefix")
    }

    // MARK: - Multipart uploads

    /// Parts are at least 5 MiB except the last (S3 rejects smaller ones at completion).
    public static let partBytesMin = 5 << 20
    /// Parts are at most 5 GiB.
    public static let partBytesMax = 5 << 30
    /// An upload has at most 10,000 parts, numbered 1…10,000.
    public static let partsMax = 10_000
    /// PutObject takes at most 5 GiB.
    public static let putObjectBytesMax = 5 << 30

    /// CreateMultipartUpload: returns the upload id.
    public func createMultipartUpload(bucket: String, key: String, contentType: String? = nil) async throws -> String {
        var headers: [(name: String, value: String)] = []
        if let contentType { headers.append(("Content-Type", contentType)) }
        let response = try await perform("CreateMultipartUpload", method: "POST", bucket: bucket, key: key,
                                         query: [("uploads", "")], headers: headers)
        guard let root = S3XMLNode.parse(response.body), let uploadId = root.text("UploadId"), !uploadId.isEmpty else {
            throw invalidResponse("CreateMultipartUpload", bucket, key, response, "no <UploadId>")
        }
        return uploadId
    }

    /// UploadPart: part `partNumber` (1…10,000) of the upload.
    public func uploadPart(bucket: String, key: String, uploadId: String, partNumber: Int, body: [UInt8]) async throws -> S3CompletedPart {
        precondition((1...Self.partsMax).contains(partNumber), "part number \(partNumber) outside 1...\(Self.partsMax)")
        precondition(body.count <= Self.partBytesMax, "a part holds at most 5 GiB")
        let response = try await perform("UploadPart", method: "PUT", bucket: bucket, key: key,
                                         query: [("partNumber", String(partNumber)), ("uploadId", uploadId)], body: body)
        guard let etag = response.header("etag") else { throw invalidResponse("UploadPart", bucket, key, response, "no ETag header") }
        return S3CompletedPart(partNumber: partNumber, etag: etag)
    }

    /// CompleteMultipartUpload: the object appears, made of `parts` in part-number order.
    @discardableResult
    public func completeMultipartUpload(bucket: String, key: String, uploadId: String, parts: [S3CompletedPart]) async throws -> S3PutResult {
        precondition(!parts.isEmpty, "an upload needs at least one part")
        var xml = "<CompleteMultipartUpload xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
        for part in parts.sorted(by: { $0.partNumber < $1.partNumber }) {
            xml += "<Part>" + S3XMLNode.element("PartNumber", String(part.partNumber)) + S3XMLNode.element("ETag", part.etag) + "</Part>"
        }
        xml += "</CompleteMultipartUpload>"
        let response = try await perform("CompleteMultipartUpload", method: "POST", bucket: bucket, key: key,
                                         query: [("uploadId", uploadId)], headers: [("Content-Type", "application/xml")],
                                         body: Array(xml.utf8), errorInSuccessBody: true)
        guard let root = S3XMLNode.parse(response.body), let etag = root.text("ETag") else {
            throw invalidResponse("CompleteMultipartUpload", bucket, key, response, "no <ETag>")
        }
        return S3PutResult(etag: etag)
    }

    /// AbortMultipartUpload: discards the parts uploaded so far.
    public func abortMultipartUpload(bucket: String, key: String, uploadId: String) async throws {
        _ = try await perform("AbortMultipartUpload", method: "DELETE", bucket: bucket, key: key, query: [("uploadId", uploadId)])
    }

    // MARK: - Requests

    /// The URL, Host header and canonical path of a request.
    func target(bucket: String, key: String?, query: [(name: String, value: String)]) -> (url: String, host: String, path: String) {
        let encodedKey = key.map { S3URIEncoding.encode($0, encodeSlash: false) }
        let virtualHost: Bool = switch configuration.addressing {
        case .path: false
        case .virtualHost: true
        case .automatic: base.isAWS && !bucket.contains(".")
        }
        let host: String
        let path: String
        if virtualHost {
            host = Endpoint.hostHeader(bucket + "." + base.host, port: base.port, scheme: base.scheme)
            path = "/" + (encodedKey ?? "")
        } else {
            host = base.hostHeader
            path = "/" + bucket + (encodedKey.map { "/" + $0 } ?? "")
        }
        let canonicalQuery = S3URIEncoding.canonicalQuery(query)
        return ("\(base.scheme)://\(host)\(path)" + (canonicalQuery.isEmpty ? "" : "?" + canonicalQuery), host, path)
    }

    /// Sends one request with retries; returns the 2xx response or throws `S3Error`.
    /// `errorInSuccessBody`: a 200 may still carry `<Error>` (CompleteMultipartUpload).
    func perform(_ operation: String, method: String, bucket: String, key: String?,
                 query: [(name: String, value: String)] = [], headers: [(name: String, value: String)] = [],
                 body: [UInt8] = [], errorInSuccessBody: Bool = false) async throws -> S3HTTPResponse {
        try Self.validate(bucket: bucket, key: key, operation: operation)
        let target = target(bucket: bucket, key: key, query: query)
        let payloadHash = body.isEmpty ? Digest.emptySHA256Hex : Digest.hex(Digest.sha256(body))
        let policy = configuration.retry
        var random = SystemRandomNumberGenerator()
        var attempt = 0
        while true {
            attempt += 1
            let now = Int64(Date().timeIntervalSince1970.rounded(.down))
            let signature = signer.sign(method: method, path: target.path, query: query,
                                        headers: [("host", target.host)] + headers,
                                        payloadSHA256: payloadHash, timestamp: SigV4Timestamp(secondsSinceEpoch: now))
            let request = S3HTTPRequest(method: method, url: target.url, headers: signature.headers, body: body)
            let failure: S3Error
            do {
                let response = try await transport.send(request, timeout: configuration.requestTimeout)
                if (200..<300).contains(response.status) {
                    if errorInSuccessBody, let root = S3XMLNode.parse(response.body), root.name == "Error" {
                        failure = Self.serviceError(operation, bucket, key, response, root: root, attempts: attempt)
                    } else {
                        return response
                    }
                } else {
                    failure = Self.serviceError(operation, bucket, key, response, root: S3XMLNode.parse(response.body), attempts: attempt)
                }
            } catch let error as S3TransportError {
                var transportFailure = S3Error(.transport, operation: operation, bucket: bucket, key: key,
                                               message: error.message + " (\(target.url.prefix(200)))", attempts: attempt)
                transportFailure.transportRetryable = error.isRetryable
                failure = transportFailure
            }
            guard failure.isRetryable, attempt < policy.attemptsMax else { throw failure.with(attempts: attempt) }
            try await Task.sleep(for: policy.backoff(afterAttempt: attempt, using: &random))
        }
    }

    static func serviceError(_ operation: String, _ bucket: String, _ key: String?, _ response: S3HTTPResponse,
                             root: S3XMLNode?, attempts: Int) -> S3Error {
        let errorNode = root.flatMap { $0.name == "Error" ? $0 : $0.child("Error") }
        let code = errorNode?.text("Code") ?? statusCodeName(response.status)
        let message = errorNode?.text("Message") ?? (response.body.isEmpty ? "HTTP \(response.status) without a body"
            : "HTTP \(response.status): " + String(decoding: response.body.prefix(200), as: UTF8.self))
        let requestId = errorNode?.text("RequestId") ?? response.header("x-amz-request-id")
        return S3Error(.service, operation: operation, bucket: bucket, key: key, httpStatus: response.status, code: code,
                       message: message, requestId: requestId, attempts: attempts)
    }

    /// Names for statuses of body-less error responses (HEAD).
    static func statusCodeName(_ status: Int) -> String {
        switch status {
        case 301: "PermanentRedirect"
        case 400: "BadRequest"
        case 403: "Forbidden"
        case 404: "NotFound"
        case 412: "PreconditionFailed"
        case 429: "TooManyRequests"
        case 500: "InternalError"
        case 503: "ServiceUnavailable"
        default: "HTTP\(status)"
        }
    }

    private func invalidResponse(_ operation: String, _ bucket: String, _ key: String?, _ response: S3HTTPResponse,
                                 _ reason: String) -> S3Error {
        S3Error(.invalidResponse, operation: operation, bucket: bucket, key: key, httpStatus: response.status,
                message: reason + ": " + String(decoding: response.body.prefix(200), as: UTF8.self),
                requestId: response.header("x-amz-request-id"))
    }

    /// Bucket names: 3–63 characters of lower-case letters, digits, `.` and `-`, starting and
    /// ending with a letter or digit. Keys: 1–1024 bytes of UTF-8, without `.` or `..` path
    /// segments (HTTP clients collapse those, so the request would reach another key).
    static func validate(bucket: String, key: String?, operation: String) throws {
        func invalid(_ message: String) -> S3Error {
            S3Error(.invalidRequest, operation: operation, bucket: bucket, key: key, message: message)
        }
        let bytes = Array(bucket.utf8)
        let allowed = bytes.allSatisfy { (0x61...0x7A).contains($0) || (0x30...0x39).contains($0) || $0 == 0x2E || $0 == 0x2D }
        guard (3...63).contains(bytes.count), allowed, let first = bytes.first, let last = bytes.last,
              first != 0x2E, first != 0x2D, last != 0x2E, last != 0x2D else {
            throw invalid("bucket name \"\(bucket)\" is not 3-63 characters of a-z, 0-9, '.', '-' starting and ending with a letter or digit")
        }
        if let key {
            guard (1...1024).contains(key.utf8.count) else { throw invalid("key is \(key.utf8.count) bytes; S3 keys are 1-1024 bytes") }
            guard !key.split(separator: "/", omittingEmptySubsequences: false).contains(where: { $0 == "." || $0 == ".." }) else {
                throw invalid("key has a '.' or '..' segment, which HTTP clients rewrite")
            }
        }
    }
}
