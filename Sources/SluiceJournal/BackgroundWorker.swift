import Dispatch
import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// One thread that runs jobs in order at a lowered CPU priority (nice +10 on Linux): background
/// work (sealing: compression and hashing) yields the CPU to appends and reads when cores are
/// contended, and takes whatever is idle otherwise.
///
/// The thread lives until `stop()` or until the worker is deinitialized. Jobs are kept in a
/// mutex-guarded queue; a semaphore counts them.
final class BackgroundWorker: Sendable {
    /// The nice increment of the thread. 10: a fraction (~1/9) of a contended core's time.
    static let niceIncrement: Int32 = 10

    private final class Queue: Sendable {
        let jobs = Mutex<[(@Sendable () -> Void)?]>([])
        let available = DispatchSemaphore(value: 0)

        func push(_ job: (@Sendable () -> Void)?) {
            jobs.withLock { $0.append(job) }
            available.signal()
        }

        func run() {
            #if os(Linux)
            // On Linux, PRIO_PROCESS with who 0 sets the calling thread's nice value only.
            _ = setpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0, BackgroundWorker.niceIncrement)
            #endif
            while true {
                available.wait()
                let job = jobs.withLock { $0.removeFirst() }
                guard let job else { return }  // nil: stop
                job()
            }
        }
    }

    private let queue = Queue()
    private let stopped = AtomicFlag()

    init(name: String) {
        let queue = self.queue
        let thread = Thread { queue.run() }
        thread.name = name
        thread.start()
    }

    deinit { stop() }

    /// Runs `job` after every job submitted before it.
    func async(_ job: @escaping @Sendable () -> Void) {
        queue.push(job)
    }

    /// Ends the thread once the jobs submitted so far have run.
    func stop() {
        if stopped.setOnce() { queue.push(nil) }
    }

    /// Waits until every job submitted so far has run.
    func barrier() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            async { continuation.resume() }
        }
    }
}
