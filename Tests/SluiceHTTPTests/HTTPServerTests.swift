import Foundation
import Testing
import SluiceHTTP
import SluiceTestSupport

/// Sends raw bytes to 127.0.0.1:`port` on a thread, half-closes if asked, and reads until the
/// server closes: what the server wrote.
func exchange(port: Int, _ request: String, halfClose: Bool = true) async throws -> String {
    try await withCheckedThrowingContinuation { continuation in
        Thread {
            continuation.resume(with: Result {
                let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
                defer { close(descriptor) }
                var timeout = timeval(tv_sec: 90, tv_usec: 0)
                setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
                var address = sockaddr_in()
                address.sin_family = sa_family_t(AF_INET)
                address.sin_port = UInt16(port).bigEndian
                address.sin_addr.s_addr = inet_addr("127.0.0.1")
                let connected = withUnsafePointer(to: &address) {
                    $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
                }
                guard connected == 0 else { throw TestSupportError("connect failed") }
                let bytes = Array(request.utf8)
                var sent = 0
                while sent < bytes.count {
                    let count = bytes.withUnsafeBytes { send(descriptor, $0.baseAddress! + sent, $0.count - sent, Int32(MSG_NOSIGNAL)) }
                    if count <= 0 { break }
                    sent += count
                }
                if halfClose { shutdown(descriptor, Int32(SHUT_WR)) }
                var received: [UInt8] = []
                var chunk = [UInt8](repeating: 0, count: 65_536)
                while true {
                    let count = chunk.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress!, $0.count, 0) }
                    if count <= 0 { break }
                    received += chunk[0..<count]
                }
                return String(decoding: received, as: UTF8.self)
            })
        }.start()
    }
}

@Suite struct HTTPServerTests {
    static func server(maxBodyBytes: Int = 64) throws -> HTTPServer {
        HTTPServer(host: "127.0.0.1", port: 0, routes: [
            try HTTPRoute("GET", "/healthz") { _ in .json(status: 200, #"{"status":"ok"}"#) },
            try HTTPRoute("POST", "/echo/{name}", preflight: { $0.header("x-deny") == nil ? nil : .error(status: 401, "denied") }) { request in
                .text(status: 200, "\(request.pathParameters["name"]!):\(request.queryItems.map { "\($0.name)=\($0.value)" }.joined(separator: "&")):"
                      + String(decoding: request.body, as: UTF8.self))
            },
        ], maxBodyBytes: maxBodyBytes)
    }

    @Test func pathTemplates() throws {
        let template = try HTTPPathTemplate("/regions/{region}/orders")
        #expect(template.match("/regions/eu/orders") == ["region": "eu"])
        #expect(template.match("/regions/eu%2Fwest/orders/") == ["region": "eu/west"])
        #expect(template.match("/regions/orders") == nil)
        #expect(template.match("/regions/eu/orders/x") == nil)
        #expect(throws: HTTPPathTemplate.Error.self) { try HTTPPathTemplate("orders") }
        #expect(throws: HTTPPathTemplate.Error.self) { try HTTPPathTemplate("/a{b}") }
        #expect(throws: HTTPPathTemplate.Error.self) { try HTTPPathTemplate("/{a}/{a}") }
        #expect(PercentDecoding.decode("a+b%20c%zz", plusIsSpace: true) == "a b c%zz")
    }

    @Test func pipelinedRequestsAreAnsweredInOrder() async throws {
        let server = try Self.server()
        let port = try await server.start()
        let response = try await exchange(port: port, """
            POST /echo/one?x=1&y=a+b HTTP/1.1\r\nhost: t\r\ncontent-length: 3\r\n\r\nabcGET /healthz HTTP/1.1\r\nhost: t\r\n\r\n\
            DELETE /healthz HTTP/1.1\r\nhost: t\r\n\r\nGET /nothing HTTP/1.1\r\nhost: t\r\nconnection: close\r\n\r\n
            """, halfClose: false)
        await server.stop()
        let statuses = response.components(separatedBy: "HTTP/1.1 ").dropFirst().map { $0.components(separatedBy: "\r\n")[0] }
        #expect(statuses == ["200 OK", "200 OK", "405 Method Not Allowed", "404 Not Found"])
        #expect(response.contains("one:x=1&y=a b:abc"))
        #expect(response.contains("allow: GET"))
        #expect(!FreePort.isListening(port))
    }

    /// A chunked body (no content-length) crossing the limit: 413 once the rest is drained,
    /// and the connection closes. The preflight answers before the body.
    @Test func bodyLimitWithoutContentLengthAndPreflight() async throws {
        let server = try Self.server(maxBodyBytes: 64)
        let port = try await server.start()
        let chunk = String(repeating: "x", count: 40)
        let chunked = "POST /echo/big HTTP/1.1\r\nhost: t\r\ntransfer-encoding: chunked\r\n\r\n28\r\n\(chunk)\r\n28\r\n\(chunk)\r\n0\r\n\r\n"
        let refused = try await exchange(port: port, chunked + "GET /healthz HTTP/1.1\r\nhost: t\r\n\r\n")
        #expect(refused.hasPrefix("HTTP/1.1 413 Payload Too Large"))
        #expect(refused.contains("connection: close"))
        #expect(!refused.contains(#"{"status":"ok"}"#))
        let exact = String(repeating: "y", count: 64 - "fits:".count - 1)
        let fits = try await exchange(port: port, "POST /echo/fits HTTP/1.1\r\nhost: t\r\ncontent-length: \(exact.utf8.count)\r\nconnection: close\r\n\r\n\(exact)")
        #expect(fits.hasPrefix("HTTP/1.1 200 OK"))
        let denied = try await exchange(port: port, "POST /echo/a HTTP/1.1\r\nhost: t\r\nx-deny: 1\r\ncontent-length: 1000\r\nconnection: close\r\n\r\n"
                                        + String(repeating: "z", count: 1000))
        #expect(denied.hasPrefix("HTTP/1.1 401 Unauthorized"))
        await server.stop()
    }

    @Test func aPortInUseIsNamed() async throws {
        let first = try Self.server()
        let port = try await first.start()
        let second = HTTPServer(host: "127.0.0.1", port: port, routes: [])
        await #expect(throws: HTTPServerError.self) { try await second.start() }
        await first.stop()
    }
}
