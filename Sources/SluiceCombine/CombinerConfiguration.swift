// CombinerConfiguration: what a combiner combines by, how, and within what memory.
public import SluiceDocument
public import SluiceReduce
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// How a combiner combines.
public struct CombinerConfiguration: Sendable {
    /// The collection key documents are combined by.
    public var key: KeyExtractor
    /// `.partial` for a transaction's combine (captures, derivations); `.full` when draining
    /// reduces into the left-most document (materializations loading stored documents as
    /// fronts, compaction).
    public var mode: ReductionMode
    /// Memory the combiner's documents and index may take before it spills (bytes). At least
    /// 0; 0 spills after every document.
    public var memoryBudgetBytes: Int
    /// Uncompressed size a spill block is cut at (bytes), 1 KiB to 16 MiB: large enough for
    /// lz4 to find repeats across documents, small enough that a drain holding one block per
    /// run stays small. A document larger than this makes a block of its own.
    public var spillBlockBytesTarget: Int
    /// Runs one merge reads at once, 2 to 1,024. A drain over more runs first merges the oldest
    /// ones into one, so a drain holds at most this many blocks whatever the input size.
    public var mergeFanInMax: Int
    /// Where spill files are made (they are unlinked at once and vanish when closed).
    public var temporaryDirectory: String

    /// 256 MiB: the design's default. Enough for ~250k standard-workload keys in memory.
    public static let memoryBudgetBytesDefault = 256 << 20
    /// 64 KiB: lz4 compresses the workload's tapes about 3× at this size, and 16 runs of it
    /// are 1 MiB of drain buffers.
    public static let spillBlockBytesTargetDefault = 64 << 10
    public static let spillBlockBytesTargetRange = (1 << 10)...(16 << 20)
    /// 16: each extra merge pass rewrites every spilled byte, so a high fan-in saves I/O; 16
    /// blocks of 64 KiB (and their compressed copies) are ~2 MiB of drain memory.
    public static let mergeFanInMaxDefault = 16
    public static let mergeFanInMaxRange = 2...1024

    public init(key: KeyExtractor, mode: ReductionMode = .partial,
                memoryBudgetBytes: Int = CombinerConfiguration.memoryBudgetBytesDefault,
                spillBlockBytesTarget: Int = CombinerConfiguration.spillBlockBytesTargetDefault,
                mergeFanInMax: Int = CombinerConfiguration.mergeFanInMaxDefault,
                temporaryDirectory: String? = nil) {
        precondition(memoryBudgetBytes >= 0, "memoryBudgetBytes must not be negative")
        precondition(Self.spillBlockBytesTargetRange.contains(spillBlockBytesTarget),
                     "spillBlockBytesTarget must be in \(Self.spillBlockBytesTargetRange)")
        precondition(Self.mergeFanInMaxRange.contains(mergeFanInMax), "mergeFanInMax must be in \(Self.mergeFanInMaxRange)")
        self.key = key
        self.mode = mode
        self.memoryBudgetBytes = memoryBudgetBytes
        self.spillBlockBytesTarget = spillBlockBytesTarget
        self.mergeFanInMax = mergeFanInMax
        self.temporaryDirectory = temporaryDirectory ?? Self.defaultTemporaryDirectory()
    }

    /// `$TMPDIR`, else `/tmp`.
    static func defaultTemporaryDirectory() -> String {
        if let value = getenv("TMPDIR"), value.pointee != 0 { return String(cString: value) }
        return "/tmp"
    }
}
