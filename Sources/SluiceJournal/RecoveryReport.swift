/// What opening a journal found and did. The journal does not log (no logging dependency);
/// callers print `lines` where they see fit (the CLI, to stderr).
public struct RecoveryReport: Sendable, Equatable {
    /// A spool's torn or corrupt tail, dropped.
    public struct DroppedTail: Sendable, Equatable {
        public var path: String
        /// File position where the valid records end (and the dropped bytes begin).
        public var position: Int64
        /// Journal offset where the valid records end.
        public var offset: Int64
        public var droppedBytes: Int64
        public var reason: String
    }

    /// Tails dropped from spools. Writable journals truncate the files; read-only ones skip
    /// the bytes.
    public var droppedTails: [DroppedTail] = []
    /// Temporaries of interrupted seals, removed.
    public var removedTemporaries: [String] = []
    /// Spool files whose content a sealed fragment already holds, removed.
    public var removedSpools: [String] = []
    /// Rolled spools queued for sealing (a crash interrupted their seal).
    public var resumedSeals: [String] = []
    /// Sealed fragments covered by others, ignored.
    public var coveredFragments: [String] = []
    /// Entries of the fragment directory that are not fragments, ignored.
    public var ignoredEntries: [String] = []

    public init() {}

    /// True when the journal was closed cleanly (nothing to repair or note).
    public var isClean: Bool { self == RecoveryReport() }

    /// Bytes dropped from torn tails, in all.
    public var droppedBytes: Int64 { droppedTails.reduce(0) { $0 + $1.droppedBytes } }

    /// One human-readable line per finding.
    public var lines: [String] {
        var lines: [String] = []
        for tail in droppedTails {
            lines.append("recovery: dropped \(tail.droppedBytes) bytes of torn tail from \(tail.path) at file position "
                         + "\(tail.position) (journal offset \(tail.offset)): \(tail.reason)")
        }
        for name in removedTemporaries { lines.append("recovery: removed stale temporary \(name)") }
        for name in removedSpools { lines.append("recovery: removed spool \(name), already sealed") }
        for name in resumedSeals { lines.append("recovery: sealing rolled spool \(name)") }
        for name in coveredFragments { lines.append("recovery: ignored fragment \(name), covered by another") }
        for name in ignoredEntries { lines.append("recovery: ignored unknown entry \(name) among the fragments") }
        return lines
    }
}
