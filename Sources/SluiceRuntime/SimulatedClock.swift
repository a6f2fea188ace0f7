import Synchronization

/// A clock that moves only when told (Unix nanoseconds): `sluice test` and `sluice preview` run
/// on one, so read delays, publication times and `notBefore`/`notAfter` are deterministic.
public final class SimulatedClock: Sendable {
    /// 2024-01-01T00:00:00Z: where simulated time starts unless told otherwise.
    public static let defaultStartNanoseconds: UInt64 = 1_704_067_200 * 1_000_000_000

    private let nanoseconds: Atomic<UInt64>

    public init(startNanoseconds: UInt64 = SimulatedClock.defaultStartNanoseconds) {
        nanoseconds = Atomic(startNanoseconds)
    }

    /// Unix time now, in nanoseconds.
    public var now: UInt64 { nanoseconds.load(ordering: .sequentiallyConsistent) }

    /// Moves the clock forward by `delta` nanoseconds.
    public func advance(byNanoseconds delta: UInt64) {
        nanoseconds.add(delta, ordering: .sequentiallyConsistent)
    }

    /// Moves the clock to `time` if that is later (it never goes back).
    public func advance(to time: UInt64) {
        _ = nanoseconds.max(time, ordering: .sequentiallyConsistent)
    }

    /// The clock as the engine's `wallClockNanoseconds`.
    public var read: @Sendable () -> UInt64 { { [self] in self.now } }
}
