/// The byte format of one append in a spool file: a 32-byte header, then the payload.
///
/// ```
/// offset size field
///      0    4 magic "SLS1" (53 4C 53 31)
///      4    4 payload length in bytes, UInt32 little-endian (1 ... Journal.appendBytesMax)
///      8    8 journal offset of the payload's first byte, UInt64 little-endian
///     16    8 synced-through: the journal offset up to which the spool was known durable
///             (fdatasync'ed) when this record was written, UInt64 little-endian
///     24    8 checksum, UInt64 little-endian:
///             XXH3-64(payload, seed: XXH3-64(header bytes 0..<24, seed: 0))
/// ```
///
/// Journal offsets count payload bytes only. The checksum covers every header field and the
/// payload, so a torn or flipped byte anywhere in a record is detected. Synced-through lets
/// recovery tell a torn tail (never synced: truncate) from corruption of committed bytes (a
/// later record proves they had been synced: refuse). docs/journal.md has test vectors.
struct SpoolRecordHeader: Sendable, Hashable {
    var payloadLength: UInt32
    var begin: Int64
    var syncedThrough: Int64
    var checksum: UInt64

    static let sizeBytes = 32
    /// "SLS1" as stored (little-endian UInt32 0x3153_4C53).
    static let magic: UInt32 = 0x3153_4C53

    var end: Int64 { begin + Int64(payloadLength) }

    /// A header for `payload`, with its checksum computed.
    init(payload: UnsafeRawBufferPointer, begin: Int64, syncedThrough: Int64) {
        precondition(payload.count > 0 && payload.count <= Int(UInt32.max), "a spool record holds 1 ... UInt32.max bytes")
        self.payloadLength = UInt32(payload.count)
        self.begin = begin
        self.syncedThrough = syncedThrough
        self.checksum = 0
        self.checksum = computeChecksum(payload: payload)
    }

    private init(payloadLength: UInt32, begin: Int64, syncedThrough: Int64, checksum: UInt64) {
        self.payloadLength = payloadLength
        self.begin = begin
        self.syncedThrough = syncedThrough
        self.checksum = checksum
    }

    /// The 32 header bytes.
    var bytes: [UInt8] {
        [UInt8](unsafeUninitializedCapacity: Self.sizeBytes) { buffer, count in
            store(into: UnsafeMutableRawBufferPointer(buffer))
            count = Self.sizeBytes
        }
    }

    /// Writes the header into `buffer` (at least 32 bytes).
    func store(into buffer: UnsafeMutableRawBufferPointer) {
        precondition(buffer.count >= Self.sizeBytes)
        buffer.storeBytes(of: Self.magic.littleEndian, toByteOffset: 0, as: UInt32.self)
        buffer.storeBytes(of: payloadLength.littleEndian, toByteOffset: 4, as: UInt32.self)
        buffer.storeBytes(of: UInt64(bitPattern: begin).littleEndian, toByteOffset: 8, as: UInt64.self)
        buffer.storeBytes(of: UInt64(bitPattern: syncedThrough).littleEndian, toByteOffset: 16, as: UInt64.self)
        buffer.storeBytes(of: checksum.littleEndian, toByteOffset: 24, as: UInt64.self)
    }

    /// XXH3-64(payload, seed: XXH3-64(header bytes 0..<24)), without allocating.
    private func computeChecksum(payload: UnsafeRawBufferPointer) -> UInt64 {
        withUnsafeTemporaryAllocation(byteCount: Self.sizeBytes, alignment: 8) { buffer in
            store(into: buffer)
            let seed = XXH3.hash(UnsafeRawBufferPointer(rebasing: buffer[0..<24]))
            return XXH3.hash(payload, seed: seed)
        }
    }

    /// Why the bytes at the start of a buffer are not a plausible header (magic and length),
    /// or nil when they are. The checksum is checked separately, once the payload is at hand.
    enum Defect: Error, Equatable, CustomStringConvertible {
        case truncated(available: Int)
        case badMagic(UInt32)
        case badLength(UInt32)

        var description: String {
            switch self {
            case .truncated(let available): return "record header cut short (\(available) of 32 bytes)"
            case .badMagic(let magic): return "bad record magic 0x\(String(magic, radix: 16)) (expected 0x\(String(SpoolRecordHeader.magic, radix: 16)))"
            case .badLength(let length): return "bad payload length \(length) (must be 1...\(Journal.appendBytesMax))"
            }
        }
    }

    /// Parses a header from the first 32 bytes of `buffer`.
    static func parse(_ buffer: UnsafeRawBufferPointer) -> Result<SpoolRecordHeader, Defect> {
        guard buffer.count >= sizeBytes else { return .failure(.truncated(available: buffer.count)) }
        let magic = UInt32(littleEndian: buffer.loadUnaligned(fromByteOffset: 0, as: UInt32.self))
        guard magic == Self.magic else { return .failure(.badMagic(magic)) }
        let length = UInt32(littleEndian: buffer.loadUnaligned(fromByteOffset: 4, as: UInt32.self))
        guard length >= 1, length <= UInt32(Journal.appendBytesMax) else { return .failure(.badLength(length)) }
        return .success(SpoolRecordHeader(
            payloadLength: length,
            begin: Int64(bitPattern: UInt64(littleEndian: buffer.loadUnaligned(fromByteOffset: 8, as: UInt64.self))),
            syncedThrough: Int64(bitPattern: UInt64(littleEndian: buffer.loadUnaligned(fromByteOffset: 16, as: UInt64.self))),
            checksum: UInt64(littleEndian: buffer.loadUnaligned(fromByteOffset: 24, as: UInt64.self))))
    }

    /// True when `payload` matches this header's checksum.
    func matches(payload: UnsafeRawBufferPointer) -> Bool {
        payload.count == Int(payloadLength) && computeChecksum(payload: payload) == checksum
    }
}
