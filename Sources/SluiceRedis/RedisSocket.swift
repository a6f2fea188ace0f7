#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A TCP socket in nonblocking mode. Every wait is a `poll(2)` bounded by a deadline, so no
/// call here blocks past it. Name resolution (`getaddrinfo`) is the one step the deadline does
/// not bound; for an IP address or `localhost` it does not touch the network.
///
/// Not thread-safe: a `RedisConnection` owns one and uses it from one thread at a time.
final class RedisSocket {
    private(set) var descriptor: Int32
    let server: String

    private init(descriptor: Int32, server: String) {
        self.descriptor = descriptor
        self.server = server
    }

    deinit { close() }

    /// Connects to `host:port`, trying each resolved address until one accepts before `deadline`.
    static func connect(host: String, port: Int, server: String, deadline: ContinuousClock.Instant) throws -> RedisSocket {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        hints.ai_protocol = Int32(IPPROTO_TCP)
        hints.ai_flags = AI_NUMERICSERV
        var addresses: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(host, String(port), &hints, &addresses)
        guard status == 0, let first = addresses else {
            throw RedisError(.connect, server: server, message: "cannot resolve \(host): \(String(cString: gai_strerror(status)))")
        }
        defer { freeaddrinfo(addresses) }

        var lastFailure = "no address"
        var next: UnsafeMutablePointer<addrinfo>? = first
        while let address = next {
            next = address.pointee.ai_next
            let descriptor = socket(address.pointee.ai_family,
                                    Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue),
                                    address.pointee.ai_protocol)
            guard descriptor >= 0 else { lastFailure = "socket: \(errorText(errno))"; continue }
            let candidate = RedisSocket(descriptor: descriptor, server: server)
            if Glibc.connect(descriptor, address.pointee.ai_addr, address.pointee.ai_addrlen) != 0 {
                let code = errno
                guard code == EINPROGRESS else { lastFailure = errorText(code); continue }
                guard try candidate.wait(readable: false, writable: true, deadline: deadline) != nil else {
                    throw RedisError(.timeout, server: server, message: "no TCP connection within the connect timeout")
                }
                var socketError: Int32 = 0
                var length = socklen_t(MemoryLayout<Int32>.size)
                getsockopt(descriptor, SOL_SOCKET, SO_ERROR, &socketError, &length)
                guard socketError == 0 else { lastFailure = errorText(socketError); continue }
            }
            var one: Int32 = 1
            setsockopt(descriptor, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
            return candidate
        }
        throw RedisError(.connect, server: server, message: lastFailure)
    }

    /// Waits until the socket is readable or writable (as asked) or `deadline` passes (nil).
    func wait(readable: Bool, writable: Bool, deadline: ContinuousClock.Instant) throws -> (readable: Bool, writable: Bool)? {
        precondition(descriptor >= 0, "the socket is closed")
        var events: Int16 = 0
        if readable { events |= Int16(POLLIN) }
        if writable { events |= Int16(POLLOUT) }
        while true {
            let remaining = ContinuousClock.now.duration(to: deadline)
            guard remaining > .zero else { return nil }
            var descriptorEvents = pollfd(fd: descriptor, events: events, revents: 0)
            let status = poll(&descriptorEvents, 1, Self.milliseconds(remaining))
            if status < 0 {
                if errno == EINTR { continue }
                throw RedisError(.connectionClosed, server: server, message: "poll: \(errorText(errno))")
            }
            if status == 0 { continue }  // the loop re-checks the deadline
            let returned = descriptorEvents.revents
            // An error or hang-up shows as readable: the following recv reports what happened.
            let failed = returned & Int16(POLLERR | POLLHUP | POLLNVAL) != 0
            return (readable && (returned & Int16(POLLIN) != 0 || failed),
                    writable && (returned & Int16(POLLOUT) != 0 || failed))
        }
    }

    /// Sends what the kernel takes now; returns the number of bytes sent (0 if it would block).
    func send(_ bytes: UnsafeRawBufferPointer) throws -> Int {
        guard !bytes.isEmpty else { return 0 }
        while true {
            let sent = Glibc.send(descriptor, bytes.baseAddress, bytes.count, Int32(MSG_NOSIGNAL))
            if sent >= 0 { return sent }
            switch errno {
            case EINTR: continue
            case EAGAIN, EWOULDBLOCK: return 0
            case let code: throw RedisError(.connectionClosed, server: server, message: "send: \(errorText(code))")
            }
        }
    }

    /// Receives what is available into `buffer`; returns the count, nil if it would block, and
    /// throws if the server closed the connection.
    func receive(into buffer: UnsafeMutableRawBufferPointer) throws -> Int? {
        precondition(!buffer.isEmpty, "receive needs room")
        while true {
            let received = recv(descriptor, buffer.baseAddress, buffer.count, 0)
            if received > 0 { return received }
            if received == 0 {
                throw RedisError(.connectionClosed, server: server, message: "the server closed the connection")
            }
            switch errno {
            case EINTR: continue
            case EAGAIN, EWOULDBLOCK: return nil
            case let code: throw RedisError(.connectionClosed, server: server, message: "recv: \(errorText(code))")
            }
        }
    }

    func close() {
        if descriptor >= 0 {
            Glibc.close(descriptor)
            descriptor = -1
        }
    }

    var isClosed: Bool { descriptor < 0 }

    /// A duration as poll's timeout: whole milliseconds rounded up (so a wait never ends before
    /// the deadline), at most Int32.max.
    static func milliseconds(_ duration: Duration) -> Int32 {
        let (seconds, attoseconds) = duration.components
        let milliseconds = seconds * 1000 + (attoseconds + 999_999_999_999_999) / 1_000_000_000_000_000
        return Int32(clamping: max(0, milliseconds))
    }
}

func errorText(_ code: Int32) -> String { String(cString: strerror(code)) }
