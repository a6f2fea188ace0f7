/// The file format of a sealed fragment, named by its file extension.
public enum FragmentEncoding: String, Sendable, Hashable, CaseIterable {
    /// The plain appended bytes.
    case raw
    /// A sequence of LZ4 frames (`lz4 -d` reads them).
    case lz4
    /// A sequence of Zstandard frames (`zstd -d` reads them).
    case zst

    public init(_ codec: FragmentCodec) {
        switch codec {
        case .none: self = .raw
        case .lz4: self = .lz4
        case .zstd: self = .zst
        }
    }
}

/// The name of a sealed fragment file, Gazette's content-addressed form:
///
///     <begin:016x>-<end:016x>-<sha1:40x>.<raw|lz4|zst>
///     <begin:016x>-<end:016x>-<sha1:40x>.compacted.<raw|lz4|zst>     (key compaction)
///
/// A compacted fragment replaced the fragments of its range with one reduced document per key
/// (docs/compaction.md); its content has the same length as the range (blank padding, then
/// the documents), so every offset rule holds. Among fragments of one range, a compacted one
/// is preferred.
///
/// `begin` and `end` are journal offsets (16 lowercase hex digits each), `sha1` the SHA-1 of the
/// uncompressed content (40 lowercase hex digits). For example the content `hello\n` at offset
/// 0 sealed raw is `0000000000000000-0000000000000006-f572d396fae9206628714fb2ce00f72e94f2258f.raw`.
public struct FragmentName: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var begin: Int64
    public var end: Int64
    /// 40 lowercase hex digits.
    public var sha1: String
    public var encoding: FragmentEncoding
    /// True for the output of key compaction.
    public var isCompacted: Bool

    public init(begin: Int64, end: Int64, sha1: String, encoding: FragmentEncoding, isCompacted: Bool = false) {
        precondition(begin >= 0 && begin < end, "a fragment covers a non-empty range of offsets")
        precondition(sha1.utf8.count == 40, "sha1 is 40 hex digits")
        self.begin = begin
        self.end = end
        self.sha1 = sha1
        self.encoding = encoding
        self.isCompacted = isCompacted
    }

    /// The infix of compacted fragment names.
    public static let compactedInfix = ".compacted"

    /// Parses a file name; nil when `fileName` is not a fragment name.
    public init?(fileName: String) {
        var bytes = Array(fileName.utf8)
        let infix = Array(Self.compactedInfix.utf8)
        var isCompacted = false
        if bytes.count == 78 + infix.count, Array(bytes[74..<(74 + infix.count)]) == infix {
            bytes.removeSubrange(74..<(74 + infix.count))
            isCompacted = true
        }
        // 16 + 1 + 16 + 1 + 40 + 1 + 3
        guard bytes.count == 78, bytes[16] == 0x2D, bytes[33] == 0x2D, bytes[74] == 0x2E else { return nil }
        guard let begin = Self.hexValue(bytes[0..<16]), let end = Self.hexValue(bytes[17..<33]),
              bytes[34..<74].allSatisfy(Self.isLowerHexDigit),
              let encoding = FragmentEncoding(rawValue: String(decoding: bytes[75...], as: UTF8.self)),
              begin <= UInt64(Int64.max), end <= UInt64(Int64.max), begin < end else { return nil }
        self.begin = Int64(begin)
        self.end = Int64(end)
        self.sha1 = String(decoding: bytes[34..<74], as: UTF8.self)
        self.encoding = encoding
        self.isCompacted = isCompacted
    }

    public var fileName: String {
        Hex.sixteenDigits(UInt64(begin)) + "-" + Hex.sixteenDigits(UInt64(end)) + "-" + sha1
            + (isCompacted ? Self.compactedInfix : "") + "." + encoding.rawValue
    }

    /// The name a fragment has while it is written: `<begin:016x>-<end:016x>.<ext>.tmp`.
    /// Every `.tmp` entry of a fragment directory is a stale temporary on open.
    public static func temporaryFileName(begin: Int64, end: Int64, encoding: FragmentEncoding) -> String {
        Hex.sixteenDigits(UInt64(begin)) + "-" + Hex.sixteenDigits(UInt64(end)) + "." + encoding.rawValue + temporarySuffix
    }

    public static let temporarySuffix = ".tmp"

    public var lengthBytes: Int64 { end - begin }
    public var description: String { fileName }

    public static func < (left: FragmentName, right: FragmentName) -> Bool {
        (left.begin, left.end, left.sha1, left.encoding.rawValue, left.isCompacted ? 1 : 0)
            < (right.begin, right.end, right.sha1, right.encoding.rawValue, right.isCompacted ? 1 : 0)
    }

    private static func isLowerHexDigit(_ byte: UInt8) -> Bool {
        (0x30...0x39).contains(byte) || (0x61...0x66).contains(byte)
    }

    private static func hexValue(_ digits: ArraySlice<UInt8>) -> UInt64? {
        var value: UInt64 = 0
        for byte in digits {
            guard isLowerHexDigit(byte) else { return nil }
            value = value << 4 | UInt64(byte <= 0x39 ? byte - 0x30 : byte - 0x61 + 10)
        }
        return value
    }
}

/// A sealed fragment as a store lists it: its name, plus what the store knows about the file.
public struct SealedFragment: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var name: FragmentName
    /// Bytes the file takes in the store (compressed size).
    public var storedSizeBytes: Int64
    /// When the store last modified the file (the seal), in nanoseconds since the Unix epoch.
    public var modificationTimeNanoseconds: Int64

    public init(name: FragmentName, storedSizeBytes: Int64, modificationTimeNanoseconds: Int64) {
        self.name = name
        self.storedSizeBytes = storedSizeBytes
        self.modificationTimeNanoseconds = modificationTimeNanoseconds
    }

    public var begin: Int64 { name.begin }
    public var end: Int64 { name.end }
    public var description: String { name.fileName }

    public static func < (left: SealedFragment, right: SealedFragment) -> Bool { left.name < right.name }
}
