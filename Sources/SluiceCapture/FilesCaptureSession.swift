import Foundation
import SluiceDocument
import SluiceTask
import Logging

/// A running files capture: a `FilesReader` reads the queued files one chunk (one `.documents`
/// batch) at a time, the next chunk read ahead on another thread while the runtime validates
/// and combines the current one; a checkpoint after `checkpointDocuments` documents, at the
/// runtime's transaction deadline, or when nothing is left to read right now. Not following:
/// `.exhausted` once every matched file is read and checkpointed. Following: globs listed
/// again every `pollIntervalSeconds`, `.idle` when nothing changed.
final class FilesCaptureSession: CaptureSession {
    let settings: FilesCapture
    let context: TaskContext
    private let reader: FilesReader
    /// Positions through every batch handed to the runtime.
    private var checkpoint: FilesCheckpoint
    /// The next batch, being read ahead (the reader is its own only while this runs).
    private var readAhead: Task<FilesReader.Batch?, any Error>?
    private var documentsSinceCheckpoint = 0
    /// True when positions moved since the last checkpoint event.
    private var changed = false
    private var lastScanNanoseconds: UInt64 = 0
    private let follows: Bool

    init(bindings: [FilesBinding], checkpoint: FilesCheckpoint, settings: FilesCapture, context: TaskContext) {
        self.checkpoint = checkpoint
        self.settings = settings
        self.context = context
        reader = FilesReader(bindings: bindings, chunkBytes: settings.readChunkBytes, logger: context.logger)
        follows = bindings.contains { $0.follow }
        lastScanNanoseconds = context.wallClockNanoseconds()
        reader.scan(followedOnly: false, positions: checkpoint)
    }

    func next(deadlineNanoseconds: UInt64) async throws -> CaptureEvent {
        while true {
            let now = context.wallClockNanoseconds()
            if changed && (documentsSinceCheckpoint >= settings.checkpointDocuments || now >= deadlineNanoseconds) {
                return takeCheckpoint()
            }
            if let batch = try await nextBatch() {
                record(batch)
                if !batch.documents.isEmpty {
                    documentsSinceCheckpoint += batch.documents.count
                    return .documents(binding: batch.binding, batch.documents)
                }
                continue
            }
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
            lastScanNanoseconds = context.wallClockNanoseconds()
            if !reader.scan(followedOnly: true, positions: checkpoint) { return .idle }
        }
    }

    func committed(state: JSONValue) async {}

    func close() async {
        _ = try? await readAhead?.value
        readAhead = nil
        reader.close()
    }

    private func takeCheckpoint() -> CaptureEvent {
        changed = false
        documentsSinceCheckpoint = 0
        return .checkpoint(checkpoint.jsonValue)
    }

    /// The batch read ahead, or one read now; then the following one is started ahead.
    private func nextBatch() async throws -> FilesReader.Batch? {
        let batch: FilesReader.Batch?
        do {
            if let pending = readAhead {
                readAhead = nil
                batch = try await pending.value
            } else {
                batch = try reader.read(positions: checkpoint)
            }
        } catch {
            throw TaskError.configuration(task: context.taskName, message: "\(error)")
        }
        guard let batch else { return nil }
        // The reader opens the next file from these positions, which include this batch.
        var positions = checkpoint
        positions.files[batch.key, default: [:]][batch.path] = batch.position
        let reader = self.reader
        readAhead = Task.detached { try reader.read(positions: positions) }
        return batch
    }

    private func record(_ batch: FilesReader.Batch) {
        if checkpoint.files[batch.key]?[batch.path] != batch.position {
            checkpoint.files[batch.key, default: [:]][batch.path] = batch.position
            changed = true
        }
    }
}

/// The files of a capture with something to read, in order, and the one being read.
final class FilesReader: @unchecked Sendable {
    // Safety: used by one caller at a time: the session, or the single read-ahead task it
    // starts and awaits before calling again.
    struct Batch: Sendable {
        let binding: Int
        let key: FilesCheckpoint.BindingKey
        let path: String
        let documents: [Document]
        /// The file's position after these documents.
        let position: FilePosition
    }

    let bindings: [FilesBinding]
    let chunkBytes: Int
    let logger: Logger
    private var pending: [(binding: Int, path: String)] = []
    private var pendingHead = 0
    private var queued = Set<String>()
    private var cursor: FileCursor?

    init(bindings: [FilesBinding], chunkBytes: Int, logger: Logger) {
        self.bindings = bindings
        self.chunkBytes = chunkBytes
        self.logger = logger
    }

    /// The next chunk's documents (possibly none, when only a position moved), moving through
    /// the queue; nil when nothing is left to read now.
    func read(positions: FilesCheckpoint) throws -> Batch? {
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
                // Gone since it was listed (rotated away, say): nothing to read.
                guard FileManager.default.fileExists(atPath: path) else { continue }
                cursor = try FileCursor(binding: binding, path: path, stored: positions.files[binding.key]?[path],
                                        chunkBytes: chunkBytes, logger: logger)
                guard let opened = cursor else { continue }
                if positions.files[binding.key]?[path] != opened.position {
                    return Batch(binding: position, key: binding.key, path: path, documents: [], position: opened.position)
                }
            }
            let current = cursor!
            var documents: [Document] = []
            let more = try current.read(into: &documents)
            if !more { cursor = nil }
            return Batch(binding: current.binding.position, key: current.binding.key, path: current.path, documents: documents,
                         position: current.position)
        }
    }

    /// Queues the files of the bindings (every binding, or the followed ones) that have
    /// something new: files never read, plain files whose size differs from their position,
    /// files whose raw size changed since they were last read to their end. Returns true when
    /// anything was queued.
    @discardableResult
    func scan(followedOnly: Bool, positions: FilesCheckpoint) -> Bool {
        var found = false
        for binding in bindings where binding.follow || !followedOnly {
            for path in binding.glob.matches() {
                let key = Self.queueKey(binding.position, path)
                if queued.contains(key) { continue }
                if let cursor, cursor.binding.position == binding.position, cursor.path == path { continue }
                if let stored = positions.files[binding.key]?[path] {
                    var information = stat()
                    guard stat(path, &information) == 0 else { continue }
                    let size = Int64(information.st_size)
                    let plain = InputCompression(path: path) == .none
                    if size == stored.sourceBytes || (plain && size == stored.offset) { continue }
                }
                pending.append((binding.position, path))
                queued.insert(key)
                found = true
            }
        }
        return found
    }

    func close() { cursor = nil }

    private static func queueKey(_ binding: Int, _ path: String) -> String { "\(binding)\u{0}\(path)" }
}
