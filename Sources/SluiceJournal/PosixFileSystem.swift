#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The real file system, through POSIX calls. Stateless.
public struct PosixFileSystem: FileSystem {
    public init() {}

    public func createDirectory(atPath path: String) throws {
        var prefix = path.hasPrefix("/") ? "/" : ""
        for component in path.split(separator: "/") {
            prefix += component
            if mkdir(prefix, 0o755) != 0 {
                let error = errno
                guard error == EEXIST else { throw JournalError.io(operation: "mkdir", path: prefix, errorNumber: error) }
                var info = stat()
                guard stat(prefix, &info) == 0, (info.st_mode & S_IFMT) == S_IFDIR else {
                    throw JournalError.io(operation: "mkdir", path: prefix, errorNumber: ENOTDIR)
                }
            }
            prefix += "/"
        }
    }

    public func contentsOfDirectory(atPath path: String) throws -> [DirectoryEntry] {
        guard let directory = opendir(path) else {
            throw JournalError.io(operation: "opendir", path: path, errorNumber: errno)
        }
        defer { closedir(directory) }
        var entries: [DirectoryEntry] = []
        while true {
            errno = 0
            guard let entry = readdir(directory) else {
                if errno != 0 { throw JournalError.io(operation: "readdir", path: path, errorNumber: errno) }
                break
            }
            // Safety: d_name is a NUL-terminated array inside the dirent readdir returned, valid
            // until the next readdir call; it is copied into a String before that.
            let name = withUnsafePointer(to: entry.pointee.d_name) { pointer in
                pointer.withMemoryRebound(to: CChar.self, capacity: Int(NAME_MAX) + 1) { String(cString: $0) }
            }
            if name == "." || name == ".." { continue }
            var kind: DirectoryEntry.Kind
            switch Int32(entry.pointee.d_type) {
            case Int32(DT_REG): kind = .file
            case Int32(DT_DIR): kind = .directory
            default: kind = .other
            }
            if Int32(entry.pointee.d_type) == Int32(DT_UNKNOWN), let status = try self.status(atPath: path + "/" + name) {
                kind = status.isDirectory ? .directory : .file
            }
            entries.append(DirectoryEntry(name: name, kind: kind))
        }
        return entries
    }

    public func status(atPath path: String) throws -> FileStatus? {
        var info = stat()
        guard stat(path, &info) == 0 else {
            let error = errno
            if error == ENOENT { return nil }
            throw JournalError.io(operation: "stat", path: path, errorNumber: error)
        }
        #if canImport(Darwin)
        let modification = Int64(info.st_mtimespec.tv_sec) * 1_000_000_000 + Int64(info.st_mtimespec.tv_nsec)
        #else
        let modification = Int64(info.st_mtim.tv_sec) * 1_000_000_000 + Int64(info.st_mtim.tv_nsec)
        #endif
        return FileStatus(sizeBytes: Int64(info.st_size), isDirectory: (info.st_mode & S_IFMT) == S_IFDIR,
                          modificationTimeNanoseconds: modification)
    }

    public func openFile(atPath path: String, mode: FileOpenMode) throws -> any OpenFile {
        let flags: Int32
        switch mode {
        case .readOnly: flags = O_RDONLY
        case .readWrite: flags = O_RDWR
        case .createNew: flags = O_RDWR | O_CREAT | O_EXCL
        case .createOrTruncate: flags = O_RDWR | O_CREAT | O_TRUNC
        }
        let descriptor = open(path, flags | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw JournalError.io(operation: "open", path: path, errorNumber: errno) }
        return PosixOpenFile(descriptor: descriptor, path: path)
    }

    public func rename(atPath source: String, toPath destination: String) throws {
        #if canImport(Glibc)
        let result = Glibc.rename(source, destination)
        #else
        let result = Darwin.rename(source, destination)
        #endif
        guard result == 0 else {
            throw JournalError.io(operation: "rename to \(destination)", path: source, errorNumber: errno)
        }
    }

    public func removeFile(atPath path: String) throws {
        guard unlink(path) == 0 else { throw JournalError.io(operation: "unlink", path: path, errorNumber: errno) }
    }

    public func synchronizeDirectory(atPath path: String) throws {
        let descriptor = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard descriptor >= 0 else { throw JournalError.io(operation: "open directory", path: path, errorNumber: errno) }
        defer { close(descriptor) }
        guard fsync(descriptor) == 0 else { throw JournalError.io(operation: "fsync directory", path: path, errorNumber: errno) }
    }

    public func lockExclusively(atPath path: String) throws -> (any FileLock)? {
        let descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw JournalError.io(operation: "open lock", path: path, errorNumber: errno) }
        if flock(descriptor, LOCK_EX | LOCK_NB) != 0 {
            let error = errno
            close(descriptor)
            if error == EWOULDBLOCK { return nil }
            throw JournalError.io(operation: "flock", path: path, errorNumber: error)
        }
        return PosixFileLock(descriptor: descriptor)
    }
}

/// An open file descriptor, closed on deinit (so it is never closed under a concurrent reader,
/// and its number is never reused while someone holds this object). Immutable, hence Sendable.
final class PosixOpenFile: OpenFile {
    let descriptor: Int32
    let path: String

    init(descriptor: Int32, path: String) {
        self.descriptor = descriptor
        self.path = path
    }

    deinit { close(descriptor) }

    func sizeBytes() throws -> Int64 {
        var info = stat()
        guard fstat(descriptor, &info) == 0 else { throw JournalError.io(operation: "fstat", path: path, errorNumber: errno) }
        return Int64(info.st_size)
    }

    func read(into buffer: UnsafeMutableRawBufferPointer, at position: Int64) throws -> Int {
        guard let base = buffer.baseAddress else { return 0 }
        var done = 0
        while done < buffer.count {
            // Safety: base + done stays inside `buffer`, which the caller keeps alive for the call.
            let count = pread(descriptor, base + done, buffer.count - done, off_t(position) + off_t(done))
            if count < 0 {
                if errno == EINTR { continue }
                throw JournalError.io(operation: "pread at \(position + Int64(done))", path: path, errorNumber: errno)
            }
            if count == 0 { break }
            done += count
        }
        return done
    }

    func write(_ first: UnsafeRawBufferPointer, _ second: UnsafeRawBufferPointer, at position: Int64) throws {
        var vectors = [
            iovec(iov_base: UnsafeMutableRawPointer(mutating: first.baseAddress), iov_len: first.count),
            iovec(iov_base: UnsafeMutableRawPointer(mutating: second.baseAddress), iov_len: second.count),
        ]
        var remaining = first.count + second.count
        var written = 0
        while remaining > 0 {
            // Safety: the iovecs point into `first` and `second`, alive for the call; pwritev
            // only reads through them. After a short write they are advanced past what was written.
            let count = vectors.withUnsafeMutableBufferPointer { pointer -> Int in
                var start = 0
                var skip = written
                while start < pointer.count, skip >= pointer[start].iov_len {
                    skip -= pointer[start].iov_len
                    start += 1
                }
                guard start < pointer.count else { return 0 }
                let saved = pointer[start]
                pointer[start].iov_base = saved.iov_base.map { $0 + skip }
                pointer[start].iov_len = saved.iov_len - skip
                defer { pointer[start] = saved }
                return pwritev(descriptor, pointer.baseAddress! + start, Int32(pointer.count - start),
                               off_t(position) + off_t(written))
            }
            if count < 0 {
                if errno == EINTR { continue }
                throw JournalError.io(operation: "pwritev at \(position + Int64(written))", path: path, errorNumber: errno)
            }
            written += count
            remaining -= count
        }
    }

    func truncate(toSizeBytes sizeBytes: Int64) throws {
        guard ftruncate(descriptor, off_t(sizeBytes)) == 0 else {
            throw JournalError.io(operation: "ftruncate to \(sizeBytes)", path: path, errorNumber: errno)
        }
    }

    func synchronizeData() throws {
        #if canImport(Darwin)
        let result = fsync(descriptor)
        #else
        let result = fdatasync(descriptor)
        #endif
        guard result == 0 else { throw JournalError.io(operation: "fdatasync", path: path, errorNumber: errno) }
    }
}

/// A held flock(2); released by `unlock` or deinit. The descriptor is guarded by an atomic
/// exchange, so unlocking twice (or unlock racing deinit) closes it once.
final class PosixFileLock: FileLock {
    private let descriptor: Int32
    private let released = AtomicFlag()

    init(descriptor: Int32) { self.descriptor = descriptor }

    func unlock() {
        if released.setOnce() { close(descriptor) }
    }

    deinit { unlock() }
}
