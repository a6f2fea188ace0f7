import Foundation
import Testing
import SluiceCapture
import SluiceDocument
import SluiceRuntime
import SluiceTestSupport

func httpCatalog(port: Int, extra: String = "") -> String {
    """
    collections:
      test/events:
        schema: {type: object, required: [id], properties: {id: {type: integer}, amount: {type: number}, _meta: {type: object}}}
        key: [/id]
    captures:
      test/hooks:
        endpoint: {http-ingest: {listen: "127.0.0.1:\(port)", token: secret-token\(extra)}}
        bindings:
          - {resource: {path: /events}, target: test/events}
          - {resource: {path: "/regions/{region}/events"}, target: test/events}
    """
}

/// An engine running an http-ingest capture on a free port, and a client for it.
struct RunningIngest {
    let harness: CaptureHarness
    let engine: Engine
    let port: Int
    let running: Task<Void, any Error>
    static let authorization = ("authorization", "Bearer secret-token")

    init(_ label: String, extra: String = "") async throws {
        port = try FreePort.find()
        harness = try CaptureHarness(label, catalog: httpCatalog(port: port, extra: extra))
        engine = try harness.engine(["http-ingest": HTTPIngestCapture()], maxTransactionSeconds: 0.2)
        let engine = engine
        running = Task { try await engine.run() }
        let deadline = Date().addingTimeInterval(90)
        while !FreePort.isListening(port) {
            guard Date() < deadline else { throw RawHTTPClient.Failure(description: "the server did not listen on \(port)") }
            try await Task.sleep(nanoseconds: 10_000_000)
        }
    }

    func post(_ body: String, path: String = "/events", headers: [(String, String)] = [RunningIngest.authorization]) async throws
        -> RawHTTPResponse
    {
        try await RawHTTPClient.send(port: port, path: path, headers: headers, body: body)
    }

    func committed() async throws -> [JSONValue] { try await harness.committed("test/events", registry: engine.registry) }

    func stop() async throws {
        engine.requestStop()
        try await running.value
        harness.directory.remove()
    }
}

func metaField(_ document: JSONValue, _ name: String) -> JSONValue? { document.object?["_meta"]?.object?[name] }

@Suite struct HTTPIngestCaptureTests {
    @Test func healthAndBearerTokenAuthorization() async throws {
        let ingest = try await RunningIngest("http-auth")
        let health = try await RawHTTPClient.send(port: ingest.port, method: "GET", path: "/healthz")
        #expect(health.status == 200)
        #expect(health.body == #"{"status":"ok"}"# + "\n")
        let missing = try await ingest.post(#"{"id":1}"#, headers: [])
        #expect(missing.status == 401)
        #expect(missing.headers["www-authenticate"] == "Bearer")
        let wrong = try await ingest.post(#"{"id":1}"#, headers: [("authorization", "Bearer secret-tokem")])
        #expect(wrong.status == 401)
        let longer = try await ingest.post(#"{"id":1}"#, headers: [("authorization", "Bearer secret-token2")])
        #expect(longer.status == 401)
        let right = try await ingest.post(#"{"id":1}"#, headers: [("Authorization", "bearer secret-token")])
        #expect(right.status == 200)
        #expect(right.body.hasPrefix(#"{"count":1,"webhookId":""#))
        let unknown = try await ingest.post(#"{"id":1}"#, path: "/nothing")
        #expect(unknown.status == 404)
        try await ingest.stop()
    }

    /// Every 200 is sent after the commit: the documents are in the committed read when the
    /// response arrives. Objects, arrays and JSON lines are all accepted.
    @Test func answeredOnlyOnceCommitted() async throws {
        let ingest = try await RunningIngest("http-commit")
        let single = try await ingest.post(#"{"id":1,"amount":2}"#)
        #expect(single.status == 200)
        #expect(ids(try await ingest.committed()) == [1])
        let array = try await ingest.post(#"[{"id":2},{"id":3}]"#)
        #expect(array.status == 200)
        #expect(array.body.hasPrefix(#"{"count":2,"#))
        #expect(ids(try await ingest.committed()) == [1, 2, 3])
        let lines = try await ingest.post("{\"id\":4}\n\n{\"id\":5}\r\n{\"id\":6}")
        #expect(lines.status == 200)
        #expect(lines.body.hasPrefix(#"{"count":3,"#))
        #expect(ids(try await ingest.committed()) == [1, 2, 3, 4, 5, 6])
        try await ingest.stop()
    }

    @Test func anInvalidDocumentIsNamedAndNothingOfItsRequestCommits() async throws {
        let ingest = try await RunningIngest("http-invalid")
        let invalid = try await ingest.post(#"[{"id":10},{"id":"eleven"},{"id":12}]"#)
        #expect(invalid.status == 400)
        #expect(invalid.body.contains(#""index":1"#))
        #expect(invalid.body.contains("documents[1]: /id"), "\(invalid.body)")
        let badLine = try await ingest.post("{\"id\":20}\n{\"id\":21,}\n")
        #expect(badLine.status == 400)
        #expect(badLine.body.contains("line 2, column 10"), "\(badLine.body)")
        let notObjects = try await ingest.post("[1,2]")
        #expect(notObjects.status == 400)
        #expect(notObjects.body.contains("documents[0]: expected a JSON object"))
        let empty = try await ingest.post("  ")
        #expect(empty.status == 400)
        // A valid request after them: only it is committed.
        #expect(try await ingest.post(#"{"id":30}"#).status == 200)
        #expect(ids(try await ingest.committed()) == [30])
        try await ingest.stop()
    }

    /// `maxBodyBytes: 1000`: a body of exactly 1,000 bytes is taken, 1,001 bytes are refused
    /// (declared by content-length), and the server stays usable.
    @Test func aBodyOverTheLimitIs413() async throws {
        let ingest = try await RunningIngest("http-413", extra: ", maxBodyBytes: 1000")
        func body(id: Int, bytes: Int) -> String {
            let prefix = #"{"id":\#(id),"pad":""#
            return prefix + String(repeating: "x", count: bytes - prefix.utf8.count - 2) + #""}"#
        }
        #expect(body(id: 1, bytes: 1000).utf8.count == 1000)
        #expect(try await ingest.post(body(id: 1, bytes: 1000)).status == 200)
        let refused = try await ingest.post(body(id: 2, bytes: 1001))
        #expect(refused.status == 413)
        #expect(refused.body.contains("limit of 1000 bytes"))
        let large = try await ingest.post(body(id: 3, bytes: 200_000))
        #expect(large.status == 413)
        #expect(try await ingest.post(#"{"id":4}"#).status == 200)
        #expect(ids(try await ingest.committed()) == [1, 4])
        try await ingest.stop()
    }

    @Test func webhookIdPathParametersAndQuery() async throws {
        let ingest = try await RunningIngest("http-meta", extra: ", idFromHeader: X-Request-Id")
        let generated = try await ingest.post(#"{"id":1,"_meta":{"extra":true}}"#, path: "/regions/eu/events?source=web&x=1&x=2")
        #expect(generated.status == 200)
        let fromHeader = try await ingest.post(#"{"id":2}"#, headers: [RunningIngest.authorization, ("x-request-id", "req-42")])
        #expect(fromHeader.body == #"{"count":1,"webhookId":"req-42"}"# + "\n")
        // A retry of a committed request (same id) is answered 200 and not captured again.
        let retry = try await ingest.post(#"{"id":2}"#, headers: [RunningIngest.authorization, ("X-Request-Id", "req-42")])
        #expect(retry.body == #"{"count":1,"webhookId":"req-42","duplicate":true}"# + "\n")
        let documents = try await ingest.committed()
        #expect(documents.count == 2)
        let first = documents[0]
        #expect(metaField(first, "pathParams") == ["region": "eu"])
        #expect(metaField(first, "query") == ["source": "web", "x": "2"])
        #expect(metaField(first, "extra") == true)
        let id = try #require(metaField(first, "webhookId")?.string)
        #expect(UUID(uuidString: id) != nil)
        #expect(metaField(documents[1], "webhookId") == "req-42")
        #expect(metaField(documents[1], "pathParams") == nil)
        #expect(metaField(documents[1], "query") == nil)
        try await ingest.stop()
    }

    @Test func concurrentRequestsAllCommitOnce() async throws {
        let ingest = try await RunningIngest("http-concurrent")
        let clients = 8, requestsEach = 25
        try await withThrowingTaskGroup(of: Void.self) { group in
            for client in 0..<clients {
                group.addTask {
                    for request in 0..<requestsEach {
                        let id = client * 1_000 + request
                        let response = try await ingest.post(#"[{"id":\#(id)},{"id":\#(id + 500)}]"#)
                        #expect(response.status == 200, "\(response.body)")
                    }
                }
            }
            try await group.waitForAll()
        }
        let captured = ids(try await ingest.committed())
        #expect(captured.count == clients * requestsEach * 2)
        #expect(Set(captured).count == captured.count)
        #expect(ingest.engine.statuses["test/hooks"]!.snapshot.transactions < clients * requestsEach)
        try await ingest.stop()
    }

    @Test func anIdleIngestLetsUntilIdleStop() async throws {
        let port = try FreePort.find()
        let harness = try CaptureHarness("http-idle", catalog: httpCatalog(port: port))
        defer { harness.directory.remove() }
        try await harness.engine(["http-ingest": HTTPIngestCapture()]).run(untilIdle: true)
        #expect(!FreePort.isListening(port))
    }
}
