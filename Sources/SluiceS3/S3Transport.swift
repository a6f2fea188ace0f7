/// An HTTP request as the S3 client builds it: method, full URL (path and query already
/// encoded), headers (signed ones included), body.
public struct S3HTTPRequest: Sendable {
    public var method: String
    public var url: String
    public var headers: [(name: String, value: String)]
    public var body: [UInt8]

    public init(method: String, url: String, headers: [(name: String, value: String)], body: [UInt8]) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
    }

    public func header(_ name: String) -> String? {
        headers.first { $0.name.lowercased() == name.lowercased() }?.value
    }
}

/// An HTTP response: status, headers (names lower case), body.
public struct S3HTTPResponse: Sendable {
    public var status: Int
    public var headers: [String: String]
    public var body: [UInt8]

    public init(status: Int, headers: [String: String] = [:], body: [UInt8] = []) {
        self.status = status
        self.headers = Dictionary(headers.map { ($0.key.lowercased(), $0.value) }, uniquingKeysWith: { first, _ in first })
        self.body = body
    }

    public func header(_ name: String) -> String? { headers[name.lowercased()] }
}

/// A failure to get any HTTP response (connect, reset, timeout).
public struct S3TransportError: Error, Sendable {
    public let message: String
    /// False for failures a retry cannot fix (an unsupported URL).
    public let isRetryable: Bool

    public init(_ message: String, isRetryable: Bool = true) {
        self.message = message
        self.isRetryable = isRetryable
    }
}

/// The HTTP seam of `S3Client`: `URLSessionTransport` in production, scripted transports in
/// tests (retries, error bodies, throttling).
public protocol S3Transport: Sendable {
    /// Sends `request`; fails with `S3TransportError` if no response arrives. `timeout` bounds
    /// the wait for progress.
    func send(_ request: S3HTTPRequest, timeout: Duration) async throws -> S3HTTPResponse
}
