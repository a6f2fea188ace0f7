import Foundation
import Testing
@testable import SluiceJournal

/// Flipped bytes and truncations in sealed fragments and spools give errors naming the file and
/// the position or offset; bytes that fail a check are never returned.
@Suite struct CorruptionTests {
    /// A journal with one sealed fragment of about 3 MiB (several frames), closed.
    static func sealedJournal(_ temporary: TemporaryDirectory, codec: FragmentCodec) async throws -> (JournalName, [UInt8], String) {
        let name = try JournalName("test/corrupt")
        let journal = try temporary.dataDirectory.open(name, createWith: testSpec(codec, fragmentLengthBytes: 64 << 20))
        var content: [UInt8] = []
        for index in 0..<3 {
            // Text-like, compressible content: lines of seeded words.
            var text = ""
            var random = SluiceWorkloadRandom(seed: UInt64(index))
            while text.utf8.count < (1 << 20) + 1000 { text += "line \(random.next() % 100_000) of the test\n" }
            let bytes = Array(text.utf8)
            try await journal.append(bytes)
            content += bytes
        }
        try await journal.seal()
        let fragment = try #require(journal.fragments.first)
        await journal.close()
        return (name, content, journal.store.path(of: fragment.name))
    }

    /// Reads from 0, returning the bytes yielded before the error (and the error).
    static func readUntilError(_ journal: Journal) async -> ([UInt8], (any Error)?) {
        var bytes: [UInt8] = []
        do {
            for try await item in try journal.read(from: 0) {
                if case .chunk(let chunk) = item { bytes += chunk.bytes }
            }
        } catch {
            return (bytes, error)
        }
        return (bytes, nil)
    }

    @Test(arguments: [FragmentCodec.lz4, .zstd(level: 1)])
    func flippedByteInACompressedFragment(_ codec: FragmentCodec) async throws {
        let temporary = TemporaryDirectory("corrupt")
        defer { temporary.remove() }
        let (name, content, path) = try await Self.sealedJournal(temporary, codec: codec)
        let size = fileSize(path)
        for position in [size / 2, size - 2, 5] {
            let original = try Data(contentsOf: URL(fileURLWithPath: path))
            try flipByte(atPath: path, position: position)
            let journal = try temporary.dataDirectory.open(name, readOnly: true)
            let (bytes, error) = await Self.readUntilError(journal)
            #expect(bytes.elementsEqual(content.prefix(bytes.count)), "a corrupt byte was served (flip at \(position))")
            guard case .corruptFragment(let errorPath, let errorPosition?, let offset?, _) = error as? JournalError else {
                Issue.record("flip at \(position): expected corruptFragment, got \(String(describing: error))")
                continue
            }
            #expect(errorPath == path)
            #expect(errorPosition <= position, "the frame holding the flip starts at or before it")
            #expect(offset == Int64(bytes.count), "the error names the offset where served bytes stop")
            try original.write(to: URL(fileURLWithPath: path))
        }
    }

    @Test(arguments: [FragmentCodec.lz4, .zstd(level: 1), .none])
    func truncatedFragment(_ codec: FragmentCodec) async throws {
        let temporary = TemporaryDirectory("truncated")
        defer { temporary.remove() }
        let (name, content, path) = try await Self.sealedJournal(temporary, codec: codec)
        truncateFile(path, to: fileSize(path) * 2 / 3)
        let journal = try temporary.dataDirectory.open(name, readOnly: true)
        let (bytes, error) = await Self.readUntilError(journal)
        #expect(bytes.elementsEqual(content.prefix(bytes.count)))
        guard case .corruptFragment(let errorPath, _, _, let reason) = error as? JournalError else {
            Issue.record("expected corruptFragment, got \(String(describing: error))")
            return
        }
        #expect(errorPath == path)
        #expect(reason.contains("cut short") || reason.contains("the name says"), "\(reason)")
    }

    @Test func flippedByteInARawFragmentServesNothingOfIt() async throws {
        let temporary = TemporaryDirectory("corrupt-raw")
        defer { temporary.remove() }
        let (name, _, path) = try await Self.sealedJournal(temporary, codec: .none)
        try flipByte(atPath: path, position: 12_345)
        let journal = try temporary.dataDirectory.open(name, readOnly: true)
        let (bytes, error) = await Self.readUntilError(journal)
        #expect(bytes.isEmpty)
        guard case .corruptFragment(let errorPath, nil, 0, let reason) = error as? JournalError else {
            Issue.record("expected corruptFragment, got \(String(describing: error))")
            return
        }
        #expect(errorPath == path && reason.contains("SHA-1"))
        #expect((error as? JournalError)?.description.hasPrefix("corrupt fragment \(path) at journal offset 0: SHA-1 of the content is") == true)
    }

    @Test func flippedByteInTheSpoolOfAnOpenJournal() async throws {
        let temporary = TemporaryDirectory("corrupt-spool")
        defer { temporary.remove() }
        let journal = try temporary.dataDirectory.open(JournalName("test/spool"), createWith: testSpec(fsync: .always))
        for index in 0..<4 { try await journal.append(seededBytes(count: 1000, seed: UInt64(index))) }
        let spoolPath = try #require(journal.spools.last?.path)
        try flipByte(atPath: spoolPath, position: 2 * 1032 + 40)  // inside the third record
        let (bytes, error) = await Self.readUntilError(journal)
        #expect(bytes.count == 2000 && bytes == seededBytes(count: 1000, seed: 0) + seededBytes(count: 1000, seed: 1))
        #expect(error as? JournalError == .corruptSpool(path: spoolPath, position: 2064, offset: 2000, reason: "checksum mismatch"))
        await journal.close()

        // Reopening refuses: the fourth record proves the third had been synced (committed).
        #expect(throws: JournalError.self) { try temporary.dataDirectory.open(JournalName("test/spool")) }
        do {
            _ = try temporary.dataDirectory.open(JournalName("test/spool"))
        } catch let error as JournalError {
            guard case .corruptSpool(spoolPath, 2064, 2000, let reason) = error else {
                Issue.record("unexpected \(error)")
                return
            }
            #expect(reason.hasPrefix("checksum mismatch; the record at file position 3096 shows"))
        }
    }

    @Test func tornTailOfTheSpoolIsDroppedAndReported() async throws {
        let temporary = TemporaryDirectory("torn")
        defer { temporary.remove() }
        let name = try JournalName("test/torn")
        let journal = try temporary.dataDirectory.open(name, createWith: testSpec(fsync: .groupCommit))
        for index in 0..<3 { try await journal.append(seededBytes(count: 500, seed: UInt64(index))) }
        let spoolPath = try #require(journal.spools.last?.path)
        await journal.close()
        truncateFile(spoolPath, to: fileSize(spoolPath) - 100)  // cut into the last record
        let reopened = try temporary.dataDirectory.open(name)
        #expect(reopened.recoveryReport.droppedTails == [RecoveryReport.DroppedTail(
            path: spoolPath, position: 1064, offset: 1000, droppedBytes: 432,
            reason: "record of 500 payload bytes is cut short by the end of the file at 1496")])
        #expect(reopened.recoveryReport.lines == [
            "recovery: dropped 432 bytes of torn tail from \(spoolPath) at file position 1064 (journal offset 1000): "
                + "record of 500 payload bytes is cut short by the end of the file at 1496"])
        #expect(reopened.head == 1000)
        #expect(fileSize(spoolPath) == 1064)
        #expect(try await reopened.append([1]) == 1000..<1001)
        await reopened.close()
    }

    @Test func staleTemporariesAndSealedSpoolsAreCleanedOnOpen() async throws {
        let temporary = TemporaryDirectory("stale")
        defer { temporary.remove() }
        let name = try JournalName("test/stale")
        let journal = try temporary.dataDirectory.open(name, createWith: testSpec(.lz4))
        try await journal.append(Array("sealed content\n".utf8))
        let spoolPath = try #require(journal.spools.last?.path)
        let spoolCopy = try Data(contentsOf: URL(fileURLWithPath: spoolPath))
        try await journal.seal()
        try await journal.append(Array("more\n".utf8))
        await journal.close()
        // As if a crash came after the rename but before the spool's removal, and mid-seal.
        try spoolCopy.write(to: URL(fileURLWithPath: spoolPath))
        let temporaryName = journal.directory + "/fragments/0000000000000000-0000000000000010.lz4.tmp"
        try Data("partial".utf8).write(to: URL(fileURLWithPath: temporaryName))
        try Data("notes".utf8).write(to: URL(fileURLWithPath: journal.directory + "/fragments/README"))
        let reopened = try temporary.dataDirectory.open(name)
        #expect(reopened.recoveryReport.removedTemporaries == ["0000000000000000-0000000000000010.lz4.tmp"])
        #expect(reopened.recoveryReport.removedSpools == [URL(fileURLWithPath: spoolPath).lastPathComponent])
        #expect(reopened.recoveryReport.ignoredEntries == ["README"])
        #expect(String(decoding: try await readAll(reopened).bytes, as: UTF8.self) == "sealed content\nmore\n")
        #expect(!FileManager.default.fileExists(atPath: temporaryName))
        await reopened.close()
    }
}

/// SplitMix64 under a local name (the workload's generator).
typealias SluiceWorkloadRandom = SluiceWorkload.SplitMix64
import SluiceWorkload
