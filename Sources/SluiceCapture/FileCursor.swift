import Foundation
import Logging
import SluiceCatalog
import SluiceDocument

/// Reads one file of a binding from a position, a chunk at a time, into documents; keeps the
/// position through the last complete line (JSON lines) or record (CSV) it turned into
/// documents. Plain files seek to the position; compressed ones are decoded from their start
/// and the bytes before the position dropped.
final class FileCursor {
    let binding: FilesBinding
    let path: String
    let format: CaptureResource.FileFormat
    let compression: InputCompression
    private(set) var position: FilePosition

    private let file: PlainFile
    private let source: any ByteSource
    private var buffer: [UInt8]
    /// Decoded bytes taken from `source` so far, counted from the file's start.
    private var streamOffset: Int64
    /// Decoded bytes still to drop before parsing (compressed files resuming).
    private var skipBytes: Int64 = 0
    private var lines = JSONLinesSplitter()
    /// Lines before the first byte handed to `lines` / `records`.
    private let lineBase: Int
    private var records: CSVRecordSplitter
    private var columns: CSVColumns?
    private var parser = JSONParser()
    private var builder = DocumentBuilder()

    /// Opens `path` at `stored` (nil: a new file). A stored position whose fingerprint no longer
    /// matches (or, for plain files, that lies past the file's end) means the file was replaced:
    /// it is read from its start, with a warning. Returns nil when there is nothing to read yet
    /// (a CSV file without a complete header row).
    init?(binding: FilesBinding, path: String, stored: FilePosition?, chunkBytes: Int, logger: Logger) throws {
        guard let format = binding.format(of: path) else {
            throw InputError(path: path, message: "cannot tell its format from its extension; set the binding's format (jsonl or csv)")
        }
        self.binding = binding
        self.path = path
        self.format = format
        compression = InputCompression(path: path)
        file = try PlainFile(path: path)
        var information = stat()
        guard stat(path, &information) == 0 else {
            throw InputError(path: path, message: "cannot stat: \(String(cString: strerror(errno)))")
        }
        let size = Int64(information.st_size)
        let prefix = try Self.contentPrefix(file: file, path: path, compression: compression, size: size)
        var position = stored ?? FilePosition()
        if let stored {
            let replaced = prefix.count < stored.prefixBytes
                || FilePosition.fingerprint(Array(prefix[0..<stored.prefixBytes])) != stored.prefixHash
                || (compression == .none && size < stored.offset)
            if replaced {
                logger.warning("a file was replaced since it was read; reading it from its start",
                               metadata: ["file": "\(path)", "previous_offset": "\(stored.offset)"])
                position = FilePosition()
            }
        }
        position.prefixBytes = prefix.count
        position.prefixHash = FilePosition.fingerprint(prefix)

        if format == .csv {
            guard let header = try Self.readHeader(path: path, compression: compression) else { return nil }
            columns = try Self.checked(path) { () throws in try CSVColumns(header: header.record, schema: binding.schema) }
            if position.offset == 0 {
                position.offset = header.endOffset
                position.line = header.lines
            }
        }
        self.position = position
        lineBase = position.line
        records = CSVRecordSplitter(firstLine: position.line + 1)
        buffer = [UInt8](repeating: 0, count: chunkBytes)
        if compression == .none {
            try file.seek(to: position.offset)
            source = file
            streamOffset = position.offset
        } else {
            source = try compression.open(path)
            streamOffset = 0
            skipBytes = position.offset
        }
    }

    /// The first `FilePosition.fingerprintBytesMax` bytes of the file's content: raw for plain
    /// files, decoded for compressed ones (recompressing a grown file changes its raw bytes,
    /// headers included, but not its content's beginning).
    private static func contentPrefix(file: PlainFile, path: String, compression: InputCompression, size: Int64) throws -> [UInt8] {
        let count = FilePosition.fingerprintBytesMax
        guard compression != .none else { return try file.bytes(at: 0, count: Int(min(size, Int64(count)))) }
        let decoder = try compression.open(path)
        var prefix = [UInt8](repeating: 0, count: count)
        var filled = 0
        while filled < count {
            let got = try prefix.withUnsafeMutableBytes { try decoder.read(into: UnsafeMutableRawBufferPointer(rebasing: $0[filled...])) }
            if got == 0 { break }
            filled += got
        }
        prefix.removeLast(count - filled)
        return prefix
    }

    /// Reads the next chunk and appends its documents. Returns false at the end of what the
    /// file holds now (the position is then final for this pass).
    func read(into documents: inout [Document]) throws -> Bool {
        let count = try buffer.withUnsafeMutableBytes { try source.read(into: $0) }
        guard count > 0 else {
            try end(into: &documents)
            return false
        }
        var start = 0
        if skipBytes > 0 {
            start = Int(min(skipBytes, Int64(count)))
            skipBytes -= Int64(start)
            streamOffset += Int64(start)
            if start == count { return true }
        }
        let chunkOffset = streamOffset
        streamOffset += Int64(count - start)
        try buffer.withUnsafeBytes { whole in
            let chunk = UnsafeRawBufferPointer(rebasing: whole[start..<count])
            switch format {
            case .jsonl:
                try feedLines(chunk, into: &documents)
                if let newline = Self.lastNewline(chunk) {
                    position.offset = chunkOffset + Int64(newline) + 1
                    position.line = lineBase + lines.lineNumber - 1
                }
            case .csv:
                let consumed = try feedRecords(chunk, into: &documents)
                if consumed > 0 {
                    position.offset = chunkOffset + Int64(consumed)
                    position.line = records.completedLines
                }
            }
        }
        return true
    }

    /// At the end of the input: a file that is not followed ends here (a last line without a
    /// newline counts); a followed one keeps its unfinished line for later. Compressed input
    /// that ends inside a frame is cut short: an error unless followed (still being written).
    private func end(into documents: inout [Document]) throws {
        if source.endedInsideFrame {
            guard binding.follow else {
                throw InputError(path: path, message: "the \(compression.rawValue) stream ends inside a frame (cut short?) "
                                 + "after \(streamOffset) decoded bytes")
            }
            position.sourceBytes = file.offset
            return
        }
        if !binding.follow {
            switch format {
            case .jsonl:
                try finishLines(into: &documents)
                position.line = lineBase + lines.lineNumber - 1
            case .csv:
                try Self.checked(path) { () throws in
                    try records.finish { record, line in try appendRecord(record, line: line, into: &documents) }
                }
                position.line = records.completedLines
            }
            position.offset = streamOffset
        }
        // The raw size read through: a compressed file is decoded again only once it changes;
        // a followed plain file with an unfinished last line is read again only once it grows.
        position.sourceBytes = compression != .none || file.offset != position.offset ? file.offset : nil
    }

    // MARK: - JSON lines

    /// Index of the last `\n` in `bytes` (a backward scan: it stops within the last line).
    private static func lastNewline(_ bytes: UnsafeRawBufferPointer) -> Int? {
        var index = bytes.count - 1
        while index >= 0 {
            if bytes[index] == 0x0A { return index }
            index -= 1
        }
        return nil
    }

    private func feedLines(_ chunk: UnsafeRawBufferPointer, into documents: inout [Document]) throws {
        do {
            try lines.feed(chunk) { line, number in documents.append(try parseLine(line, number: number)) }
        } catch let error as JSONLinesError {
            throw lineError(error)
        }
    }

    private func finishLines(into documents: inout [Document]) throws {
        do {
            try lines.finish { line, number in documents.append(try parseLine(line, number: number)) }
        } catch let error as JSONLinesError {
            throw lineError(error)
        }
    }

    private func parseLine(_ line: UnsafeRawBufferPointer, number: Int) throws -> Document {
        do {
            return try parser.parse(line)
        } catch {
            throw InputError(path: path, message: "line \(lineBase + number), column \(error.column): \(error.reason.message)")
        }
    }

    private func lineError(_ error: JSONLinesError) -> InputError {
        switch error {
        case .lineTooLong(let line, let limit):
            return InputError(path: path, message: "line \(lineBase + line): longer than \(limit) bytes")
        case .invalidDocument(let line, let parseError):
            return InputError(path: path, message: "line \(lineBase + line), column \(parseError.column): \(parseError.reason.message)")
        }
    }

    // MARK: - CSV

    private func feedRecords(_ chunk: UnsafeRawBufferPointer, into documents: inout [Document]) throws -> Int {
        try Self.checked(path) { () throws -> Int in
            try records.feed(chunk) { record, line in try appendRecord(record, line: line, into: &documents) }
        }
    }

    private func appendRecord(_ record: CSVRecord, line: Int, into documents: inout [Document]) throws {
        documents.append(try columns!.document(record, line: line, builder: &builder))
    }

    /// The header row of a CSV file, where it ends, and its physical lines; nil when the file
    /// holds no complete first row yet.
    private static func readHeader(path: String, compression: InputCompression) throws
        -> (record: CSVRecord, endOffset: Int64, lines: Int)?
    {
        let source = try compression.open(path)
        var splitter = CSVRecordSplitter()
        var header: CSVRecord?
        var chunk = [UInt8](repeating: 0, count: 64 << 10)
        var offset: Int64 = 0
        while true {
            let count = try chunk.withUnsafeMutableBytes { try source.read(into: $0) }
            guard count > 0 else { return nil }
            // Byte by byte, so the header's exact end is known (a header row is short).
            for index in 0..<count {
                let consumed = try checked(path) { () throws -> Int in
                    try chunk.withUnsafeBytes { bytes in
                        try splitter.feed(UnsafeRawBufferPointer(rebasing: bytes[index..<index + 1])) { record, _ in header = record }
                    }
                }
                offset += 1
                if consumed > 0, let header { return (header, offset, splitter.completedLines) }
                if offset > Int64(CSVRecordSplitter.recordBytesMax) {
                    throw InputError(path: path, message: "the header row is longer than \(CSVRecordSplitter.recordBytesMax) bytes")
                }
            }
        }
    }

    /// Runs `body`, turning a CSV error into one that names the file.
    private static func checked<Result>(_ path: String, _ body: () throws -> Result) throws -> Result {
        do {
            return try body()
        } catch let error as CSVError {
            throw InputError(path: path, message: error.description)
        }
    }
}
