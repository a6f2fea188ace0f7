import Foundation
import SluiceDocument
import SluiceTask

/// A running files capture: a queue of files with something to read, read one chunk (one
/// `.documents` batch) at a time; a checkpoint after `checkpointDocuments` documents, at the
/// runtime's transaction deadline, or when nothing is left to read right now. Not following:
/// `.exhausted` once every matched file is read and checkpointed. Following: globs listed
/// again every `pollIntervalSeconds`, `.idle` when nothing changed.
final class FilesCaptureSession: CaptureSession {
    let bindings: [FilesBinding]
    let settings: FilesCapture
    let context: TaskContext
    /// Positions through everything yielded so far.
    private var checkpoint: FilesCheckpoint
    /// Files with something to read, in order: (binding position, path).
    private var pending: [(binding: Int, path: String)] = []
    private var pendingHead = 0
    private var queued = Set<String>()
    private var cursor: FileCursor?
    private var documentsSinceCheckpoint = 0
    /// True when positions moved since the last checkpoint event.
    private var changed = false
    private var lastScanNanoseconds: UInt64 = 0
    private let follows: Bool

    init(bindings: [FilesBinding], checkpoint: FilesCheckpoint, settings: FilesCapture, context: TaskContext) {
        self.bindings = bindings
        self.checkpoint = checkpoint
        self.settings = settings
        self.context = context
        follows = bindings.contains { $0.follow }
        scan(followedOnly: false)
    }

    func next(deadlineNanoseconds: UInt64) async throws -> CaptureEvent {
        while true {
            let now = context.wallClockNanoseconds()
            if changed && (documentsSinceCheckpoint >= settings.checkpointDocuments || now >= deadlineNanoseconds) {
                return takeCheckpoint()
            }
            if let batch = try readBatch() { return batch }
            if changed { return takeCheckpoint() }
            guard follows else { return .exhausted }
            // Following, and everything is read: wait for the next listing (or the deadline).
            let pollNanoseconds = UInt64(settings.pollIntervalSeconds * 1e9)
            let nextScan = lastScanNanoseconds + pollNanoseconds
            if now < nextScan {
                let wake = min(nextScan, max(deadlineNanoseconds, now + pollNanoseconds))
                try await Task.sleep(nanoseconds: wake - now)
                if context.wallClockNanoseconds() < nextScan { return .idle }
            }
            scan(followedOnly: true)
            if pendingHead == pending.count { return .idle }
        }
    }

    func committed(state: JSONValue) async {}

    func close() async { cursor = nil }

    private func takeCheckpoint() -> CaptureEvent {
        changed = false
        documentsSinceCheckpoint = 0
        return .checkpoint(checkpoint.jsonValue)
    }

    /// The next chunk's documents, moving through the queue; nil when nothing is left to read now.
    private func readBatch() throws -> CaptureEvent? {
        while true {
            if cursor == nil {
                guard pendingHead < pending.count else {
                    pending.removeAll()
                    pendingHead = 0
                    return nil
                }
                let (position, path) = pending[pendingHead]
                pendingHead += 1
                queued.remove(Self.queueKey(position, path))
                let binding = bindings[position]
                do {
                    cursor = try FileCursor(binding: binding, path: path, stored: checkpoint.files[binding.key]?[path],
                                            chunkBytes: settings.readChunkBytes, logger: context.logger)
                } catch {
                    throw TaskError.configuration(task: context.taskName, message: "\(error)")
                }
                guard let opened = cursor else { continue }
                record(opened)
            }
            let current = cursor!
            var documents: [Document] = []
            let more: Bool
            do {
                more = try current.read(into: &documents)
            } catch {
                throw TaskError.configuration(task: context.taskName, message: "\(error)")
            }
            record(current)
            if !more { cursor = nil }
            if !documents.isEmpty {
                documentsSinceCheckpoint += documents.count
                return .documents(binding: current.binding.position, documents)
            }
        }
    }

    private func record(_ cursor: FileCursor) {
        let key = cursor.binding.key
        if checkpoint.files[key]?[cursor.path] != cursor.position {
            checkpoint.files[key, default: [:]][cursor.path] = cursor.position
            changed = true
        }
    }

    /// Queues the files of the bindings (every binding, or the followed ones) that have
    /// something new: files never read, plain files whose size differs from their position,
    /// compressed files whose size changed since they were read.
    private func scan(followedOnly: Bool) {
        lastScanNanoseconds = context.wallClockNanoseconds()
        for binding in bindings where binding.follow || !followedOnly {
            for path in binding.glob.matches() {
                let key = Self.queueKey(binding.position, path)
                if queued.contains(key) { continue }
                if let cursor, cursor.binding.position == binding.position, cursor.path == path { continue }
                if let stored = checkpoint.files[binding.key]?[path] {
                    var information = stat()
                    guard stat(path, &information) == 0 else { continue }
                    let size = Int64(information.st_size)
                    let plain = InputCompression(path: path) == .none
                    if size == stored.sourceBytes || (plain && size == stored.offset) { continue }
                }
                pending.append((binding.position, path))
                queued.insert(key)
            }
        }
    }

    private static func queueKey(_ binding: Int, _ path: String) -> String { "\(binding)\u{0}\(path)" }
}
