import Foundation
import Synchronization

/// A closed-loop HTTP/1.1 load generator for the ingest benchmarks: `connections` keep-alive
/// connections, each on its own thread, each sending its next POST as soon as the previous one
/// is answered. Latency is measured per request from the first byte sent to the whole
/// response read (end to end: for http-ingest that includes the durable commit).
public struct HTTPLoadGenerator: Sendable {
    public let port: Int
    public let path: String
    public let headers: [(String, String)]
    public let connections: Int

    public struct Report: Sendable {
        /// Seconds from the first request sent to the last response read.
        public var seconds: Double
        /// Latency of each answered request, in seconds.
        public var latencies: [Double]
        /// Requests not answered 200 (status or failure), and the first such answer.
        public var failures: Int
        public var firstFailure: String?

        public func latencyPercentile(_ fraction: Double) -> Double {
            guard !latencies.isEmpty else { return 0 }
            let sorted = latencies.sorted()
            return sorted[min(sorted.count - 1, Int((Double(sorted.count) * fraction).rounded(.up)) - 1)]
        }
    }

    public init(port: Int, path: String, headers: [(String, String)] = [], connections: Int) {
        precondition(connections >= 1)
        self.port = port
        self.path = path
        self.headers = headers
        self.connections = connections
    }

    /// Sends every body once (round-robin over the connections) and waits for the answers.
    public func run(bodies: [[UInt8]]) async -> Report {
        await withCheckedContinuation { continuation in
            Thread { continuation.resume(returning: runBlocking(bodies: bodies)) }.start()
        }
    }

    private func runBlocking(bodies: [[UInt8]]) -> Report {
        let collected = Mutex(Report(seconds: 0, latencies: [], failures: 0, firstFailure: nil))
        let group = DispatchGroup()
        let started = DispatchTime.now().uptimeNanoseconds
        for connection in 0..<connections {
            group.enter()
            Thread {
                defer { group.leave() }
                var client: LoadConnection?
                var mine: [Double] = []
                var index = connection
                while index < bodies.count {
                    defer { index += connections }
                    let begin = DispatchTime.now().uptimeNanoseconds
                    do {
                        if client == nil { client = try LoadConnection(port: port) }
                        let (status, body) = try client!.post(path: path, headers: headers, body: bodies[index])
                        if status == 200 {
                            mine.append(Double(DispatchTime.now().uptimeNanoseconds - begin) / 1e9)
                        } else {
                            collected.withLock {
                                $0.failures += 1
                                $0.firstFailure = $0.firstFailure ?? "status \(status): \(body)"
                            }
                        }
                    } catch {
                        client = nil
                        collected.withLock {
                            $0.failures += 1
                            $0.firstFailure = $0.firstFailure ?? "\(error)"
                        }
                    }
                }
                collected.withLock { $0.latencies += mine }
            }.start()
        }
        group.wait()
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9
        var report = collected.withLock { $0 }
        report.seconds = seconds
        return report
    }
}

/// One keep-alive connection speaking just enough HTTP/1.1: requests with content-length,
/// responses with content-length.
final class LoadConnection {
    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    private let descriptor: Int32
    private var buffer = [UInt8](repeating: 0, count: 64 << 10)
    private var pending: [UInt8] = []

    init(port: Int) throws {
        descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { throw Failure(description: "socket: \(String(cString: strerror(errno)))") }
        var noDelay: Int32 = 1
        setsockopt(descriptor, Int32(IPPROTO_TCP), TCP_NODELAY, &noDelay, socklen_t(MemoryLayout<Int32>.size))
        var timeout = timeval(tv_sec: 60, tv_usec: 0)
        setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = UInt16(port).bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else {
            close(descriptor)
            throw Failure(description: "connect to 127.0.0.1:\(port): \(String(cString: strerror(errno)))")
        }
    }

    deinit { close(descriptor) }

    func post(path: String, headers: [(String, String)], body: [UInt8]) throws -> (Int, String) {
        var head = "POST \(path) HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-length: \(body.count)\r\n"
        for (name, value) in headers { head += "\(name): \(value)\r\n" }
        head += "\r\n"
        let request = Array(head.utf8) + body
        var sent = 0
        while sent < request.count {
            let count = request.withUnsafeBytes { Foundation.send(descriptor, $0.baseAddress! + sent, $0.count - sent, Int32(MSG_NOSIGNAL)) }
            guard count > 0 else { throw Failure(description: "send: \(String(cString: strerror(errno)))") }
            sent += count
        }
        // Head, then content-length bytes of body.
        while true {
            if let end = Self.headEnd(pending) {
                let headText = String(decoding: pending[0..<end], as: UTF8.self)
                let status = Int(headText.split(separator: " ").dropFirst().first ?? "") ?? 0
                var length = 0
                for line in headText.split(separator: "\r\n") where line.lowercased().hasPrefix("content-length:") {
                    length = Int(line.split(separator: ":")[1].trimmingCharacters(in: .whitespaces)) ?? 0
                }
                while pending.count < end + 4 + length { try receive() }
                let responseBody = String(decoding: pending[(end + 4)..<(end + 4 + length)], as: UTF8.self)
                pending.removeFirst(end + 4 + length)
                return (status, responseBody)
            }
            try receive()
        }
    }

    private func receive() throws {
        let count = buffer.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress!, $0.count, 0) }
        guard count > 0 else { throw Failure(description: count == 0 ? "connection closed" : "recv: \(String(cString: strerror(errno)))") }
        pending.append(contentsOf: buffer[0..<count])
    }

    private static func headEnd(_ bytes: [UInt8]) -> Int? {
        guard bytes.count >= 4 else { return nil }
        for index in 0...(bytes.count - 4) where bytes[index] == 13 && bytes[index + 1] == 10 && bytes[index + 2] == 13 && bytes[index + 3] == 10 {
            return index
        }
        return nil
    }
}
