import Foundation

/// How a journal stores and keeps its bytes. Persisted as `spec.json` in the journal's
/// directory when the journal is created; reopening uses the persisted spec.
///
/// Every field has a unit in its name, a range (`validate()`), and a default with a reason.
public struct JournalSpec: Sendable, Hashable, Codable {
    /// Roll the spool into a sealed fragment once it holds at least this many bytes of content.
    /// Default 64 MiB: sealing takes ~0.1 s (zstd level 1, one core), and a reader that seeks
    /// into a fragment decompresses at most this much; Gazette's fragments are of this order.
    public var fragmentLengthBytes: Int64 = 64 << 20
    /// How sealed fragments are compressed.
    public var codec: FragmentCodec = .zstd(level: 1)
    /// When an append is made durable (and hence readable).
    public var fsyncPolicy: FsyncPolicy = .groupCommit
    /// Group commit: after the first unsynced append, wait up to this long for more appends to
    /// share its fdatasync. Default 0: an fdatasync starts as soon as none is running, and the
    /// appends that arrive while it runs share the next one (the group forms naturally while the
    /// disk is busy, adding no latency when it is idle).
    public var groupCommitDelayMicroseconds: Int64 = 0
    /// Group commit: stop waiting (see the delay) once this many bytes are unsynced.
    /// Default 16 MiB: bounds what one fdatasync must write back.
    public var groupCommitBytesMax: Int64 = 16 << 20
    /// Seal the spool at the first append after each UTC-aligned multiple of this many seconds
    /// (0: no time-based sealing). For example 3600 seals at most hourly, on the hour.
    public var flushIntervalSeconds: Int64 = 0
    /// Drop sealed fragments sealed more than this many seconds ago (0: keep regardless of age).
    public var retentionAgeSeconds: Int64 = 0
    /// Drop the oldest sealed fragments while at least this many newer bytes remain (0: no limit).
    public var retentionBytes: Int64 = 0

    public init(fragmentLengthBytes: Int64 = 64 << 20, codec: FragmentCodec = .zstd(level: 1),
                fsyncPolicy: FsyncPolicy = .groupCommit, groupCommitDelayMicroseconds: Int64 = 0,
                groupCommitBytesMax: Int64 = 16 << 20, flushIntervalSeconds: Int64 = 0,
                retentionAgeSeconds: Int64 = 0, retentionBytes: Int64 = 0) {
        self.fragmentLengthBytes = fragmentLengthBytes
        self.codec = codec
        self.fsyncPolicy = fsyncPolicy
        self.groupCommitDelayMicroseconds = groupCommitDelayMicroseconds
        self.groupCommitBytesMax = groupCommitBytesMax
        self.flushIntervalSeconds = flushIntervalSeconds
        self.retentionAgeSeconds = retentionAgeSeconds
        self.retentionBytes = retentionBytes
    }

    /// Limits of the fields, inclusive.
    /// Fragments of at least 1 KiB (smaller ones only multiply files) and at most 4 GiB (a
    /// fragment is rewritten whole when sealed).
    public static let fragmentLengthBytesRange: ClosedRange<Int64> = 1 << 10 ... 4 << 30
    /// Up to 100 ms: longer waits only add latency; a disk slower than that needs no grouping help.
    public static let groupCommitDelayMicrosecondsRange: ClosedRange<Int64> = 0 ... 100_000
    /// 4 KiB (a page) to 1 GiB.
    public static let groupCommitBytesMaxRange: ClosedRange<Int64> = 4 << 10 ... 1 << 30
    /// 0 (off), or 1 second to 7 days.
    public static let flushIntervalSecondsRange: ClosedRange<Int64> = 1 ... 7 * 86_400

    /// Throws `JournalError.invalidSpec` naming the first field out of range.
    public func validate() throws {
        func check(_ value: Int64, _ range: ClosedRange<Int64>, _ field: String, zeroAllowed: Bool = false) throws {
            if zeroAllowed && value == 0 { return }
            guard range.contains(value) else {
                throw JournalError.invalidSpec(
                    field: field, reason: "\(value) is outside \(range.lowerBound)...\(range.upperBound)"
                        + (zeroAllowed ? " (or 0 for none)" : ""))
            }
        }
        try check(fragmentLengthBytes, Self.fragmentLengthBytesRange, "fragmentLengthBytes")
        try codec.validate()
        try check(groupCommitDelayMicroseconds, Self.groupCommitDelayMicrosecondsRange, "groupCommitDelayMicroseconds")
        try check(groupCommitBytesMax, Self.groupCommitBytesMaxRange, "groupCommitBytesMax")
        try check(flushIntervalSeconds, Self.flushIntervalSecondsRange, "flushIntervalSeconds", zeroAllowed: true)
        guard retentionAgeSeconds >= 0 else {
            throw JournalError.invalidSpec(field: "retentionAgeSeconds", reason: "\(retentionAgeSeconds) is negative")
        }
        guard retentionBytes >= 0 else {
            throw JournalError.invalidSpec(field: "retentionBytes", reason: "\(retentionBytes) is negative")
        }
    }

    /// The spec as the JSON stored in `spec.json` (keys sorted, one line, newline-terminated).
    public func encodedJSON() throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return Array(try encoder.encode(self)) + [0x0A]
    }

    /// Decodes and validates a stored spec; errors name `path`.
    public static func decode(json: [UInt8], path: String) throws -> JournalSpec {
        let spec: JournalSpec
        do {
            spec = try JSONDecoder().decode(JournalSpec.self, from: Data(json))
        } catch {
            throw JournalError.inconsistentStore(path: path, reason: "the stored spec cannot be decoded: \(error)")
        }
        do {
            try spec.validate()
        } catch {
            throw JournalError.inconsistentStore(path: path, reason: "the stored spec is not valid: \(error)")
        }
        return spec
    }
}

/// When appends become durable. An append is readable only once durable under its policy.
public enum FsyncPolicy: String, Sendable, Hashable, Codable, CaseIterable {
    /// Each append is fdatasync'ed before it returns.
    case always
    /// Concurrent appends share one fdatasync (see `JournalSpec.groupCommitDelayMicroseconds`);
    /// each append still returns only once its bytes are durable.
    case groupCommit = "group"
    /// Appends return once written to the page cache; a machine crash may lose them
    /// (a process crash does not). Readable at once.
    case none
}
