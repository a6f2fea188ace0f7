/// Reads a sealed fragment's content from its beginning, one verified piece at a time.
///
/// Compressed fragments are checked frame by frame (each frame's checksum before any of its
/// bytes are handed out), and their total content against the name's `[begin, end)`. Raw
/// fragments carry no checksum of their own, so the whole file is checked against the SHA-1 in
/// its name before the first byte is handed out. Errors are `corruptFragment` naming the file,
/// the position and the journal offset.
final class FragmentReader {
    let fragment: SealedFragment
    let file: any OpenFile
    private var decoder: FrameDecoder?
    /// Journal offset of the next byte to come out.
    private(set) var offset: Int64
    private var verified = false

    /// Raw bytes read at a time. 1 MiB.
    static let rawChunkBytes = 1 << 20

    init(fragment: SealedFragment, file: any OpenFile) throws {
        self.fragment = fragment
        self.file = file
        self.offset = fragment.begin
        if fragment.name.encoding != .raw {
            decoder = try FrameDecoder(encoding: fragment.name.encoding, file: file)
        }
    }

    /// The next piece of content as `(begin offset, bytes)`, or nil after the fragment's end.
    func next() throws -> (begin: Int64, bytes: [UInt8])? {
        if offset >= fragment.end {
            if let decoder, decoder.position < decoder.fileSizeBytes {
                throw JournalError.corruptFragment(
                    path: file.path, position: decoder.position, offset: offset,
                    reason: "content continues past the end offset \(fragment.end) in the name")
            }
            return nil
        }
        if let decoder {
            let begin = offset
            let position = decoder.position
            let bytes: [UInt8]?
            do {
                bytes = try decoder.nextFrame { Array($0) }
            } catch JournalError.corruptFragment(let path, let position, _, let reason) {
                throw JournalError.corruptFragment(path: path, position: position, offset: begin, reason: reason)
            }
            guard let bytes else {
                throw JournalError.corruptFragment(
                    path: file.path, position: position, offset: begin,
                    reason: "content ends at offset \(begin), before the end offset \(fragment.end) in the name")
            }
            guard begin + Int64(bytes.count) <= fragment.end else {
                throw JournalError.corruptFragment(
                    path: file.path, position: position, offset: begin,
                    reason: "content continues past the end offset \(fragment.end) in the name")
            }
            offset += Int64(bytes.count)
            return (begin, bytes)
        }
        if !verified { try verifyRaw() }
        let count = Int(min(Int64(Self.rawChunkBytes), fragment.end - offset))
        let begin = offset
        let bytes = try [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
            initialized = try file.read(into: UnsafeMutableRawBufferPointer(buffer), at: begin - fragment.begin)
        }
        guard bytes.count == count else {
            throw JournalError.corruptFragment(path: file.path, position: begin - fragment.begin, offset: begin,
                                               reason: "file ends early")
        }
        offset += Int64(count)
        return (begin, bytes)
    }

    /// Checks a raw fragment's size and SHA-1 against its name.
    private func verifyRaw() throws {
        let size = try file.sizeBytes()
        guard size == fragment.name.lengthBytes else {
            throw JournalError.corruptFragment(
                path: file.path, position: min(size, fragment.name.lengthBytes), offset: fragment.begin + min(size, fragment.name.lengthBytes),
                reason: "file holds \(size) bytes, the name says \(fragment.name.lengthBytes)")
        }
        let hasher = SHA1Hasher()
        var buffer = [UInt8](repeating: 0, count: Self.rawChunkBytes)
        var position: Int64 = 0
        while position < size {
            let count = try buffer.withUnsafeMutableBytes { try file.read(into: $0, at: position) }
            guard count > 0 else { break }
            buffer.withUnsafeBytes { hasher.update(UnsafeRawBufferPointer(rebasing: $0[0..<count])) }
            position += Int64(count)
        }
        let digest = hasher.finalizeHex()
        guard digest == fragment.name.sha1 else {
            throw JournalError.corruptFragment(
                path: file.path, position: nil, offset: fragment.begin,
                reason: "SHA-1 of the content is \(digest), the name says \(fragment.name.sha1) "
                    + "(offsets \(fragment.begin)..<\(fragment.end) are unreadable)")
        }
        verified = true
    }
}
