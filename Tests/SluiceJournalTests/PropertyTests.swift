import Foundation
import Testing
@testable import SluiceJournal
import SluiceWorkload

/// Seeded random appends, reads, seals, prunes and reopens, checked against an in-memory model
/// of the journal's content. A failure prints its seed and step; pin it as a named regression
/// test below.
@Suite struct PropertyTests {
    static let seeds: [UInt64] = [1, 2, 3, 4, 5, 6, 7, 8, 0xBADC0FFEE, 0x5EED_5EED]
    static let steps = 400

    @Test(arguments: seeds)
    func journalMatchesModel(_ seed: UInt64) async throws {
        try await Self.run(seed: seed, steps: Self.steps)
    }

    static func run(seed: UInt64, steps: Int) async throws {
        var random = SplitMix64(seed: seed)
        let temporary = TemporaryDirectory("property")
        defer { temporary.remove() }
        let codecs: [FragmentCodec] = [.none, .lz4, .zstd(level: 1 + random.below(5))]
        let policies: [FsyncPolicy] = [.always, .groupCommit, .none]
        var spec = JournalSpec(fragmentLengthBytes: Int64(1024 + random.below(8192)), codec: codecs[random.below(3)],
                               fsyncPolicy: policies[random.below(3)])
        spec.retentionBytes = 0
        let name = try JournalName("property/\(seed)")
        var journal = try temporary.dataDirectory.open(name, createWith: spec)
        var model: [UInt8] = []
        var firstOffset: Int64 = 0  // below it, content was pruned
        for step in 0..<steps {
            let context = "seed \(seed) step \(step) (\(spec.codec), \(spec.fsyncPolicy.rawValue), fragments of \(spec.fragmentLengthBytes))"
            switch random.below(100) {
            case 0..<45:  // append, sometimes with an expected offset, sometimes a wrong one
                let bytes = seededBytes(count: random.below(3) == 0 ? random.below(20) : random.below(3000),
                                        seed: random.next())
                let expectation = random.below(4)
                if expectation == 0 {
                    let wrong = Int64(model.count) + 1 + Int64(random.below(10))
                    await #expect(throws: JournalError.unexpectedOffset(expected: wrong, head: Int64(model.count)), "\(context)") {
                        try await journal.append(bytes, expectedOffset: wrong)
                    }
                } else {
                    let range = try await journal.append(bytes, expectedOffset: expectation == 1 ? Int64(model.count) : nil)
                    #expect(range == Int64(model.count) ..< Int64(model.count + bytes.count), "\(context)")
                    model += bytes
                }
            case 45..<75:  // read a random range
                let from = Int64(random.below(model.count + 1))
                let to = from + Int64(random.below(model.count - Int(from) + 1))
                let read = try await readAll(journal, from: from, to: to)
                let expectedFrom = max(from, firstOffset)
                let expected = expectedFrom < to ? Array(model[Int(expectedFrom) ..< Int(to)]) : []
                #expect(read.bytes == expected, "\(context): read \(from)..<\(to)")
                if from < firstOffset && from < to {
                    #expect(read.jumps.count == 1 && read.jumps.first?.0 == from, "\(context): jumps \(read.jumps)")
                } else {
                    #expect(read.jumps.isEmpty, "\(context): jumps \(read.jumps)")
                }
            case 75..<82:  // seal
                try await journal.seal()
                #expect(journal.spools.last?.begin == Int64(model.count), "\(context)")
            case 82..<87:  // prune keeping a random number of bytes
                let keep = max(1, Int64(random.below(model.count + 1)))
                let before = journal.firstOffset
                let dropped = try journal.prune(retentionBytes: keep)
                #expect(dropped.first.map { $0.begin == before } ?? true, "\(context): prunes the oldest first")
                if let last = dropped.last {
                    #expect(journal.firstOffset == last.end, "\(context)")
                    #expect(Int64(model.count) - last.end >= keep, "\(context): the newest \(keep) bytes stay")
                } else {
                    #expect(journal.firstOffset == before, "\(context)")
                }
                firstOffset = journal.firstOffset
            case 87..<97:  // close and reopen
                await journal.close()
                journal = try temporary.dataDirectory.open(name)
                #expect(journal.recoveryReport.droppedTails.isEmpty, "\(context): \(journal.recoveryReport.lines)")
                #expect(journal.head == Int64(model.count), "\(context)")
                #expect(journal.firstOffset == firstOffset, "\(context)")
            default:  // a blocked reader sees the next append
                let reader = try journal.read(from: -1, blocking: true)
                let bytes = seededBytes(count: 1 + random.below(500), seed: random.next())
                let received = Task { () -> [UInt8] in
                    var got: [UInt8] = []
                    for try await item in reader {
                        if case .chunk(let chunk) = item { got += chunk.bytes }
                        if got.count >= bytes.count { break }
                    }
                    return got
                }
                try await journal.append(bytes)
                model += bytes
                #expect(try await received.value == bytes, "\(context): tailing reader")
            }
            #expect(journal.head == Int64(model.count), "\(context)")
        }
        let all = try await readAll(journal, from: firstOffset)
        #expect(all.bytes.count == model.count - Int(firstOffset) && all.bytes == Array(model[Int(firstOffset)...]),
                "seed \(seed): final content")
        await journal.close()
    }
}
