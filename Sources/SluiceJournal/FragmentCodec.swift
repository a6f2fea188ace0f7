/// How a sealed fragment's content is compressed. Written in specs as `none`, `lz4`, or
/// `zstd` / `zstd:LEVEL`; the fragment's file extension names the codec (`raw`, `lz4`, `zst`),
/// not its level, since decompression does not need it.
public enum FragmentCodec: Sendable, Hashable, Codable, CustomStringConvertible {
    /// The plain bytes (`.raw`).
    case none
    /// LZ4 frames (`.lz4`), readable by `lz4 -d`.
    case lz4
    /// Zstandard frames (`.zst`), readable by `zstd -d`.
    case zstd(level: Int)

    /// zstd levels 1–19: 20–22 need hundreds of MiB of memory per context; negative levels
    /// trade ratio for speed that lz4 already offers.
    public static let zstdLevelRange: ClosedRange<Int> = 1 ... 19

    /// Parses `none`, `raw`, `lz4`, `zstd`, `zstd:LEVEL`.
    public init(parsing text: String) throws {
        switch text {
        case "none", "raw": self = .none
        case "lz4": self = .lz4
        case "zstd", "zst": self = .zstd(level: 1)
        default:
            guard text.hasPrefix("zstd:"), let level = Int(text.dropFirst(5)) else {
                throw JournalError.invalidSpec(field: "codec", reason: "\"\(text)\" is not none, lz4, zstd or zstd:LEVEL")
            }
            self = .zstd(level: level)
            try validate()
        }
    }

    /// The file extension of fragments in this codec.
    public var fileExtension: String {
        switch self {
        case .none: return "raw"
        case .lz4: return "lz4"
        case .zstd: return "zst"
        }
    }

    /// The codec a fragment file extension names (zstd at its default level).
    public init?(fileExtension: String) {
        switch fileExtension {
        case "raw": self = .none
        case "lz4": self = .lz4
        case "zst": self = .zstd(level: 1)
        default: return nil
        }
    }

    public var description: String {
        switch self {
        case .none: return "none"
        case .lz4: return "lz4"
        case .zstd(let level): return "zstd:\(level)"
        }
    }

    func validate() throws {
        if case .zstd(let level) = self, !Self.zstdLevelRange.contains(level) {
            throw JournalError.invalidSpec(
                field: "codec", reason: "zstd level \(level) is outside \(Self.zstdLevelRange.lowerBound)...\(Self.zstdLevelRange.upperBound)")
        }
    }

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        try self.init(parsing: text)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}
