import Foundation
import Synchronization
@testable import SluiceJournal
import SluiceWorkload

/// A file system in memory that models what a machine crash does to data that was never synced,
/// through the `FileSystem` seam: each file and each directory remembers its durable state and the
/// operations since its last fdatasync / directory fsync. `crash(seed:)` rebuilds every file and
/// directory from its durable state plus a seeded, adversarial choice of those operations: each
/// unsynced write is kept, lost, or torn (a prefix kept), independently and out of order; each
/// unsynced directory change (create, rename, unlink) is kept or lost, in order. Handles opened
/// before a crash fail with EIO afterwards, and so does every call through a `process()` view
/// taken before it: the old process is gone, and its background work must not touch the disk.
///
/// Simplifications: directories themselves are durable once created; a file's size follows
/// its kept writes and truncates. The state is guarded by one mutex, hence `@unchecked Sendable`.
final class SimulatedFileSystem: @unchecked Sendable {
    enum FileOperation {
        case write(position: Int, bytes: [UInt8])
        case truncate(size: Int)
    }

    struct Inode {
        var volatile: [UInt8] = []
        var durable: [UInt8] = []
        var pending: [FileOperation] = []
        var modificationTimeNanoseconds: Int64 = 0
    }

    enum DirectoryOperation {
        case link(name: String, inode: Int)
        case unlink(name: String)
    }

    struct Directory {
        var volatile: [String: Int] = [:]
        var durable: [String: Int] = [:]
        var pending: [DirectoryOperation] = []
    }

    struct State {
        var inodes: [Int: Inode] = [:]
        var nextInode = 1
        var directories: [String: Directory] = ["/": Directory()]
        var generation = 0
        var locks: Set<String> = []
        var clockNanoseconds: Int64 = 1_700_000_000 * 1_000_000_000
        var crashes = 0
    }

    let state = Mutex(State())

    // MARK: Crash

    /// Simulates a machine crash and restart.
    func crash(seed: UInt64) {
        var random = SplitMix64(seed: seed)
        state.withLock { state in
            state.generation += 1
            state.crashes += 1
            state.locks = []
            for (number, var inode) in state.inodes {
                var content = inode.durable
                for operation in inode.pending {
                    switch operation {
                    case .truncate(let size):
                        if random.below(2) == 0 { Self.resize(&content, to: size) }
                    case .write(let position, let bytes):
                        switch random.below(10) {
                        case 0..<5: Self.write(bytes[...], at: position, into: &content)       // kept
                        case 5..<8: break                                                     // lost
                        default: Self.write(bytes.prefix(random.below(bytes.count + 1)), at: position, into: &content)  // torn
                        }
                    }
                }
                inode.durable = content
                inode.volatile = content
                inode.pending = []
                state.inodes[number] = inode
            }
            for (path, var directory) in state.directories {
                var entries = directory.durable
                let kept = random.below(directory.pending.count + 1)  // a prefix: metadata commits in order
                for operation in directory.pending.prefix(kept) {
                    switch operation {
                    case .link(let name, let inode): entries[name] = inode
                    case .unlink(let name): entries[name] = nil
                    }
                }
                directory.durable = entries
                directory.volatile = entries
                directory.pending = []
                state.directories[path] = directory
            }
        }
    }

    private static func resize(_ content: inout [UInt8], to size: Int) {
        if content.count > size { content.removeLast(content.count - size) } else {
            content += [UInt8](repeating: 0, count: size - content.count)
        }
    }

    private static func write(_ bytes: ArraySlice<UInt8>, at position: Int, into content: inout [UInt8]) {
        if content.count < position + bytes.count { resize(&content, to: position + bytes.count) }
        content.replaceSubrange(position ..< position + bytes.count, with: bytes)
    }

    // MARK: Paths

    private static func split(_ path: String) -> (directory: String, name: String) {
        let slash = path.lastIndex(of: "/")!
        let directory = String(path[..<slash])
        return (directory.isEmpty ? "/" : directory, String(path[path.index(after: slash)...]))
    }

    private func ioError(_ operation: String, _ path: String, _ number: Int32) -> JournalError {
        .io(operation: operation, path: path, errorNumber: number)
    }

    /// The file system as the process running now sees it (until the next crash).
    func process() -> SimulatedProcessFileSystem {
        SimulatedProcessFileSystem(storage: self, generation: state.withLock { $0.generation })
    }

    private func check(_ state: State, _ generation: Int, _ path: String) throws {
        guard state.generation == generation else { throw ioError("use after crash", path, EIO) }
    }

    // MARK: File-system calls of a process

    func createDirectory(atPath path: String, generation: Int) throws {
        try state.withLock { state in
            try check(state, generation, path)
            var prefix = ""
            for component in path.split(separator: "/") {
                prefix += "/" + component
                if state.directories[prefix] == nil { state.directories[prefix] = Directory() }
            }
        }
    }

    func contentsOfDirectory(atPath path: String, generation: Int) throws -> [DirectoryEntry] {
        try state.withLock { state in
            try check(state, generation, path)
            guard let directory = state.directories[path] else { throw ioError("opendir", path, ENOENT) }
            var entries = directory.volatile.keys.map { DirectoryEntry(name: $0, kind: .file) }
            let prefix = path == "/" ? "/" : path + "/"
            for other in state.directories.keys where other.hasPrefix(prefix) && other != path {
                let rest = other.dropFirst(prefix.count)
                if !rest.contains("/") { entries.append(DirectoryEntry(name: String(rest), kind: .directory)) }
            }
            return entries
        }
    }

    func status(atPath path: String, generation: Int) throws -> FileStatus? {
        try state.withLock { state in
            try check(state, generation, path)
            if state.directories[path] != nil {
                return FileStatus(sizeBytes: 0, isDirectory: true, modificationTimeNanoseconds: 0)
            }
            let (directory, name) = Self.split(path)
            guard let number = state.directories[directory]?.volatile[name], let inode = state.inodes[number] else { return nil }
            return FileStatus(sizeBytes: Int64(inode.volatile.count), isDirectory: false,
                              modificationTimeNanoseconds: inode.modificationTimeNanoseconds)
        }
    }

    func openFile(atPath path: String, mode: FileOpenMode, generation: Int) throws -> any OpenFile {
        let (directoryPath, name) = Self.split(path)
        let number = try state.withLock { state -> Int in
            try check(state, generation, path)
            guard var directory = state.directories[directoryPath] else { throw ioError("open", path, ENOENT) }
            if let existing = directory.volatile[name] {
                switch mode {
                case .createNew: throw ioError("open", path, EEXIST)
                case .createOrTruncate:
                    state.inodes[existing]!.volatile = []
                    state.inodes[existing]!.pending.append(.truncate(size: 0))
                case .readOnly, .readWrite: break
                }
                return existing
            }
            guard mode == .createNew || mode == .createOrTruncate else { throw ioError("open", path, ENOENT) }
            let number = state.nextInode
            state.nextInode += 1
            state.inodes[number] = Inode(modificationTimeNanoseconds: state.clockNanoseconds)
            directory.volatile[name] = number
            directory.pending.append(.link(name: name, inode: number))
            state.directories[directoryPath] = directory
            return number
        }
        return SimulatedFile(fileSystem: self, inode: number, generation: generation, path: path)
    }

    func rename(atPath source: String, toPath destination: String, generation: Int) throws {
        let (sourceDirectory, sourceName) = Self.split(source)
        let (destinationDirectory, destinationName) = Self.split(destination)
        precondition(sourceDirectory == destinationDirectory, "the simulation renames within a directory")
        try state.withLock { state in
            try check(state, generation, source)
            guard var directory = state.directories[sourceDirectory], let number = directory.volatile[sourceName] else {
                throw ioError("rename", source, ENOENT)
            }
            directory.volatile[sourceName] = nil
            directory.volatile[destinationName] = number
            directory.pending.append(.link(name: destinationName, inode: number))
            directory.pending.append(.unlink(name: sourceName))
            state.directories[sourceDirectory] = directory
        }
    }

    func removeFile(atPath path: String, generation: Int) throws {
        let (directoryPath, name) = Self.split(path)
        try state.withLock { state in
            try check(state, generation, path)
            guard var directory = state.directories[directoryPath], directory.volatile[name] != nil else {
                throw ioError("unlink", path, ENOENT)
            }
            directory.volatile[name] = nil
            directory.pending.append(.unlink(name: name))
            state.directories[directoryPath] = directory
        }
    }

    func synchronizeDirectory(atPath path: String, generation: Int) throws {
        try state.withLock { state in
            try check(state, generation, path)
            guard var directory = state.directories[path] else { throw ioError("fsync directory", path, ENOENT) }
            directory.durable = directory.volatile
            directory.pending = []
            state.directories[path] = directory
        }
    }

    func lockExclusively(atPath path: String, generation: Int) throws -> (any FileLock)? {
        try state.withLock { state -> (any FileLock)? in
            try check(state, generation, path)
            guard !state.locks.contains(path) else { return nil }
            state.locks.insert(path)
            return SimulatedLock(fileSystem: self, path: path, generation: state.generation)
        }
    }

    // MARK: Files

    func withInode<Result>(_ number: Int, generation: Int, path: String, _ body: (inout Inode, Int64) throws -> Result) throws -> Result {
        try state.withLock { state in
            guard state.generation == generation else { throw ioError("use after crash", path, EIO) }
            state.clockNanoseconds += 1_000
            return try body(&state.inodes[number]!, state.clockNanoseconds)
        }
    }

    func releaseLock(_ path: String, generation: Int) {
        state.withLock { state in
            if state.generation == generation { state.locks.remove(path) }
        }
    }
}

/// What one process sees of a `SimulatedFileSystem`: every call fails once the machine crashed.
struct SimulatedProcessFileSystem: FileSystem {
    let storage: SimulatedFileSystem
    let generation: Int

    func createDirectory(atPath path: String) throws { try storage.createDirectory(atPath: path, generation: generation) }
    func contentsOfDirectory(atPath path: String) throws -> [DirectoryEntry] {
        try storage.contentsOfDirectory(atPath: path, generation: generation)
    }
    func status(atPath path: String) throws -> FileStatus? { try storage.status(atPath: path, generation: generation) }
    func openFile(atPath path: String, mode: FileOpenMode) throws -> any OpenFile {
        try storage.openFile(atPath: path, mode: mode, generation: generation)
    }
    func rename(atPath source: String, toPath destination: String) throws {
        try storage.rename(atPath: source, toPath: destination, generation: generation)
    }
    func removeFile(atPath path: String) throws { try storage.removeFile(atPath: path, generation: generation) }
    func synchronizeDirectory(atPath path: String) throws { try storage.synchronizeDirectory(atPath: path, generation: generation) }
    func lockExclusively(atPath path: String) throws -> (any FileLock)? {
        try storage.lockExclusively(atPath: path, generation: generation)
    }
}

final class SimulatedFile: OpenFile, @unchecked Sendable {
    let fileSystem: SimulatedFileSystem
    let inode: Int
    let generation: Int
    let path: String

    init(fileSystem: SimulatedFileSystem, inode: Int, generation: Int, path: String) {
        self.fileSystem = fileSystem
        self.inode = inode
        self.generation = generation
        self.path = path
    }

    func sizeBytes() throws -> Int64 {
        try fileSystem.withInode(inode, generation: generation, path: path) { inode, _ in Int64(inode.volatile.count) }
    }

    func read(into buffer: UnsafeMutableRawBufferPointer, at position: Int64) throws -> Int {
        try fileSystem.withInode(inode, generation: generation, path: path) { inode, _ in
            let start = min(Int(position), inode.volatile.count)
            let count = min(buffer.count, inode.volatile.count - start)
            inode.volatile.withUnsafeBytes { source in
                buffer.baseAddress!.copyMemory(from: source.baseAddress! + start, byteCount: count)
            }
            return count
        }
    }

    func write(_ first: UnsafeRawBufferPointer, _ second: UnsafeRawBufferPointer, at position: Int64) throws {
        let bytes = Array(first) + Array(second)
        try fileSystem.withInode(inode, generation: generation, path: path) { inode, now in
            var content = inode.volatile
            if content.count < Int(position) + bytes.count {
                content += [UInt8](repeating: 0, count: Int(position) + bytes.count - content.count)
            }
            content.replaceSubrange(Int(position) ..< Int(position) + bytes.count, with: bytes)
            inode.volatile = content
            inode.pending.append(.write(position: Int(position), bytes: bytes))
            inode.modificationTimeNanoseconds = now
        }
    }

    func truncate(toSizeBytes sizeBytes: Int64) throws {
        try fileSystem.withInode(inode, generation: generation, path: path) { inode, _ in
            let size = Int(sizeBytes)
            if inode.volatile.count > size { inode.volatile.removeLast(inode.volatile.count - size) } else {
                inode.volatile += [UInt8](repeating: 0, count: size - inode.volatile.count)
            }
            inode.pending.append(.truncate(size: size))
        }
    }

    func synchronizeData() throws {
        try fileSystem.withInode(inode, generation: generation, path: path) { inode, _ in
            inode.durable = inode.volatile
            inode.pending = []
        }
    }
}

final class SimulatedLock: FileLock, @unchecked Sendable {
    let fileSystem: SimulatedFileSystem
    let path: String
    let generation: Int
    let released = AtomicFlag()

    init(fileSystem: SimulatedFileSystem, path: String, generation: Int) {
        self.fileSystem = fileSystem
        self.path = path
        self.generation = generation
    }

    func unlock() { if released.setOnce() { fileSystem.releaseLock(path, generation: generation) } }
    deinit { unlock() }
}
