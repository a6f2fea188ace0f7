// SpillFile: an unlinked temporary file that spill runs are appended to and read back from.
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A temporary file made with `mkstemp` and unlinked at once, so it vanishes when closed (or
/// when the process dies). Appended to at its end; read anywhere with `pread`. Owned by one
/// combiner (then its drainer) at a time.
final class SpillFile {
    let path: String
    private let descriptor: Int32
    /// Bytes written so far (the offset of the next append).
    private(set) var length = 0

    init(directory: String) throws(CombineError) {
        var template = Array((directory + "/sluice-combine-XXXXXX").utf8CString)
        let descriptor = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        let path = String(cString: template.map { UInt8(bitPattern: $0) })
        guard descriptor >= 0 else {
            throw CombineError.spill(path: path, offset: 0, message: "cannot create: \(String(cString: strerror(errno)))")
        }
        unlink(path)
        self.path = path
        self.descriptor = descriptor
    }

    deinit { close(descriptor) }

    /// Appends `bytes`; returns the offset they start at.
    @discardableResult
    func append(_ bytes: UnsafeRawBufferPointer) throws(CombineError) -> Int {
        let start = length
        var written = 0
        while written < bytes.count {
            // Safety: the range stays inside `bytes`.
            let result = pwrite(descriptor, bytes.baseAddress! + written, bytes.count - written, off_t(start + written))
            if result < 0 {
                if errno == EINTR { continue }
                throw CombineError.spill(path: path, offset: start + written, message: "write failed: \(String(cString: strerror(errno)))")
            }
            written += result
        }
        length += bytes.count
        return start
    }

    /// Reads exactly `buffer.count` bytes at `offset`.
    func read(into buffer: UnsafeMutableRawBufferPointer, at offset: Int) throws(CombineError) {
        var done = 0
        while done < buffer.count {
            // Safety: the range stays inside `buffer`.
            let result = pread(descriptor, buffer.baseAddress! + done, buffer.count - done, off_t(offset + done))
            if result < 0 {
                if errno == EINTR { continue }
                throw CombineError.spill(path: path, offset: offset + done, message: "read failed: \(String(cString: strerror(errno)))")
            }
            if result == 0 {
                throw CombineError.spill(path: path, offset: offset + done, message: "unexpected end of file (length \(length))")
            }
            done += result
        }
    }
}
