import Synchronization
import Testing
import SluiceWorkload
@testable import SluiceS3

/// A transport that answers from a script and records what it was sent.
final class ScriptedTransport: S3Transport {
    enum Step: Sendable {
        case respond(S3HTTPResponse)
        case fail(S3TransportError)
    }

    // Safety: the mutable state lives inside the Mutex.
    private let state: Mutex<(steps: [Step], requests: [S3HTTPRequest])>

    init(_ steps: [Step]) { state = Mutex((steps, [])) }

    var requests: [S3HTTPRequest] { state.withLock { $0.requests } }

    func send(_ request: S3HTTPRequest, timeout: Duration) async throws -> S3HTTPResponse {
        let step = state.withLock { state -> Step in
            state.requests.append(request)
            precondition(!state.steps.isEmpty, "the script ran out at request \(state.requests.count)")
            return state.steps.removeFirst()
        }
        switch step {
        case .respond(let response): return response
        case .fail(let error): throw error
        }
    }

    static func error(_ status: Int, _ code: String, message: String = "m", requestId: String = "REQ1") -> Step {
        .respond(S3HTTPResponse(status: status, body: Array("""
            <?xml version="1.0" encoding="UTF-8"?>
            <Error><Code>\(code)</Code><Message>\(message)</Message><RequestId>\(requestId)</RequestId></Error>
            """.utf8)))
    }
}

@Suite("S3 requests: URLs, signing, retries and errors (scripted transport)")
struct S3RetryTests {
    static func client(_ transport: ScriptedTransport, endpoint: String? = "http://127.0.0.1:9000", region: String = "us-east-1",
                       addressing: S3Addressing = .automatic, attemptsMax: Int = 4) throws -> S3Client {
        try S3Client(configuration: S3Configuration(
            region: region, endpoint: endpoint, credentials: S3Credentials(accessKeyId: "AK", secretAccessKey: "SK"),
            addressing: addressing, retry: S3RetryPolicy(attemptsMax: attemptsMax, backoffInitial: .milliseconds(1), backoffMax: .milliseconds(4))),
            transport: transport)
    }

    @Test("URLs: path style for custom endpoints, virtual host on AWS, path style for dotted buckets")
    func urls() throws {
        let transport = ScriptedTransport([])
        let custom = try Self.client(transport)
        #expect(custom.target(bucket: "bkt", key: "dir/a b", query: []).url == "http://127.0.0.1:9000/bkt/dir/a%20b")
        #expect(custom.target(bucket: "bkt", key: "dir/a b", query: []).host == "127.0.0.1:9000")
        #expect(custom.target(bucket: "bkt", key: nil, query: [("list-type", "2"), ("prefix", "a/b")]).url
                == "http://127.0.0.1:9000/bkt?list-type=2&prefix=a%2Fb")
        let aws = try Self.client(transport, endpoint: nil, region: "eu-west-1")
        #expect(aws.target(bucket: "bucket", key: "k", query: []).url == "https://bucket.s3.eu-west-1.amazonaws.com/k")
        #expect(aws.target(bucket: "bucket", key: "k", query: []).path == "/k")
        #expect(aws.target(bucket: "my.bucket", key: "k", query: []).url == "https://s3.eu-west-1.amazonaws.com/my.bucket/k")
        let forcedVirtual = try Self.client(transport, endpoint: "https://minio.example:443", addressing: .virtualHost)
        #expect(forcedVirtual.target(bucket: "bkt", key: "k", query: []).url == "https://bkt.minio.example/k")
        #expect(throws: S3Error.self) { try Self.client(transport, endpoint: "ftp://x") }
        #expect(throws: S3Error.self) { try Self.client(transport, endpoint: "http://x/path") }
    }

    @Test("requests carry the payload hash, the date and a signature over both")
    func signedHeaders() async throws {
        let transport = ScriptedTransport([.respond(S3HTTPResponse(status: 200, headers: ["ETag": "\"e\""]))])
        let client = try Self.client(transport)
        let result = try await client.putObject(bucket: "bkt", key: "k", body: Array("Welcome to Amazon S3.".utf8), contentType: "text/plain")
        #expect(result.etag == "\"e\"")
        let request = try #require(transport.requests.first)
        #expect(request.method == "PUT")
        #expect(request.header("x-amz-content-sha256") == "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072")
        #expect(request.header("x-amz-date")?.count == 16)
        let authorization = try #require(request.header("Authorization"))
        #expect(authorization.hasPrefix("AWS4-HMAC-SHA256 Credential=AK/"))
        #expect(authorization.contains("/us-east-1/s3/aws4_request,SignedHeaders=content-type;host;x-amz-content-sha256;x-amz-date,Signature="))
        #expect(request.header("host") == nil)
    }

    @Test("throttling and 5xx are retried, re-signed, until success")
    func retriesUntilSuccess() async throws {
        let transport = ScriptedTransport([
            ScriptedTransport.error(503, "SlowDown"),
            .fail(S3TransportError("connection lost")),
            ScriptedTransport.error(500, "InternalError"),
            .respond(S3HTTPResponse(status: 200, body: Array("data".utf8))),
        ])
        let object = try await Self.client(transport).getObject(bucket: "bkt", key: "k")
        #expect(object.body == Array("data".utf8))
        #expect(transport.requests.count == 4)
        #expect(transport.requests.allSatisfy { $0.header("Authorization") != nil })
    }

    @Test("retries stop at attemptsMax with the last error and the attempt count")
    func retriesExhausted() async throws {
        let transport = ScriptedTransport([ScriptedTransport.error(503, "SlowDown"), ScriptedTransport.error(503, "SlowDown", requestId: "LAST")])
        do {
            try await Self.client(transport, attemptsMax: 2).putObject(bucket: "bkt", key: "k", body: [1])
            Issue.record("succeeded")
        } catch let error as S3Error {
            #expect(error.code == "SlowDown")
            #expect(error.attempts == 2)
            #expect(error.requestId == "LAST")
            #expect(error.description == "s3 PutObject s3://bkt/k: SlowDown: m (HTTP 503, request id LAST, 2 attempts)")
        }
        #expect(transport.requests.count == 2)
    }

    @Test("client errors are not retried; a body-less 403 is named from its status")
    func noRetryForClientErrors() async throws {
        let transport = ScriptedTransport([ScriptedTransport.error(404, "NoSuchKey"),
                                           .respond(S3HTTPResponse(status: 403, headers: ["x-amz-request-id": "H"]))])
        let client = try Self.client(transport)
        await #expect(throws: S3Error.self) { try await client.getObject(bucket: "bkt", key: "k") }
        #expect(transport.requests.count == 1)
        do {
            try await client.deleteObject(bucket: "bkt", key: "k")
        } catch let error as S3Error {
            #expect(error.code == "Forbidden")
            #expect(error.requestId == "H")
            #expect(error.attempts == 1)
        }
        #expect(transport.requests.count == 2)
        let permanent = ScriptedTransport([.fail(S3TransportError("bad URL", isRetryable: false))])
        await #expect(throws: S3Error.self) { try await Self.client(permanent).deleteObject(bucket: "bkt", key: "k") }
        #expect(permanent.requests.count == 1)
    }

    @Test("CompleteMultipartUpload: a 200 holding <Error> is an error, and retried")
    func errorInsideSuccess() async throws {
        let transport = ScriptedTransport([
            ScriptedTransport.error(200, "InternalError", message: "We encountered an internal error. Please try again."),
            .respond(S3HTTPResponse(status: 200, body: Array("""
                <CompleteMultipartUploadResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">\
                <Bucket>b</Bucket><Key>k</Key><ETag>"abc-2"</ETag></CompleteMultipartUploadResult>
                """.utf8))),
        ])
        let result = try await Self.client(transport).completeMultipartUpload(
            bucket: "bkt", key: "k", uploadId: "u p", parts: [S3CompletedPart(partNumber: 2, etag: "\"2\""), S3CompletedPart(partNumber: 1, etag: "\"1\"")])
        #expect(result.etag == "\"abc-2\"")
        let request = try #require(transport.requests.last)
        #expect(request.url == "http://127.0.0.1:9000/bkt/k?uploadId=u%20p")
        #expect(String(decoding: request.body, as: UTF8.self) == "<CompleteMultipartUpload xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
                + "<Part><PartNumber>1</PartNumber><ETag>&quot;1&quot;</ETag></Part>"
                + "<Part><PartNumber>2</PartNumber><ETag>&quot;2&quot;</ETag></Part></CompleteMultipartUpload>")
    }

    @Test("a failed part aborts the writer's upload")
    func writerAbortsOnFailure() async throws {
        let transport = ScriptedTransport([
            .respond(S3HTTPResponse(status: 200, body: Array("<InitiateMultipartUploadResult><UploadId>U1</UploadId></InitiateMultipartUploadResult>".utf8))),
            ScriptedTransport.error(400, "InvalidArgument"),
            .respond(S3HTTPResponse(status: 204)),
        ])
        var writer = S3ObjectWriter(client: try Self.client(transport), bucket: "bkt", key: "k", partBytes: S3Client.partBytesMin)
        await #expect(throws: S3Error.self) { try await writer.write([UInt8](repeating: 7, count: S3Client.partBytesMin)) }
        #expect(writer.state == .aborted)
        #expect(transport.requests.map(\.method) == ["POST", "PUT", "DELETE"])
        #expect(transport.requests[2].url == "http://127.0.0.1:9000/bkt/k?uploadId=U1")
    }

    @Test("bucket names and keys are checked before any request")
    func validation() async throws {
        let transport = ScriptedTransport([])
        let client = try Self.client(transport)
        for bucket in ["ab", "Upper", "-start", "end.", "has_underscore", String(repeating: "a", count: 64)] {
            await #expect(throws: S3Error.self, "\(bucket)") { try await client.putObject(bucket: bucket, key: "k", body: []) }
        }
        for key in ["", "a/../b", "./a", "a/.", String(repeating: "k", count: 1025)] {
            await #expect(throws: S3Error.self, "\(key)") { try await client.putObject(bucket: "bucket", key: key, body: []) }
        }
        #expect(transport.requests.isEmpty)
    }

    @Test("backoff doubles from the initial bound up to the maximum; waits are random below the bound (seeded)")
    func backoff() {
        let policy = S3RetryPolicy(attemptsMax: 10, backoffInitial: .milliseconds(200), backoffMax: .seconds(1))
        #expect((1...5).map { policy.backoffBound(afterAttempt: $0) }
                == [.milliseconds(200), .milliseconds(400), .milliseconds(800), .seconds(1), .seconds(1)])
        #expect(S3RetryPolicy().backoffBound(afterAttempt: 100) == .seconds(10))
        var random = SplitMix64(seed: 99)
        for attempt in 1...8 {
            let wait = policy.backoff(afterAttempt: attempt, using: &random)
            #expect(wait >= .zero && wait <= policy.backoffBound(afterAttempt: attempt))
        }
    }
}
