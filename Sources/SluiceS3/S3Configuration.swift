/// How bucket names appear in request URLs.
public enum S3Addressing: Sendable, Equatable {
    /// Path style for a custom endpoint, virtual-host style for AWS (path style there too for
    /// bucket names with dots, which do not match AWS's wildcard TLS certificate).
    case automatic
    /// `http://endpoint/bucket/key`: moto, MinIO, most S3-compatible servers.
    case path
    /// `https://bucket.endpoint/key`: AWS's preferred form.
    case virtualHost
}

/// Retries with exponential backoff and full jitter: before attempt n+1 the client sleeps a
/// random duration in `0...min(backoffMax, backoffInitial · 2^(n-1))`.
public struct S3RetryPolicy: Sendable, Equatable {
    /// Attempts per request, the first included: 5 by default. With the default backoff the
    /// waits add up to at most 0.2 + 0.4 + 0.8 + 1.6 = 3 s: enough to ride out a throttling burst
    /// or a server restart, short enough that a dead endpoint is reported in seconds.
    public var attemptsMax: Int
    /// 200 ms: the first wait's upper bound (AWS SDKs start between 50 and 100 ms; S3 asks
    /// throttled clients to slow down, so a little more).
    public var backoffInitial: Duration
    /// 10 s: no single wait is longer, whatever the attempt count.
    public var backoffMax: Duration

    public init(attemptsMax: Int = 5, backoffInitial: Duration = .milliseconds(200), backoffMax: Duration = .seconds(10)) {
        precondition(attemptsMax >= 1, "at least one attempt")
        precondition(backoffInitial >= .zero && backoffMax >= backoffInitial, "backoff bounds out of order")
        self.attemptsMax = attemptsMax
        self.backoffInitial = backoffInitial
        self.backoffMax = backoffMax
    }

    /// No retries (one attempt).
    public static let none = S3RetryPolicy(attemptsMax: 1)

    /// The upper bound of the wait after failed attempt `attempt` (1-based).
    public func backoffBound(afterAttempt attempt: Int) -> Duration {
        precondition(attempt >= 1)
        var bound = backoffInitial
        for _ in 1..<min(attempt, 40) {
            bound = bound * 2
            if bound >= backoffMax { return backoffMax }
        }
        return min(bound, backoffMax)
    }

    /// A random wait in `0...backoffBound(afterAttempt:)`.
    public func backoff(afterAttempt attempt: Int, using random: inout some RandomNumberGenerator) -> Duration {
        let bound = backoffBound(afterAttempt: attempt)
        let nanoseconds = bound.components.seconds * 1_000_000_000 + bound.components.attoseconds / 1_000_000_000
        guard nanoseconds > 0 else { return .zero }
        return .nanoseconds(Int64.random(in: 0...nanoseconds, using: &random))
    }
}

/// Where and how an `S3Client` talks to S3.
public struct S3Configuration: Sendable {
    public var region: String
    /// A custom endpoint (`http://127.0.0.1:9000`); nil for AWS (`https://s3.<region>.amazonaws.com`).
    public var endpoint: String?
    public var credentials: S3Credentials
    public var addressing: S3Addressing
    /// The longest wait for a response to make progress: 60 s by default, enough for a 5 MiB
    /// part on a slow link; a hung connection fails after it and is retried.
    public var requestTimeout: Duration
    public var retry: S3RetryPolicy

    public init(region: String, endpoint: String? = nil, credentials: S3Credentials, addressing: S3Addressing = .automatic,
                requestTimeout: Duration = .seconds(60), retry: S3RetryPolicy = S3RetryPolicy()) {
        precondition(!region.isEmpty, "an S3 region is required (us-east-1 for moto and most S3-compatible servers)")
        precondition(requestTimeout > .zero, "the request timeout must be positive")
        self.region = region
        self.endpoint = endpoint
        self.credentials = credentials
        self.addressing = addressing
        self.requestTimeout = requestTimeout
        self.retry = retry
    }
}
