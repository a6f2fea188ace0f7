// JSONLinesSplitter: JSON lines (one document per line) from buffers of any size.
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Splits a stream of bytes into lines, across buffer boundaries. Lines end at `\n`; a `\r`
/// before it is dropped; lines holding only whitespace are skipped (but counted). A line
/// longer than `lineBytesMax` is an error naming its line number.
///
///     var splitter = JSONLinesSplitter()
///     var parser = JSONParser()
///     for buffer in buffers {
///         try splitter.feed(buffer) { line, number in ... try parser.parse(line) ... }
///     }
///     try splitter.finish { line, number in ... }   // a last line without a newline
///
/// Lines inside one buffer are handed out in place; only a line split across buffers is
/// copied (into a buffer the splitter keeps).
public struct JSONLinesSplitter {
    /// Default longest line: 64 MiB. Bounds the memory one document can take while being
    /// assembled from buffers; far above the documents of the workloads Sluice targets.
    public static let lineBytesMaxDefault = 64 << 20

    public let lineBytesMax: Int
    /// Bytes of an unfinished line carried from earlier buffers.
    private var partial: [UInt8] = []
    /// Number of the next line (1-based).
    public private(set) var lineNumber = 1

    public init(lineBytesMax: Int = JSONLinesSplitter.lineBytesMaxDefault) {
        precondition(lineBytesMax >= 1)
        self.lineBytesMax = lineBytesMax
    }

    /// Feeds the next buffer; calls `body` with each complete, non-blank line and its 1-based
    /// number. The line's bytes are valid only during the call.
    public mutating func feed(_ buffer: UnsafeRawBufferPointer,
                              _ body: (UnsafeRawBufferPointer, Int) throws -> Void) throws {
        var start = 0
        let count = buffer.count
        while start < count {
            guard let newline = Self.firstNewline(buffer, from: start) else {
                // No newline: the rest is (part of) an unfinished line (one byte more than the
                // limit may be its `\r`; `emit` checks the line itself).
                let rest = count - start
                guard partial.count + rest <= lineBytesMax + 1 else {
                    throw JSONLinesError.lineTooLong(line: lineNumber, limitBytes: lineBytesMax)
                }
                partial.append(contentsOf: UnsafeRawBufferPointer(rebasing: buffer[start..<count]))
                return
            }
            if partial.isEmpty {
                guard newline - start <= lineBytesMax + 1 else {
                    throw JSONLinesError.lineTooLong(line: lineNumber, limitBytes: lineBytesMax)
                }
                try emit(UnsafeRawBufferPointer(rebasing: buffer[start..<newline]), body)
            } else {
                guard partial.count + (newline - start) <= lineBytesMax + 1 else {
                    throw JSONLinesError.lineTooLong(line: lineNumber, limitBytes: lineBytesMax)
                }
                partial.append(contentsOf: UnsafeRawBufferPointer(rebasing: buffer[start..<newline]))
                let line = partial
                partial.removeAll(keepingCapacity: true)
                try line.withUnsafeBytes { try emit($0, body) }
            }
            start = newline + 1
        }
    }

    /// Feeds bytes from an array.
    public mutating func feed(_ bytes: [UInt8], _ body: (UnsafeRawBufferPointer, Int) throws -> Void) throws {
        try bytes.withUnsafeBytes { try feed($0, body) }
    }

    /// Ends the stream: a last line without a newline is handed to `body`.
    public mutating func finish(_ body: (UnsafeRawBufferPointer, Int) throws -> Void) throws {
        guard !partial.isEmpty else { return }
        let line = partial
        partial.removeAll()
        try line.withUnsafeBytes { try emit($0, body) }
    }

    /// Hands out one line (without its `\n`), dropping a final `\r` and skipping blank lines.
    private mutating func emit(_ line: UnsafeRawBufferPointer, _ body: (UnsafeRawBufferPointer, Int) throws -> Void) throws {
        let number = lineNumber
        lineNumber += 1
        var end = line.count
        if end > 0 && line[end - 1] == 0x0D { end -= 1 }
        guard end <= lineBytesMax else { throw JSONLinesError.lineTooLong(line: number, limitBytes: lineBytesMax) }
        var blank = true
        for index in 0..<end where !JSONParser.isWhitespace(line[index]) {
            blank = false
            break
        }
        if blank { return }
        try body(UnsafeRawBufferPointer(rebasing: line[0..<end]), number)
    }

    private static func firstNewline(_ buffer: UnsafeRawBufferPointer, from start: Int) -> Int? {
        guard let base = buffer.baseAddress, start < buffer.count else { return nil }
        // Safety: memchr reads only [start, count).
        guard let found = memchr(base + start, 0x0A, buffer.count - start) else { return nil }
        return UnsafeRawPointer(found) - base
    }
}

/// A JSON-lines stream that cannot be split or parsed, and on which line.
public enum JSONLinesError: Error, Sendable, Equatable, CustomStringConvertible {
    case lineTooLong(line: Int, limitBytes: Int)
    case invalidDocument(line: Int, JSONParseError)

    public var description: String {
        switch self {
        case .lineTooLong(let line, let limit): "line \(line): longer than \(limit) bytes"
        case .invalidDocument(let line, let error): "line \(line), column \(error.column): \(error.reason.message)"
        }
    }
}

extension JSONParser {
    /// Parses every line of a complete JSON-lines buffer, calling `body` with each document and
    /// its line number; a bad line throws `JSONLinesError.invalidDocument` with its number.
    public mutating func parseLines(_ bytes: UnsafeRawBufferPointer, lineBytesMax: Int = JSONLinesSplitter.lineBytesMaxDefault,
                                    _ body: (Document, Int) throws -> Void) throws {
        var splitter = JSONLinesSplitter(lineBytesMax: lineBytesMax)
        let scratch = uniqueScratch()
        let depthMax = self.depthMax
        let handle: (UnsafeRawBufferPointer, Int) throws -> Void = { line, number in
            let document: Document
            do throws(JSONParseError) {
                try JSONParser.run(line, into: &scratch.writer, depthMax: depthMax)
                document = scratch.makeDocument()
            } catch {
                throw JSONLinesError.invalidDocument(line: number, error)
            }
            try body(document, number)
        }
        try splitter.feed(bytes, handle)
        try splitter.finish(handle)
    }
}
