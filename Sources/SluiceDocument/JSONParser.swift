// JSONParser: strict RFC 8259 JSON over bytes, into a tape.
//
// One pass, no recursion (an explicit stack of open containers, bounded by `depthMax`), no
// allocation per value: the parser writes into a scratch tape it keeps between documents, and
// `parse` copies the finished tape into one new allocation, the `Document`.
//
// Strictness: UTF-8 is validated (no overlong forms, no surrogates, nothing above U+10FFFF);
// escapes are checked and `\u` surrogates must pair; control characters in strings are errors;
// numbers follow the RFC grammar (no leading zeros, `+`, `.5`, `NaN`, hex); duplicate property
// names are errors; a leading byte order mark is an error; only whitespace may follow the value.

/// A reusable strict JSON parser. Keep one per thread and call `parse` for each document: the
/// scratch buffers stay allocated between calls, so only the `Document` itself is allocated.
public struct JSONParser {
    /// Default nesting limit (arrays and objects). Flow's documents are far shallower; the
    /// limit bounds the container stack and every recursive walk over a document.
    public static let depthMaxDefault = 256

    /// The largest `depthMax` a caller may choose: walks over a document (comparison, hashing,
    /// `jsonValue`) recurse once per level, and 1,024 levels stay far inside a thread's stack.
    public static let depthMaxLimit = 1024

    /// Containers may nest this deep; one more is an error.
    public let depthMax: Int

    private var scratch: TapeScratch

    public init(depthMax: Int = JSONParser.depthMaxDefault) {
        precondition(depthMax >= 1 && depthMax <= JSONParser.depthMaxLimit, "depthMax must be in 1...\(JSONParser.depthMaxLimit)")
        self.depthMax = depthMax
        self.scratch = TapeScratch()
    }

    /// The scratch, made unique first so copies of a parser never share one.
    mutating func uniqueScratch() -> TapeScratch {
        if !isKnownUniquelyReferenced(&scratch) { scratch = TapeScratch() }
        return scratch
    }

    /// Parses one JSON value (surrounded by optional whitespace) into a new `Document`.
    public mutating func parse(_ bytes: UnsafeRawBufferPointer) throws(JSONParseError) -> Document {
        let scratch = uniqueScratch()
        try JSONParser.run(bytes, into: &scratch.writer, depthMax: depthMax)
        return scratch.makeDocument()
    }

    /// Parses one JSON value from any collection of bytes.
    public mutating func parse(_ bytes: some Collection<UInt8>) throws(JSONParseError) -> Document {
        let scratch = uniqueScratch()
        let depthMax = self.depthMax
        let outcome: Result<Document, JSONParseError>? = bytes.withContiguousStorageIfAvailable { buffer in
            Result { () throws(JSONParseError) in
                try JSONParser.run(UnsafeRawBufferPointer(buffer), into: &scratch.writer, depthMax: depthMax)
                return scratch.makeDocument()
            }
        }
        if let outcome { return try outcome.get() }
        let copy = Array(bytes)
        let result = copy.withUnsafeBytes { buffer in
            Result { () throws(JSONParseError) -> Document in try parse(buffer) }
        }
        return try result.get()
    }

    /// A document from tape bytes this process wrote, as `Document(uncheckedTapeBytes:)` makes
    /// it (nothing is checked but the header), in the storage of an earlier document of this
    /// parser's that nobody holds any more when there is one (no allocation).
    public mutating func document(uncheckedTapeBytes bytes: UnsafeRawBufferPointer) -> Document {
        uniqueScratch().makeDocument(uncheckedTapeBytes: bytes)
    }

    /// Checks that `bytes` is one valid JSON value without keeping a document (the tape is
    /// built in the scratch and dropped).
    public mutating func validate(_ bytes: UnsafeRawBufferPointer) throws(JSONParseError) {
        let scratch = uniqueScratch()
        try JSONParser.run(bytes, into: &scratch.writer, depthMax: depthMax)
    }

    // MARK: - The parse loop

    private static let bom: (UInt8, UInt8, UInt8) = (0xEF, 0xBB, 0xBF)

    /// Parses `input` into `writer` (reset first).
    static func run(_ input: UnsafeRawBufferPointer, into writer: inout TapeWriter, depthMax: Int) throws(JSONParseError) {
        writer.reset()
        let end = input.count
        guard end > 0, let raw = input.baseAddress else {
            throw JSONParseError(.unexpectedEnd(expected: "a JSON value"), at: 0, in: input)
        }
        // Safety: every read below checks `p < end` (or `p + n <= end`) first.
        let base = raw.assumingMemoryBound(to: UInt8.self)
        if end >= 3 && base[0] == bom.0 && base[1] == bom.1 && base[2] == bom.2 {
            throw JSONParseError(.byteOrderMark, at: 0, in: input)
        }
        // An unescaped string is never longer than its text, so all strings fit in `end` bytes.
        writer.reserveStringBytes(end)
        var p = 0

        func fail(_ reason: JSONParseError.Reason, _ offset: Int) -> JSONParseError {
            JSONParseError(reason, at: offset, in: input)
        }
        func unexpected(_ expected: String, _ offset: Int) -> JSONParseError {
            offset < end ? fail(.unexpectedByte(found: base[offset], expected: expected), offset)
                : fail(.unexpectedEnd(expected: expected), offset)
        }

        /// Parses a property name at `p` (which must be a quote) and the colon after it.
        func parseName(_ writer: inout TapeWriter) throws(JSONParseError) {
            guard p < end, base[p] == UInt8(ascii: "\"") else { throw unexpected("a property name in quotes", p) }
            let nameOffset = p
            let entryIndex = writer.entryCount
            p = try parseString(base, end, p, &writer, input)
            if !writer.recordProperty(entryIndex: entryIndex, inputOffset: nameOffset) {
                let entry = writer.entries[entryIndex]
                let name = String(decoding: UnsafeRawBufferPointer(start: writer.strings + Int(entry.payload), count: entry.count), as: UTF8.self)
                throw fail(.duplicateProperty(name), nameOffset)
            }
            p = skipWhitespace(base, end, p)
            guard p < end, base[p] == UInt8(ascii: ":") else { throw unexpected("':' after a property name", p) }
            p = skipWhitespace(base, end, p + 1)
        }

        /// Closes the innermost container; reports a duplicate name found by sorting.
        func close(_ writer: inout TapeWriter) throws(JSONParseError) {
            if let property = writer.close() {
                let entry = writer.entries[property.entryIndex]
                let name = String(decoding: UnsafeRawBufferPointer(start: writer.strings + Int(entry.payload), count: entry.count), as: UTF8.self)
                throw fail(.duplicateProperty(name), property.inputOffset)
            }
        }

        p = skipWhitespace(base, end, p)
        parsing: while true {
            // A value is expected at `p` (whitespace already skipped).
            guard p < end else { throw fail(.unexpectedEnd(expected: "a JSON value"), p) }
            writer.countElement()
            switch base[p] {
            case UInt8(ascii: "{"):
                guard writer.depth < depthMax else { throw fail(.depthExceeded(limit: depthMax), p) }
                writer.open(isObject: true)
                p = skipWhitespace(base, end, p + 1)
                if p < end && base[p] == UInt8(ascii: "}") {
                    p += 1
                    try close(&writer)
                } else {
                    try parseName(&writer)
                    continue parsing
                }
            case UInt8(ascii: "["):
                guard writer.depth < depthMax else { throw fail(.depthExceeded(limit: depthMax), p) }
                writer.open(isObject: false)
                p = skipWhitespace(base, end, p + 1)
                if p < end && base[p] == UInt8(ascii: "]") {
                    p += 1
                    try close(&writer)
                } else {
                    continue parsing
                }
            case UInt8(ascii: "\""):
                p = try parseString(base, end, p, &writer, input)
            case UInt8(ascii: "t"):
                guard matches(base, end, p, "true") else { throw unexpected("true", p) }
                writer.append(.true)
                p += 4
            case UInt8(ascii: "f"):
                guard matches(base, end, p, "false") else { throw unexpected("false", p) }
                writer.append(.false)
                p += 5
            case UInt8(ascii: "n"):
                guard matches(base, end, p, "null") else { throw unexpected("null", p) }
                writer.append(.null)
                p += 4
            case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
                p = try parseNumber(base, end, p, &writer, input)
            default:
                throw unexpected("a JSON value", p)
            }

            // After a value: a separator, a closing bracket, or the end.
            while true {
                p = skipWhitespace(base, end, p)
                if writer.depth == 0 {
                    guard p == end else { throw unexpected("the end of the input after the JSON value", p) }
                    return
                }
                let isObject = writer.frames[writer.depth - 1].isObject
                guard p < end else { throw fail(.unexpectedEnd(expected: isObject ? "',' or '}'" : "',' or ']'"), p) }
                let byte = base[p]
                if byte == UInt8(ascii: ",") {
                    p = skipWhitespace(base, end, p + 1)
                    if isObject { try parseName(&writer) }
                    continue parsing
                }
                if byte == (isObject ? UInt8(ascii: "}") : UInt8(ascii: "]")) {
                    p += 1
                    try close(&writer)
                    continue
                }
                throw unexpected(isObject ? "',' or '}'" : "',' or ']'", p)
            }
        }
    }

    @inline(__always)
    static func isWhitespace(_ byte: UInt8) -> Bool {
        byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09
    }

    @inline(__always)
    static func skipWhitespace(_ base: UnsafePointer<UInt8>, _ end: Int, _ start: Int) -> Int {
        var p = start
        while p < end && isWhitespace(base[p]) { p += 1 }
        return p
    }

    @inline(__always)
    static func matches(_ base: UnsafePointer<UInt8>, _ end: Int, _ p: Int, _ literal: StaticString) -> Bool {
        let count = literal.utf8CodeUnitCount
        guard p + count <= end else { return false }
        let bytes = literal.utf8Start
        for index in 0..<count where base[p + index] != bytes[index] { return false }
        return true
    }
}
