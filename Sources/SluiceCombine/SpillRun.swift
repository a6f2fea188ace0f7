// SpillRun: a sorted run of key/document records in lz4-compressed blocks (docs/reduce.md,
// "Spill format").
//
// A run is a sequence of blocks in a spill file:
//
//     block   0  4  magic "SLSB"
//             4  4  uncompressed bytes, UInt32 little-endian
//             8  4  compressed bytes, UInt32 little-endian
//            12  4  records in the block, UInt32 little-endian
//            16     the records, one lz4 block (LZ4_compress_default)
//
//     record  0  1  flags: bit 0 front (the left-most document of its key), bit 1 held back
//                   (a partial reduction with the next record of its key is not associative)
//             1  4  key bytes, UInt32 little-endian
//             5  4  tape bytes, UInt32 little-endian
//             9     the packed key, then the document's tape bytes (Document.tapeBytes)
//
// Records are in packed-key order; the records of one key are consecutive, in reduction order
// (front first). Blocks are cut once they reach the target size, so a block holds at least
// one record. Reading back checks every size and the tape itself (Document(tapeBytes:)).
import CLZ4
import SluiceDocument

/// Record flags.
struct SpillRecordFlags: OptionSet, Sendable {
    let rawValue: UInt8
    static let front = SpillRecordFlags(rawValue: 1)
    static let heldBack = SpillRecordFlags(rawValue: 2)
}

/// Where a run is in the spill file.
struct SpillRun: Sendable {
    let offset: Int
    var length = 0
    var records = 0
    var blocks = 0
}

enum SpillFormat {
    static let blockMagic: [UInt8] = Array("SLSB".utf8)
    static let blockHeaderBytes = 16
    static let recordHeaderBytes = 9
    /// LZ4's own limit on one block's input (LZ4_MAX_INPUT_SIZE, ~1.9 GiB).
    static let blockBytesMax = 0x7E00_0000

    static func appendLittleEndian(_ value: UInt32, to output: inout [UInt8]) {
        output.append(UInt8(truncatingIfNeeded: value))
        output.append(UInt8(truncatingIfNeeded: value >> 8))
        output.append(UInt8(truncatingIfNeeded: value >> 16))
        output.append(UInt8(truncatingIfNeeded: value >> 24))
    }

    static func readLittleEndian(_ bytes: UnsafeRawBufferPointer, _ offset: Int) -> UInt32 {
        UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: UInt32.self))
    }
}

/// Writes one run: records into a block buffer, each full block compressed and appended.
struct SpillRunWriter {
    let file: SpillFile
    let blockBytesTarget: Int
    private(set) var run: SpillRun
    private var block: [UInt8] = []
    private var blockRecords = 0
    private var compressed: [UInt8] = []

    init(file: SpillFile, blockBytesTarget: Int) {
        self.file = file
        self.blockBytesTarget = blockBytesTarget
        self.run = SpillRun(offset: file.length)
        block.reserveCapacity(blockBytesTarget + 4096)
    }

    /// Bytes of the writer's buffers.
    var bufferBytes: Int { block.capacity + compressed.capacity + 2 * KeyTable.arrayHeaderBytes }

    /// Appends a record of tape bytes as they are (a combiner's accumulated flat merges; they
    /// are checked when read back).
    mutating func append(key: UnsafeRawBufferPointer, tapeBytes: UnsafeRawBufferPointer, flags: SpillRecordFlags) throws(CombineError) {
        block.append(flags.rawValue)
        SpillFormat.appendLittleEndian(UInt32(key.count), to: &block)
        SpillFormat.appendLittleEndian(UInt32(tapeBytes.count), to: &block)
        block.append(contentsOf: key)
        block.append(contentsOf: tapeBytes)
        blockRecords += 1
        run.records += 1
        if block.count >= blockBytesTarget { try flush() }
    }

    mutating func append(key: UnsafeRawBufferPointer, document: Document, flags: SpillRecordFlags) throws(CombineError) {
        block.append(flags.rawValue)
        SpillFormat.appendLittleEndian(UInt32(key.count), to: &block)
        let lengthAt = block.count
        SpillFormat.appendLittleEndian(0, to: &block)
        block.append(contentsOf: key)
        let tapeStart = block.count
        document.appendTapeBytes(to: &block)
        let tapeLength = UInt32(block.count - tapeStart)
        block[lengthAt] = UInt8(truncatingIfNeeded: tapeLength)
        block[lengthAt + 1] = UInt8(truncatingIfNeeded: tapeLength >> 8)
        block[lengthAt + 2] = UInt8(truncatingIfNeeded: tapeLength >> 16)
        block[lengthAt + 3] = UInt8(truncatingIfNeeded: tapeLength >> 24)
        blockRecords += 1
        run.records += 1
        if block.count >= blockBytesTarget { try flush() }
    }

    /// Compresses and appends the block buffer, if it holds records.
    private mutating func flush() throws(CombineError) {
        guard blockRecords > 0 else { return }
        precondition(block.count <= SpillFormat.blockBytesMax, "a spill block of \(block.count) bytes is over lz4's limit")
        let bound = Int(LZ4_compressBound(Int32(block.count)))
        if compressed.count < SpillFormat.blockHeaderBytes + bound {
            compressed = [UInt8](repeating: 0, count: SpillFormat.blockHeaderBytes + bound)
        }
        let compressedBytes = block.withUnsafeBytes { source in
            compressed.withUnsafeMutableBytes { destination in
                // Safety: the destination holds the header plus LZ4_compressBound bytes.
                LZ4_compress_default(source.baseAddress!.assumingMemoryBound(to: CChar.self),
                                     (destination.baseAddress! + SpillFormat.blockHeaderBytes).assumingMemoryBound(to: CChar.self),
                                     Int32(source.count), Int32(bound))
            }
        }
        precondition(compressedBytes > 0, "LZ4_compress_default failed with a sufficient bound")
        var header: [UInt8] = SpillFormat.blockMagic
        SpillFormat.appendLittleEndian(UInt32(block.count), to: &header)
        SpillFormat.appendLittleEndian(UInt32(compressedBytes), to: &header)
        SpillFormat.appendLittleEndian(UInt32(blockRecords), to: &header)
        compressed.replaceSubrange(0..<SpillFormat.blockHeaderBytes, with: header)
        let total = SpillFormat.blockHeaderBytes + Int(compressedBytes)
        try compressed.withBytes { bytes throws(CombineError) in
            _ = try file.append(UnsafeRawBufferPointer(rebasing: bytes[0..<total]))
        }
        run.length += total
        run.blocks += 1
        block.removeAll(keepingCapacity: true)
        blockRecords = 0
    }

    /// Writes what is buffered and returns the run.
    mutating func finish() throws(CombineError) -> SpillRun {
        try flush()
        return run
    }
}

/// Reads one run back, record by record.
struct SpillRunReader {
    let file: SpillFile
    private var offset: Int
    private let end: Int
    private var block: [UInt8] = []
    private var compressed: [UInt8] = []
    private var position = 0
    private var recordsLeftInBlock = 0
    private var blockOffset = 0

    /// The current record, or nil at the end of the run.
    private(set) var key: [UInt8] = []
    private(set) var document: Document? = nil
    private(set) var flags = SpillRecordFlags()

    init(file: SpillFile, run: SpillRun) throws(CombineError) {
        self.file = file
        self.offset = run.offset
        self.end = run.offset + run.length
        try advance()
    }

    /// Bytes of the reader's buffers and current document.
    var bufferBytes: Int {
        block.capacity + compressed.capacity + key.capacity + 3 * KeyTable.arrayHeaderBytes + (document?.memoryBytes ?? 0)
    }

    private func corrupt(_ message: String) -> CombineError {
        CombineError.spill(path: file.path, offset: blockOffset, message: "corrupt spill block: \(message)")
    }

    /// Moves to the next record (`document` nil past the last).
    mutating func advance() throws(CombineError) {
        if recordsLeftInBlock == 0 {
            guard offset < end else {
                document = nil
                return
            }
            try readBlock()
        }
        let record = try block.withBytes { bytes throws(CombineError) -> (SpillRecordFlags, Range<Int>, Range<Int>) in
            guard position + SpillFormat.recordHeaderBytes <= bytes.count else { throw corrupt("record header past the block's end") }
            let flags = SpillRecordFlags(rawValue: bytes[position])
            let keyLength = Int(SpillFormat.readLittleEndian(bytes, position + 1))
            let tapeLength = Int(SpillFormat.readLittleEndian(bytes, position + 5))
            let keyStart = position + SpillFormat.recordHeaderBytes
            guard keyLength <= bytes.count - keyStart, tapeLength <= bytes.count - keyStart - keyLength else {
                throw corrupt("record of \(keyLength) key and \(tapeLength) tape bytes past the block's end")
            }
            return (flags, keyStart..<(keyStart + keyLength), (keyStart + keyLength)..<(keyStart + keyLength + tapeLength))
        }
        flags = record.0
        key.removeAll(keepingCapacity: true)
        key.append(contentsOf: block[record.1])
        let decoded = block.withUnsafeBytes { bytes in
            Result { () throws(TapeDecodingError) -> Document in try Document(tapeBytes: UnsafeRawBufferPointer(rebasing: bytes[record.2]), depthMax: JSONParser.depthMaxLimit) }
        }
        switch decoded {
        case .success(let value): document = value
        case .failure(let error): throw corrupt("\(error)")
        }
        position = record.2.upperBound
        recordsLeftInBlock -= 1
        if recordsLeftInBlock == 0 && position != block.count { throw corrupt("bytes after the last record") }
    }

    private mutating func readBlock() throws(CombineError) {
        blockOffset = offset
        var header = [UInt8](repeating: 0, count: SpillFormat.blockHeaderBytes)
        guard end - offset >= SpillFormat.blockHeaderBytes else { throw corrupt("block header past the run's end") }
        try header.withMutableBytes { buffer throws(CombineError) in try file.read(into: buffer, at: offset) }
        let (uncompressedBytes, compressedBytes, records) = header.withUnsafeBytes { bytes in
            (Int(SpillFormat.readLittleEndian(bytes, 4)), Int(SpillFormat.readLittleEndian(bytes, 8)), Int(SpillFormat.readLittleEndian(bytes, 12)))
        }
        guard header[0..<4].elementsEqual(SpillFormat.blockMagic) else { throw corrupt("bad magic") }
        guard records > 0, uncompressedBytes <= SpillFormat.blockBytesMax,
              compressedBytes <= end - offset - SpillFormat.blockHeaderBytes else {
            throw corrupt("sizes out of range (\(uncompressedBytes) bytes, \(compressedBytes) compressed, \(records) records)")
        }
        if compressed.count < compressedBytes { compressed = [UInt8](repeating: 0, count: compressedBytes) }
        try compressed.withMutableBytes { buffer throws(CombineError) in
            try file.read(into: UnsafeMutableRawBufferPointer(rebasing: buffer[0..<compressedBytes]), at: offset + SpillFormat.blockHeaderBytes)
        }
        if block.count != uncompressedBytes {
            if block.capacity >= uncompressedBytes {
                block.removeAll(keepingCapacity: true)
                block.append(contentsOf: repeatElement(0, count: uncompressedBytes))
            } else {
                block = [UInt8](repeating: 0, count: uncompressedBytes)
            }
        }
        let decompressed = compressed.withUnsafeBytes { source in
            block.withUnsafeMutableBytes { destination in
                // Safety: LZ4_decompress_safe never reads past `compressedBytes` of the source
                // nor writes past `uncompressedBytes` of the destination.
                LZ4_decompress_safe(source.baseAddress!.assumingMemoryBound(to: CChar.self),
                                    destination.baseAddress!.assumingMemoryBound(to: CChar.self),
                                    Int32(compressedBytes), Int32(uncompressedBytes))
            }
        }
        guard decompressed == Int32(uncompressedBytes) else { throw corrupt("lz4 gave \(decompressed) bytes, expected \(uncompressedBytes)") }
        offset += SpillFormat.blockHeaderBytes + compressedBytes
        position = 0
        recordsLeftInBlock = records
    }
}

extension Array where Element == UInt8 {
    /// `withUnsafeBytes` for a body that throws `CombineError` (the standard library's
    /// `rethrows` erases the error type).
    func withBytes<R>(_ body: (UnsafeRawBufferPointer) throws(CombineError) -> R) throws(CombineError) -> R {
        try withUnsafeBytes { bytes in Result { () throws(CombineError) in try body(bytes) } }.get()
    }

    mutating func withMutableBytes<R>(_ body: (UnsafeMutableRawBufferPointer) throws(CombineError) -> R) throws(CombineError) -> R {
        try withUnsafeMutableBytes { bytes in Result { () throws(CombineError) in try body(bytes) } }.get()
    }
}
