// SchemaFormat: the `format` values Sluice checks, each over a string's UTF-8 bytes without
// allocating (Formats/*.swift). Formats are assertions (SchemaOptions.formatAssertion); an
// unknown format is an annotation only, as the specification asks.

/// A format Sluice can check.
enum SchemaFormat: UInt8, Sendable, CaseIterable {
    case dateTime, date, time, duration
    case email, idnEmail, hostname, idnHostname, ipv4, ipv6
    case uri, uriReference, iri, iriReference, uriTemplate
    case uuid, regex, jsonPointer, relativeJSONPointer

    init?(name: String) {
        switch name {
        case "date-time": self = .dateTime
        case "date": self = .date
        case "time": self = .time
        case "duration": self = .duration
        case "email": self = .email
        case "idn-email": self = .idnEmail
        case "hostname": self = .hostname
        case "idn-hostname": self = .idnHostname
        case "ipv4": self = .ipv4
        case "ipv6": self = .ipv6
        case "uri": self = .uri
        case "uri-reference": self = .uriReference
        case "iri": self = .iri
        case "iri-reference": self = .iriReference
        case "uri-template": self = .uriTemplate
        case "uuid": self = .uuid
        case "regex": self = .regex
        case "json-pointer": self = .jsonPointer
        case "relative-json-pointer": self = .relativeJSONPointer
        default: return nil
        }
    }

    var name: String {
        switch self {
        case .dateTime: "date-time"
        case .date: "date"
        case .time: "time"
        case .duration: "duration"
        case .email: "email"
        case .idnEmail: "idn-email"
        case .hostname: "hostname"
        case .idnHostname: "idn-hostname"
        case .ipv4: "ipv4"
        case .ipv6: "ipv6"
        case .uri: "uri"
        case .uriReference: "uri-reference"
        case .iri: "iri"
        case .iriReference: "iri-reference"
        case .uriTemplate: "uri-template"
        case .uuid: "uuid"
        case .regex: "regex"
        case .jsonPointer: "json-pointer"
        case .relativeJSONPointer: "relative-json-pointer"
        }
    }

    /// What a valid value looks like, for error messages.
    var example: String {
        switch self {
        case .dateTime: "an RFC 3339 date-time such as 2024-01-01T00:00:00.229Z"
        case .date: "an RFC 3339 full-date such as 2024-01-31"
        case .time: "an RFC 3339 full-time with an offset such as 08:30:06Z"
        case .duration: "an RFC 3339 duration such as P4DT12H30M5S"
        case .email: "an e-mail address such as joe@example.com"
        case .idnEmail: "an internationalized e-mail address"
        case .hostname: "a host name such as www.example.com"
        case .idnHostname: "an internationalized host name"
        case .ipv4: "an IPv4 address such as 192.168.0.1"
        case .ipv6: "an IPv6 address such as ::1"
        case .uri: "an absolute URI such as https://example.com/path"
        case .uriReference: "a URI reference"
        case .iri: "an absolute IRI"
        case .iriReference: "an IRI reference"
        case .uriTemplate: "an RFC 6570 URI template"
        case .uuid: "a UUID such as 2eb8aa08-aa98-11ea-b4aa-73b441d16380"
        case .regex: "an ECMA-262 regular expression"
        case .jsonPointer: "a JSON pointer such as /a/0"
        case .relativeJSONPointer: "a relative JSON pointer such as 1/a"
        }
    }

    /// True when the UTF-8 `bytes` are valid for this format.
    func check(_ bytes: UnsafeRawBufferPointer) -> Bool {
        switch self {
        case .dateTime: DateTimeFormats.isDateTime(bytes)
        case .date: DateTimeFormats.isDate(bytes)
        case .time: DateTimeFormats.isTime(bytes)
        case .duration: DateTimeFormats.isDuration(bytes)
        case .email: NetworkFormats.isEmail(bytes, international: false)
        case .idnEmail: NetworkFormats.isEmail(bytes, international: true)
        case .hostname: NetworkFormats.isHostname(bytes, international: false)
        case .idnHostname: NetworkFormats.isHostname(bytes, international: true)
        case .ipv4: NetworkFormats.isIPv4(bytes)
        case .ipv6: NetworkFormats.isIPv6(bytes)
        case .uri: URIFormats.isURI(bytes, reference: false, international: false)
        case .uriReference: URIFormats.isURI(bytes, reference: true, international: false)
        case .iri: URIFormats.isURI(bytes, reference: false, international: true)
        case .iriReference: URIFormats.isURI(bytes, reference: true, international: true)
        case .uriTemplate: URIFormats.isURITemplate(bytes)
        case .uuid: OtherFormats.isUUID(bytes)
        case .regex: OtherFormats.isRegex(bytes)
        case .jsonPointer: OtherFormats.isJSONPointer(bytes)
        case .relativeJSONPointer: OtherFormats.isRelativeJSONPointer(bytes)
        }
    }
}

/// Byte helpers shared by the format checks.
enum ASCII {
    @inline(__always) static func isDigit(_ byte: UInt8) -> Bool { byte >= 0x30 && byte <= 0x39 }
    @inline(__always) static func isAlpha(_ byte: UInt8) -> Bool { (byte | 0x20) >= 0x61 && (byte | 0x20) <= 0x7A }
    @inline(__always) static func isHexDigit(_ byte: UInt8) -> Bool {
        isDigit(byte) || ((byte | 0x20) >= 0x61 && (byte | 0x20) <= 0x66)
    }

    /// The value of `count` decimal digits at `offset`, or nil if any is not a digit.
    @inline(__always)
    static func digits(_ bytes: UnsafeRawBufferPointer, _ offset: Int, _ count: Int) -> Int? {
        guard offset + count <= bytes.count else { return nil }
        var value = 0
        for index in offset..<offset + count {
            let byte = bytes[index]
            guard isDigit(byte) else { return nil }
            value = value * 10 + Int(byte - 0x30)
        }
        return value
    }
}
