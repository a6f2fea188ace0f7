// SchemaURI: the URIs that name schemas (`$id`, `$ref`, `$schema`), parsed and resolved by
// RFC 3986: a reference resolves against its base URI (§5.2), dot segments are removed, the
// scheme and host are compared case-insensitively. Only used while compiling.

/// A URI reference split into its RFC 3986 components (Appendix B's five parts).
struct SchemaURI: Hashable, Sendable, CustomStringConvertible {
    var scheme: String?
    var authority: String?
    var path: String
    var query: String?
    /// The fragment, still percent-encoded; nil when the URI has none (an empty fragment
    /// `#` is normalized to none, since it names the same resource).
    var fragment: String?

    /// Splits `text` into components. Every string is a URI reference by Appendix B's grammar;
    /// checking the characters is `format: uri`'s job, not this one's.
    init(parsing text: String) {
        var rest = Substring(text)
        fragment = nil
        if let hash = rest.firstIndex(of: "#") {
            let value = String(rest[rest.index(after: hash)...])
            fragment = value.isEmpty ? nil : value
            rest = rest[..<hash]
        }
        query = nil
        if let question = rest.firstIndex(of: "?") {
            query = String(rest[rest.index(after: question)...])
            rest = rest[..<question]
        }
        scheme = nil
        if let colon = rest.firstIndex(of: ":"),
           !rest[..<colon].contains(where: { $0 == "/" }), colon != rest.startIndex {
            scheme = rest[..<colon].lowercased()
            rest = rest[rest.index(after: colon)...]
        }
        authority = nil
        if rest.hasPrefix("//") {
            let afterSlashes = rest.index(rest.startIndex, offsetBy: 2)
            let end = rest[afterSlashes...].firstIndex(of: "/") ?? rest.endIndex
            authority = SchemaURI.normalizeAuthority(String(rest[afterSlashes..<end]))
            rest = rest[end...]
        }
        path = String(rest)
        if scheme != nil {
            path = SchemaURI.removeDotSegments(path)
            if authority != nil && path.isEmpty { path = "/" }
        }
    }

    private init(scheme: String?, authority: String?, path: String, query: String?, fragment: String?) {
        self.scheme = scheme
        self.authority = authority
        self.path = path
        self.query = query
        self.fragment = fragment
    }

    /// True when the URI has a scheme (it can serve as a base).
    var isAbsolute: Bool { scheme != nil }

    /// The same URI without its fragment: the name of a schema resource.
    var withoutFragment: SchemaURI {
        SchemaURI(scheme: scheme, authority: authority, path: path, query: query, fragment: nil)
    }

    /// The URI with `fragment` (percent-encoded) as its fragment.
    func with(fragment: String?) -> SchemaURI {
        SchemaURI(scheme: scheme, authority: authority, path: path, query: query,
                  fragment: fragment?.isEmpty == true ? nil : fragment)
    }

    /// The fragment with percent-encodings decoded (`%25` → `%`), as a JSON pointer or an
    /// anchor name is compared; nil if the encoding is broken.
    var decodedFragment: String? {
        guard let fragment else { return "" }
        return SchemaURI.percentDecoded(fragment)
    }

    /// Resolves `reference` against this base (RFC 3986 §5.2.2, strict).
    func resolving(_ reference: SchemaURI) -> SchemaURI {
        if reference.scheme != nil {
            return reference
        }
        if reference.authority != nil {
            let path = SchemaURI.removeDotSegments(reference.path)
            // An empty path with an authority is "/" (RFC 3986 §6.2.3), as parsing makes it.
            return SchemaURI(scheme: scheme, authority: reference.authority, path: path.isEmpty ? "/" : path,
                             query: reference.query, fragment: reference.fragment)
        }
        if reference.path.isEmpty {
            return SchemaURI(scheme: scheme, authority: authority, path: path,
                             query: reference.query ?? query, fragment: reference.fragment)
        }
        let mergedPath: String
        if reference.path.hasPrefix("/") {
            mergedPath = reference.path
        } else if authority != nil && path.isEmpty {
            mergedPath = "/" + reference.path
        } else if let slash = path.lastIndex(of: "/") {
            mergedPath = String(path[...slash]) + reference.path
        } else {
            mergedPath = reference.path
        }
        return SchemaURI(scheme: scheme, authority: authority, path: SchemaURI.removeDotSegments(mergedPath),
                         query: reference.query, fragment: reference.fragment)
    }

    /// Resolves the text of a reference against this base.
    func resolving(_ reference: String) -> SchemaURI { resolving(SchemaURI(parsing: reference)) }

    var description: String {
        var text = ""
        if let scheme { text += scheme + ":" }
        if let authority { text += "//" + authority }
        text += path
        if let query { text += "?" + query }
        if let fragment { text += "#" + fragment }
        return text
    }

    // MARK: - Helpers

    /// The host of an authority is case-insensitive (RFC 3986 §6.2.2.1): lowercased, userinfo
    /// and port kept.
    static func normalizeAuthority(_ authority: String) -> String {
        var userinfo = ""
        var hostAndPort = Substring(authority)
        if let at = authority.lastIndex(of: "@") {
            userinfo = String(authority[...at])
            hostAndPort = authority[authority.index(after: at)...]
        }
        return userinfo + hostAndPort.lowercased()
    }

    /// RFC 3986 §5.2.4.
    static func removeDotSegments(_ path: String) -> String {
        guard path.contains(".") else { return path }
        var input = Substring(path)
        var output: [Substring] = []
        var outputText = ""
        while !input.isEmpty {
            if input.hasPrefix("../") {
                input = input.dropFirst(3)
            } else if input.hasPrefix("./") {
                input = input.dropFirst(2)
            } else if input.hasPrefix("/./") {
                input = input.dropFirst(2)
            } else if input == "/." {
                input = "/"
            } else if input.hasPrefix("/../") || input == "/.." {
                input = input == "/.." ? "/" : input.dropFirst(3)
                if !output.isEmpty { output.removeLast() }
            } else if input == "." || input == ".." {
                input = ""
            } else {
                // Move the first segment (with its leading slash, if any) to the output.
                let start = input.hasPrefix("/") ? input.index(after: input.startIndex) : input.startIndex
                let end = input[start...].firstIndex(of: "/") ?? input.endIndex
                output.append(input[..<end])
                input = input[end...]
            }
        }
        for segment in output { outputText += segment }
        return outputText
    }

    /// Decodes `%XX` escapes as UTF-8; nil if an escape is malformed or the bytes are not UTF-8.
    static func percentDecoded(_ text: String) -> String? {
        guard text.contains("%") else { return text }
        var bytes: [UInt8] = []
        var utf8 = Array(text.utf8)[...]
        while let byte = utf8.first {
            utf8 = utf8.dropFirst()
            if byte == UInt8(ascii: "%") {
                guard utf8.count >= 2, let high = hexValue(utf8[utf8.startIndex]),
                      let low = hexValue(utf8[utf8.startIndex + 1]) else { return nil }
                bytes.append(high << 4 | low)
                utf8 = utf8.dropFirst(2)
            } else {
                bytes.append(byte)
            }
        }
        return String(validating: bytes, as: UTF8.self)
    }

    static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
