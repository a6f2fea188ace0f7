// DocumentTapeCoding: a document's tape as bytes, to spill to disk and read back without
// parsing JSON again (docs/document.md, "Tape bytes").
//
//     0   4  magic "SLT1"
//     4   4  entry count, UInt32 little-endian
//     8   4  string area size in bytes, UInt32 little-endian
//     12  4  zero (reserved)
//     16     entries: 16 bytes each, head then payload, UInt64 little-endian (Tape.swift)
//     ...    the string area
//
// Decoding checks every invariant of a tape (kinds, spans, counts, string ranges, UTF-8,
// sorted unique property names, finite doubles, canonical integers, depth), so a corrupt or
// hostile buffer is an error, never an out-of-bounds read.

extension Document {
    static let tapeMagic: [UInt8] = Array("SLT1".utf8)
    static let tapeHeaderBytes = 16

    /// The tape as bytes (see the file comment). `Document(tapeBytes:)` reads them back.
    public var tapeBytes: [UInt8] {
        var output: [UInt8] = []
        appendTapeBytes(to: &output)
        return output
    }

    /// Appends the tape's bytes to `output`.
    public func appendTapeBytes(to output: inout [UInt8]) {
        let entryCount = storage.entryCount
        let stringCount = storage.stringByteCount
        precondition(entryCount <= Int(UInt32.max) && stringCount <= Int(UInt32.max), "document too large for tape bytes")
        let needed = output.count + Self.tapeHeaderBytes + 16 * entryCount + stringCount
        // Grown geometrically, so appending many documents to one buffer stays linear.
        if output.capacity < needed { output.reserveCapacity(max(needed, 2 * output.capacity)) }
        output.append(contentsOf: Self.tapeMagic)
        appendLittleEndian(UInt32(entryCount), to: &output)
        appendLittleEndian(UInt32(stringCount), to: &output)
        appendLittleEndian(UInt32(0), to: &output)
        storage.withTape { entries, strings in
            #if _endian(little)
            // Safety: entries are two UInt64 each, already little-endian in memory.
            output.append(contentsOf: UnsafeRawBufferPointer(start: entries, count: 16 * entryCount))
            #else
            for index in 0..<entryCount {
                appendLittleEndian(entries[index].head, to: &output)
                appendLittleEndian(entries[index].payload, to: &output)
            }
            #endif
            output.append(contentsOf: UnsafeRawBufferPointer(start: strings, count: stringCount))
        }
    }

    /// Reads a tape written by `tapeBytes`, checking all of its invariants.
    public init(tapeBytes bytes: UnsafeRawBufferPointer, depthMax: Int = JSONParser.depthMaxDefault) throws(TapeDecodingError) {
        precondition(depthMax >= 1 && depthMax <= JSONParser.depthMaxLimit, "depthMax must be in 1...\(JSONParser.depthMaxLimit)")
        guard bytes.count >= Self.tapeHeaderBytes else { throw TapeDecodingError(offset: 0, message: "shorter than the 16-byte header") }
        guard bytes[0..<4].elementsEqual(Self.tapeMagic) else { throw TapeDecodingError(offset: 0, message: "not a tape (bad magic)") }
        let entryCount = Int(readLittleEndian(bytes, 4, as: UInt32.self))
        let stringCount = Int(readLittleEndian(bytes, 8, as: UInt32.self))
        guard readLittleEndian(bytes, 12, as: UInt32.self) == 0 else { throw TapeDecodingError(offset: 12, message: "reserved bytes are not zero") }
        let expected = Self.tapeHeaderBytes + 16 * entryCount + stringCount
        guard bytes.count == expected else {
            throw TapeDecodingError(offset: 0, message: "size \(bytes.count) bytes, header says \(expected)")
        }
        let entryBytes = UnsafeRawBufferPointer(rebasing: bytes[Self.tapeHeaderBytes..<(Self.tapeHeaderBytes + 16 * entryCount)])
        let strings = UnsafeRawBufferPointer(rebasing: bytes[(Self.tapeHeaderBytes + 16 * entryCount)...])
        let storage = TapeStorage.make(tapeEntryBytes: entryBytes, entryCount: entryCount, strings: strings)
        let outcome = storage.withTape { entries, strings in
            Result { () throws(TapeDecodingError) in
                try validateTape(UnsafeBufferPointer(start: entries, count: entryCount),
                                 UnsafeRawBufferPointer(start: strings, count: stringCount), depthMax: depthMax)
            }
        }
        try outcome.get()
        self.init(storage: storage)
    }

    public init(tapeBytes bytes: [UInt8], depthMax: Int = JSONParser.depthMaxDefault) throws(TapeDecodingError) {
        let result = bytes.withUnsafeBytes { buffer in
            Result { () throws(TapeDecodingError) -> Document in try Document(tapeBytes: buffer, depthMax: depthMax) }
        }
        self = try result.get()
    }

    /// Makes a document from tape bytes that this process wrote: `appendTapeBytes`, or code
    /// that writes the same layout from parts of checked documents and keeps every invariant
    /// (the flat merge, SluiceReduce). Nothing is checked but the header and the size (debug
    /// builds also check every invariant, as `Document(tapeBytes:)` does): a buffer from disk,
    /// the network or anything else must go through `Document(tapeBytes:)`, since a tape that
    /// breaks an invariant makes reading it unsafe. One allocation and one copy.
    public init(uncheckedTapeBytes bytes: UnsafeRawBufferPointer) {
        let header = Self.checkedTapeHeader(bytes)
        let entryBytes = UnsafeRawBufferPointer(rebasing: bytes[Self.tapeHeaderBytes..<(Self.tapeHeaderBytes + 16 * header.entryCount)])
        let strings = UnsafeRawBufferPointer(rebasing: bytes[(Self.tapeHeaderBytes + 16 * header.entryCount)...])
        let storage = TapeStorage.make(tapeEntryBytes: entryBytes, entryCount: header.entryCount, strings: strings)
        Self.assertValid(storage)
        self.init(storage: storage)
    }

    /// The sizes in the header of tape bytes, checked against the magic and the bytes' size
    /// (a precondition: unchecked decoding is for bytes this process wrote).
    static func checkedTapeHeader(_ bytes: UnsafeRawBufferPointer) -> TapeHeader {
        precondition(bytes.count >= Self.tapeHeaderBytes && bytes[0..<4].elementsEqual(Self.tapeMagic), "not tape bytes")
        let entryCount = Int(readLittleEndian(bytes, 4, as: UInt32.self))
        let stringCount = Int(readLittleEndian(bytes, 8, as: UInt32.self))
        precondition(entryCount >= 1 && bytes.count == Self.tapeHeaderBytes + 16 * entryCount + stringCount,
                     "tape bytes whose size does not match their header")
        return TapeHeader(entryCount: entryCount, stringByteCount: stringCount)
    }

    /// Debug builds: `storage` keeps every invariant of a tape.
    static func assertValid(_ storage: TapeStorage) {
        assert(storage.withTape { entries, strings in
            Result { () throws(TapeDecodingError) in
                try validateTape(UnsafeBufferPointer(start: entries, count: storage.entryCount),
                                 UnsafeRawBufferPointer(start: strings, count: storage.stringByteCount), depthMax: JSONParser.depthMaxLimit)
            }.mapError { error in
                assertionFailure("unchecked tape bytes break an invariant: \(error)")
                return error
            }.isSuccess
        })
    }

    /// Calls `body` with the tape in the layout of tape bytes after their header (see the file
    /// comment): `entries`, 16 bytes per entry (head, then payload, UInt64 little-endian), and
    /// `strings`, the string area. On a little-endian machine this is the document's own memory
    /// (no copy); elsewhere a little-endian copy. The buffers are valid only inside `body`.
    /// Lets hot paths (validation, reduction) read a tape without a `Node` per value.
    @inlinable
    public func withUnsafeTapeBytes<R, E: Error>(
        _ body: (_ entries: UnsafeRawBufferPointer, _ strings: UnsafeRawBufferPointer) throws(E) -> R
    ) throws(E) -> R {
        #if _endian(little)
        let entryCount = storage.entryCount
        let stringCount = storage.stringByteCount
        return try storage.withUnsafeMutablePointerToElements { (elements) throws(E) -> R in
            // Safety: entries are two UInt64 each, already little-endian in memory, and the
            // string area follows them; the buffers do not escape `body`; the tape is immutable.
            try body(UnsafeRawBufferPointer(start: elements, count: 16 * entryCount),
                     UnsafeRawBufferPointer(start: elements + entryCount, count: stringCount))
        }
        #else
        return try withTapeBytesCopy(body)
        #endif
    }

    /// `withUnsafeTapeBytes` on a big-endian machine: through a little-endian copy.
    @usableFromInline
    func withTapeBytesCopy<R, E: Error>(_ body: (UnsafeRawBufferPointer, UnsafeRawBufferPointer) throws(E) -> R) throws(E) -> R {
        var bytes: [UInt8] = []
        appendTapeBytes(to: &bytes)
        let entryCount = storage.entryCount
        let outcome = bytes.withUnsafeBytes { raw in
            Result { () throws(E) -> R in
                try body(UnsafeRawBufferPointer(rebasing: raw[Self.tapeHeaderBytes..<(Self.tapeHeaderBytes + 16 * entryCount)]),
                         UnsafeRawBufferPointer(rebasing: raw[(Self.tapeHeaderBytes + 16 * entryCount)...]))
            }
        }
        return try outcome.get()
    }
}

/// Tape bytes that break an invariant, and where.
public struct TapeDecodingError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Byte offset in the tape bytes.
    public let offset: Int
    public let message: String

    public var description: String { "tape byte \(offset): \(message)" }
}

private func appendLittleEndian<T: FixedWidthInteger>(_ value: T, to output: inout [UInt8]) {
    withUnsafeBytes(of: value.littleEndian) { output.append(contentsOf: $0) }
}

private func readLittleEndian<T: FixedWidthInteger>(_ bytes: UnsafeRawBufferPointer, _ offset: Int, as type: T.Type) -> T {
    T(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: T.self))
}

/// Checks every invariant of a tape; throws naming the first entry that breaks one.
func validateTape(_ entries: UnsafeBufferPointer<TapeEntry>, _ strings: UnsafeRawBufferPointer, depthMax: Int) throws(TapeDecodingError) {
    func fail(_ index: Int, _ message: String) -> TapeDecodingError {
        TapeDecodingError(offset: Document.tapeHeaderBytes + 16 * index, message: "entry \(index): \(message)")
    }
    func checkString(_ index: Int) throws(TapeDecodingError) -> UnsafeRawBufferPointer {
        let entry = entries[index]
        guard UInt8(truncatingIfNeeded: entry.head) == TapeTag.string.rawValue else { throw fail(index, "expected a string") }
        let offset = entry.payload
        let count = UInt64(entry.count)
        guard offset <= UInt64(strings.count), count <= UInt64(strings.count) - offset else {
            throw fail(index, "string outside the string area")
        }
        let bytes = UnsafeRawBufferPointer(rebasing: strings[Int(offset)..<Int(offset + count)])
        guard isValidUTF8(bytes) else { throw fail(index, "string is not UTF-8") }
        return bytes
    }
    struct Open {
        var end: Int
        var isObject: Bool
        var remaining: Int
        var lastName: UnsafeRawBufferPointer?
    }
    guard entries.count >= 1 else { throw fail(0, "a tape holds at least one value") }
    var stack: [Open] = []
    var index = 0
    while index < entries.count {
        while let top = stack.last, top.end == index {
            guard top.remaining == 0 else { throw fail(index, "container count does not match its span") }
            stack.removeLast()
        }
        let limit = stack.last?.end ?? entries.count
        if !stack.isEmpty {
            guard stack[stack.count - 1].remaining > 0 else { throw fail(index, "more children than the container's count") }
            stack[stack.count - 1].remaining -= 1
            if stack[stack.count - 1].isObject {
                let name = try checkString(index)
                if let last = stack[stack.count - 1].lastName {
                    guard compareBytes(last.baseAddress ?? UnsafeRawPointer(strings.baseAddress!), last.count,
                                       name.baseAddress ?? UnsafeRawPointer(strings.baseAddress!), name.count) < 0 else {
                        throw fail(index, "property names not sorted and unique")
                    }
                }
                stack[stack.count - 1].lastName = name
                index += 1
                guard index < limit else { throw fail(index, "property without a value") }
            }
        } else if index != 0 {
            throw fail(index, "entries after the root value")
        }
        let entry = entries[index]
        guard let tag = TapeTag(rawValue: UInt8(truncatingIfNeeded: entry.head)) else { throw fail(index, "unknown tag") }
        switch tag {
        case .null, .false, .true, .int:
            guard entry.head >> 8 == 0 else { throw fail(index, "scalar with a count") }
            guard tag == .int || entry.payload == 0 else { throw fail(index, "scalar with a payload") }
            index += 1
        case .uint:
            guard entry.head >> 8 == 0, entry.payload > UInt64(Int64.max) else { throw fail(index, "UInt64 entry that fits Int64") }
            index += 1
        case .double:
            guard entry.head >> 8 == 0, Double(bitPattern: entry.payload).isFinite else { throw fail(index, "double not finite") }
            index += 1
        case .string:
            _ = try checkString(index)
            index += 1
        case .array, .object:
            let span = entry.payload
            guard span >= 1, span <= UInt64(limit - index) else { throw fail(index, "span outside its parent") }
            let count = entry.count
            guard count <= Int(span) else { throw fail(index, "count larger than span") }
            guard stack.count < depthMax else { throw fail(index, "nesting deeper than \(depthMax)") }
            stack.append(Open(end: index + Int(span), isObject: tag == .object, remaining: count, lastName: nil))
            index += 1
        }
    }
    while let top = stack.popLast() {
        guard top.end == entries.count, top.remaining == 0 else { throw fail(entries.count, "container count does not match its span") }
    }
}
