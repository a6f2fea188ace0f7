import Foundation

/// A response as the test client read it.
struct RawHTTPResponse: Sendable {
    let status: Int
    let headers: [String: String]
    let body: String
}

/// A minimal blocking HTTP/1.1 client over a POSIX socket (one request per connection,
/// `connection: close`), run on its own thread so tests never block Swift's cooperative pool
/// (the server's handlers need it).
enum RawHTTPClient {
    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    static func send(port: Int, method: String = "POST", path: String, headers: [(String, String)] = [],
                     body: String = "") async throws -> RawHTTPResponse {
        try await send(port: port, method: method, path: path, headers: headers, body: Array(body.utf8))
    }

    static func send(port: Int, method: String = "POST", path: String, headers: [(String, String)] = [],
                     body: [UInt8]) async throws -> RawHTTPResponse {
        try await withCheckedThrowingContinuation { continuation in
            let thread = Thread {
                continuation.resume(with: Result { try request(port: port, method: method, path: path, headers: headers, body: body) })
            }
            thread.start()
        }
    }

    static func request(port: Int, method: String, path: String, headers: [(String, String)], body: [UInt8]) throws -> RawHTTPResponse {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { throw Failure(description: "socket: \(String(cString: strerror(errno)))") }
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
        guard connected == 0 else { throw Failure(description: "connect to port \(port): \(String(cString: strerror(errno)))") }
        var head = "\(method) \(path) HTTP/1.1\r\nhost: 127.0.0.1:\(port)\r\nconnection: close\r\ncontent-length: \(body.count)\r\n"
        for (name, value) in headers { head += "\(name): \(value)\r\n" }
        head += "\r\n"
        var outgoing = Array(head.utf8) + body
        var sent = 0
        while sent < outgoing.count {
            let count = outgoing.withUnsafeMutableBytes { Foundation.send(descriptor, $0.baseAddress! + sent, $0.count - sent, Int32(MSG_NOSIGNAL)) }
            if count <= 0 { break }  // the server may answer (413) and close before reading everything
            sent += count
        }
        outgoing = []
        var incoming: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65_536)
        while true {
            let count = chunk.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress!, $0.count, 0) }
            if count <= 0 { break }
            incoming.append(contentsOf: chunk[0..<count])
        }
        let text = String(decoding: incoming, as: UTF8.self)
        guard let split = text.range(of: "\r\n\r\n") else { throw Failure(description: "no response head in \(text.debugDescription)") }
        let lines = text[..<split.lowerBound].components(separatedBy: "\r\n")
        let statusParts = lines[0].split(separator: " ")
        guard statusParts.count >= 2, let status = Int(statusParts[1]) else { throw Failure(description: "bad status line \(lines[0])") }
        var responseHeaders: [String: String] = [:]
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            responseHeaders[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        return RawHTTPResponse(status: status, headers: responseHeaders, body: String(text[split.upperBound...]))
    }
}
