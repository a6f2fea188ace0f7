import Foundation
public import SluiceCatalog
public import SluiceDocument
import SluiceHTTP
import SluiceSchema
public import SluiceTask
import Synchronization

/// The `http-ingest` capture (docs/captures.md): an HTTP server on the endpoint's `listen`
/// address; each binding's `path` takes POSTed documents for its collection. A request is
/// answered 200 only once its documents are durably committed, 400 (naming the document) when
/// any of them is invalid (then none of them is captured), 401 without the bearer token, 413
/// over `maxBodyBytes`, 503 when it could not be committed (retry). `GET /healthz` answers
/// 200. The capture never ends; it reports `.idle` when no request waits.
public struct HTTPIngestCapture: CaptureConnector {
    /// Bytes of validated requests that may wait for a transaction: beyond 256 MiB requests
    /// are answered 503 with `retry-after`, so a burst cannot exhaust memory.
    public var queuedBytesMax: Int
    /// A transaction ends after this many documents even while requests keep coming: 50,000
    /// keeps its combiner in memory and its commit latency bounded.
    public var transactionDocumentsMax: Int
    /// Client webhook ids (`idFromHeader`) remembered in the checkpoint, so a retry of a
    /// committed request is answered 200 without capturing it twice: the last 4,096. Each id
    /// costs its length in every checkpoint; retries come within moments of a failure.
    public var rememberedWebhookIdsMax: Int
    /// Called with the bound port once the server listens (tests bind port 0).
    public var onListening: (@Sendable (Int) -> Void)?

    public init(queuedBytesMax: Int = 256 << 20, transactionDocumentsMax: Int = 50_000, rememberedWebhookIdsMax: Int = 4096,
                onListening: (@Sendable (Int) -> Void)? = nil) {
        precondition(queuedBytesMax > 0 && transactionDocumentsMax > 0 && rememberedWebhookIdsMax >= 0)
        self.queuedBytesMax = queuedBytesMax
        self.transactionDocumentsMax = transactionDocumentsMax
        self.rememberedWebhookIdsMax = rememberedWebhookIdsMax
        self.onListening = onListening
    }

    public func open(endpoint: CaptureEndpoint, bindings: [CaptureBindingSpec], state: JSONValue?,
                     context: TaskContext) async throws -> any CaptureSession {
        guard case .httpIngest(let configuration) = endpoint else {
            throw TaskError.configuration(task: context.taskName,
                                          message: "the http-ingest connector was given a \(endpoint.connectorName) endpoint")
        }
        guard let (host, port) = Self.hostAndPort(configuration.listen) else {
            throw TaskError.configuration(task: context.taskName, message: "listen \"\(configuration.listen)\" is not host:port")
        }
        var remembered: [String] = []
        if let state {
            guard let ids = state.object?["webhookIds"]?.array else {
                throw TaskError.configuration(task: context.taskName, message: "the checkpoint is not an http-ingest state: \(state)")
            }
            remembered = ids.compactMap(\.string)
        }
        let queue = IngestQueue(remembered: remembered, queuedBytesMax: queuedBytesMax, transactionDocumentsMax: transactionDocumentsMax,
                                rememberedIdsMax: rememberedWebhookIdsMax)
        let handler = IngestHandler(queue: queue, token: configuration.token.map { BearerToken($0.value) },
                                    idFromHeader: configuration.idFromHeader,
                                    validators: bindings.map { ValidatorPool($0.collection.writeSchema) })
        var routes: [HTTPRoute] = [try HTTPRoute("GET", "/healthz") { _ in .json(status: 200, #"{"status":"ok"}"#) }]
        for (position, binding) in bindings.enumerated() {
            guard case .httpIngest(let path) = binding.resource else {
                throw TaskError.configuration(task: context.taskName, message: "binding \(binding.index) is not an http-ingest resource")
            }
            do {
                routes.append(try HTTPRoute("POST", path, preflight: { handler.authorize($0) }) { await handler.handle($0, binding: position) })
            } catch {
                throw TaskError.configuration(task: context.taskName, message: "binding \(binding.index): \(error)")
            }
        }
        let server = HTTPServer(host: host, port: port, routes: routes, maxBodyBytes: configuration.maxBodyBytes)
        let bound: Int
        do {
            bound = try await server.start()
        } catch {
            // Retried with backoff: the port may be free again after a restart.
            throw TaskError.connector(task: context.taskName, message: "\(error)")
        }
        context.logger.info("http-ingest listening", metadata: ["address": "\(host):\(bound)"])
        onListening?(bound)
        return HTTPIngestSession(queue: queue, server: server, context: context)
    }

    /// `127.0.0.1:8080`, `localhost:80`, `[::1]:8080`.
    static func hostAndPort(_ listen: String) -> (String, Int)? {
        guard let colon = listen.lastIndex(of: ":"), let port = Int(listen[listen.index(after: colon)...]),
              (0...65_535).contains(port)
        else { return nil }
        var host = String(listen[..<colon])
        if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        guard !host.isEmpty else { return nil }
        return (host, port)
    }
}

/// A running http-ingest capture: hands the runtime each queued request's documents and ends a
/// transaction whenever the queue runs dry (so requests commit together, group-commit style),
/// answers them once `committed` says their checkpoint is durable.
final class HTTPIngestSession: CaptureSession {
    let queue: IngestQueue
    let server: HTTPServer
    let context: TaskContext
    /// Longest wait for a request in one `next` once the transaction's deadline has passed:
    /// 100 ms keeps a stop request prompt without spinning.
    static let idleWaitNanoseconds: UInt64 = 100_000_000

    init(queue: IngestQueue, server: HTTPServer, context: TaskContext) {
        self.queue = queue
        self.server = server
        self.context = context
    }

    func next(deadlineNanoseconds: UInt64) async throws -> CaptureEvent {
        while true {
            let now = context.wallClockNanoseconds()
            switch queue.next(deadlinePassed: now >= deadlineNanoseconds) {
            case .documents(let binding, let documents):
                return .documents(binding: binding, documents)
            case .checkpoint(let remembered):
                return .checkpoint(["webhookIds": .array(remembered.map { .string($0) })])
            case .nothing:
                let wait = deadlineNanoseconds > now ? deadlineNanoseconds - now : Self.idleWaitNanoseconds
                if !(await queue.waitForRequest(nanoseconds: wait)) { return .idle }
            }
        }
    }

    func committed(state: JSONValue) async { queue.committed() }

    func abandoned(error: any Error) async { queue.abandoned("\(error)") }

    func close() async {
        queue.close()
        await server.stop()
    }
}

/// Each binding's write-schema validators, reused across requests (a validator keeps buffers).
final class ValidatorPool: @unchecked Sendable {
    // Safety: `idle` is only touched under `lock`; a validator taken from it is used by one
    // request at a time and put back under the lock.
    let schema: Schema
    private let lock = NSLock()
    private var idle: [SchemaValidator] = []
    /// Validators kept for reuse: 16 covers the requests handled at once on this machine.
    static let idleMax = 16

    init(_ schema: Schema) { self.schema = schema }

    func withValidator<Result>(_ body: (inout SchemaValidator) throws -> Result) rethrows -> Result {
        var validator = lock.withLock { idle.popLast() } ?? schema.validator()
        defer { lock.withLock { if idle.count < Self.idleMax { idle.append(validator) } } }
        return try body(&validator)
    }
}

/// Answers one binding's POSTs: authorization, parsing, `_meta`, validation, then the queue.
struct IngestHandler: Sendable {
    let queue: IngestQueue
    let token: BearerToken?
    let idFromHeader: String?
    let validators: [ValidatorPool]

    func authorize(_ request: HTTPRequest) -> HTTPResponse? {
        guard let token, !token.accepts(request.header("authorization")) else { return nil }
        var response = HTTPResponse.error(status: 401, "missing or wrong bearer token (Authorization: Bearer …)")
        response.headers.append(("www-authenticate", "Bearer"))
        return response
    }

    func handle(_ request: HTTPRequest, binding: Int) async -> HTTPResponse {
        let headerId = idFromHeader.flatMap { request.header($0) }.flatMap { $0.isEmpty ? nil : $0 }
        let webhookId = headerId ?? UUID().uuidString.lowercased()
        let documents: [Document]
        do {
            documents = try prepare(request, binding: binding, webhookId: webhookId)
        } catch {
            var body = #"{"error":"# + JSONString.quote(error.message)
            if let index = error.index { body += #","index":\#(index)"# }
            return .json(status: 400, body + "}")
        }
        switch await queue.submit(binding: binding, documents: documents, bytes: request.body.count, webhookId: webhookId,
                                  remember: headerId != nil) {
        case .committed(let count, let duplicate):
            let tail = duplicate ? #","duplicate":true}"# : "}"
            return .json(status: 200, #"{"count":\#(count),"webhookId":"# + JSONString.quote(webhookId) + tail)
        case .unavailable(let reason):
            return .error(status: 503, reason)
        case .busy:
            var response = HTTPResponse.error(status: 503, "too many requests are waiting to be committed; retry")
            response.headers.append(("retry-after", "1"))
            return response
        }
    }

    /// The request's documents with `_meta`, each valid against the binding collection's write schema.
    private func prepare(_ request: HTTPRequest, binding: Int, webhookId: String) throws(IngestRequestError) -> [Document] {
        let parsed = try IngestRequests.parse(request.body)
        let query = request.queryItems
        var builder = DocumentBuilder()
        var documents: [Document] = []
        documents.reserveCapacity(parsed.count)
        for (index, entry) in parsed.enumerated() {
            let document: Document
            do {
                document = try IngestRequests.decorate(entry.document, webhookId: webhookId, pathParameters: request.pathParameters,
                                                       query: query, builder: &builder)
            } catch {
                throw IngestRequestError(index: index, message: "\(entry.label): \(error.message)")
            }
            let failure = validators[binding].withValidator { $0.errors(document) }
            if let failure {
                throw IngestRequestError(index: index, message: "\(entry.label): \(failure)")
            }
            documents.append(document)
        }
        return documents
    }
}
