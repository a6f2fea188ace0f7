// BlockingQueue: runs blocking work (SQLite and file I/O) on a serial dispatch queue of its own,
// so a task waiting on a disk never holds a thread of Swift's cooperative pool.
import Dispatch

/// A serial queue for one session's blocking calls; calls run one at a time, in order.
final class BlockingQueue: Sendable {
    private let queue: DispatchQueue

    init(label: String) { queue = DispatchQueue(label: "sluice.materialize." + label) }

    /// Runs `body` on the queue and returns its result to the caller.
    func run<Result: Sendable>(_ body: @escaping @Sendable () throws -> Result) async throws -> Result {
        try await withCheckedThrowingContinuation { continuation in
            queue.async {
                continuation.resume(with: Result_(catching: body))
            }
        }
    }
}

/// `Swift.Result` under another name (the generic parameter above shadows it).
private typealias Result_<Success: Sendable> = Swift.Result<Success, any Error>
