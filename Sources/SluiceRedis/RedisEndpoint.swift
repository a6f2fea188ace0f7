/// Where a Redis server is and how to log in: parsed from
/// `redis://[[user]:password@]host[:port][/db]`. User and password may be percent-encoded; an
/// IPv6 host is written in brackets (`redis://[::1]:6379`). The description hides the password.
public struct RedisEndpoint: Sendable, Equatable, CustomStringConvertible {
    public var host: String
    public var port: Int
    /// The ACL user; nil means the default user (`AUTH password` alone).
    public var username: String?
    public var password: String?
    /// The logical database selected after login (0 unless the URL's path names one).
    public var database: Int

    public static let defaultPort = 6379

    public init(host: String, port: Int = RedisEndpoint.defaultPort, username: String? = nil,
                password: String? = nil, database: Int = 0) {
        precondition((1...65535).contains(port), "port \(port) outside 1...65535")
        precondition(database >= 0, "database \(database) is negative")
        self.host = host
        self.port = port
        self.username = username
        self.password = password
        self.database = database
    }

    /// Parses a `redis://` URL. Errors name the part that is wrong, never the password.
    public init(url: String) throws(RedisError) {
        func invalid(_ reason: String) -> RedisError {
            RedisError(.invalidURL, server: Self.redacted(url), message: reason)
        }
        let schemeSeparator = "://"
        guard let schemeEnd = url.firstRange(of: schemeSeparator) else { throw invalid("expected redis://host:port/db") }
        let scheme = url[..<schemeEnd.lowerBound].lowercased()
        guard scheme == "redis" else {
            throw invalid(scheme == "rediss" ? "TLS (rediss://) is not supported; use redis:// through a TLS proxy"
                                             : "scheme \(scheme) is not redis")
        }
        var rest = Substring(url[schemeEnd.upperBound...])
        if rest.contains("?") || rest.contains("#") { throw invalid("query and fragment are not supported") }

        var username: String?
        var password: String?
        if let at = rest.lastIndex(of: "@") {
            let credentials = rest[..<at]
            rest = rest[rest.index(after: at)...]
            if let colon = credentials.firstIndex(of: ":") {
                let user = credentials[..<colon]
                guard let decodedUser = Self.percentDecoded(user),
                      let decodedPassword = Self.percentDecoded(credentials[credentials.index(after: colon)...]) else {
                    throw invalid("bad percent-encoding in the credentials")
                }
                username = decodedUser.isEmpty ? nil : decodedUser
                password = decodedPassword
            } else {
                // `redis://password@host` is how some tools write a password without a user.
                guard let decoded = Self.percentDecoded(credentials) else { throw invalid("bad percent-encoding in the credentials") }
                password = decoded
            }
        }

        var database = 0
        if let slash = rest.firstIndex(of: "/") {
            let path = rest[rest.index(after: slash)...]
            rest = rest[..<slash]
            if !path.isEmpty {
                guard let number = Int(path), number >= 0 else { throw invalid("database \"\(path)\" is not a number ≥ 0") }
                database = number
            }
        }

        var host: Substring
        var portText: Substring?
        if rest.hasPrefix("[") {
            guard let close = rest.firstIndex(of: "]") else { throw invalid("IPv6 host without ]") }
            host = rest[rest.index(after: rest.startIndex)..<close]
            let after = rest[rest.index(after: close)...]
            if !after.isEmpty {
                guard after.hasPrefix(":") else { throw invalid("unexpected text after the IPv6 host") }
                portText = after.dropFirst()
            }
        } else if let colon = rest.lastIndex(of: ":") {
            host = rest[..<colon]
            portText = rest[rest.index(after: colon)...]
        } else {
            host = rest
        }
        guard !host.isEmpty else { throw invalid("no host") }
        var port = Self.defaultPort
        if let portText {
            guard let number = Int(portText), (1...65535).contains(number) else {
                throw invalid("port \"\(portText)\" is not in 1...65535")
            }
            port = number
        }
        self.init(host: String(host), port: port, username: username, password: password, database: database)
    }

    /// `host:port` (brackets around an IPv6 host): how errors name the server.
    public var address: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }

    /// The URL with the password replaced by `***`.
    public var description: String {
        var credentials = ""
        if username != nil || password != nil {
            credentials = (username ?? "") + (password != nil ? ":***" : "") + "@"
        }
        return "redis://\(credentials)\(address)/\(database)"
    }

    /// A URL as it may be printed: whatever sits between `://` and `@` becomes `***`.
    static func redacted(_ url: String) -> String {
        guard let schemeEnd = url.firstRange(of: "://"), let at = url.lastIndex(of: "@"), at > schemeEnd.upperBound else { return url }
        return String(url[..<schemeEnd.upperBound]) + "***" + String(url[at...])
    }

    private static func percentDecoded(_ text: Substring) -> String? {
        var bytes: [UInt8] = []
        var iterator = text.utf8.makeIterator()
        while let byte = iterator.next() {
            if byte == UInt8(ascii: "%") {
                guard let high = iterator.next().flatMap(hexValue), let low = iterator.next().flatMap(hexValue) else { return nil }
                bytes.append(high << 4 | low)
            } else {
                bytes.append(byte)
            }
        }
        return String(validating: bytes, as: UTF8.self)
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
