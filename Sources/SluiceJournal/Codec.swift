import CLZ4
import CZstd

/// Compression of sealed fragments, as a sequence of independent frames.
///
/// A compressed fragment is a concatenation of standard frames (LZ4 frame format with a content
/// checksum, or Zstandard frames with a checksum), each holding at most `frameContentBytesMax`
/// bytes of content. `lz4 -d` and `zstd -d` read the concatenation as one stream. Frames let a
/// reader verify each piece's checksum before handing out any of its bytes, with bounded memory.
enum Codec {
    /// Content bytes per frame. 1 MiB: a frame is checked whole before its bytes are served, so
    /// this bounds a reader's buffer; compression ratio differs from one large frame by <1%.
    static let frameContentBytesMax = 1 << 20
    /// The largest frame content a decoder accepts (frames written by other tools may be
    /// larger than ours). 64 MiB bounds a reader's memory.
    static let decodedFrameBytesMax = 64 << 20
}

/// Encodes content into frames of one codec. Owns its compression context; one thread at a time.
final class FrameEncoder {
    let codec: FragmentCodec
    private let zstdContext: OpaquePointer?

    init(codec: FragmentCodec) {
        self.codec = codec
        if case .zstd(let level) = codec {
            guard let context = ZSTD_createCCtx() else { fatalError("ZSTD_createCCtx failed: out of memory") }
            ZSTD_CCtx_setParameter(context, ZSTD_c_compressionLevel, Int32(level))
            ZSTD_CCtx_setParameter(context, ZSTD_c_checksumFlag, 1)
            ZSTD_CCtx_setParameter(context, ZSTD_c_contentSizeFlag, 1)
            zstdContext = context
        } else {
            zstdContext = nil
        }
    }

    deinit { if let zstdContext { ZSTD_freeCCtx(zstdContext) } }

    /// Appends one frame holding `content` to `output` (for `.none`, the content itself).
    func encode(_ content: UnsafeRawBufferPointer, into output: inout [UInt8]) throws {
        precondition(content.count <= Codec.frameContentBytesMax)
        switch codec {
        case .none:
            output.append(contentsOf: content)
        case .lz4:
            var preferences = LZ4F_preferences_t()
            preferences.frameInfo.contentChecksumFlag = LZ4F_contentChecksumEnabled
            preferences.frameInfo.contentSize = UInt64(content.count)
            preferences.frameInfo.blockSizeID = LZ4F_max1MB
            preferences.frameInfo.blockMode = LZ4F_blockIndependent
            let bound = LZ4F_compressFrameBound(content.count, &preferences)
            let start = output.count
            output.append(contentsOf: repeatElement(0, count: bound))
            // Safety: the destination is the `bound` bytes just appended to `output`; liblz4
            // writes at most `bound` bytes there and reads `content.count` bytes of content.
            let written = output.withUnsafeMutableBytes { buffer in
                LZ4F_compressFrame(buffer.baseAddress! + start, bound, content.baseAddress, content.count, &preferences)
            }
            guard LZ4F_isError(written) == 0 else {
                throw JournalError.io(operation: "LZ4F_compressFrame: " + String(cString: LZ4F_getErrorName(written)),
                                      path: "(memory)", errorNumber: 0)
            }
            output.removeLast(bound - written)
        case .zstd:
            let bound = ZSTD_compressBound(content.count)
            let start = output.count
            output.append(contentsOf: repeatElement(0, count: bound))
            // Safety: as above, within the `bound` bytes appended to `output`.
            let written = output.withUnsafeMutableBytes { buffer in
                ZSTD_compress2(zstdContext, buffer.baseAddress! + start, bound, content.baseAddress, content.count)
            }
            guard ZSTD_isError(written) == 0 else {
                throw JournalError.io(operation: "ZSTD_compress2: " + String(cString: ZSTD_getErrorName(written)),
                                      path: "(memory)", errorNumber: 0)
            }
            output.removeLast(bound - written)
        }
    }
}

/// Decodes the frames of a compressed fragment file, one verified frame at a time.
/// Owns its decompression context; one thread at a time.
final class FrameDecoder {
    let encoding: FragmentEncoding
    let file: any OpenFile
    let fileSizeBytes: Int64
    private var lz4Context: OpaquePointer?
    private var zstdContext: OpaquePointer?
    /// Compressed input, read from the file in `inputChunkBytes` pieces.
    private var input: [UInt8]
    private var inputStart = 0
    private var inputEnd = 0
    /// File position of input[0].
    private var inputPosition: Int64 = 0
    /// Decoded content of the current frame.
    private var output: [UInt8]

    /// Compressed bytes read at a time. 1 MiB: about one frame's worth.
    static let inputChunkBytes = 1 << 20

    init(encoding: FragmentEncoding, file: any OpenFile) throws {
        precondition(encoding != .raw)
        self.encoding = encoding
        self.file = file
        self.fileSizeBytes = try file.sizeBytes()
        input = [UInt8](repeating: 0, count: Self.inputChunkBytes)
        output = [UInt8](repeating: 0, count: Codec.frameContentBytesMax)
        switch encoding {
        case .lz4:
            var context: OpaquePointer?
            let result = LZ4F_createDecompressionContext(&context, UInt32(LZ4F_VERSION))
            guard LZ4F_isError(result) == 0, context != nil else { fatalError("LZ4F_createDecompressionContext failed") }
            lz4Context = context
        case .zst:
            guard let context = ZSTD_createDCtx() else { fatalError("ZSTD_createDCtx failed: out of memory") }
            zstdContext = context
        case .raw:
            break
        }
    }

    deinit {
        if let lz4Context { LZ4F_freeDecompressionContext(lz4Context) }
        if let zstdContext { ZSTD_freeDCtx(zstdContext) }
    }

    /// The file position where the next frame starts.
    var position: Int64 { inputPosition + Int64(inputStart) }

    /// Decodes the next frame and passes its verified content to `body`; returns nil at the end
    /// of the file. Throws `corruptFragment` (with the frame's file position) when the frame is
    /// cut short, malformed, or fails its checksum; `body` then sees none of it.
    func nextFrame<Result>(_ body: (UnsafeRawBufferPointer) throws -> Result) throws -> Result? {
        let frameStart = position
        if frameStart >= fileSizeBytes { return nil }
        var produced = 0
        while true {
            if inputStart == inputEnd {
                inputPosition += Int64(inputEnd)
                inputStart = 0
                inputEnd = try input.withUnsafeMutableBytes { try file.read(into: $0, at: inputPosition) }
                if inputEnd == 0 {
                    resetContext()
                    throw corrupt(frameStart, "frame cut short by the end of the file at \(fileSizeBytes)")
                }
            }
            if produced == output.count {
                guard output.count < Codec.decodedFrameBytesMax else {
                    resetContext()
                    throw corrupt(frameStart, "frame content exceeds \(Codec.decodedFrameBytesMax) bytes")
                }
                output.append(contentsOf: repeatElement(0, count: output.count))
            }
            let (consumed, written, done) = try step(producedSoFar: produced, frameStart: frameStart)
            inputStart += consumed
            produced += written
            if done { break }
        }
        return try output.withUnsafeBytes { try body(UnsafeRawBufferPointer(rebasing: $0[0..<produced])) }
    }

    /// One call into the library: returns input consumed, output written, and whether the
    /// frame ended (checksum verified).
    private func step(producedSoFar produced: Int, frameStart: Int64) throws -> (Int, Int, Bool) {
        let inputCount = inputEnd - inputStart
        let outputRoom = output.count - produced
        switch encoding {
        case .lz4:
            var sourceSize = inputCount
            var destinationSize = outputRoom
            // Safety: source is input[inputStart..<inputEnd], destination output[produced...];
            // liblz4 reads/writes at most the sizes passed and reports what it used.
            let hint = input.withUnsafeBytes { source in
                output.withUnsafeMutableBytes { destination in
                    LZ4F_decompress(lz4Context, destination.baseAddress! + produced, &destinationSize,
                                    source.baseAddress! + inputStart, &sourceSize, nil)
                }
            }
            if LZ4F_isError(hint) != 0 {
                resetContext()
                throw corrupt(frameStart, "lz4: " + String(cString: LZ4F_getErrorName(hint)))
            }
            return (sourceSize, destinationSize, hint == 0)
        case .zst:
            // Safety: as above, with zstd's in/out buffer structs over the same ranges.
            let (result, consumed, written) = input.withUnsafeBytes { source in
                output.withUnsafeMutableBytes { destination in
                    var inBuffer = ZSTD_inBuffer(src: source.baseAddress! + inputStart, size: inputCount, pos: 0)
                    var outBuffer = ZSTD_outBuffer(dst: destination.baseAddress! + produced, size: outputRoom, pos: 0)
                    let result = ZSTD_decompressStream(zstdContext, &outBuffer, &inBuffer)
                    return (result, inBuffer.pos, outBuffer.pos)
                }
            }
            if ZSTD_isError(result) != 0 {
                resetContext()
                throw corrupt(frameStart, "zstd: " + String(cString: ZSTD_getErrorName(result)))
            }
            return (consumed, written, result == 0)
        case .raw:
            preconditionFailure("raw fragments have no frames")
        }
    }

    private func resetContext() {
        if let lz4Context { LZ4F_resetDecompressionContext(lz4Context) }
        if let zstdContext { ZSTD_DCtx_reset(zstdContext, ZSTD_reset_session_only) }
    }

    private func corrupt(_ position: Int64, _ reason: String) -> JournalError {
        .corruptFragment(path: file.path, position: position, offset: nil, reason: reason)
    }
}
