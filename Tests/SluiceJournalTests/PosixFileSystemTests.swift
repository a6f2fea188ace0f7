import Foundation
import Testing
@testable import SluiceJournal

@Suite struct PosixFileSystemTests {
    @Test func filesDirectoriesAndLocks() throws {
        let temporary = TemporaryDirectory("posix")
        defer { temporary.remove() }
        let fileSystem = PosixFileSystem()
        let nested = temporary.path + "/a/b/c"
        try fileSystem.createDirectory(atPath: nested)
        try fileSystem.createDirectory(atPath: nested)  // exists: fine
        #expect(try fileSystem.status(atPath: nested)?.isDirectory == true)
        #expect(try fileSystem.status(atPath: nested + "/missing") == nil)

        let file = try fileSystem.openFile(atPath: nested + "/f", mode: .createNew)
        try Array("head".utf8).withUnsafeBytes { head in
            try Array("-payload".utf8).withUnsafeBytes { payload in try file.write(head, payload, at: 0) }
        }
        #expect(try file.sizeBytes() == 12)
        var buffer = [UInt8](repeating: 0, count: 20)
        #expect(try buffer.withUnsafeMutableBytes { try file.read(into: $0, at: 2) } == 10)
        #expect(String(decoding: buffer.prefix(10), as: UTF8.self) == "ad-payload")
        try file.truncate(toSizeBytes: 4)
        try file.synchronizeData()
        #expect(try fileSystem.status(atPath: nested + "/f")?.sizeBytes == 4)
        #expect(throws: JournalError.io(operation: "open", path: nested + "/f", errorNumber: EEXIST)) {
            try fileSystem.openFile(atPath: nested + "/f", mode: .createNew)
        }
        try fileSystem.rename(atPath: nested + "/f", toPath: nested + "/g")
        try fileSystem.synchronizeDirectory(atPath: nested)
        #expect(try fileSystem.contentsOfDirectory(atPath: nested) == [DirectoryEntry(name: "g", kind: .file)])
        try fileSystem.removeFile(atPath: nested + "/g")
        #expect(try fileSystem.contentsOfDirectory(atPath: nested).isEmpty)

        let lock = try #require(try fileSystem.lockExclusively(atPath: temporary.path + "/lock"))
        #expect(try fileSystem.lockExclusively(atPath: temporary.path + "/lock") == nil)
        lock.unlock()
        lock.unlock()  // twice is harmless
        #expect(try fileSystem.lockExclusively(atPath: temporary.path + "/lock") != nil)
    }
}
