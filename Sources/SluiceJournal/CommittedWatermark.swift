import Synchronization

/// The committed head, published for readers in other processes.
///
/// Readers in the appending process ask the journal, which only shows committed (durable)
/// appends. A process that opens the journal read-only sees the spool file, where appends
/// appear as soon as they are written, before their fdatasync. So the appender keeps
/// `@journal/committed` up to date: 8 bytes, the committed head as a UInt64 little-endian,
/// rewritten (never fsynced: it only matters while the appender lives) after each commit.
/// A read-only opener that finds the journal locked shows content up to that offset only; one
/// that finds it unlocked (no appender) fdatasyncs the spools itself and shows everything.
final class CommittedWatermark: Sendable {
    static let fileName = "committed"

    private let file: any OpenFile
    /// The value last written (only larger values are written, so concurrent commits never
    /// move it back).
    private let written: Mutex<Int64>

    init(directory: String, fileSystem: any FileSystem, head: Int64) throws {
        file = try fileSystem.openFile(atPath: directory + "/" + Self.fileName, mode: .createOrTruncate)
        written = Mutex(-1)
        publish(head)
    }

    /// Records that everything before `offset` is committed.
    func publish(_ offset: Int64) {
        written.withLock { written in
            guard offset > written else { return }
            var little = UInt64(bitPattern: offset).littleEndian
            let stored = withUnsafeBytes(of: &little) { bytes in (try? file.write(bytes, at: 0)) != nil }
            if stored { written = offset }
        }
    }

    /// The published head in `directory`, or nil when there is none.
    static func read(directory: String, fileSystem: any FileSystem) -> Int64? {
        guard let file = try? fileSystem.openFile(atPath: directory + "/" + fileName, mode: .readOnly) else { return nil }
        var value: UInt64 = 0
        let count = withUnsafeMutableBytes(of: &value) { (try? file.read(into: $0, at: 0)) ?? 0 }
        guard count == 8 else { return nil }
        let offset = Int64(bitPattern: UInt64(littleEndian: value))
        return offset >= 0 ? offset : nil
    }
}
