/// Reads payload bytes out of a spool's records, checking every record it touches (magic,
/// length, begin offset, checksum) before handing out any of its bytes.
///
/// Used by readers (below the committed head, which is fully written) and by the sealer (a
/// rolled spool). A record that fails its checks is `JournalError.corruptSpool` naming the file,
/// the position and the offset; no byte of it is returned.
struct SpoolCursor {
    let spool: Spool
    /// Reused read buffer.
    private var window: [UInt8] = []

    /// File bytes read at a time. 1 MiB: large sequential reads, one chunk handed out per read.
    static let windowBytes = 1 << 20

    init(spool: Spool) { self.spool = spool }

    /// Up to about `maxBytes` payload bytes from `offset` (at least one record's worth), stopping
    /// before `limit`. `offset` and `limit` lie within the spool and below the committed head.
    /// A defective record ends the read before it: its error is thrown once no checked bytes
    /// precede it.
    mutating func read(from offset: Int64, limit: Int64, maxBytes: Int) throws -> [UInt8] {
        precondition(offset < limit, "empty spool read")
        guard let first = spool.locate(offset), let last = spool.locate(limit - 1) else {
            throw JournalError.inconsistentStore(
                path: spool.path, reason: "offsets \(offset)..<\(limit) are not in this spool [\(spool.begin), \(spool.end))")
        }
        var output: [UInt8] = []
        output.reserveCapacity(Int(min(Int64(maxBytes), limit - offset)))
        var position = first.position
        var expectedBegin = first.begin
        let spanEnd = last.fileEnd
        var recordBytesPending = 0  // set when a record did not fit the window
        while position < spanEnd, output.count < maxBytes, expectedBegin < limit {
            let wanted = max(recordBytesPending, Int(min(spanEnd - position, Int64(Self.windowBytes))))
            if window.count < wanted { window = [UInt8](repeating: 0, count: wanted) }
            let available = try window.withUnsafeMutableBytes { buffer in
                try spool.file.read(into: UnsafeMutableRawBufferPointer(rebasing: buffer[0..<wanted]), at: position)
            }
            recordBytesPending = 0
            var consumed = 0
            do { try window.withUnsafeBytes { raw in
                let buffer = UnsafeRawBufferPointer(rebasing: raw[0..<available])
                while consumed < available, output.count < maxBytes, expectedBegin < limit {
                    let recordPosition = position + Int64(consumed)
                    let header: SpoolRecordHeader
                    switch SpoolRecordHeader.parse(UnsafeRawBufferPointer(rebasing: buffer[consumed...])) {
                    case .success(let parsed): header = parsed
                    case .failure(.truncated) where consumed > 0: return  // the next window starts here
                    case .failure(let defect): throw corrupt(recordPosition, expectedBegin, defect.description)
                    }
                    let recordBytes = SpoolRecordHeader.sizeBytes + Int(header.payloadLength)
                    if consumed + recordBytes > available {
                        if consumed > 0 { return }  // the next window starts at this record
                        if recordPosition + Int64(recordBytes) > spanEnd || available < wanted {
                            throw corrupt(recordPosition, expectedBegin,
                                          "record of \(header.payloadLength) payload bytes is cut short")
                        }
                        recordBytesPending = recordBytes  // larger than the window: read it whole
                        return
                    }
                    guard header.begin == expectedBegin else {
                        throw corrupt(recordPosition, expectedBegin,
                                      "record begins at journal offset \(header.begin), expected \(expectedBegin)")
                    }
                    let payload = UnsafeRawBufferPointer(
                        rebasing: buffer[consumed + SpoolRecordHeader.sizeBytes ..< consumed + recordBytes])
                    guard header.matches(payload: payload) else {
                        throw corrupt(recordPosition, expectedBegin, "checksum mismatch")
                    }
                    let from = Int(max(offset, header.begin) - header.begin)
                    let to = Int(min(limit, header.end) - header.begin)
                    if from < to { output.append(contentsOf: payload[from..<to]) }
                    consumed += recordBytes
                    expectedBegin = header.end
                }
            } } catch where !output.isEmpty {
                return output  // hand out the records checked so far; the next read meets the error
            }
            if consumed == 0 && recordBytesPending == 0 {
                throw corrupt(position, expectedBegin, "no record could be read")
            }
            position += Int64(consumed)
        }
        return output
    }

    private func corrupt(_ position: Int64, _ offset: Int64, _ reason: String) -> JournalError {
        .corruptSpool(path: spool.path, position: position, offset: offset, reason: reason)
    }
}
