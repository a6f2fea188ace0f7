import Synchronization

/// A flag that goes from unset to set exactly once, across threads.
final class AtomicFlag: Sendable {
    private let value = Atomic<Bool>(false)

    init() {}

    /// Sets the flag; returns true for the one caller that set it.
    func setOnce() -> Bool {
        value.compareExchange(expected: false, desired: true, ordering: .acquiringAndReleasing).exchanged
    }

    var isSet: Bool { value.load(ordering: .acquiring) }
}
