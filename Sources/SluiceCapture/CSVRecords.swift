/// One CSV record: its cells' bytes (unescaped) laid end to end, and where each cell ends.
struct CSVRecord {
    var bytes: [UInt8] = []
    var cellEnds: [Int] = []
    var cellQuoted: [Bool] = []

    var cellCount: Int { cellEnds.count }

    func withCell<Result>(_ index: Int, _ body: (UnsafeRawBufferPointer, Bool) throws -> Result) rethrows -> Result {
        let start = index == 0 ? 0 : cellEnds[index - 1]
        return try bytes.withUnsafeBytes { try body(UnsafeRawBufferPointer(rebasing: $0[start..<cellEnds[index]]), cellQuoted[index]) }
    }

    func cellText(_ index: Int) -> String { withCell(index) { bytes, _ in String(decoding: bytes, as: UTF8.self) } }

    /// A record of one empty unquoted cell: a blank line.
    var isBlank: Bool { cellEnds == [0] && cellQuoted == [false] }

    mutating func reset() {
        bytes.removeAll(keepingCapacity: true)
        cellEnds.removeAll(keepingCapacity: true)
        cellQuoted.removeAll(keepingCapacity: true)
    }
}

/// A CSV stream that cannot be split into records.
struct CSVError: Error, Equatable, CustomStringConvertible {
    let line: Int
    let message: String
    var description: String { "line \(line): \(message)" }
}

/// Splits bytes into CSV records (RFC 4180: `,` between cells, `"` quotes a cell, `""` is a
/// quote inside one, quoted cells may hold newlines; records end at `\n`, a `\r` before it is
/// dropped), across buffer boundaries. Blank lines are skipped. Reports each record with the
/// line it starts on, and how many bytes of each buffer ended complete records (positions).
struct CSVRecordSplitter {
    private enum State { case cellStart, unquoted, quoted, quoteInQuoted }

    /// A record larger than this is an error: 64 MiB bounds the memory one record takes while
    /// being assembled, as for JSON lines.
    static let recordBytesMax = 64 << 20

    private var state = State.cellStart
    private var record = CSVRecord()
    /// Physical line of the next byte (1-based).
    private(set) var line: Int
    /// Physical lines through the end of the last complete record (blank lines included).
    private(set) var completedLines: Int
    /// Line the record being assembled started on.
    private var recordLine: Int
    /// True when the record being assembled holds anything (a byte, a cell, a quote).
    private var recordStarted = false

    init(firstLine: Int = 1) {
        line = firstLine
        recordLine = firstLine
        completedLines = firstLine - 1
    }

    /// Feeds a buffer; calls `body` with each complete record and its first line. Returns the
    /// number of bytes of `buffer` through the end of the last complete record (0 if none ended).
    mutating func feed(_ buffer: UnsafeRawBufferPointer, _ body: (CSVRecord, Int) throws -> Void) throws -> Int {
        var consumedThrough = 0
        for index in 0..<buffer.count {
            let byte = buffer[index]
            switch state {
            case .cellStart:
                switch byte {
                case 0x22: state = .quoted; recordStarted = true; markQuoted()
                case 0x2C: endCell(); recordStarted = true
                case 0x0A: try endRecord(body); consumedThrough = index + 1
                case 0x0D: break
                default: record.bytes.append(byte); state = .unquoted; recordStarted = true
                }
            case .unquoted:
                switch byte {
                case 0x2C: endCell(); state = .cellStart
                case 0x0A: try endRecord(body); consumedThrough = index + 1
                case 0x0D: break
                default: record.bytes.append(byte)
                }
            case .quoted:
                if byte == 0x22 {
                    state = .quoteInQuoted
                } else {
                    if byte == 0x0A { line += 1 }
                    record.bytes.append(byte)
                }
            case .quoteInQuoted:
                switch byte {
                case 0x22: record.bytes.append(0x22); state = .quoted
                case 0x2C: endCell(); state = .cellStart
                case 0x0A: try endRecord(body); consumedThrough = index + 1
                case 0x0D: break
                default:
                    throw CSVError(line: line, message: "a quoted cell must end at its closing quote, found \"\(String(decoding: [byte], as: UTF8.self))\" after it")
                }
            }
            if record.bytes.count > Self.recordBytesMax {
                throw CSVError(line: recordLine, message: "a record longer than \(Self.recordBytesMax) bytes")
            }
        }
        return consumedThrough
    }

    /// Ends the stream: a last record without a newline is reported; a quoted cell left open is
    /// an error.
    mutating func finish(_ body: (CSVRecord, Int) throws -> Void) throws {
        if state == .quoted { throw CSVError(line: recordLine, message: "a quoted cell is not closed before the end of the file") }
        if recordStarted || !record.bytes.isEmpty { try endRecord(body) }
    }

    /// True when bytes of an unfinished record are held.
    var hasPartialRecord: Bool { recordStarted || !record.bytes.isEmpty || state != .cellStart }

    private mutating func markQuoted() {
        // The quote flag of the cell being assembled: set when its first byte is a quote.
        pendingQuoted = true
    }

    private var pendingQuoted = false

    private mutating func endCell() {
        record.cellEnds.append(record.bytes.count)
        record.cellQuoted.append(pendingQuoted)
        pendingQuoted = false
    }

    private mutating func endRecord(_ body: (CSVRecord, Int) throws -> Void) throws {
        endCell()
        let first = recordLine
        line += 1
        recordLine = line
        completedLines = line - 1
        state = .cellStart
        recordStarted = false
        defer { record.reset() }
        if !record.isBlank { try body(record, first) }
    }
}
