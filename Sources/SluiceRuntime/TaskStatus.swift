import Synchronization

/// What the engine knows of a running task: counters for stats and status lines, and whether
/// it is caught up (for `--until-idle`).
public final class TaskStatus: Sendable {
    public enum Kind: String, Sendable { case capture, derivation, materialization }

    public struct Snapshot: Sendable {
        public var name: String
        public var kind: Kind
        public var transactions = 0
        public var documentsRead = 0
        public var documentsWritten = 0
        public var bytesWritten = 0
        /// Capture: the source said it has nothing more. Others: never.
        public var exhausted = false
        /// The last read found nothing new (sources at their heads, nothing pending to commit).
        public var caughtUp = false
        /// Reading tasks: the sum of their sources' heads when they last found nothing new.
        public var caughtUpHeads: Int64?
        public var restarts = 0
        public var lastError: String?
        /// Reading tasks: bytes of their sources not yet read, and the sources' total size.
        public var lagBytes: Int64 = 0
        public var sourceBytes: Int64 = 0
        /// Seconds the last transaction took.
        public var lastTransactionSeconds = 0.0
    }

    /// Counters since the stats publisher last took them.
    struct StatsDelta: Sendable {
        var transactions = 0
        var documentsRead = 0
        var documentsWritten = 0
        var seconds = 0.0
        var isEmpty: Bool { transactions == 0 }
    }

    private let state: Mutex<Snapshot>
    private let pendingStats = Mutex(StatsDelta())

    init(name: String, kind: Kind) {
        state = Mutex(Snapshot(name: name, kind: kind))
    }

    public var snapshot: Snapshot { state.withLock { $0 } }

    func update(_ body: (inout Snapshot) -> Void) { state.withLock { body(&$0) } }

    func committed(read: Int, written: Int, bytes: Int, seconds: Double) {
        state.withLock {
            $0.transactions += 1
            $0.documentsRead += read
            $0.documentsWritten += written
            $0.bytesWritten += bytes
            $0.lastTransactionSeconds = seconds
            $0.caughtUp = false
        }
        pendingStats.withLock {
            $0.transactions += 1
            $0.documentsRead += read
            $0.documentsWritten += written
            $0.seconds += seconds
        }
    }

    private let running = Mutex(false)

    /// True while the engine runs the task (between start and its last transaction).
    var isRunning: Bool { running.withLock { $0 } }

    func setRunning(_ value: Bool) { running.withLock { $0 = value } }

    /// Takes the counters gathered since the last call.
    func takeStats() -> StatsDelta {
        pendingStats.withLock { delta in
            defer { delta = StatsDelta() }
            return delta
        }
    }
}
