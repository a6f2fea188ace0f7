import CLZ4
import CZlib
import CZstd
import Foundation

/// Where file bytes come from: a plain file, or a decoder over one. `read` fills the front of
/// `buffer` and returns how many bytes it wrote, 0 at the end of what the file holds now.
protocol ByteSource: AnyObject {
    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int
    /// After `read` returned 0: true when the input ended inside a compressed frame (a file
    /// still being written, or cut short).
    var endedInsideFrame: Bool { get }
}

/// The compression of a file, from its last extension.
enum InputCompression: String, Sendable, CaseIterable {
    case none, zstd, lz4, gzip

    /// `.zst`/`.zstd`, `.lz4`, `.gz`/`.gzip`; anything else is plain.
    init(path: String) {
        switch (path as NSString).pathExtension.lowercased() {
        case "zst", "zstd": self = .zstd
        case "lz4": self = .lz4
        case "gz", "gzip": self = .gzip
        default: self = .none
        }
    }

    /// The path without the compression extension (`a.jsonl.zst` → `a.jsonl`).
    static func strippingExtension(_ path: String) -> String {
        InputCompression(path: path) == .none ? path : (path as NSString).deletingPathExtension
    }

    /// Opens `path` for reading from its start, decoding it.
    func open(_ path: String) throws -> any ByteSource {
        let file = try PlainFile(path: path)
        switch self {
        case .none: return file
        case .zstd: return try ZstdDecoder(file)
        case .lz4: return try LZ4FrameDecoder(file)
        case .gzip: return try GzipDecoder(file)
        }
    }
}

/// A failure reading or decoding an input file, naming it.
struct InputError: Error, CustomStringConvertible {
    let path: String
    let message: String
    var description: String { "file \(path): \(message)" }
}

/// A regular file read with read(2).
final class PlainFile: ByteSource {
    let path: String
    private let descriptor: Int32
    /// Bytes read so far (from the start, or from the offset `seek` set).
    private(set) var offset: Int64 = 0

    init(path: String) throws {
        self.path = path
        descriptor = Foundation.open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw InputError(path: path, message: "cannot open: \(String(cString: strerror(errno)))") }
    }

    deinit { close(descriptor) }

    var endedInsideFrame: Bool { false }

    func seek(to position: Int64) throws {
        guard lseek(descriptor, off_t(position), SEEK_SET) >= 0 else {
            throw InputError(path: path, message: "cannot seek to offset \(position): \(String(cString: strerror(errno)))")
        }
        offset = position
    }

    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        guard let base = buffer.baseAddress, buffer.count > 0 else { return 0 }
        while true {
            // Safety: read(2) writes at most `buffer.count` bytes into the buffer.
            let count = Foundation.read(descriptor, base, buffer.count)
            if count >= 0 {
                offset += Int64(count)
                return count
            }
            if errno == EINTR { continue }
            throw InputError(path: path, message: "read failed at offset \(offset): \(String(cString: strerror(errno)))")
        }
    }

    /// Reads up to `count` bytes from `position` without moving the read offset (fingerprints).
    func bytes(at position: Int64, count: Int) throws -> [UInt8] {
        var result = [UInt8](repeating: 0, count: count)
        var filled = 0
        while filled < count {
            let got = result.withUnsafeMutableBytes { buffer in
                // Safety: pread writes at most `count - filled` bytes after `filled`.
                pread(descriptor, buffer.baseAddress! + filled, count - filled, off_t(position) + off_t(filled))
            }
            if got < 0 {
                if errno == EINTR { continue }
                throw InputError(path: path, message: "read failed at offset \(position + Int64(filled)): \(String(cString: strerror(errno)))")
            }
            if got == 0 { break }
            filled += got
        }
        result.removeLast(count - filled)
        return result
    }
}

/// The compressed bytes a decoder reads at a time: 256 KiB, several zstd blocks (128 KiB max).
private let compressedChunkBytes = 256 << 10

/// Decodes zstd frames (concatenated frames are one stream) with libzstd's streaming API.
final class ZstdDecoder: ByteSource {
    private let file: PlainFile
    private let context: OpaquePointer
    private var input: [UInt8] = []
    private var inputPosition = 0
    /// libzstd's hint after the last call: 0 when a frame just ended.
    private var frameRemainder = 0
    private var inputEnded = false

    init(_ file: PlainFile) throws {
        self.file = file
        guard let context = ZSTD_createDCtx() else { throw InputError(path: file.path, message: "zstd: out of memory") }
        self.context = context
    }

    deinit { ZSTD_freeDCtx(context) }

    var endedInsideFrame: Bool { inputEnded && frameRemainder != 0 }

    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        while true {
            if inputPosition == input.count, !inputEnded {
                input = [UInt8](repeating: 0, count: compressedChunkBytes)
                let count = try input.withUnsafeMutableBytes { try file.read(into: $0) }
                input.removeLast(input.count - count)
                inputPosition = 0
                if count == 0 { inputEnded = true }
            }
            if inputPosition == input.count && inputEnded { return 0 }
            let (written, hint) = try input.withUnsafeBytes { source -> (Int, Int) in
                // Safety: libzstd reads [pos, size) of `source` and writes [0, size) of `buffer`.
                var inBuffer = ZSTD_inBuffer(src: source.baseAddress, size: source.count, pos: inputPosition)
                var outBuffer = ZSTD_outBuffer(dst: buffer.baseAddress, size: buffer.count, pos: 0)
                let result = ZSTD_decompressStream(context, &outBuffer, &inBuffer)
                if ZSTD_isError(result) != 0 {
                    throw InputError(path: file.path, message: "zstd: \(String(cString: ZSTD_getErrorName(result))) "
                                     + "(compressed offset \(file.offset - Int64(source.count) + Int64(inputPosition)))")
                }
                inputPosition = inBuffer.pos
                return (outBuffer.pos, result)
            }
            frameRemainder = hint
            if written > 0 { return written }
        }
    }
}

/// Decodes LZ4 frames (the `lz4` command's format; concatenated frames too) with lz4frame.
final class LZ4FrameDecoder: ByteSource {
    private let file: PlainFile
    private var context: OpaquePointer?
    private var input: [UInt8] = []
    private var inputPosition = 0
    private var frameRemainder = 0
    private var inputEnded = false

    init(_ file: PlainFile) throws {
        self.file = file
        let result = LZ4F_createDecompressionContext(&context, UInt32(LZ4F_VERSION))
        guard LZ4F_isError(result) == 0, context != nil else { throw InputError(path: file.path, message: "lz4: out of memory") }
    }

    deinit { LZ4F_freeDecompressionContext(context) }

    var endedInsideFrame: Bool { inputEnded && frameRemainder != 0 }

    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        while true {
            if inputPosition == input.count, !inputEnded {
                input = [UInt8](repeating: 0, count: compressedChunkBytes)
                let count = try input.withUnsafeMutableBytes { try file.read(into: $0) }
                input.removeLast(input.count - count)
                inputPosition = 0
                if count == 0 { inputEnded = true }
            }
            if inputPosition == input.count && inputEnded { return 0 }
            let (written, hint) = try input.withUnsafeBytes { source -> (Int, Int) in
                // Safety: lz4 reads at most `sourceSize` bytes from the position and writes at
                // most `destinationSize` bytes into `buffer`.
                var destinationSize = buffer.count
                var sourceSize = source.count - inputPosition
                let result = LZ4F_decompress(context, buffer.baseAddress, &destinationSize,
                                             source.baseAddress! + inputPosition, &sourceSize, nil)
                if LZ4F_isError(result) != 0 {
                    throw InputError(path: file.path, message: "lz4: \(String(cString: LZ4F_getErrorName(result)))")
                }
                inputPosition += sourceSize
                return (destinationSize, result)
            }
            frameRemainder = hint
            if written > 0 { return written }
        }
    }
}

/// Decodes gzip (and zlib) streams with zlib's inflate; concatenated gzip members are one stream.
final class GzipDecoder: ByteSource {
    private let file: PlainFile
    private var stream = z_stream()
    private var input: [UInt8] = []
    private var inputEnded = false
    private var insideMember = false

    init(_ file: PlainFile) throws {
        self.file = file
        // 15 window bits + 32: detect gzip or zlib headers.
        let result = inflateInit2_(&stream, 15 + 32, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size))
        guard result == Z_OK else { throw InputError(path: file.path, message: "gzip: cannot start zlib (\(result))") }
    }

    deinit { inflateEnd(&stream) }

    var endedInsideFrame: Bool { inputEnded && insideMember }

    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        while true {
            if stream.avail_in == 0, !inputEnded {
                input = [UInt8](repeating: 0, count: compressedChunkBytes)
                let count = try input.withUnsafeMutableBytes { try file.read(into: $0) }
                input.removeLast(input.count - count)
                stream.avail_in = uInt(count)
                if count == 0 { inputEnded = true }
            }
            let available = Int(stream.avail_in)
            if available == 0 && inputEnded { return 0 }
            let consumedFrom = input.count - available
            let (written, result) = input.withUnsafeMutableBytes { source -> (Int, Int32) in
                // Safety: zlib reads `avail_in` bytes at `next_in` and writes at most
                // `avail_out` bytes at `next_out`; both pointers live only during this call.
                stream.next_in = source.baseAddress!.assumingMemoryBound(to: Bytef.self) + consumedFrom
                stream.avail_in = uInt(available)
                stream.next_out = buffer.baseAddress!.assumingMemoryBound(to: Bytef.self)
                stream.avail_out = uInt(buffer.count)
                let result = inflate(&stream, Z_NO_FLUSH)
                let written = buffer.count - Int(stream.avail_out)
                stream.next_in = nil
                stream.next_out = nil
                return (written, result)
            }
            switch result {
            case Z_OK, Z_BUF_ERROR:
                insideMember = true
            case Z_STREAM_END:
                insideMember = false
                inflateReset(&stream)
            default:
                let message = stream.msg.map { String(cString: $0) } ?? "error \(result)"
                throw InputError(path: file.path, message: "gzip: \(message)")
            }
            if written > 0 { return written }
            if result == Z_BUF_ERROR && stream.avail_in == 0 && inputEnded { return 0 }
        }
    }
}
