import Synchronization

/// The spool: the journal's open fragment, a local file of `SpoolRecordHeader`-framed appends
/// covering journal offsets `[begin, end)`.
///
/// Invariants: the file is a sequence of valid records with no gap in offsets, from `begin` to
/// `end`, and nothing after them (recovery truncates a torn tail before a `Spool` exists).
/// Records are only ever appended, by the one writer the journal lets in at a time; readers
/// read records below the journal's committed head concurrently, through `SpoolCursor`.
/// A rolled spool is immutable and read until its sealed fragment replaces it.
final class Spool: Sendable {
    let begin: Int64
    let file: any OpenFile
    var path: String { file.path }
    /// Guards what the writer changes and readers consult.
    private let state: Mutex<State>

    private struct State {
        var end: Int64
        var fileSizeBytes: Int64
        /// The journal offset of each record's first payload byte, ascending. Record `i` starts
        /// at file position `(recordBegins[i] - begin) + i * SpoolRecordHeader.sizeBytes`.
        var recordBegins: [Int64]
        /// Wall time of the first append (or of recovery), for flush intervals.
        var firstAppendNanoseconds: Int64?
    }

    /// `spool-<begin:016x>.spool`.
    static func fileName(begin: Int64) -> String { "spool-" + Hex.sixteenDigits(UInt64(begin)) + ".spool" }

    /// The begin offset in a spool file name, or nil when `name` is not one.
    static func begin(fromFileName name: String) -> Int64? {
        guard name.hasPrefix("spool-"), name.hasSuffix(".spool"), name.utf8.count == 6 + 16 + 6 else { return nil }
        let digits = name.dropFirst(6).prefix(16)
        guard digits.allSatisfy({ $0.isHexDigit && !$0.isUppercase }), let value = UInt64(digits, radix: 16),
              value <= UInt64(Int64.max) else { return nil }
        return Int64(value)
    }

    /// A spool over a recovered (or new, empty) file.
    init(begin: Int64, file: any OpenFile, scan: SpoolScan, nowNanoseconds: Int64) {
        self.begin = begin
        self.file = file
        state = Mutex(State(end: scan.end, fileSizeBytes: scan.validSizeBytes, recordBegins: scan.recordBegins,
                            firstAppendNanoseconds: scan.recordBegins.isEmpty ? nil : nowNanoseconds))
    }

    /// Creates an empty spool file beginning at `begin` in `directory`.
    static func create(in directory: String, begin: Int64, fileSystem: any FileSystem) throws -> Spool {
        let file = try fileSystem.openFile(atPath: directory + "/" + fileName(begin: begin), mode: .createNew)
        return Spool(begin: begin, file: file, scan: SpoolScan.empty(begin: begin), nowNanoseconds: 0)
    }

    var end: Int64 { state.withLock { $0.end } }
    var lengthBytes: Int64 { end - begin }
    var fileSizeBytes: Int64 { state.withLock { $0.fileSizeBytes } }
    var recordCount: Int { state.withLock { $0.recordBegins.count } }
    var firstAppendNanoseconds: Int64? { state.withLock { $0.firstAppendNanoseconds } }

    /// Writes one record holding `payload`. The caller serializes appends (the journal's append
    /// lock). On a failed write the file is cut back to its previous size; if that fails too,
    /// the error says so and the caller must stop appending.
    func append(_ payload: UnsafeRawBufferPointer, syncedThrough: Int64, nowNanoseconds: Int64) throws -> Range<Int64> {
        let (recordBegin, position) = state.withLock { ($0.end, $0.fileSizeBytes) }
        let header = SpoolRecordHeader(payload: payload, begin: recordBegin, syncedThrough: syncedThrough)
        do {
            try withUnsafeTemporaryAllocation(byteCount: SpoolRecordHeader.sizeBytes, alignment: 8) { buffer in
                header.store(into: buffer)
                try file.write(UnsafeRawBufferPointer(buffer), payload, at: position)
            }
        } catch {
            do {
                try file.truncate(toSizeBytes: position)
            } catch {
                throw SpoolWriteFailure.unrecoverable(error as? JournalError ?? .io(operation: "truncate", path: path, errorNumber: 0))
            }
            throw SpoolWriteFailure.recovered(error as? JournalError ?? .io(operation: "write", path: path, errorNumber: 0))
        }
        let recordEnd = recordBegin + Int64(payload.count)
        state.withLock { state in
            state.recordBegins.append(recordBegin)
            state.end = recordEnd
            state.fileSizeBytes = position + Int64(SpoolRecordHeader.sizeBytes + payload.count)
            if state.firstAppendNanoseconds == nil { state.firstAppendNanoseconds = nowNanoseconds }
        }
        return recordBegin ..< recordEnd
    }

    /// Where the record holding `offset` lies, or nil when `offset` is outside `[begin, end)`.
    func locate(_ offset: Int64) -> RecordLocation? {
        state.withLock { state in
            guard offset >= begin, offset < state.end else { return nil }
            // The last record whose begin is at or before `offset`.
            var low = 0
            var high = state.recordBegins.count
            while high - low > 1 {
                let middle = (low + high) / 2
                if state.recordBegins[middle] <= offset { low = middle } else { high = middle }
            }
            let recordBegin = state.recordBegins[low]
            let recordEnd = low + 1 < state.recordBegins.count ? state.recordBegins[low + 1] : state.end
            let position = (recordBegin - begin) + Int64(low) * Int64(SpoolRecordHeader.sizeBytes)
            return RecordLocation(position: position, begin: recordBegin, end: recordEnd)
        }
    }

    struct RecordLocation: Equatable {
        /// File position of the record's header.
        var position: Int64
        /// Journal offsets of the record's payload.
        var begin: Int64
        var end: Int64
        var fileEnd: Int64 { position + Int64(SpoolRecordHeader.sizeBytes) + (end - begin) }
    }
}

/// How a spool write failed.
enum SpoolWriteFailure: Error {
    /// Nothing of the record remains; the spool is as before.
    case recovered(JournalError)
    /// The spool may hold part of the record; the journal must stop appending.
    case unrecoverable(JournalError)
}
