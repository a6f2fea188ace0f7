// FileStore: where rolled files go: a local directory (LocalFileStore) or an S3 bucket
// (S3FileStore, S3Materialization.swift). Both give whole-object atomicity: a file appears
// complete under its name or not at all (a local rename; S3's PutObject or
// CompleteMultipartUpload), which is what RolledFiles' naming and checkpoint record rely on.
import Foundation

/// An object or file being written; it appears under its name only at `finish()`.
protocol FileStoreWriter: AnyObject {
    func write(_ bytes: [UInt8]) async throws
    func finish() async throws
    /// Discards what was written.
    func abort() async
}

/// A flat namespace of files (keys with `/` separators) relative to the store's root.
protocol FileStore: Sendable {
    /// Where the files are, for messages (`files /data/out`, `s3://bucket/prefix`).
    var location: String { get }
    /// The whole file, or nil if there is none.
    func read(_ key: String) async throws -> [UInt8]?
    /// Replaces the file atomically (readers see the old or the new bytes, never a mix).
    func write(_ key: String, _ bytes: [UInt8]) async throws
    /// Keys starting with `prefix`.
    func list(prefix: String) async throws -> [String]
    func delete(_ key: String) async throws
    func makeWriter(_ key: String, instance: String) async throws -> any FileStoreWriter
    /// Runs `body` while holding the store's lock for `name` (an exclusive file lock for a
    /// directory; nothing for S3, which has none: see docs/materializations.md).
    func withLock<Result: Sendable>(_ name: String, _ body: @Sendable () async throws -> Result) async throws -> Result
}

/// Files under a local directory: atomic replace by write-fsync-rename-fsync(directory), a
/// writer that fills `<name>.partial-<instance>` and renames it at finish, and `flock` locks.
struct LocalFileStore: FileStore {
    let root: String
    let queue: BlockingQueue

    init(root: String) {
        self.root = root
        queue = BlockingQueue(label: "files")
    }

    var location: String { "files \(root)" }

    func path(_ key: String) -> String { root + "/" + key }

    func read(_ key: String) async throws -> [UInt8]? {
        let path = self.path(key)
        return try await queue.run {
            guard FileManager.default.fileExists(atPath: path) else { return nil }
            return Array(try Data(contentsOf: URL(fileURLWithPath: path)))
        }
    }

    func write(_ key: String, _ bytes: [UInt8]) async throws {
        let path = self.path(key)
        try await queue.run { try LocalFileStore.replace(path, with: bytes) }
    }

    /// Writes `bytes` to a temporary file beside `path`, fsyncs it, renames it over `path` and
    /// fsyncs the directory: after a crash `path` holds the old bytes or the new ones.
    static func replace(_ path: String, with bytes: [UInt8]) throws {
        let folder = (path as NSString).deletingLastPathComponent
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let temporary = path + ".tmp-\(getpid())"
        let descriptor = try openForWriting(temporary)
        do {
            try writeAll(descriptor, bytes, path: temporary)
            guard fsync(descriptor) == 0 else { throw posixError("fsync", temporary) }
        } catch {
            close(descriptor)
            throw error
        }
        close(descriptor)
        guard rename(temporary, path) == 0 else { throw posixError("rename to \(path)", temporary) }
        try syncFolder(folder)
    }

    static func openForWriting(_ path: String) throws -> Int32 {
        let descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw posixError("open", path) }
        return descriptor
    }

    static func writeAll(_ descriptor: Int32, _ bytes: [UInt8], path: String) throws {
        try bytes.withUnsafeBytes { buffer in
            // Safety: `buffer` is valid for the loop; `Foundation.write` reads `count` bytes from it.
            var offset = 0
            while offset < buffer.count {
                let written = Foundation.write(descriptor, buffer.baseAddress! + offset, buffer.count - offset)
                if written < 0 {
                    if errno == EINTR { continue }
                    throw posixError("write at offset \(offset)", path)
                }
                offset += written
            }
        }
    }

    static func syncFolder(_ folder: String) throws {
        let descriptor = open(folder, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard descriptor >= 0 else { throw posixError("open", folder) }
        defer { close(descriptor) }
        guard fsync(descriptor) == 0 else { throw posixError("fsync", folder) }
    }

    static func posixError(_ operation: String, _ path: String) -> any Error {
        FileStoreError(message: "\(path): \(operation): \(String(cString: strerror(errno)))")
    }

    func list(prefix: String) async throws -> [String] {
        let root = self.root
        return try await queue.run {
            // The prefix's folder part is listed (not recursively): keys are `folder/name`.
            let slash = prefix.lastIndex(of: "/")
            let folder = slash.map { String(prefix[..<$0]) } ?? ""
            let directory = folder.isEmpty ? root : root + "/" + folder
            guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory) else { return [] }
            return names.map { folder.isEmpty ? $0 : folder + "/" + $0 }.filter { $0.hasPrefix(prefix) }.sorted()
        }
    }

    func delete(_ key: String) async throws {
        let path = self.path(key)
        try await queue.run {
            if unlink(path) != 0 && errno != ENOENT { throw LocalFileStore.posixError("unlink", path) }
        }
    }

    func makeWriter(_ key: String, instance: String) async throws -> any FileStoreWriter {
        let path = self.path(key)
        let queue = self.queue
        return try await queue.run { try LocalFileWriter(path: path, instance: instance, queue: queue) }
    }

    func withLock<Result: Sendable>(_ name: String, _ body: @Sendable () async throws -> Result) async throws -> Result {
        let path = self.path(name)
        // A lock of its own queue: waiting for another process's lock must not hold up I/O.
        let lockQueue = BlockingQueue(label: "files.lock")
        let descriptor = try await lockQueue.run { () throws -> Int32 in
            try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            let descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
            guard descriptor >= 0 else { throw LocalFileStore.posixError("open", path) }
            while flock(descriptor, LOCK_EX) != 0 {
                if errno != EINTR {
                    close(descriptor)
                    throw LocalFileStore.posixError("flock", path)
                }
            }
            return descriptor
        }
        defer { close(descriptor) }  // closing releases the lock
        return try await body()
    }
}

/// A local file written as `<path>.partial-<instance>` and renamed to `path` at finish.
///
/// Unchecked Sendable: the descriptor is used only on `queue` (serial), by one session.
final class LocalFileWriter: FileStoreWriter, @unchecked Sendable {
    let path: String
    let partial: String
    let queue: BlockingQueue
    private var descriptor: Int32

    init(path: String, instance: String, queue: BlockingQueue) throws {
        self.path = path
        partial = path + ".partial-" + instance
        self.queue = queue
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        descriptor = try LocalFileStore.openForWriting(partial)
    }

    func write(_ bytes: [UInt8]) async throws {
        try await queue.run { try LocalFileStore.writeAll(self.descriptor, bytes, path: self.partial) }
    }

    func finish() async throws {
        try await queue.run {
            guard fsync(self.descriptor) == 0 else { throw LocalFileStore.posixError("fsync", self.partial) }
            close(self.descriptor)
            self.descriptor = -1
            guard rename(self.partial, self.path) == 0 else { throw LocalFileStore.posixError("rename to \(self.path)", self.partial) }
            try LocalFileStore.syncFolder((self.path as NSString).deletingLastPathComponent)
        }
    }

    func abort() async {
        _ = try? await queue.run {
            if self.descriptor >= 0 { close(self.descriptor) }
            self.descriptor = -1
            unlink(self.partial)
        }
    }

    deinit { if descriptor >= 0 { close(descriptor) } }
}

struct FileStoreError: Error, CustomStringConvertible {
    let message: String
    var description: String { message }
}
