/// The name of a journal: a clean, relative path of Unicode letters, digits and `-_+/.=%`, 4 to
/// 512 bytes of UTF-8 (Gazette's rules), such as `acme/orders/region=eu/pivot=00`.
///
/// "Clean" means what Go's `path.Clean` would leave unchanged: no leading or trailing `/`, no
/// empty segment (`//`) and no `.` or `..` segment. Those rules make a name a valid relative
/// path, which is how `JournalDataDirectory` stores it (docs/journal.md, "Data directory").
public struct JournalName: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// The validated name.
    public let rawValue: String

    /// Bytes of UTF-8, inclusive (Gazette's token limits for journal names).
    public static let lengthBytesMin = 4
    public static let lengthBytesMax = 512

    /// The symbols allowed besides letters and digits.
    public static let symbols: Set<Unicode.Scalar> = ["-", "_", "+", "/", ".", "=", "%"]

    /// Validates `text`; throws `JournalError.invalidName` saying what is wrong and where.
    public init(_ text: String) throws {
        let length = text.utf8.count
        guard length >= Self.lengthBytesMin, length <= Self.lengthBytesMax else {
            throw JournalError.invalidName(
                text, reason: "must be \(Self.lengthBytesMin) to \(Self.lengthBytesMax) bytes long, not \(length)")
        }
        for (position, scalar) in text.unicodeScalars.enumerated() {
            guard Self.isAllowed(scalar) else {
                throw JournalError.invalidName(
                    text, reason: "character \(position) \"\(scalar)\" (U+\(String(scalar.value, radix: 16, uppercase: true))) "
                        + "is not a letter, digit or one of - _ + / . = %")
            }
        }
        if text.hasPrefix("/") {
            throw JournalError.invalidName(text, reason: "must not begin with \"/\"")
        }
        if text.hasSuffix("/") {
            throw JournalError.invalidName(text, reason: "must not end with \"/\"")
        }
        for segment in text.split(separator: "/", omittingEmptySubsequences: false) {
            if segment.isEmpty {
                throw JournalError.invalidName(text, reason: "must not contain \"//\"")
            }
            if segment == "." || segment == ".." {
                throw JournalError.invalidName(text, reason: "must not contain a \"\(segment)\" segment")
            }
        }
        rawValue = text
    }

    /// The `/`-separated segments of the name.
    public var segments: [Substring] { rawValue.split(separator: "/") }

    public var description: String { rawValue }

    public static func < (left: JournalName, right: JournalName) -> Bool { left.rawValue < right.rawValue }

    /// Letters and decimal digits of any script (Go's `unicode.IsLetter`/`IsDigit`), or a symbol.
    static func isAllowed(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter,
             .decimalNumber:
            return true
        default:
            return symbols.contains(scalar)
        }
    }
}
