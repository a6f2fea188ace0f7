import Synchronization
public import SluiceJournal

/// The journals of one data directory, opened once per process (a journal's appender holds its
/// lock) and shared by every writer and reader in it. Announces journals it creates, so
/// readers of a collection see new partitions appear.
public final class JournalRegistry: Sendable {
    public let dataDirectory: JournalDataDirectory

    private struct State {
        var open: [JournalName: Journal] = [:]
        var watchers: [Int: AsyncStream<JournalName>.Continuation] = [:]
        var nextWatcher = 0
        var closed = false
    }

    private let state = Mutex(State())

    /// Told what opening a journal repaired (a spool's torn tail dropped, …): one line each.
    let recoveryHandler: (@Sendable (JournalName, String) -> Void)?

    public init(dataDirectory: JournalDataDirectory, recoveryHandler: (@Sendable (JournalName, String) -> Void)? = nil) {
        self.dataDirectory = dataDirectory
        self.recoveryHandler = recoveryHandler
    }

    public convenience init(path: String, recoveryHandler: (@Sendable (JournalName, String) -> Void)? = nil) {
        self.init(dataDirectory: JournalDataDirectory(path: path), recoveryHandler: recoveryHandler)
    }

    /// The journal `name`, opened on first use; created with `spec` when missing and a spec is
    /// given, else `journalNotFound`.
    public func journal(_ name: JournalName, createWith spec: JournalSpec? = nil) throws -> Journal {
        var created = false
        let journal = try state.withLock { state -> Journal in
            if state.closed { throw JournalError.journalClosed(name: name.rawValue) }
            if let journal = state.open[name] { return journal }
            let existed = try dataDirectory.exists(name)
            let journal = try dataDirectory.open(name, createWith: existed ? nil : spec)
            state.open[name] = journal
            if let recoveryHandler {
                for line in journal.recoveryReport.lines { recoveryHandler(name, line) }
            }
            created = !existed
            return journal
        }
        if created {
            let watchers = state.withLock { Array($0.watchers.values) }
            for watcher in watchers { watcher.yield(name) }
        }
        return journal
    }

    /// The journal `name` if it exists, else nil.
    public func existingJournal(_ name: JournalName) throws -> Journal? {
        if let journal = state.withLock({ $0.open[name] }) { return journal }
        guard try dataDirectory.exists(name) else { return nil }
        return try journal(name)
    }

    /// Names of the existing journals that start with `prefix`, sorted.
    public func journalNames(withPrefix prefix: String) throws -> [JournalName] {
        let listed = try dataDirectory.journalNames().filter { $0.rawValue.hasPrefix(prefix) }
        let open = state.withLock { $0.open.keys.filter { $0.rawValue.hasPrefix(prefix) } }
        return Array(Set(listed).union(open)).sorted()
    }

    /// Names of journals created from now on (by this registry), until the registry closes.
    public func creations() -> AsyncStream<JournalName> {
        let (stream, continuation) = AsyncStream<JournalName>.makeStream()
        let id = state.withLock { state -> Int in
            state.nextWatcher += 1
            state.watchers[state.nextWatcher] = continuation
            return state.nextWatcher
        }
        continuation.onTermination = { [weak self] _ in
            _ = self?.state.withLock { $0.watchers.removeValue(forKey: id) }
        }
        return stream
    }

    /// Closes every open journal (waiting for their seals to settle).
    public func close() async {
        let (journals, watchers) = state.withLock { state in
            state.closed = true
            defer { state.open = [:]; state.watchers = [:] }
            return (Array(state.open.values), Array(state.watchers.values))
        }
        for watcher in watchers { watcher.finish() }
        for journal in journals { await journal.close() }
    }
}
