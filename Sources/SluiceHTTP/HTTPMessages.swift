/// A request as a handler sees it: the head, the whole body, and what routing found.
public struct HTTPRequest: Sendable {
    /// `GET`, `POST`, …
    public let method: String
    /// The request target as sent (`/orders/eu?source=a`).
    public let target: String
    /// The path part of the target, without the query (`/orders/eu`), not decoded.
    public let path: String
    /// The query string without `?` (empty when there is none), not decoded.
    public let queryString: String
    /// Header names as sent; look them up with `header(_:)` (case-insensitive).
    public let headers: [(name: String, value: String)]
    public let body: [UInt8]
    /// Values of the route template's `{name}` segments, percent-decoded.
    public internal(set) var pathParameters: [String: String] = [:]

    public init(method: String, target: String, headers: [(name: String, value: String)], body: [UInt8]) {
        self.method = method
        self.target = target
        if let question = target.firstIndex(of: "?") {
            path = String(target[..<question])
            queryString = String(target[target.index(after: question)...])
        } else {
            path = target
            queryString = ""
        }
        self.headers = headers
        self.body = body
    }

    /// The first value of header `name` (case-insensitive), if present.
    public func header(_ name: String) -> String? {
        headers.first { $0.name.caseInsensitiveCompare(name) }?.value
    }

    /// The query string's `name=value` pairs in order, percent-decoded (`+` is a space).
    public var queryItems: [(name: String, value: String)] {
        guard !queryString.isEmpty else { return [] }
        return queryString.split(separator: "&", omittingEmptySubsequences: true).map { pair in
            if let equals = pair.firstIndex(of: "=") {
                return (PercentDecoding.decode(pair[..<equals], plusIsSpace: true),
                        PercentDecoding.decode(pair[pair.index(after: equals)...], plusIsSpace: true))
            }
            return (PercentDecoding.decode(pair, plusIsSpace: true), "")
        }
    }
}

/// A whole response.
public struct HTTPResponse: Sendable {
    public var status: Int
    public var headers: [(name: String, value: String)]
    public var body: [UInt8]

    public init(status: Int, headers: [(name: String, value: String)] = [], body: [UInt8] = []) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// A response with a JSON body (`content-type: application/json`), `text` followed by a newline.
    public static func json(status: Int, _ text: String) -> HTTPResponse {
        HTTPResponse(status: status, headers: [("content-type", "application/json")], body: Array((text + "\n").utf8))
    }

    /// A response with a plain-text body.
    public static func text(status: Int, _ text: String, contentType: String = "text/plain; charset=utf-8") -> HTTPResponse {
        HTTPResponse(status: status, headers: [("content-type", contentType)], body: Array(text.utf8))
    }

    /// `{"error": message}` with `status`.
    public static func error(status: Int, _ message: String) -> HTTPResponse {
        json(status: status, #"{"error":"# + JSONString.quote(message) + "}")
    }
}

extension String {
    func caseInsensitiveCompare(_ other: String) -> Bool {
        guard utf8.count == other.utf8.count else { return false }
        return zip(utf8, other.utf8).allSatisfy { Self.lower($0) == Self.lower($1) }
    }

    private static func lower(_ byte: UInt8) -> UInt8 { byte >= 0x41 && byte <= 0x5A ? byte + 0x20 : byte }
}

/// JSON string quoting for the small bodies the server itself writes (errors).
public enum JSONString {
    /// `text` as a JSON string literal, quotes included.
    public static func quote(_ text: String) -> String {
        var output = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": output += "\\\""
            case "\\": output += "\\\\"
            case "\n": output += "\\n"
            case "\r": output += "\\r"
            case "\t": output += "\\t"
            default:
                if scalar.value < 0x20 {
                    let hex = String(scalar.value, radix: 16)
                    output += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    output.unicodeScalars.append(scalar)
                }
            }
        }
        return output + "\""
    }
}

/// RFC 3986 percent-decoding; invalid escapes are kept as written, invalid UTF-8 is repaired.
public enum PercentDecoding {
    public static func decode(_ text: some StringProtocol, plusIsSpace: Bool = false) -> String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.utf8.count)
        var iterator = Array(text.utf8)[...]
        while let byte = iterator.popFirst() {
            if byte == 0x25, iterator.count >= 2, let high = hexValue(iterator[iterator.startIndex]),
               let low = hexValue(iterator[iterator.startIndex + 1]) {
                bytes.append(high << 4 | low)
                iterator = iterator.dropFirst(2)
            } else if byte == 0x2B, plusIsSpace {
                bytes.append(0x20)
            } else {
                bytes.append(byte)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case 0x30...0x39: return byte - 0x30
        case 0x41...0x46: return byte - 0x41 + 10
        case 0x61...0x66: return byte - 0x61 + 10
        default: return nil
        }
    }
}
