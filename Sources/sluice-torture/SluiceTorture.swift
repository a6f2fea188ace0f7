// sluice-torture: appends seeded, self-describing records to a journal until it is killed,
// printing one acknowledgement line per append that returned (so it was committed). The crash
// tests (Tests/SluiceJournalTests/CrashTests.swift) start it, kill it with SIGKILL at a random
// moment, reopen the journal and check every acknowledged append.
//
//     sluice-torture DATA_DIR JOURNAL POLICY SEED EPOCH PRODUCERS FRAGMENT_BYTES CODEC
//
// Each record is: length UInt32 LE (whole record), epoch UInt32, producer UInt32, index UInt32,
// then `length - 16` bytes of SplitMix64 output seeded by (seed, epoch, producer, index).
// Each acknowledgement is a line `ack EPOCH PRODUCER INDEX BEGIN END`, written with write(2).
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import SluiceJournal
import SluiceWorkload

@main
enum SluiceTorture {
    static func main() async {
        let arguments = CommandLine.arguments
        guard arguments.count == 9, let seed = UInt64(arguments[4]), let epoch = UInt32(arguments[5]),
              let producers = Int(arguments[6]), let fragmentBytes = Int64(arguments[7]),
              let policy = FsyncPolicy(rawValue: arguments[3]) else {
            fail("usage: sluice-torture DATA_DIR JOURNAL always|group|none SEED EPOCH PRODUCERS FRAGMENT_BYTES CODEC")
        }
        do {
            let spec = JournalSpec(fragmentLengthBytes: fragmentBytes, codec: try FragmentCodec(parsing: arguments[8]),
                                   fsyncPolicy: policy)
            let journal = try JournalDataDirectory(path: arguments[1]).open(JournalName(arguments[2]), createWith: spec)
            write(line: "ready \(journal.head)")
            await withTaskGroup(of: Void.self) { group in
                for producer in 0..<UInt32(producers) {
                    group.addTask {
                        var index: UInt32 = 0
                        while true {
                            let record = TortureRecord.bytes(seed: seed, epoch: epoch, producer: producer, index: index)
                            do {
                                let range = try await journal.append(record)
                                write(line: "ack \(epoch) \(producer) \(index) \(range.lowerBound) \(range.upperBound)")
                            } catch {
                                fail("append failed: \(error)")
                            }
                            index += 1
                        }
                    }
                }
            }
        } catch {
            fail("\(error)")
        }
    }

    static func write(line: String) {
        var bytes = Array((line + "\n").utf8)
        var done = 0
        while done < bytes.count {
            let count = bytes.withUnsafeMutableBytes { Glibc.write(1, $0.baseAddress! + done, $0.count - done) }
            if count < 0 { if errno == EINTR { continue }; exit(3) }
            done += count
        }
        bytes.removeAll()
    }

    static func fail(_ message: String) -> Never {
        let text = Array(("sluice-torture: " + message + "\n").utf8)
        _ = text.withUnsafeBytes { Glibc.write(2, $0.baseAddress!, $0.count) }
        exit(2)
    }
}

/// The records sluice-torture appends. Mirrored in the crash tests.
enum TortureRecord {
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
