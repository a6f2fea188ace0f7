// Spool recovery: a journal whose spool file holds arbitrary bytes (a valid spool, damaged by
// the input: bytes overwritten, the file cut) must open with a recovery report or fail with a
// clear error; what it then serves must be a prefix of what was appended, never other bytes.
import FuzzDriver
import Foundation
import SluiceJournal

let base = "/dev/shm/sluice-fuzz-spool-\(getpid())"
let name = try! JournalName("fuzz/spool")
/// The appended bytes: records of 1…40 bytes.
let appended: [[UInt8]] = (0..<40).map { index in (0..<(1 + index % 40)).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ index) } }
let pristine: [UInt8] = {
    let directory = base + "-pristine"
    try? FileManager.default.removeItem(atPath: directory)
    let data = JournalDataDirectory(path: directory)
    let journal = try! data.open(name, createWith: JournalSpec(fragmentLengthBytes: 1 << 30, codec: .none, fsyncPolicy: .none))
    let semaphore = DispatchSemaphore(value: 0)
    Task.detached {
        for record in appended { _ = try! await journal.append(record) }
        await journal.close()
        semaphore.signal()
    }
    semaphore.wait()
    let spool = try! data.directory(of: name) + "/spool-0000000000000000.spool"
    return Array(FileManager.default.contents(atPath: spool)!)
}()
let expected: [UInt8] = appended.flatMap { $0 }

@main
enum FuzzSpool {
    static func main() {
        FuzzDriver.run { data, size in
            guard let data, size >= 2 else { return 0 }
            // The input: a cut position, then (offset, byte) pairs to overwrite.
            var spool = pristine
            let cut = Int(data[0]) << 8 | Int(data[1])
            if cut < spool.count { spool.removeLast(spool.count - cut) }
            var index = 2
            while index + 2 < size {
                let offset = (Int(data[index]) << 8 | Int(data[index + 1])) % max(spool.count, 1)
                if offset < spool.count { spool[offset] = data[index + 2] }
                index += 3
            }
            let directory = base + "-case"
            try? FileManager.default.removeItem(atPath: directory)
            let dataDirectory = JournalDataDirectory(path: directory)
            let journal = try! dataDirectory.open(name, createWith: JournalSpec(fragmentLengthBytes: 1 << 30, codec: .none, fsyncPolicy: .none))
            let path = try! dataDirectory.directory(of: name) + "/spool-0000000000000000.spool"
            let semaphore = DispatchSemaphore(value: 0)
            Task.detached {
                await journal.close()
                FileManager.default.createFile(atPath: path, contents: Data(spool))
                if let reopened = try? dataDirectory.open(name) {
                    var served: [UInt8] = []
                    if let reader = try? reopened.read(from: 0) {
                        do {
                            for try await item in reader { if case .chunk(let chunk) = item { served += chunk.bytes } }
                        } catch {}
                    }
                    precondition(served.count <= expected.count && Array(expected.prefix(served.count)) == served,
                                 "recovery served bytes that were never appended")
                    await reopened.close()
                }
                semaphore.signal()
            }
            semaphore.wait()
            return 0
        }
    }
}
