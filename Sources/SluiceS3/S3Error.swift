/// A failed S3 request: the operation, the object (`s3://bucket/key`), and what went wrong: S3's
/// error code, message and request id (parsed from its XML error body), or a transport failure.
public struct S3Error: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Kind: String, Sendable, Equatable {
        /// S3 answered with an error status (or a 200 holding an `<Error>`).
        case service = "error response"
        /// No HTTP response: refused, unreachable, reset, timed out.
        case transport = "no response"
        /// The request cannot be made (bad bucket name or key, bad endpoint, too many parts).
        case invalidRequest = "invalid request"
        /// The response cannot be understood (malformed XML, missing fields).
        case invalidResponse = "unreadable response"
    }

    public let kind: Kind
    /// The S3 operation (`PutObject`, `UploadPart`, …).
    public let operation: String
    public let bucket: String?
    public let key: String?
    public let httpStatus: Int?
    /// S3's error code (`NoSuchBucket`, `SlowDown`, …) or, for a body-less response, a name for
    /// the status (`NotFound`).
    public let code: String?
    public let message: String
    public let requestId: String?
    /// Attempts made before giving up.
    public let attempts: Int

    public init(_ kind: Kind, operation: String, bucket: String?, key: String?, httpStatus: Int? = nil, code: String? = nil,
                message: String, requestId: String? = nil, attempts: Int = 1) {
        self.kind = kind
        self.operation = operation
        self.bucket = bucket
        self.key = key
        self.httpStatus = httpStatus
        self.code = code
        self.message = message
        self.requestId = requestId
        self.attempts = attempts
    }

    /// `s3://bucket/key`, `s3://bucket` or `s3://`.
    public var location: String {
        "s3://" + (bucket ?? "") + (key.map { "/" + $0 } ?? "")
    }

    /// True for failures a later attempt may not meet: transport failures, 5xx, 429 and S3's
    /// throttling and transient codes.
    public var isRetryable: Bool {
        switch kind {
        case .transport: return transportRetryable
        case .service: return Self.isRetryable(httpStatus: httpStatus ?? 0, code: code)
        case .invalidRequest, .invalidResponse: return false
        }
    }

    /// Set by transports: false for failures that will not change (a malformed URL).
    var transportRetryable = true

    static let retryableCodes: Set<String> = [
        "SlowDown", "RequestTimeout", "InternalError", "ServiceUnavailable", "Throttling", "ThrottlingException",
        "RequestLimitExceeded", "TooManyRequestsException", "RequestThrottled", "BandwidthLimitExceeded",
    ]

    static func isRetryable(httpStatus: Int, code: String?) -> Bool {
        if httpStatus >= 500 || httpStatus == 429 { return true }
        return code.map { retryableCodes.contains($0) } ?? false
    }

    public var description: String {
        var text = "s3 \(operation) \(location): "
        if let code { text += "\(code): " }
        text += message
        var details: [String] = []
        if let httpStatus { details.append("HTTP \(httpStatus)") }
        if let requestId { details.append("request id \(requestId)") }
        details.append(attempts == 1 ? "1 attempt" : "\(attempts) attempts")
        return text + " (" + details.joined(separator: ", ") + ")"
    }

    func with(attempts: Int) -> S3Error {
        var copy = S3Error(kind, operation: operation, bucket: bucket, key: key, httpStatus: httpStatus, code: code,
                           message: message, requestId: requestId, attempts: attempts)
        copy.transportRetryable = transportRetryable
        return copy
    }
}
