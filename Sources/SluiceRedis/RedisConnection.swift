#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One connection to a Redis server, synchronous and pipelined. `init` connects, logs in (AUTH
/// with the endpoint's user and password), selects the database and PINGs, all within the
/// connect timeout. `pipeline` writes many commands while it reads their replies, so neither
/// side's buffers can fill up and stall the other.
///
/// Every call blocks its thread for at most the timeouts (see `RedisOptions`); `RedisClient`
/// runs connections on its own queue so the blocking never lands on Swift's cooperative pool.
/// After an I/O, timeout or protocol error the connection is closed and further calls throw.
/// Not thread-safe: one thread at a time.
public final class RedisConnection {
    public let endpoint: RedisEndpoint
    public let options: RedisOptions
    private let socket: RedisSocket

    /// Received bytes not yet decoded live in `receiveBuffer[receiveStart..<receiveEnd]`.
    private var receiveBuffer: [UInt8]
    private var receiveStart = 0
    private var receiveEnd = 0

    /// Room asked of the receive buffer before each recv: 64 KiB, several TCP segments, so a
    /// large reply arrives in few reads. The buffer grows past it for larger replies and shrinks
    /// back when it empties after holding more than `receiveBufferBytesKept`.
    static let receiveChunkBytes = 64 << 10
    /// 4 MiB: a buffer grown past this by one large reply is released once it is empty.
    static let receiveBufferBytesKept = 4 << 20
    /// Commands are encoded in chunks of at least 256 KiB before each send, so a pipeline of
    /// a million commands never holds all of its bytes at once.
    static let sendChunkBytes = 256 << 10

    public init(endpoint: RedisEndpoint, options: RedisOptions = RedisOptions()) throws {
        self.endpoint = endpoint
        self.options = options
        let deadline = ContinuousClock.now.advanced(by: options.connectTimeout)
        socket = try RedisSocket.connect(host: endpoint.host, port: endpoint.port, server: endpoint.address, deadline: deadline)
        receiveBuffer = [UInt8](repeating: 0, count: Self.receiveChunkBytes)

        var handshake: [RedisCommand] = []
        if let password = endpoint.password {
            handshake.append(endpoint.username.map { RedisCommand("AUTH", $0, password) } ?? RedisCommand("AUTH", password))
        }
        if endpoint.database != 0 { handshake.append(RedisCommand("SELECT", endpoint.database)) }
        handshake.append(RedisCommand("PING"))
        let replies = try exchange(handshake, timeout: options.connectTimeout)
        for (command, reply) in zip(handshake, replies) {
            guard let message = reply.errorMessage else { continue }
            if command.name == "AUTH" {
                let who = endpoint.username.map { "user \($0)" } ?? "the default user"
                throw RedisError(.authentication, server: endpoint.address, command: "AUTH",
                                 message: "\(message) (as \(who))")
            }
            throw Self.replyError(message, server: endpoint.address, command: command)
        }
    }

    deinit { socket.close() }

    /// True until `close()` or an error that broke the connection.
    public var isOpen: Bool { !socket.isClosed }

    public func close() { socket.close() }

    /// Sends one command and returns its reply; an error reply throws, naming the command.
    @discardableResult
    public func execute(_ command: RedisCommand) throws -> RESPValue {
        let reply = try pipeline([command])[0]
        if let message = reply.errorMessage {
            throw Self.replyError(message, server: endpoint.address, command: command)
        }
        return reply
    }

    /// Sends `commands` in one pipeline and returns their replies in order. Error replies are
    /// returned as `.error` values (one command's error does not stop the others); I/O errors,
    /// timeouts and protocol errors throw and close the connection.
    public func pipeline(_ commands: [RedisCommand]) throws -> [RESPValue] {
        guard !commands.isEmpty else { return [] }
        return try exchange(commands, timeout: options.commandTimeout)
    }

    /// An error reply as a `RedisError`: NOAUTH and WRONGPASS are authentication failures.
    static func replyError(_ message: String, server: String, command: RedisCommand) -> RedisError {
        let code = message.split(separator: " ", maxSplits: 1).first ?? ""
        let kind: RedisError.Kind = (code == "NOAUTH" || code == "WRONGPASS") ? .authentication : .reply
        return RedisError(kind, server: server, command: command.description, message: message)
    }

    // MARK: - The exchange

    private func exchange(_ commands: [RedisCommand], timeout: Duration) throws -> [RESPValue] {
        guard !socket.isClosed else {
            throw RedisError(.connectionClosed, server: endpoint.address, command: commands.first?.description,
                             message: "the connection was closed by an earlier error")
        }
        assert(receiveStart == receiveEnd, "bytes left over from an earlier exchange")
        do {
            return try exchangeOnOpenSocket(commands, timeout: timeout)
        } catch let error as RedisError {
            socket.close()
            throw error
        }
    }

    private func exchangeOnOpenSocket(_ commands: [RedisCommand], timeout: Duration) throws -> [RESPValue] {
        var replies: [RESPValue] = []
        replies.reserveCapacity(commands.count)
        var nextCommand = 0
        var outbound: [UInt8] = []
        var outboundSent = 0
        var deadline = ContinuousClock.now.advanced(by: timeout)

        while replies.count < commands.count {
            if outboundSent == outbound.count, nextCommand < commands.count {
                outbound.removeAll(keepingCapacity: true)
                outboundSent = 0
                while nextCommand < commands.count, outbound.count < Self.sendChunkBytes {
                    RESPEncoder.append(commands[nextCommand], to: &outbound)
                    nextCommand += 1
                }
            }
            let writing = outboundSent < outbound.count
            guard let ready = try socket.wait(readable: true, writable: writing, deadline: deadline) else {
                throw RedisError(.timeout, server: endpoint.address, command: commands[replies.count].description,
                                 message: "no reply within \(timeout)"
                                     + (commands.count > 1 ? " (reply \(replies.count + 1) of a pipeline of \(commands.count))" : ""))
            }
            var progressed = false
            if ready.writable, writing {
                // Safety: the pointer is used only inside the closure, over the unsent bytes.
                let sent = try outbound.withUnsafeBytes { bytes in
                    try socket.send(UnsafeRawBufferPointer(rebasing: bytes[outboundSent...]))
                }
                outboundSent += sent
                progressed = progressed || sent > 0
            }
            if ready.readable {
                do {
                    if try receiveAvailable() { progressed = true }
                } catch let error as RedisError where error.kind == .connectionClosed {
                    // The server may have said why before closing (maxclients, a protocol error).
                    try decodeReplies(into: &replies, commands: commands)
                    let pending = replies.count < commands.count ? commands[replies.count].description : nil
                    let lastError = replies.last?.errorMessage.map { " after replying \($0)" } ?? ""
                    throw RedisError(.connectionClosed, server: endpoint.address, command: pending,
                                     message: error.message + lastError)
                }
                try decodeReplies(into: &replies, commands: commands)
            }
            if progressed { deadline = ContinuousClock.now.advanced(by: timeout) }
        }
        guard receiveStart == receiveEnd else {
            throw RedisError(.protocolViolation, server: endpoint.address,
                             message: "\(receiveEnd - receiveStart) unexpected bytes after the replies")
        }
        if receiveBuffer.count > Self.receiveBufferBytesKept {
            receiveBuffer = [UInt8](repeating: 0, count: Self.receiveChunkBytes)
        }
        receiveStart = 0
        receiveEnd = 0
        return replies
    }

    /// Reads what the socket has into the receive buffer; false if nothing was there.
    private func receiveAvailable() throws -> Bool {
        if receiveStart == receiveEnd {
            receiveStart = 0
            receiveEnd = 0
        }
        if receiveBuffer.count - receiveEnd < Self.receiveChunkBytes {
            if receiveStart > 0 {
                let pending = receiveEnd - receiveStart
                // Safety: source and destination lie within the buffer; memmove allows overlap.
                receiveBuffer.withUnsafeMutableBytes { bytes in
                    _ = memmove(bytes.baseAddress!, bytes.baseAddress! + receiveStart, pending)
                }
                receiveStart = 0
                receiveEnd = pending
            }
            if receiveBuffer.count - receiveEnd < Self.receiveChunkBytes {
                receiveBuffer.append(contentsOf: repeatElement(0, count: max(receiveBuffer.count, Self.receiveChunkBytes)))
            }
        }
        // Safety: recv writes only into the free tail of the buffer, inside the closure.
        let received = try receiveBuffer.withUnsafeMutableBytes { bytes in
            try socket.receive(into: UnsafeMutableRawBufferPointer(rebasing: bytes[receiveEnd...]))
        }
        guard let received else { return false }
        receiveEnd += received
        return true
    }

    /// Decodes every complete reply in the receive buffer.
    private func decodeReplies(into replies: inout [RESPValue], commands: [RedisCommand]) throws {
        while replies.count < commands.count, receiveStart < receiveEnd {
            let start = receiveStart, end = receiveEnd, limits = options.replyLimits
            // Safety: the buffer pointer does not escape the closure.
            let decoded: Result<(value: RESPValue, length: Int)?, RESPProtocolError> = receiveBuffer.withUnsafeBufferPointer { bytes in
                do throws(RESPProtocolError) {
                    return .success(try RESPDecoder.decode(UnsafeBufferPointer(rebasing: bytes[start..<end]), limits: limits))
                } catch {
                    return .failure(error)
                }
            }
            switch decoded {
            case .failure(let error):
                throw RedisError(.protocolViolation, server: endpoint.address, command: commands[replies.count].description,
                                 message: error.description)
            case .success(nil):
                return
            case .success(let complete?):
                replies.append(complete.value)
                receiveStart += complete.length
            }
        }
    }
}
