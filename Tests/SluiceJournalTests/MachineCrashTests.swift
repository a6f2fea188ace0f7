import Foundation
import Testing
@testable import SluiceJournal
import SluiceWorkload

/// Machine crashes, simulated through the `FileSystem` seam (`SimulatedFileSystem`): everything
/// not fdatasync'ed (file data) or fsync'ed (directory entries) may be lost, torn, or kept out of
/// order. Random appends (some pipelined), seals and crashes; after each crash the journal is
/// reopened and every acknowledged append must be there, whole, with no partial append visible.
@Suite struct MachineCrashTests {
    /// 16 seeds by default; `SLUICE_MACHINE_CRASH_SEEDS=2000 swift test --filter MachineCrashTests`
    /// runs a longer search. A failing seed becomes a named regression test below.
    static let seeds: [UInt64] = Array(1...UInt64(ProcessInfo.processInfo.environment["SLUICE_MACHINE_CRASH_SEEDS"].flatMap(Int.init) ?? 16))
    static let crashesPerSeed = 6

    /// `[length UInt32][id UInt32][payload]`, the payload a function of (seed, id).
    static func record(seed: UInt64, id: UInt32) -> [UInt8] {
        var random = SplitMix64(seed: seed &* 31 &+ UInt64(id))
        let length = 8 + 1 + random.below(1500)
        var bytes: [UInt8] = []
        for value in [UInt32(length), id] { withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) } }
        while bytes.count < length { bytes.append(UInt8(truncatingIfNeeded: random.next())) }
        return bytes
    }

    @Test(arguments: seeds)
    func acknowledgedAppendsSurviveMachineCrashes(_ seed: UInt64) async throws {
        var random = SplitMix64(seed: seed)
        let fileSystem = SimulatedFileSystem()
        let clock = ManualClock(wallClockNanoseconds: 1_700_000_000 * 1_000_000_000)
        let policy: FsyncPolicy = random.below(2) == 0 ? .always : .groupCommit
        let codec: [FragmentCodec] = [.none, .lz4, .zstd(level: 1)]
        let spec = JournalSpec(fragmentLengthBytes: Int64(1024 + random.below(6000)), codec: codec[random.below(3)],
                               fsyncPolicy: policy)
        let name = try JournalName("sim/journal")
        var acknowledged: [UInt32: Range<Int64>] = [:]
        var nextID: UInt32 = 0
        var recovered = RecoveryReport()
        for cycle in 0...Self.crashesPerSeed {
            let context = "seed \(seed) cycle \(cycle) (\(policy.rawValue), \(spec.codec), fragments of \(spec.fragmentLengthBytes))"
            // A fresh process after each crash: the previous one's background work is dead.
            let directory = JournalDataDirectory(path: "/data", fileSystem: fileSystem.process(), clock: clock)
            let journal = try directory.open(name, createWith: spec)
            recovered.droppedTails += journal.recoveryReport.droppedTails
            recovered.resumedSeals += journal.recoveryReport.resumedSeals
            recovered.removedSpools += journal.recoveryReport.removedSpools
            recovered.removedTemporaries += journal.recoveryReport.removedTemporaries

            // Check: whole records only, each intact, every acknowledged one at its place.
            let content = try await readAll(journal)
            #expect(content.jumps.isEmpty, "\(context): jumps \(content.jumps)")
            #expect(journal.head == Int64(content.bytes.count), "\(context)")
            var position = 0
            var present: [UInt32: Range<Int64>] = [:]
            while position < content.bytes.count {
                guard position + 8 <= content.bytes.count else {
                    Issue.record("\(context): partial record header at \(position)")
                    break
                }
                let length = content.bytes[position ..< position + 4].reversed().reduce(0) { $0 << 8 | Int($1) }
                let id = content.bytes[position + 4 ..< position + 8].reversed().reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
                guard length > 8, position + length <= content.bytes.count,
                      content.bytes[position ..< position + length].elementsEqual(Self.record(seed: seed, id: id)) else {
                    Issue.record("\(context): damaged or partial record at \(position)")
                    break
                }
                present[id] = Int64(position) ..< Int64(position + length)
                position += length
            }
            for (id, range) in acknowledged.sorted(by: { $0.key < $1.key }) {
                #expect(present[id] == range, "\(context): acknowledged append \(id) at \(range) is \(String(describing: present[id]))")
            }
            acknowledged = present.filter { acknowledged[$0.key] != nil }.merging(acknowledged) { kept, _ in kept }
            if cycle == Self.crashesPerSeed { break }

            // Work, then crash without closing.
            var pending: [(UInt32, PendingAppend)] = []
            for _ in 0 ..< 5 + random.below(60) {
                switch random.below(20) {
                case 0..<12:
                    let id = nextID
                    nextID += 1
                    pending.append((id, try await journal.write(Self.record(seed: seed, id: id))))
                case 12..<17:
                    for (id, append) in pending {
                        try await append.committed()
                        acknowledged[id] = append.range
                    }
                    pending = []
                case 17:
                    try await journal.seal()
                case 18:
                    clock.advance(seconds: 1)
                default:
                    await Task.yield()
                }
            }
            fileSystem.crash(seed: random.next())
        }
        print("machine crashes (seed \(seed)): \(Self.crashesPerSeed) crashes, \(acknowledged.count) acknowledged appends; "
              + "recovery dropped \(recovered.droppedTails.count) torn tails, resumed \(recovered.resumedSeals.count) seals, "
              + "removed \(recovered.removedTemporaries.count) temporaries and \(recovered.removedSpools.count) sealed spools")
    }
}
