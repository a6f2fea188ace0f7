import Foundation

/// A buffered writer to standard output for commands that print many records.
/// `print` flushes per line when stdout is a pipe on Linux, which caps output near 20 MB/s.
final class StandardOutput {
    private var buffer: [UInt8] = []
    private let flushThreshold = 1 << 20  // bytes; large enough to amortize write(2) calls

    init() { buffer.reserveCapacity(flushThreshold + 4096) }

    func write(_ bytes: some Collection<UInt8>) {
        buffer.append(contentsOf: bytes)
        if buffer.count >= flushThreshold { flush() }
    }

    func write(_ string: String) { write(string.utf8) }

    func flush() {
        guard !buffer.isEmpty else { return }
        buffer.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                let written = Foundation.write(1, raw.baseAddress! + offset, raw.count - offset)
                if written < 0 {
                    if errno == EINTR { continue }
                    return  // stdout closed (for example `| head`): drop the rest quietly
                }
                offset += written
            }
        }
        buffer.removeAll(keepingCapacity: true)
    }

    deinit { flush() }
}
