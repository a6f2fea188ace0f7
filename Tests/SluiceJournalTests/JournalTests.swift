import Foundation
import Testing
@testable import SluiceJournal

@Suite struct JournalTests {
    @Test(arguments: [FsyncPolicy.always, .groupCommit, .none])
    func appendsReturnTheirRangesAndReadBack(_ policy: FsyncPolicy) async throws {
        let temporary = TemporaryDirectory()
        defer { temporary.remove() }
        let name = try JournalName("test/appends")
        let journal = try temporary.dataDirectory.open(name, createWith: testSpec(fsync: policy))
        #expect(journal.head == 0)
        #expect(try await journal.append(Array("hello\n".utf8)) == 0..<6)
        #expect(try await journal.append(Array("world\n".utf8)) == 6..<12)
        #expect(try await journal.append([]) == 12..<12)
        #expect(journal.head == 12)
        let all = try await readAll(journal)
        #expect(String(decoding: all.bytes, as: UTF8.self) == "hello\nworld\n")
        #expect(all.jumps.isEmpty)
        #expect(String(decoding: try await readAll(journal, from: 3, to: 8).bytes, as: UTF8.self) == "lo\nwo")
        await journal.close()
    }

    @Test func expectedOffsetMustMatchTheHead() async throws {
        let temporary = TemporaryDirectory()
        defer { temporary.remove() }
        let journal = try temporary.dataDirectory.open(JournalName("test/expected"), createWith: testSpec())
        #expect(try await journal.append([1, 2, 3], expectedOffset: 0) == 0..<3)
        await #expect(throws: JournalError.unexpectedOffset(expected: 0, head: 3)) {
            try await journal.append([4], expectedOffset: 0)
        }
        #expect(try await journal.append([4], expectedOffset: 3) == 3..<4)
        await journal.close()
    }

    @Test func appendSizeLimit() async throws {
        let temporary = TemporaryDirectory()
        defer { temporary.remove() }
        let journal = try temporary.dataDirectory.open(JournalName("test/limit"), createWith: testSpec())
        let tooLarge = [UInt8](repeating: 0x41, count: Journal.appendBytesMax + 1)
        await #expect(throws: JournalError.appendTooLarge(bytes: Journal.appendBytesMax + 1, limit: Journal.appendBytesMax)) {
            try await journal.append(tooLarge)
        }
        let largest = [UInt8](repeating: 0x42, count: Journal.appendBytesMax)
        #expect(try await journal.append(largest) == 0..<Int64(Journal.appendBytesMax))
        #expect(journal.head == Int64(Journal.appendBytesMax))
        await journal.close()
    }

    @Test func readOffsetsAreChecked() async throws {
        let temporary = TemporaryDirectory()
        defer { temporary.remove() }
        let journal = try temporary.dataDirectory.open(JournalName("test/offsets"), createWith: testSpec())
        try await journal.append(Array("abc".utf8))
        #expect(throws: JournalError.offsetBeyondHead(offset: 4, head: 3)) { try journal.read(from: 4) }
        #expect(throws: JournalError.invalidOffset(-2, reason: "offsets are -1 (the head) or above")) {
            try journal.read(from: -2)
        }
        #expect(throws: JournalError.invalidOffset(1, reason: "the end is before the begin offset 2")) {
            try journal.read(from: 2, to: 1)
        }
        #expect(try journal.read(from: -1).begin == 3)
        #expect(try await readAll(journal, from: -1).bytes.isEmpty)
        #expect(try await readAll(journal, from: 3).bytes.isEmpty)
        await journal.close()
    }

    @Test func blockingReadWakesOnCommit() async throws {
        let temporary = TemporaryDirectory()
        defer { temporary.remove() }
        let journal = try temporary.dataDirectory.open(JournalName("test/tail"), createWith: testSpec())
        try await journal.append(Array("before".utf8))
        let reader = try journal.read(from: -1, blocking: true)
        let received = Task {
            var bytes: [UInt8] = []
            for try await item in reader {
                if case .chunk(let chunk) = item { bytes += chunk.bytes }
                if bytes.count >= 10 { break }
            }
            return bytes
        }
        try await Task.sleep(for: .milliseconds(20))
        try await journal.append(Array("after".utf8))
        try await journal.append(Array("wards".utf8))
        #expect(String(decoding: try await received.value, as: UTF8.self) == "afterwards")
        await journal.close()
    }

    @Test func blockingReadEndsOnCloseAndOnCancel() async throws {
        let temporary = TemporaryDirectory()
        defer { temporary.remove() }
        let journal = try temporary.dataDirectory.open(JournalName("test/tail-end"), createWith: testSpec())
        let reader = try journal.read(from: 0, blocking: true)
        let cancelled = Task { () -> Int in
            var count = 0
            for try await _ in reader { count += 1 }
            return count
        }
        try await Task.sleep(for: .milliseconds(10))
        cancelled.cancel()
        #expect(try await cancelled.value == 0)
        let closed = Task { () -> Int in
            var count = 0
            for try await _ in reader { count += 1 }
            return count
        }
        try await Task.sleep(for: .milliseconds(10))
        await journal.close()
        #expect(try await closed.value == 0)
        await #expect(throws: JournalError.journalClosed(name: "test/tail-end")) { try await journal.append([1]) }
    }

    @Test(arguments: [FragmentCodec.none, .lz4, .zstd(level: 3)])
    func sealsAndReadsAcrossFragmentsAndSpool(_ codec: FragmentCodec) async throws {
        let temporary = TemporaryDirectory()
        defer { temporary.remove() }
        let name = try JournalName("test/seal")
        let journal = try temporary.dataDirectory.open(name, createWith: testSpec(codec, fragmentLengthBytes: 4096))
        var model: [UInt8] = []
        for index in 0..<200 {
            let bytes = seededBytes(count: 1 + index * 7 % 300, seed: UInt64(index))
            let range = try await journal.append(bytes)
            #expect(range.lowerBound == Int64(model.count))
            model += bytes
        }
        try await journal.seal()
        #expect(journal.fragments.count > 5)
        #expect(journal.fragments.allSatisfy { $0.name.encoding == FragmentEncoding(codec) })
        try await journal.append(Array("tail".utf8))
        model += Array("tail".utf8)
        #expect(try await readAll(journal).bytes == model)
        for from in [0, 1, 4095, 4096, 4097, 10_000, model.count - 4] {
            #expect(try await readAll(journal, from: Int64(from)).bytes == Array(model[from...]))
        }
        #expect(try await readAll(journal, from: 100, to: 9000).bytes == Array(model[100..<9000]))
        await journal.close()

        // Reopen: the index comes from the listing, the spool from its records.
        let reopened = try temporary.dataDirectory.open(name)
        #expect(reopened.recoveryReport.isClean)
        #expect(reopened.head == Int64(model.count))
        #expect(try await readAll(reopened).bytes == model)
        #expect(try await reopened.append([1]) == Int64(model.count) ..< Int64(model.count + 1))
        await reopened.close()
    }

    @Test func persistedSpecWinsOnReopen() async throws {
        let temporary = TemporaryDirectory()
        defer { temporary.remove() }
        let name = try JournalName("test/spec")
        let spec = JournalSpec(fragmentLengthBytes: 1 << 20, codec: .lz4, fsyncPolicy: .always, retentionBytes: 99)
        let journal = try temporary.dataDirectory.open(name, createWith: spec)
        #expect(journal.spec == spec)
        await journal.close()
        #expect(try temporary.dataDirectory.open(name, createWith: JournalSpec()).spec == spec)
        let stored = try String(contentsOfFile: journal.directory + "/spec.json", encoding: .utf8)
        #expect(stored.contains(#""codec":"lz4""#) && stored.contains(#""fsyncPolicy":"always""#))
    }

    @Test func concurrentAppendsShareSyncsUnderGroupCommit() async throws {
        let temporary = TemporaryDirectory()
        defer { temporary.remove() }
        let fileSystem = CountingFileSystem()
        let directory = JournalDataDirectory(path: temporary.path, fileSystem: fileSystem)
        let journal = try directory.open(JournalName("test/group"), createWith: testSpec(fragmentLengthBytes: 64 << 20))
        let before = fileSystem.syncs.load(ordering: .relaxed)
        let appends = 400
        let ranges = try await withThrowingTaskGroup(of: Range<Int64>.self) { group in
            for index in 0..<appends {
                group.addTask { try await journal.append(seededBytes(count: 100, seed: UInt64(index))) }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        let syncs = fileSystem.syncs.load(ordering: .relaxed) - before
        #expect(Set(ranges.map(\.lowerBound)).count == appends)
        #expect(ranges.allSatisfy { $0.count == 100 })
        #expect(journal.head == Int64(appends * 100))
        #expect(syncs >= 1 && syncs < appends, "\(syncs) fdatasyncs for \(appends) concurrent appends")
        await journal.close()
    }

    @Test func pipelinedWritesCommitInOrder() async throws {
        let temporary = TemporaryDirectory()
        defer { temporary.remove() }
        let journal = try temporary.dataDirectory.open(JournalName("test/pipeline"), createWith: testSpec())
        var pending: [PendingAppend] = []
        for index in 0..<50 { pending.append(try await journal.write([UInt8(index)])) }
        #expect(pending.map(\.range.lowerBound) == (0..<50).map { Int64($0) })
        for append in pending { try await append.committed() }
        #expect(try await readAll(journal).bytes == (0..<50).map { UInt8($0) })
        await journal.close()
    }

    @Test func flushIntervalSealsAtUTCBoundaries() async throws {
        let temporary = TemporaryDirectory()
        defer { temporary.remove() }
        let clock = ManualClock(wallClockNanoseconds: 1_700_000_000 * 1_000_000_000 + 10 * 1_000_000_000)  // :10 past a minute? aligned below
        let directory = JournalDataDirectory(path: temporary.path, clock: clock)
        var spec = testSpec(fragmentLengthBytes: 1 << 20)
        spec.flushIntervalSeconds = 60
        let journal = try directory.open(JournalName("test/flush"), createWith: spec)
        let start = clock.wallClockNanoseconds() / 1_000_000_000
        clock.set(wallClockNanoseconds: (start - start % 60 + 1) * 1_000_000_000)  // 1 s into a minute
        try await journal.append([1])
        clock.advance(seconds: 58)  // same minute
        try await journal.append([2])
        await journal.sealer?.barrier()
        #expect(journal.fragments.isEmpty)
        clock.advance(seconds: 2)  // next minute: the next append seals what came before
        try await journal.append([3])
        await journal.sealer?.barrier()
        #expect(journal.fragments.map { [$0.begin, $0.end] } == [[0, 2]])
        #expect(try await readAll(journal).bytes == [1, 2, 3])
        await journal.close()
    }

    @Test func retentionDropsOldFragmentsAndReadsReportTheJump() async throws {
        let temporary = TemporaryDirectory()
        defer { temporary.remove() }
        let clock = ManualClock(wallClockNanoseconds: SystemClock().wallClockNanoseconds())
        let directory = JournalDataDirectory(path: temporary.path, clock: clock)
        var spec = testSpec(.lz4, fragmentLengthBytes: 1024)
        spec.retentionBytes = 3000
        let name = try JournalName("test/retention")
        let journal = try directory.open(name, createWith: spec)
        var model: [UInt8] = []
        for index in 0..<10 {
            let bytes = seededBytes(count: 1024, seed: UInt64(index))
            model += bytes
            try await journal.append(bytes)
            try await journal.seal()
        }
        // The last 3000 bytes are always kept: fragments [7168, 8192) onward (head 10240).
        #expect(journal.firstOffset == 7168)
        let read = try await readAll(journal)
        #expect(read.jumps.count == 1 && read.jumps[0] == (0, 7168))
        #expect(read.bytes == Array(model[7168...]))
        await journal.close()

        // By age: everything sealed more than an hour ago goes, the spool never.
        var aged = spec
        aged.retentionBytes = 0
        aged.retentionAgeSeconds = 3600
        let ageName = try JournalName("test/retention-age")
        let byAge = try directory.open(ageName, createWith: aged)
        try await byAge.append([1, 2, 3])
        try await byAge.seal()
        try await byAge.append([4])
        #expect(try byAge.prune().isEmpty)
        clock.advance(seconds: 7200)  // the seal's file time is real time: leave room for a slow test machine
        #expect(try byAge.prune().map { [$0.begin, $0.end] } == [[0, 3]])
        #expect(byAge.fragments.isEmpty && byAge.head == 4)
        let ageRead = try await readAll(byAge)
        #expect(ageRead.bytes == [4] && ageRead.jumps.count == 1 && ageRead.jumps[0] == (0, 3))
        await byAge.close()
    }

    @Test func aSecondWriterIsRefusedAndReadOnlyOpeningWorks() async throws {
        let temporary = TemporaryDirectory()
        defer { temporary.remove() }
        let name = try JournalName("test/lock")
        let journal = try temporary.dataDirectory.open(name, createWith: testSpec())
        try await journal.append(Array("shared".utf8))
        #expect(throws: JournalError.journalLocked(name: "test/lock", lockPath: journal.directory + "/lock")) {
            try temporary.dataDirectory.open(name)
        }
        let reader = try temporary.dataDirectory.open(name, readOnly: true)
        #expect(try await readAll(reader).bytes == Array("shared".utf8))
        await #expect(throws: JournalError.readOnly(name: "test/lock", operation: "append")) { try await reader.append([1]) }
        #expect(throws: JournalError.self) { try reader.read(from: 0, blocking: true) }
        await journal.close()
        let again = try temporary.dataDirectory.open(name)  // the lock was released
        await again.close()
    }

    @Test func otherProcessesSeeOnlyCommittedAppends() async throws {
        let temporary = TemporaryDirectory()
        defer { temporary.remove() }
        let name = try JournalName("test/watermark")
        let journal = try temporary.dataDirectory.open(name, createWith: testSpec())
        try await journal.append(Array("committed\n".utf8))
        // A record written to the spool but not (yet) committed, as between a write and its sync.
        let spoolPath = try #require(journal.spools.last?.path)
        let extra = Array("written, not synced\n".utf8)
        let header = extra.withUnsafeBytes { SpoolRecordHeader(payload: $0, begin: 10, syncedThrough: 10) }
        let handle = try #require(FileHandle(forUpdatingAtPath: spoolPath))
        try handle.seekToEnd()
        try handle.write(contentsOf: header.bytes + extra)
        try handle.close()
        let whileAppending = try temporary.dataDirectory.open(name, readOnly: true)
        #expect(whileAppending.head == 10)
        #expect(try await readAll(whileAppending).bytes == Array("committed\n".utf8))
        #expect(CommittedWatermark.read(directory: journal.directory, fileSystem: PosixFileSystem()) == 10)
        // Without an appender, a reader makes the files durable itself and sees everything.
        await journal.close()
        let afterwards = try temporary.dataDirectory.open(name, readOnly: true)
        #expect(afterwards.head == 10 + Int64(extra.count))
    }
}

@Suite struct JournalFailureTests {
    /// Fails every open of a `.tmp` path (seal temporaries), like a full disk would.
    final class NoTemporariesFileSystem: FileSystem {
        let base = PosixFileSystem()
        func createDirectory(atPath path: String) throws { try base.createDirectory(atPath: path) }
        func contentsOfDirectory(atPath path: String) throws -> [DirectoryEntry] { try base.contentsOfDirectory(atPath: path) }
        func status(atPath path: String) throws -> FileStatus? { try base.status(atPath: path) }
        func openFile(atPath path: String, mode: FileOpenMode) throws -> any OpenFile {
            if path.hasSuffix(".tmp") && !path.hasSuffix("spec.json.tmp") {
                throw JournalError.io(operation: "open", path: path, errorNumber: ENOSPC)
            }
            return try base.openFile(atPath: path, mode: mode)
        }
        func rename(atPath source: String, toPath destination: String) throws { try base.rename(atPath: source, toPath: destination) }
        func removeFile(atPath path: String) throws { try base.removeFile(atPath: path) }
        func synchronizeDirectory(atPath path: String) throws { try base.synchronizeDirectory(atPath: path) }
        func lockExclusively(atPath path: String) throws -> (any FileLock)? { try base.lockExclusively(atPath: path) }
    }

    @Test func aFailedSealIsReportedAndStopsAppendsOnceTheBacklogIsFull() async throws {
        let temporary = TemporaryDirectory("seal-failure")
        defer { temporary.remove() }
        var directory = JournalDataDirectory(path: temporary.path, fileSystem: NoTemporariesFileSystem())
        directory.sealBacklogBytesMax = 4096
        let journal = try directory.open(JournalName("test/full"), createWith: testSpec(fragmentLengthBytes: 1024))
        let temporaryPath = journal.directory + "/fragments/0000000000000000-0000000000000bb8.zst.tmp"
        try await journal.append(seededBytes(count: 3000, seed: 1))
        await #expect(throws: JournalError.io(operation: "open", path: temporaryPath, errorNumber: ENOSPC)) {
            try await journal.seal()
        }
        #expect(journal.sealFailure != nil)
        // The rolled spool is still readable; appends go on until the backlog is full.
        try await journal.append(seededBytes(count: 2000, seed: 2))
        try await journal.append(seededBytes(count: 10, seed: 3))  // rolls: backlog 5000 bytes > 4096
        await #expect(throws: JournalError.io(operation: "open", path: temporaryPath, errorNumber: ENOSPC)) {
            try await journal.append([1])
        }
        #expect(try await readAll(journal).bytes == seededBytes(count: 3000, seed: 1) + seededBytes(count: 2000, seed: 2)
                + seededBytes(count: 10, seed: 3))
        await journal.close()
    }

    @Test func groupCommitDelayGathersAppends() async throws {
        let temporary = TemporaryDirectory("delay")
        defer { temporary.remove() }
        let fileSystem = CountingFileSystem()
        let directory = JournalDataDirectory(path: temporary.path, fileSystem: fileSystem)
        var spec = testSpec(fragmentLengthBytes: 64 << 20)
        spec.groupCommitDelayMicroseconds = 20_000
        let journal = try directory.open(JournalName("test/delay"), createWith: spec)
        let before = fileSystem.syncs.load(ordering: .relaxed)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for index in 0..<100 { group.addTask { try await journal.append(seededBytes(count: 10, seed: UInt64(index))) } }
            try await group.waitForAll()
        }
        let syncs = fileSystem.syncs.load(ordering: .relaxed) - before
        #expect(syncs >= 1 && syncs <= 10, "\(syncs) fdatasyncs for 100 appends with a 20 ms gathering delay")
        #expect(journal.head == 1000)
        await journal.close()
    }
}
