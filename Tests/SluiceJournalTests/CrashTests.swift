import Foundation
import Testing
@testable import SluiceJournal
import SluiceWorkload

/// Crash tests: `sluice-torture` appends until it is killed with SIGKILL at a random moment;
/// the journal is then reopened and checked: every acknowledged append is present and intact,
/// no partial append is visible, and offsets continue. Each directory goes through several
/// kill-and-recover cycles (epochs), under `always` and under group commit, with fragments small
/// enough that kills also land while spools roll and seal.
@Suite struct CrashTests {
    static let seed: UInt64 = 0xC4A5_11ED
    /// Directories per policy, and kill cycles per directory: 2 × 15 × 2 = 60 kills by default;
    /// `SLUICE_TORTURE_DIRECTORIES=500 swift test --filter CrashTests` runs a longer torture.
    static let directoriesPerPolicy = ProcessInfo.processInfo.environment["SLUICE_TORTURE_DIRECTORIES"].flatMap(Int.init) ?? 15
    static let cyclesPerDirectory = 2

    /// The torture binary, built next to the test bundle (`make test` builds every product).
    static func tortureBinary() throws -> String {
        var candidates: [String] = []
        let bundleFolder = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        candidates.append(bundleFolder.appendingPathComponent("sluice-torture").path)
        candidates.append(bundleFolder.deletingLastPathComponent().appendingPathComponent("sluice-torture").path)
        let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        candidates.append(packageRoot.appendingPathComponent(".build/debug/sluice-torture").path)
        for candidate in candidates where FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        Issue.record("sluice-torture is not built (looked in \(candidates)); run `swift build` (make test does)")
        throw CancellationError()
    }

    struct Acknowledgement: Hashable {
        var epoch: UInt32
        var producer: UInt32
        var index: UInt32
        var range: Range<Int64>
    }

    /// Runs sluice-torture until SIGKILL after `killAfterMilliseconds`; returns its acknowledgements.
    static func runTorture(binary: String, dataDirectory: String, policy: FsyncPolicy, epoch: UInt32,
                           killAfterMilliseconds: Int) throws -> [Acknowledgement] {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = [dataDirectory, "test/torture", policy.rawValue, String(seed), String(epoch), "3", "65536", "lz4"]
        let output = Pipe()
        let errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        // Wait until it opened the journal (recovery done), then let it append a while.
        let reader = output.fileHandleForReading
        var collected = Data()
        let openDeadline = Date().addingTimeInterval(20)
        while !collected.contains(0x0A), Date() < openDeadline, process.isRunning {
            collected.append(reader.availableData)
        }
        usleep(UInt32(killAfterMilliseconds * 1000))
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        collected.append(reader.readDataToEndOfFile())
        let errorText = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(process.terminationReason == .uncaughtSignal, "sluice-torture exited early: \(errorText)")
        var acknowledgements: [Acknowledgement] = []
        let text = String(decoding: collected, as: UTF8.self)
        // Only complete lines count: a line cut by the kill was not fully acknowledged.
        for line in text.split(separator: "\n", omittingEmptySubsequences: true).dropLast(text.hasSuffix("\n") ? 0 : 1) {
            let fields = line.split(separator: " ")
            guard fields.first == "ack", fields.count == 6 else { continue }
            acknowledgements.append(Acknowledgement(
                epoch: UInt32(fields[1])!, producer: UInt32(fields[2])!, index: UInt32(fields[3])!,
                range: Int64(fields[4])! ..< Int64(fields[5])!))
        }
        return acknowledgements
    }

    /// Parses journal content into torture records, checking each one whole.
    static func parseRecords(_ bytes: [UInt8]) throws -> [Acknowledgement] {
        var records: [Acknowledgement] = []
        var position = 0
        while position < bytes.count {
            guard position + 16 <= bytes.count else {
                Issue.record("partial record header at offset \(position)")
                break
            }
            func field(_ at: Int) -> UInt32 {
                bytes[position + at ..< position + at + 4].reversed().reduce(0) { $0 << 8 | UInt32($1) }
            }
            let length = Int(field(0))
            let (epoch, producer, index) = (field(4), field(8), field(12))
            guard length >= 17, position + length <= bytes.count else {
                Issue.record("partial record at offset \(position): length \(length), \(bytes.count - position) bytes left")
                break
            }
            let expected = TortureRecordMirror.bytes(seed: seed, epoch: epoch, producer: producer, index: index)
            #expect(Array(bytes[position ..< position + length]) == expected,
                    "record at offset \(position) (epoch \(epoch) producer \(producer) index \(index)) is damaged")
            records.append(Acknowledgement(epoch: epoch, producer: producer, index: index,
                                           range: Int64(position) ..< Int64(position + length)))
            position += length
        }
        return records
    }

    @Test(arguments: [FsyncPolicy.always, .groupCommit])
    func killedAppendsLoseNothingAcknowledged(_ policy: FsyncPolicy) async throws {
        let binary = try Self.tortureBinary()
        var random = SplitMix64(seed: Self.seed ^ (policy == .always ? 1 : 2))
        var totalAcknowledged = 0
        var recoveries = RecoveryReport()
        for directoryIndex in 0..<Self.directoriesPerPolicy {
            let temporary = TemporaryDirectory("crash")
            defer { temporary.remove() }
            var acknowledged: [Acknowledgement] = []
            for cycle in 1...Self.cyclesPerDirectory {
                let delay = 5 + random.below(120)
                let context = "policy \(policy.rawValue), directory \(directoryIndex), cycle \(cycle), kill after \(delay) ms"
                acknowledged += try Self.runTorture(binary: binary, dataDirectory: temporary.path, policy: policy,
                                                    epoch: UInt32(cycle), killAfterMilliseconds: delay)
                let journal = try temporary.dataDirectory.open(JournalName("test/torture"))
                recoveries.droppedTails += journal.recoveryReport.droppedTails
                recoveries.resumedSeals += journal.recoveryReport.resumedSeals
                recoveries.removedTemporaries += journal.recoveryReport.removedTemporaries
                recoveries.removedSpools += journal.recoveryReport.removedSpools
                let content = try await readAll(journal)
                #expect(content.jumps.isEmpty, "\(context): jumps \(content.jumps)")
                let records = try Self.parseRecords(content.bytes)
                let present = Set(records)
                for acknowledgement in acknowledged {
                    #expect(present.contains(acknowledgement), "\(context): acknowledged append \(acknowledgement) is missing")
                }
                // Each producer's records form a prefix 0, 1, 2, … of its appends (sequential).
                for epoch in 1...UInt32(cycle) {
                    for producer in 0..<UInt32(3) {
                        let indices = records.filter { $0.epoch == epoch && $0.producer == producer }.map(\.index).sorted()
                        #expect(indices == Array(0 ..< UInt32(indices.count)), "\(context): producer \(producer) has a hole")
                    }
                }
                // Offsets continue where the recovered content ends.
                let head = journal.head
                #expect(head == Int64(content.bytes.count))
                await journal.close()
            }
            totalAcknowledged += acknowledged.count
        }
        #expect(totalAcknowledged > 0, "no append was ever acknowledged: the kills came too early")
        print("crash tests (\(policy.rawValue)): \(Self.directoriesPerPolicy * Self.cyclesPerDirectory) kills, "
              + "\(totalAcknowledged) acknowledged appends checked; recovery dropped \(recoveries.droppedTails.count) torn "
              + "tails (\(recoveries.droppedBytes) bytes), resumed \(recoveries.resumedSeals.count) seals, removed "
              + "\(recoveries.removedTemporaries.count) temporaries and \(recoveries.removedSpools.count) sealed spools")
    }

    @Test func appendsContinueAfterRecovery() async throws {
        let binary = try Self.tortureBinary()
        let temporary = TemporaryDirectory("crash-continue")
        defer { temporary.remove() }
        _ = try Self.runTorture(binary: binary, dataDirectory: temporary.path, policy: .groupCommit, epoch: 1,
                                killAfterMilliseconds: 60)
        let journal = try temporary.dataDirectory.open(JournalName("test/torture"))
        let head = journal.head
        let record = TortureRecordMirror.bytes(seed: Self.seed, epoch: 9, producer: 0, index: 0)
        #expect(try await journal.append(record) == head ..< head + Int64(record.count))
        await journal.close()
        let reopened = try temporary.dataDirectory.open(JournalName("test/torture"))
        let records = try Self.parseRecords(try await readAll(reopened).bytes)
        #expect(records.last == Acknowledgement(epoch: 9, producer: 0, index: 0, range: head ..< head + Int64(record.count)))
        await reopened.close()
    }
}

/// The records of sluice-torture (Sources/sluice-torture), mirrored: the test cannot import an
/// executable.
enum TortureRecordMirror {
    static func bytes(seed: UInt64, epoch: UInt32, producer: UInt32, index: UInt32) -> [UInt8] {
        var random = SplitMix64(seed: seed ^ UInt64(epoch) << 48 ^ UInt64(producer) << 32 ^ UInt64(index))
        let length = 16 + 1 + random.below(6000)
        var bytes: [UInt8] = []
        bytes.reserveCapacity(length)
        for value in [UInt32(length), epoch, producer, index] {
            withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
        }
        while bytes.count < length {
            let value = random.next()
            withUnsafeBytes(of: value) { bytes.append(contentsOf: $0.prefix(length - bytes.count)) }
        }
        return bytes
    }
}
