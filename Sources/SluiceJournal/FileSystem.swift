/// The file-system seam: every byte the journal stores or loads passes through these two small
/// protocols, so a test can substitute a simulated file system that tears writes and forgets
/// data that was never synced (docs/journal.md, "Seams"). `PosixFileSystem` is the real one.
///
/// Errors are `JournalError.io` naming the operation and the path.
public protocol FileSystem: Sendable {
    /// Creates a directory and its missing parents; succeeds when it already exists.
    func createDirectory(atPath path: String) throws
    /// The entries of a directory, without `.` and `..`, in no particular order.
    func contentsOfDirectory(atPath path: String) throws -> [DirectoryEntry]
    /// The status of a path, or nil when nothing is there.
    func status(atPath path: String) throws -> FileStatus?
    /// Opens a file.
    func openFile(atPath path: String, mode: FileOpenMode) throws -> any OpenFile
    /// Renames a file, replacing any file at `destination` (rename(2)).
    func rename(atPath source: String, toPath destination: String) throws
    /// Removes a file.
    func removeFile(atPath path: String) throws
    /// Makes the entries of a directory (creations, renames, removals) durable (fsync(2) on it).
    func synchronizeDirectory(atPath path: String) throws
    /// Takes an exclusive advisory lock on the file at `path` (created if missing), or returns
    /// nil when someone else holds it. The lock lasts until `FileLock.unlock` or deinit.
    func lockExclusively(atPath path: String) throws -> (any FileLock)?
}

/// An open file. Reads and writes are positional, so many readers may share one.
/// The file is closed when the last reference goes away (never while someone still reads it).
public protocol OpenFile: AnyObject, Sendable {
    var path: String { get }
    /// The current size of the file in bytes.
    func sizeBytes() throws -> Int64
    /// Reads into `buffer` from `position` until it is full or the file ends; returns the count.
    func read(into buffer: UnsafeMutableRawBufferPointer, at position: Int64) throws -> Int
    /// Writes all of `first` then `second` at `position` (one pwritev(2) where possible).
    func write(_ first: UnsafeRawBufferPointer, _ second: UnsafeRawBufferPointer, at position: Int64) throws
    /// Cuts the file to `sizeBytes`.
    func truncate(toSizeBytes sizeBytes: Int64) throws
    /// Makes the file's data durable (fdatasync(2)).
    func synchronizeData() throws
}

extension OpenFile {
    /// Writes all of `bytes` at `position`.
    public func write(_ bytes: UnsafeRawBufferPointer, at position: Int64) throws {
        try write(bytes, UnsafeRawBufferPointer(start: nil, count: 0), at: position)
    }
}

/// A held lock; see `FileSystem.lockExclusively`.
public protocol FileLock: AnyObject, Sendable {
    func unlock()
}

public struct DirectoryEntry: Sendable, Hashable {
    public enum Kind: Sendable, Hashable { case file, directory, other }
    public var name: String
    public var kind: Kind

    public init(name: String, kind: Kind) {
        self.name = name
        self.kind = kind
    }
}

public struct FileStatus: Sendable, Hashable {
    public var sizeBytes: Int64
    public var isDirectory: Bool
    /// Last modification, in nanoseconds since the Unix epoch.
    public var modificationTimeNanoseconds: Int64

    public init(sizeBytes: Int64, isDirectory: Bool, modificationTimeNanoseconds: Int64) {
        self.sizeBytes = sizeBytes
        self.isDirectory = isDirectory
        self.modificationTimeNanoseconds = modificationTimeNanoseconds
    }
}

public enum FileOpenMode: Sendable, Hashable {
    /// An existing file, for reading.
    case readOnly
    /// An existing file, for reading and writing.
    case readWrite
    /// A new file for reading and writing; fails if the path exists.
    case createNew
    /// A file for reading and writing, created or emptied.
    case createOrTruncate
}
