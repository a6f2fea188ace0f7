/// What a scan of a spool file found: its valid records, and what follows them.
struct SpoolScan: Sendable, Equatable {
    /// Journal offset after the last valid record.
    var end: Int64
    /// Bytes of the file held by valid records.
    var validSizeBytes: Int64
    var recordBegins: [Int64]
    /// The size of the whole file.
    var fileSizeBytes: Int64
    /// Why the bytes after the valid records are not a record, when there are such bytes.
    var tailDefect: String?

    var droppedBytes: Int64 { fileSizeBytes - validSizeBytes }

    static func empty(begin: Int64) -> SpoolScan {
        SpoolScan(end: begin, validSizeBytes: 0, recordBegins: [], fileSizeBytes: 0, tailDefect: nil)
    }
}

/// Recovery of a spool file after a crash: find its valid records, then decide what the bytes
/// after them are.
///
/// A record that fails its checks ends the valid prefix. If no later valid record proves that
/// the journal had synced past that point (each header carries synced-through), the rest is a
/// tail that was never acknowledged as durable: it is dropped (truncated when writable), and
/// the report says how many bytes. If a later record proves it (the bad record had been
/// fdatasync'ed, hence acknowledged), the bytes were corrupted after commit: recovery refuses
/// with `JournalError.corruptSpool` naming the file, the position and the offset, rather than
/// silently dropping committed appends.
enum SpoolRecovery {
    /// Bytes read at a time while scanning. 4 MiB: large sequential reads, bounded memory.
    static let scanWindowBytes = 4 << 20

    static func scan(_ file: any OpenFile, begin: Int64) throws -> SpoolScan {
        let fileSize = try file.sizeBytes()
        var result = SpoolScan(end: begin, validSizeBytes: 0, recordBegins: [], fileSizeBytes: fileSize, tailDefect: nil)
        var reader = WindowedReader(file: file, fileSizeBytes: fileSize)
        var position: Int64 = 0
        while position < fileSize {
            let outcome = try reader.withRecord(at: position) { header, payload -> String? in
                if header.begin != result.end {
                    return "record begins at journal offset \(header.begin), expected \(result.end)"
                }
                if header.syncedThrough > header.begin {
                    return "record claims offsets synced through \(header.syncedThrough), beyond its own begin \(header.begin)"
                }
                if !header.matches(payload: payload) { return "checksum mismatch" }
                return nil
            }
            switch outcome {
            case .record(let header, nil):
                result.recordBegins.append(header.begin)
                result.end = header.end
                position += Int64(SpoolRecordHeader.sizeBytes) + Int64(header.payloadLength)
                result.validSizeBytes = position
            case .record(_, let defect?), .defect(let defect):
                try refuseIfCommitted(file: file, reader: &reader, defectPosition: position, offset: result.end,
                                      defect: defect)
                result.tailDefect = defect
                return result
            }
        }
        return result
    }

    /// Throws `corruptSpool` when a valid record after `defectPosition` shows that the journal
    /// had synced beyond `offset` (so the defective bytes had been acknowledged).
    private static func refuseIfCommitted(file: any OpenFile, reader: inout WindowedReader, defectPosition: Int64,
                                          offset: Int64, defect: String) throws {
        var candidate = defectPosition + 1
        while let found = try reader.nextMagic(from: candidate) {
            let outcome = try reader.withRecord(at: found) { header, payload -> String? in
                header.matches(payload: payload) ? nil : "checksum mismatch"
            }
            if case .record(let header, nil) = outcome, header.syncedThrough > offset, header.begin >= offset {
                throw JournalError.corruptSpool(
                    path: file.path, position: defectPosition, offset: offset,
                    reason: "\(defect); the record at file position \(found) shows the journal had synced through "
                        + "offset \(header.syncedThrough), so these bytes were committed (refusing to truncate them)")
            }
            candidate = found + 1
        }
    }
}

/// Reads a file through a sliding window, handing out whole records.
struct WindowedReader {
    let file: any OpenFile
    let fileSizeBytes: Int64
    private var window: [UInt8] = []
    private var windowStart: Int64 = 0

    init(file: any OpenFile, fileSizeBytes: Int64) {
        self.file = file
        self.fileSizeBytes = fileSizeBytes
    }

    enum Outcome {
        /// A header parsed and its payload was at hand; the check's verdict (nil = valid).
        case record(SpoolRecordHeader, String?)
        /// No record could be framed at the position.
        case defect(String)
    }

    /// Makes `[position, position + count)` (clipped to the file) available in the window.
    private mutating func load(_ position: Int64, _ count: Int) throws {
        let end = min(position + Int64(count), fileSizeBytes)
        if position >= windowStart, end <= windowStart + Int64(window.count) { return }
        let size = Int(max(end - position, min(Int64(SpoolRecovery.scanWindowBytes), fileSizeBytes - position)))
        window = [UInt8](repeating: 0, count: size)
        let read = try window.withUnsafeMutableBytes { try file.read(into: $0, at: position) }
        window.removeLast(size - read)
        windowStart = position
    }

    /// Frames the record at `position` and runs `check` on it.
    mutating func withRecord(at position: Int64,
                             _ check: (SpoolRecordHeader, UnsafeRawBufferPointer) -> String?) throws -> Outcome {
        try load(position, SpoolRecordHeader.sizeBytes)
        let start = Int(position - windowStart)
        let parsed = window.withUnsafeBytes {
            SpoolRecordHeader.parse(UnsafeRawBufferPointer(rebasing: $0[start...]))
        }
        let header: SpoolRecordHeader
        switch parsed {
        case .failure(let defect): return .defect(defect.description)
        case .success(let value): header = value
        }
        let recordBytes = SpoolRecordHeader.sizeBytes + Int(header.payloadLength)
        guard position + Int64(recordBytes) <= fileSizeBytes else {
            return .defect("record of \(header.payloadLength) payload bytes is cut short by the end of the file at \(fileSizeBytes)")
        }
        try load(position, recordBytes)
        let payloadStart = Int(position - windowStart) + SpoolRecordHeader.sizeBytes
        let verdict = window.withUnsafeBytes {
            check(header, UnsafeRawBufferPointer(rebasing: $0[payloadStart ..< payloadStart + Int(header.payloadLength)]))
        }
        return .record(header, verdict)
    }

    /// The next position at or after `position` holding the record magic, or nil.
    mutating func nextMagic(from position: Int64) throws -> Int64? {
        var position = position
        while position + Int64(SpoolRecordHeader.sizeBytes) <= fileSizeBytes {
            try load(position, SpoolRecovery.scanWindowBytes)
            let start = Int(position - windowStart)
            let found: Int? = window.withUnsafeBytes { bytes in
                var index = start
                while index + 4 <= bytes.count {
                    if bytes.loadUnaligned(fromByteOffset: index, as: UInt32.self) == SpoolRecordHeader.magic.littleEndian {
                        return index
                    }
                    index += 1
                }
                return nil
            }
            if let found { return windowStart + Int64(found) }
            let scanned = Int64(window.count - start)
            guard scanned > 3 else { return nil }
            position += scanned - 3
        }
        return nil
    }
}
