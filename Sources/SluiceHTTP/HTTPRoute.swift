/// What a handler receives and returns.
public typealias HTTPHandler = @Sendable (HTTPRequest) async -> HTTPResponse

/// A route: a method, a path template, a handler, and optionally a preflight that sees the
/// request before its body is read (the body is empty then) and may answer instead of the
/// handler, for example 401 without reading a large body.
public struct HTTPRoute: Sendable {
    public let method: String
    public let template: HTTPPathTemplate
    public let preflight: (@Sendable (HTTPRequest) -> HTTPResponse?)?
    public let handler: HTTPHandler

    public init(_ method: String, _ template: String, preflight: (@Sendable (HTTPRequest) -> HTTPResponse?)? = nil,
                handler: @escaping HTTPHandler) throws(HTTPPathTemplate.Error) {
        self.method = method.uppercased()
        self.template = try HTTPPathTemplate(template)
        self.preflight = preflight
        self.handler = handler
    }
}

/// A path like `/orders/{region}/items`: literal segments match exactly (after
/// percent-decoding), `{name}` segments match any one non-empty segment and bind it. A trailing
/// `/` is ignored on both sides.
public struct HTTPPathTemplate: Sendable, Hashable, CustomStringConvertible {
    public enum Segment: Sendable, Hashable {
        case literal(String)
        case parameter(String)
    }

    public struct Error: Swift.Error, Sendable, CustomStringConvertible {
        public let template: String
        public let reason: String
        public var description: String { "path template \"\(template)\": \(reason)" }
    }

    public let segments: [Segment]
    public let description: String

    public init(_ template: String) throws(Error) {
        guard template.hasPrefix("/") else { throw Error(template: template, reason: "must start with /") }
        var segments: [Segment] = []
        var names = Set<String>()
        for piece in template.split(separator: "/", omittingEmptySubsequences: true) {
            if piece.hasPrefix("{") && piece.hasSuffix("}") && piece.count > 2 {
                let name = String(piece.dropFirst().dropLast())
                guard names.insert(name).inserted else { throw Error(template: template, reason: "parameter {\(name)} appears twice") }
                segments.append(.parameter(name))
            } else if piece.contains("{") || piece.contains("}") {
                throw Error(template: template, reason: "a parameter must be a whole segment, like /{name}/")
            } else {
                segments.append(.literal(PercentDecoding.decode(piece)))
            }
        }
        self.segments = segments
        self.description = template
    }

    /// The parameters bound by matching `path` (not yet decoded), or nil if it does not match.
    public func match(_ path: String) -> [String: String]? {
        let pieces = path.split(separator: "/", omittingEmptySubsequences: true)
        guard pieces.count == segments.count else { return nil }
        var parameters: [String: String] = [:]
        for (piece, segment) in zip(pieces, segments) {
            let decoded = PercentDecoding.decode(piece)
            switch segment {
            case .literal(let literal): if decoded != literal { return nil }
            case .parameter(let name): parameters[name] = decoded
            }
        }
        return parameters
    }
}

/// Finds the route of a request: the first whose template matches the path and whose method
/// matches; 404 when no template matches, 405 when only the method differs.
public struct HTTPRouter: Sendable {
    public let routes: [HTTPRoute]

    public init(_ routes: [HTTPRoute]) { self.routes = routes }

    public enum Match: Sendable {
        case route(HTTPRoute, parameters: [String: String])
        case notFound
        case methodNotAllowed(allowed: [String])
    }

    public func match(method: String, path: String) -> Match {
        var allowed: [String] = []
        for route in routes {
            guard let parameters = route.template.match(path) else { continue }
            if route.method == method || (method == "HEAD" && route.method == "GET") {
                return .route(route, parameters: parameters)
            }
            allowed.append(route.method)
        }
        return allowed.isEmpty ? .notFound : .methodNotAllowed(allowed: allowed)
    }
}
