// ZstdStream: one zstd frame written incrementally (libzstd's streaming API), for files that
// grow transaction by transaction until they roll.
import CZstd

/// A streaming zstd compressor producing one frame. Not Sendable: one file's writer owns it.
final class ZstdStream {
    // Safety: `context` is created in init, used only by this object's methods, freed in deinit.
    private let context: OpaquePointer
    private var output: [UInt8]

    /// Level 3 is zstd's default: about 3× smaller JSON at hundreds of MB/s.
    static let levelDefault: Int32 = 3

    init(level: Int32 = ZstdStream.levelDefault) {
        guard let context = ZSTD_createCCtx() else { fatalError("ZSTD_createCCtx: out of memory") }
        self.context = context
        ZSTD_CCtx_setParameter(context, ZSTD_c_compressionLevel, level)
        output = [UInt8](repeating: 0, count: ZSTD_CStreamOutSize())
    }

    deinit { ZSTD_freeCCtx(context) }

    /// Compresses `input`, appending what zstd emits to `compressed`; `end` finishes the frame.
    func compress(_ input: [UInt8], end: Bool, into compressed: inout [UInt8]) throws {
        let directive = end ? ZSTD_e_end : ZSTD_e_continue
        try input.withUnsafeBytes { (source: UnsafeRawBufferPointer) throws in
            // Safety: `source` and `output` outlive the calls below; zstd reads `size` bytes from
            // `source` and writes at most `output.count` into `output`.
            var inBuffer = ZSTD_inBuffer(src: source.baseAddress, size: source.count, pos: 0)
            while true {
                let (remaining, produced) = try output.withUnsafeMutableBytes { (target: UnsafeMutableRawBufferPointer) throws -> (Int, Int) in
                    var outBuffer = ZSTD_outBuffer(dst: target.baseAddress, size: target.count, pos: 0)
                    let result = ZSTD_compressStream2(context, &outBuffer, &inBuffer, directive)
                    if ZSTD_isError(result) != 0 { throw ZstdError(message: String(cString: ZSTD_getErrorName(result))) }
                    return (result, outBuffer.pos)
                }
                compressed.append(contentsOf: output[0..<produced])
                // Done when the input is consumed and, at the end, the frame fully flushed.
                if end ? remaining == 0 : inBuffer.pos == inBuffer.size { break }
            }
        }
    }
}

struct ZstdError: Error, CustomStringConvertible {
    let message: String
    var description: String { "zstd: \(message)" }
}
