import NIOCore
import NIOHTTP1
import NIOPosix
import Synchronization

/// An HTTP/1.1 server: one listener, connections served concurrently, each connection's
/// requests answered in order (keep-alive and pipelining). A request body is collected whole,
/// up to `maxBodyBytes`; a larger one is answered 413 (decided from `content-length` when the
/// client sends it, else when the limit is crossed) after the rest of it is read and dropped
/// (so the client sees the answer rather than a reset), and the connection is closed.
///
///     let server = HTTPServer(host: "127.0.0.1", port: 0, routes: [
///         try HTTPRoute("GET", "/healthz") { _ in .json(status: 200, #"{"status":"ok"}"#) },
///     ])
///     let port = try await server.start()
///     …
///     await server.stop()
public final class HTTPServer: Sendable {
    public let host: String
    public let requestedPort: Int
    public let router: HTTPRouter
    public let maxBodyBytes: Int
    /// A rejected body (413, 401, …) is read and dropped up to this many bytes more before the
    /// connection is closed without reading the rest: 64 MiB bounds the work a client can cause.
    public static let rejectedBodyDrainBytesMax = 64 << 20

    private struct State {
        var listener: (any Channel)?
        var connections: [ObjectIdentifier: any Channel] = [:]
        var acceptLoop: Task<Void, Never>?
        var stopped = false
    }

    private let state = Mutex(State())

    /// `port` 0 lets the kernel choose (`start` returns the bound port).
    public init(host: String, port: Int, routes: [HTTPRoute], maxBodyBytes: Int = 16 << 20) {
        precondition(maxBodyBytes >= 0, "maxBodyBytes must not be negative")
        self.host = host
        self.requestedPort = port
        self.router = HTTPRouter(routes)
        self.maxBodyBytes = maxBodyBytes
    }

    /// Binds the listener and starts accepting connections; returns the bound port. Throws when
    /// the address cannot be bound (in use, not local, …), naming it.
    @discardableResult
    public func start() async throws -> Int {
        let listener: NIOAsyncChannel<NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>, Never>
        do {
            listener = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .serverChannelOption(ChannelOptions.backlog, value: 256)
                .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
                .childChannelOption(ChannelOptions.socketOption(.tcp_nodelay), value: 1)
                // A client that half-closes after its request still gets the answer.
                .childChannelOption(ChannelOptions.allowRemoteHalfClosure, value: true)
                .bind(host: host, port: requestedPort) { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.configureHTTPServerPipeline(withErrorHandling: true)
                        return try NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>(
                            wrappingChannelSynchronously: channel)
                    }
                }
        } catch {
            throw HTTPServerError.bind(address: "\(host):\(requestedPort)", reason: "\(error)")
        }
        let port = listener.channel.localAddress?.port ?? requestedPort
        let alreadyStopped = state.withLock { state -> Bool in
            if state.stopped { return true }
            state.listener = listener.channel
            return false
        }
        if alreadyStopped {
            try? await listener.channel.close()
            throw HTTPServerError.stopped
        }
        let loop = Task<Void, Never> {
            await withDiscardingTaskGroup { group in
                try? await listener.executeThenClose { inbound in
                    for try await connection in inbound {
                        let identifier = ObjectIdentifier(connection.channel)
                        let accepted = self.state.withLock { state -> Bool in
                            guard !state.stopped else { return false }
                            state.connections[identifier] = connection.channel
                            return true
                        }
                        guard accepted else {
                            try? await connection.channel.close()
                            continue
                        }
                        group.addTask {
                            await self.serve(connection)
                            _ = self.state.withLock { $0.connections.removeValue(forKey: identifier) }
                        }
                    }
                }
            }
            return
        }
        state.withLock { $0.acceptLoop = loop }
        return port
    }

    /// Stops listening, closes every connection (requests being handled get no answer), and
    /// returns when the accept loop has ended.
    public func stop() async {
        let (listener, connections, loop) = state.withLock { state in
            state.stopped = true
            let taken = (state.listener, Array(state.connections.values), state.acceptLoop)
            state.listener = nil
            state.connections = [:]
            return taken
        }
        try? await listener?.close()
        for connection in connections { try? await connection.close() }
        await loop?.value
    }

    // MARK: - A connection

    private func serve(_ connection: NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>) async {
        try? await connection.executeThenClose { inbound, outbound in
            var head: HTTPRequestHead?
            var body: [UInt8] = []
            var rejection: HTTPResponse?
            var drained = 0
            for try await part in inbound {
                switch part {
                case .head(let requestHead):
                    head = requestHead
                    body.removeAll(keepingCapacity: false)
                    drained = 0
                    rejection = preflight(requestHead)
                case .body(let buffer):
                    if rejection != nil {
                        drained += buffer.readableBytes
                        if drained > Self.rejectedBodyDrainBytesMax, let requestHead = head, let answer = rejection {
                            try await write(answer, to: requestHead, keepAlive: false, outbound)
                            return
                        }
                    } else if body.count + buffer.readableBytes > maxBodyBytes {
                        rejection = tooLarge()
                        drained = body.count + buffer.readableBytes
                        body.removeAll(keepingCapacity: false)
                    } else {
                        body.append(contentsOf: buffer.readableBytesView)
                    }
                case .end:
                    guard let requestHead = head else { continue }
                    head = nil
                    let response: HTTPResponse
                    if let rejection {
                        response = rejection
                    } else {
                        response = await handle(requestHead, body: body)
                    }
                    let keepAlive = requestHead.isKeepAlive && rejection?.status != 413
                    rejection = nil
                    body = []
                    try await write(response, to: requestHead, keepAlive: keepAlive, outbound)
                    if !keepAlive { return }
                }
            }
        }
    }

    private func request(_ head: HTTPRequestHead, body: [UInt8]) -> HTTPRequest {
        HTTPRequest(method: head.method.rawValue, target: head.uri, headers: head.headers.map { ($0.name, $0.value) }, body: body)
    }

    /// The answer decided from the head alone, if any: no route, wrong method, the route's
    /// preflight, or a declared body over the limit.
    private func preflight(_ head: HTTPRequestHead) -> HTTPResponse? {
        let request = request(head, body: [])
        switch router.match(method: request.method, path: request.path) {
        case .notFound:
            return .error(status: 404, "no route for \(request.path)")
        case .methodNotAllowed(let allowed):
            var response = HTTPResponse.error(status: 405, "\(request.method) is not allowed on \(request.path)")
            response.headers.append(("allow", allowed.joined(separator: ", ")))
            return response
        case .route(let route, let parameters):
            var withParameters = request
            withParameters.pathParameters = parameters
            if let answer = route.preflight?(withParameters) { return answer }
        }
        if let declared = head.headers.first(name: "content-length").flatMap({ Int($0) }), declared > maxBodyBytes {
            return tooLarge()
        }
        return nil
    }

    private func tooLarge() -> HTTPResponse {
        .error(status: 413, "the request body is larger than the limit of \(maxBodyBytes) bytes (maxBodyBytes)")
    }

    private func handle(_ head: HTTPRequestHead, body: [UInt8]) async -> HTTPResponse {
        var request = request(head, body: body)
        guard case .route(let route, let parameters) = router.match(method: request.method, path: request.path) else {
            return .error(status: 404, "no route for \(request.path)")
        }
        request.pathParameters = parameters
        return await route.handler(request)
    }

    private func write(_ response: HTTPResponse, to head: HTTPRequestHead, keepAlive: Bool,
                       _ outbound: NIOAsyncChannelOutboundWriter<HTTPServerResponsePart>) async throws {
        var headers = HTTPHeaders(response.headers)
        headers.replaceOrAdd(name: "content-length", value: String(response.body.count))
        if !keepAlive { headers.replaceOrAdd(name: "connection", value: "close") }
        let responseHead = HTTPResponseHead(version: head.version, status: HTTPResponseStatus(statusCode: response.status),
                                            headers: headers)
        var parts: [HTTPServerResponsePart] = [.head(responseHead)]
        if head.method != .HEAD && !response.body.isEmpty {
            parts.append(.body(.byteBuffer(ByteBuffer(bytes: response.body))))
        }
        parts.append(.end(nil))
        try await outbound.write(contentsOf: parts)
    }
}

/// Why a server could not start.
public enum HTTPServerError: Error, CustomStringConvertible, Equatable {
    case bind(address: String, reason: String)
    case stopped

    public var description: String {
        switch self {
        case .bind(let address, let reason): return "cannot listen on \(address): \(reason)"
        case .stopped: return "the server was stopped before it started"
        }
    }
}
