import Foundation
import Testing
import Synchronization
@testable import SluiceJournal
import SluiceWorkload

/// A fresh directory under the system's temporary folder, removed by `remove()`.
struct TemporaryDirectory {
    let path: String

    init(_ label: String = "journal") {
        let base = FileManager.default.temporaryDirectory.path
        path = base + "/sluice-test-\(label)-\(UUID().uuidString.prefix(8))"
        try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    func remove() { try? FileManager.default.removeItem(atPath: path) }

    var dataDirectory: JournalDataDirectory { JournalDataDirectory(path: path) }
}

/// Deterministic bytes for tests.
func seededBytes(count: Int, seed: UInt64) -> [UInt8] {
    var random = SplitMix64(seed: seed)
    var bytes = [UInt8]()
    bytes.reserveCapacity(count)
    while bytes.count < count {
        let value = random.next()
        withUnsafeBytes(of: value) { bytes.append(contentsOf: $0.prefix(count - bytes.count)) }
    }
    return bytes
}

/// Reads every chunk from `offset` to the head (non-blocking) and returns the bytes and jumps.
func readAll(_ journal: Journal, from offset: Int64 = 0, to end: Int64? = nil) async throws
    -> (bytes: [UInt8], jumps: [(Int64, Int64)]) {
    var bytes: [UInt8] = []
    var jumps: [(Int64, Int64)] = []
    var expected = offset == -1 ? journal.head : offset
    for try await item in try journal.read(from: offset, to: end) {
        switch item {
        case .chunk(let chunk):
            precondition(chunk.begin == expected, "chunk at \(chunk.begin), expected \(expected)")
            bytes += chunk.bytes
            expected = chunk.end
        case .jump(let from, let to):
            jumps.append((from, to))
            expected = to
        }
    }
    return (bytes, jumps)
}

/// A small spec for tests: small fragments, the given codec and policy.
func testSpec(_ codec: FragmentCodec = .zstd(level: 1), fsync: FsyncPolicy = .groupCommit,
              fragmentLengthBytes: Int64 = 64 << 10) -> JournalSpec {
    JournalSpec(fragmentLengthBytes: fragmentLengthBytes, codec: codec, fsyncPolicy: fsync)
}

/// Wraps a file system and counts data syncs (to observe group commit).
final class CountingFileSystem: FileSystem {
    let base = PosixFileSystem()
    let syncs = Atomic<Int>(0)

    func createDirectory(atPath path: String) throws { try base.createDirectory(atPath: path) }
    func contentsOfDirectory(atPath path: String) throws -> [DirectoryEntry] { try base.contentsOfDirectory(atPath: path) }
    func status(atPath path: String) throws -> FileStatus? { try base.status(atPath: path) }
    func openFile(atPath path: String, mode: FileOpenMode) throws -> any OpenFile {
        CountingFile(base: try base.openFile(atPath: path, mode: mode), owner: self)
    }
    func rename(atPath source: String, toPath destination: String) throws { try base.rename(atPath: source, toPath: destination) }
    func removeFile(atPath path: String) throws { try base.removeFile(atPath: path) }
    func synchronizeDirectory(atPath path: String) throws { try base.synchronizeDirectory(atPath: path) }
    func lockExclusively(atPath path: String) throws -> (any FileLock)? { try base.lockExclusively(atPath: path) }
}

final class CountingFile: OpenFile {
    let base: any OpenFile
    let owner: CountingFileSystem

    init(base: any OpenFile, owner: CountingFileSystem) {
        self.base = base
        self.owner = owner
    }

    var path: String { base.path }
    func sizeBytes() throws -> Int64 { try base.sizeBytes() }
    func read(into buffer: UnsafeMutableRawBufferPointer, at position: Int64) throws -> Int { try base.read(into: buffer, at: position) }
    func write(_ first: UnsafeRawBufferPointer, _ second: UnsafeRawBufferPointer, at position: Int64) throws {
        try base.write(first, second, at: position)
    }
    func truncate(toSizeBytes sizeBytes: Int64) throws { try base.truncate(toSizeBytes: sizeBytes) }
    func synchronizeData() throws {
        owner.syncs.add(1, ordering: .relaxed)
        try base.synchronizeData()
    }
}

/// Overwrites one byte of a file with its complement.
func flipByte(atPath path: String, position: Int64) throws {
    let handle = try #require(FileHandle(forUpdatingAtPath: path))
    defer { try? handle.close() }
    try handle.seek(toOffset: UInt64(position))
    let byte = try #require(try handle.read(upToCount: 1)).first!
    try handle.seek(toOffset: UInt64(position))
    try handle.write(contentsOf: [~byte])
}

func fileSize(_ path: String) -> Int64 {
    ((try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? NSNumber)?.int64Value ?? -1
}

func truncateFile(_ path: String, to size: Int64) {
    precondition(Foundation.truncate(path, off_t(size)) == 0)
}

func directoryEntries(_ path: String) -> [String] {
    ((try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []).sorted()
}
