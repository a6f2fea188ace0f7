import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The clock seam: the journal reads wall time only through this protocol (flush-interval
/// boundaries and retention ages), so tests can move time deterministically.
public protocol JournalClock: Sendable {
    /// Nanoseconds since the Unix epoch, UTC.
    func wallClockNanoseconds() -> Int64
}

/// The system's real-time clock.
public struct SystemClock: JournalClock {
    public init() {}

    public func wallClockNanoseconds() -> Int64 {
        var time = timespec()
        clock_gettime(CLOCK_REALTIME, &time)
        return Int64(time.tv_sec) * 1_000_000_000 + Int64(time.tv_nsec)
    }
}

/// A clock that moves only when told to. Guarded by a mutex, so tests may share it.
public final class ManualClock: JournalClock {
    private let now: Mutex<Int64>

    public init(wallClockNanoseconds: Int64) { now = Mutex(wallClockNanoseconds) }

    public func wallClockNanoseconds() -> Int64 { now.withLock { $0 } }

    public func advance(seconds: Int64) { now.withLock { $0 += seconds * 1_000_000_000 } }

    public func set(wallClockNanoseconds: Int64) { now.withLock { $0 = wallClockNanoseconds } }
}
