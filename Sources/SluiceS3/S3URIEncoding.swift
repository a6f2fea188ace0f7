/// S3's URI encoding (SigV4's `UriEncode`): the RFC 3986 unreserved characters `A–Z a–z 0–9
/// - . _ ~` stay as they are, every other byte of the UTF-8 becomes `%XX` (upper-case hex), and
/// `/` is kept in object key paths but encoded in query parameters. S3 encodes a path once
/// (no double encoding, unlike other services).
public enum S3URIEncoding {
    public static func encode(_ text: String, encodeSlash: Bool) -> String {
        let hexDigits = Array("0123456789ABCDEF".utf8)
        var output: [UInt8] = []
        output.reserveCapacity(text.utf8.count)
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                 UInt8(ascii: "0")...UInt8(ascii: "9"),
                 UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"):
                output.append(byte)
            case UInt8(ascii: "/") where !encodeSlash:
                output.append(byte)
            default:
                output.append(UInt8(ascii: "%"))
                output.append(hexDigits[Int(byte >> 4)])
                output.append(hexDigits[Int(byte & 0x0F)])
            }
        }
        return String(decoding: output, as: UTF8.self)
    }

    /// Query parameters in canonical form: names and values encoded (slash included), sorted
    /// by name then value, `name=value` joined by `&` (a parameter without a value is `name=`).
    public static func canonicalQuery(_ parameters: [(name: String, value: String)]) -> String {
        parameters
            .map { (encode($0.name, encodeSlash: true), encode($0.value, encodeSlash: true)) }
            .sorted { $0.0 == $1.0 ? $0.1.utf8.lexicographicallyPrecedes($1.1.utf8) : $0.0.utf8.lexicographicallyPrecedes($1.0.utf8) }
            .map { "\($0.0)=\($0.1)" }
            .joined(separator: "&")
    }
}
