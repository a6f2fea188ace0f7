/// Credentials for SigV4. The description never shows the secret.
public struct S3Credentials: Sendable, Equatable, CustomStringConvertible {
    public var accessKeyId: String
    public var secretAccessKey: String
    /// Temporary credentials' session token (sent as `x-amz-security-token`, signed).
    public var sessionToken: String?

    public init(accessKeyId: String, secretAccessKey: String, sessionToken: String? = nil) {
        self.accessKeyId = accessKeyId
        self.secretAccessKey = secretAccessKey
        self.sessionToken = sessionToken
    }

    public var description: String { "S3Credentials(accessKeyId: \(accessKeyId), secretAccessKey: ***)" }
}

/// A request time in SigV4's forms: `20130524T000000Z` (ISO 8601 basic, UTC) and `20130524`.
public struct SigV4Timestamp: Sendable, Equatable {
    public let amzDate: String

    public var dateStamp: String { String(amzDate.prefix(8)) }

    /// From seconds since 1970-01-01T00:00:00Z (proleptic Gregorian calendar, UTC).
    public init(secondsSinceEpoch: Int64) {
        let days = secondsSinceEpoch >= 0 ? secondsSinceEpoch / 86_400 : (secondsSinceEpoch - 86_399) / 86_400
        let secondsOfDay = secondsSinceEpoch - days * 86_400
        // Civil date from a day count (the "days from civil" algorithm, inverted, with eras of
        // 400 years starting on March 1st).
        let shifted = days + 719_468
        let era = (shifted >= 0 ? shifted : shifted - 146_096) / 146_097
        let dayOfEra = shifted - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthIndex = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * monthIndex + 2) / 5 + 1
        let month = monthIndex < 10 ? monthIndex + 3 : monthIndex - 9
        let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
        func padded(_ value: Int64, _ width: Int) -> String {
            let text = String(value)
            return String(repeating: "0", count: max(0, width - text.count)) + text
        }
        amzDate = padded(year, 4) + padded(month, 2) + padded(day, 2) + "T"
            + padded(secondsOfDay / 3600, 2) + padded(secondsOfDay / 60 % 60, 2) + padded(secondsOfDay % 60, 2) + "Z"
    }
}

/// The intermediate and final values of one signature (tests compare each with AWS's examples).
public struct SigV4Signature: Sendable, Equatable {
    public let canonicalRequest: String
    public let stringToSign: String
    /// Signed header names, lower case, sorted, joined by `;`.
    public let signedHeaders: String
    /// 64 hex digits.
    public let signature: String
    /// The `Authorization` header's value.
    public let authorization: String
    /// Every header the request must carry, `Authorization` and the added `x-amz-*` ones
    /// included (`host` excepted: the HTTP layer sends it from the URL).
    public let headers: [(name: String, value: String)]

    public static func == (left: SigV4Signature, right: SigV4Signature) -> Bool {
        left.authorization == right.authorization && left.canonicalRequest == right.canonicalRequest
    }
}

/// AWS Signature Version 4 for one region and service:
///
/// 1. canonical request: method, canonical URI (the path as encoded by `S3URIEncoding`),
///    canonical query, canonical headers (`name:value\n`, lower-case names, trimmed values with
///    inner runs of spaces collapsed, sorted), signed header names, payload SHA-256 in hex;
/// 2. string to sign: `AWS4-HMAC-SHA256`, the timestamp, the scope
///    `date/region/service/aws4_request`, the canonical request's SHA-256 in hex;
/// 3. signing key: HMAC chain `AWS4`+secret → date → region → service → `aws4_request`;
/// 4. signature: hex HMAC of the string to sign under the signing key.
///
/// `sign` adds `x-amz-date`, `x-amz-content-sha256` and (with a session token)
/// `x-amz-security-token` to the signed headers, as S3 requires.
public struct SigV4Signer: Sendable {
    public let credentials: S3Credentials
    public let region: String
    public let service: String

    public init(credentials: S3Credentials, region: String, service: String = "s3") {
        self.credentials = credentials
        self.region = region
        self.service = service
    }

    /// The key for one day, region and service.
    public func signingKey(dateStamp: String) -> [UInt8] {
        let secret = Digest.hmacSHA256(key: Array(("AWS4" + credentials.secretAccessKey).utf8), dateStamp)
        let regional = Digest.hmacSHA256(key: secret, region)
        let serviceKey = Digest.hmacSHA256(key: regional, service)
        return Digest.hmacSHA256(key: serviceKey, "aws4_request")
    }

    /// Signs a request. `path` is the canonical URI, already encoded; `query` holds decoded
    /// parameters; `headers` must include `host`.
    public func sign(method: String, path: String, query: [(name: String, value: String)],
                     headers: [(name: String, value: String)], payloadSHA256: String,
                     timestamp: SigV4Timestamp) -> SigV4Signature {
        precondition(headers.contains { $0.name.lowercased() == "host" }, "SigV4 signs the host header: add it")
        var all = headers.map { (name: $0.name.lowercased(), value: Self.normalizedValue($0.value)) }
        var added: [(name: String, value: String)] = [("x-amz-date", timestamp.amzDate), ("x-amz-content-sha256", payloadSHA256)]
        if let token = credentials.sessionToken { added.append(("x-amz-security-token", token)) }
        for header in added where !all.contains(where: { $0.name == header.name }) { all.append(header) }
        all.sort { $0.name.utf8.lexicographicallyPrecedes($1.name.utf8) }

        let signedHeaders = all.map(\.name).joined(separator: ";")
        let canonicalHeaders = all.map { "\($0.name):\($0.value)\n" }.joined()
        let canonicalRequest = [method, path.isEmpty ? "/" : path, S3URIEncoding.canonicalQuery(query),
                                canonicalHeaders, signedHeaders, payloadSHA256].joined(separator: "\n")
        let scope = "\(timestamp.dateStamp)/\(region)/\(service)/aws4_request"
        let stringToSign = ["AWS4-HMAC-SHA256", timestamp.amzDate, scope,
                            Digest.hex(Digest.sha256(canonicalRequest))].joined(separator: "\n")
        let signature = Digest.hex(Digest.hmacSHA256(key: signingKey(dateStamp: timestamp.dateStamp), stringToSign))
        let authorization = "AWS4-HMAC-SHA256 Credential=\(credentials.accessKeyId)/\(scope),"
            + "SignedHeaders=\(signedHeaders),Signature=\(signature)"
        var send = headers.filter { $0.name.lowercased() != "host" }
        for header in added where !send.contains(where: { $0.name.lowercased() == header.name }) { send.append(header) }
        send.append(("Authorization", authorization))
        return SigV4Signature(canonicalRequest: canonicalRequest, stringToSign: stringToSign, signedHeaders: signedHeaders,
                              signature: signature, authorization: authorization, headers: send)
    }

    /// A header value as SigV4 canonicalizes it: outer spaces trimmed, inner runs of spaces
    /// and tabs collapsed to one space.
    static func normalizedValue(_ value: String) -> String {
        var output = ""
        var pendingSpace = false
        for character in value {
            if character == " " || character == "\t" {
                pendingSpace = !output.isEmpty
            } else {
                if pendingSpace { output.append(" ") }
                pendingSpace = false
                output.append(character)
            }
        }
        return output
    }
}
