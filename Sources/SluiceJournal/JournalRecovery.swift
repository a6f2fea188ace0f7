#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Opening a journal: rebuild its state from the files, repairing what a crash left.
///
/// 1. Take the journal's lock (writable only).
/// 2. Remove stale temporaries of interrupted seals; list the sealed fragments; build the
///    index (fragments covered by others are ignored).
/// 3. Scan every spool file (`SpoolRecovery`): keep its valid records, drop a torn tail
///    (truncating the file), refuse proven corruption.
/// 4. Remove spools the index already holds (sealed, but the removal was lost), keep the
///    others: the last is the active spool, earlier ones are rolled and sealed again.
/// 5. fdatasync the kept spools: bytes that survived a process crash in the page cache become
///    durable before any reader can see them.
enum JournalRecovery {
    static func open(name: JournalName, directory: String, spec: JournalSpec, readOnly: Bool,
                     fileSystem: any FileSystem, clock: any JournalClock, sealBacklogBytesMax: Int64) throws -> Journal {
        var report = RecoveryReport()
        var lock: (any FileLock)?
        if !readOnly {
            lock = try acquireLock(directory + "/lock", name: name, fileSystem: fileSystem)
        }
        let store = LocalFragmentStore(directory: directory + "/fragments", fileSystem: fileSystem)
        if !readOnly {
            try fileSystem.createDirectory(atPath: store.directory)
            report.removedTemporaries = try store.removeTemporaries()
        }
        let listing = try store.list()
        report.ignoredEntries = listing.ignoredEntries
        let (index, covered) = FragmentIndex.build(from: listing.fragments)
        report.coveredFragments = covered.map(\.name.fileName)

        // Spools, ascending by begin.
        var spoolFiles: [(begin: Int64, name: String)] = []
        for entry in try fileSystem.contentsOfDirectory(atPath: directory) where entry.kind == .file {
            if let begin = Spool.begin(fromFileName: entry.name) { spoolFiles.append((begin, entry.name)) }
        }
        spoolFiles.sort { $0.begin < $1.begin }

        let now = clock.wallClockNanoseconds()
        var kept: [Spool] = []
        for (position, spoolFile) in spoolFiles.enumerated() {
            let path = directory + "/" + spoolFile.name
            let file = try fileSystem.openFile(atPath: path, mode: readOnly ? .readOnly : .readWrite)
            let scan = try SpoolRecovery.scan(file, begin: spoolFile.begin)
            if scan.droppedBytes > 0 {
                report.droppedTails.append(RecoveryReport.DroppedTail(
                    path: path, position: scan.validSizeBytes, offset: scan.end, droppedBytes: scan.droppedBytes,
                    reason: scan.tailDefect ?? "unknown"))
                if !readOnly {
                    try file.truncate(toSizeBytes: scan.validSizeBytes)
                    try file.synchronizeData()
                }
            }
            let isLast = position == spoolFiles.count - 1
            let sealed = scan.end > spoolFile.begin && coveredByIndex(index, begin: spoolFile.begin, end: scan.end)
            let emptyAndSuperseded = scan.end == spoolFile.begin && (!isLast || (index.end ?? 0) > spoolFile.begin)
            if sealed || emptyAndSuperseded {
                if !readOnly {
                    try fileSystem.removeFile(atPath: path)
                    if sealed { report.removedSpools.append(spoolFile.name) }
                }
                continue
            }
            if let indexEnd = index.end, spoolFile.begin < indexEnd {
                throw JournalError.inconsistentStore(
                    path: directory, reason: "spool \(spoolFile.name) holds \(spoolFile.begin)..<\(scan.end), "
                        + "overlapping sealed fragments that end at \(indexEnd)")
            }
            if let previous = kept.last, spoolFile.begin < previous.end {
                throw JournalError.inconsistentStore(
                    path: directory, reason: "spool \(spoolFile.name) begins at \(spoolFile.begin), inside the "
                        + "previous spool \(previous.path) which ends at \(previous.end)")
            }
            if !readOnly, scan.end > spoolFile.begin { try file.synchronizeData() }
            kept.append(Spool(begin: spoolFile.begin, file: file, scan: scan, nowNanoseconds: now))
        }

        var active = kept.popLast()
        if active == nil, !readOnly {
            active = try Spool.create(in: directory, begin: index.end ?? 0, fileSystem: fileSystem)
        }
        if !readOnly && (!report.removedSpools.isEmpty || active != nil) {
            try fileSystem.synchronizeDirectory(atPath: directory)
        }
        let rolled = kept.filter { $0.lengthBytes > 0 }
        if !readOnly { report.resumedSeals = rolled.map { String($0.path.split(separator: "/").last!) } }
        var head = active?.end ?? rolled.last?.end ?? index.end ?? 0
        var watermark: CommittedWatermark?
        if !readOnly {
            watermark = try CommittedWatermark(directory: directory, fileSystem: fileSystem, head: head)
        } else if let probe = try fileSystem.lockExclusively(atPath: directory + "/lock") {
            // No appender: make what the files hold durable, then all of it is committed.
            for spool in rolled + (active.map { [$0] } ?? []) where spool.lengthBytes > 0 {
                try spool.file.synchronizeData()
            }
            probe.unlock()
        } else if spec.fsyncPolicy != .none {
            // An appender is live: show only what it has committed (written is not durable yet).
            head = min(head, CommittedWatermark.read(directory: directory, fileSystem: fileSystem) ?? index.end ?? 0)
        }
        return Journal(name: name, directory: directory, spec: spec, isReadOnly: readOnly, recoveryReport: report,
                       fileSystem: fileSystem, store: store, clock: clock, lock: lock, activeSpool: active,
                       rolledSpools: rolled, index: index, head: head, watermark: watermark,
                       sealBacklogBytesMax: sealBacklogBytesMax)
    }

    /// How long opening waits for a held lock. A lock can be held for a moment by a process that
    /// was forked (to start some other program) while the lock's file was open, until it execs;
    /// 500 ms outlasts that, and a journal really open elsewhere still fails fast enough.
    static let lockWaitMilliseconds = 500

    private static func acquireLock(_ path: String, name: JournalName, fileSystem: any FileSystem) throws -> any FileLock {
        let deadline = ContinuousClock.now + .milliseconds(lockWaitMilliseconds)
        while true {
            if let held = try fileSystem.lockExclusively(atPath: path) { return held }
            guard ContinuousClock.now < deadline else { throw JournalError.journalLocked(name: name.rawValue, lockPath: path) }
            usleep(5_000)
        }
    }

    /// True when the index's fragments hold all of `[begin, end)`.
    private static func coveredByIndex(_ index: FragmentIndex, begin: Int64, end: Int64) -> Bool {
        var offset = begin
        while offset < end {
            guard case .fragment(let fragment) = index.locate(offset) else { return false }
            offset = fragment.end
        }
        return true
    }
}
