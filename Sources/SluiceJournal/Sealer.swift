/// Turns a rolled spool into a sealed fragment: reads its records (checking each), writes the
/// content in frames of the journal's codec to a temporary in the store, hashing the content
/// with SHA-1 as it goes, then commits it under its content-addressed name (fdatasync, rename,
/// directory fsync). The spool is left untouched; the journal removes it once the fragment is
/// in its index.
enum Sealer {
    static func seal(_ spool: Spool, codec: FragmentCodec, store: any FragmentStore) throws -> SealedFragment {
        let begin = spool.begin
        let end = spool.end
        precondition(begin < end, "an empty spool is never sealed")
        var cursor = SpoolCursor(spool: spool)
        var offset = begin
        return try writeFragment(begin: begin, end: end, codec: codec, store: store, compacted: false) {
            guard offset < end else { return nil }
            let content = try cursor.read(from: offset, limit: min(offset + Int64(Codec.frameContentBytesMax), end),
                                          maxBytes: Codec.frameContentBytesMax)
            offset += Int64(content.count)
            return content
        }
    }

    /// Writes the fragment `[begin, end)` whose content `nextContent` yields in pieces (nil at
    /// the end), in frames of `codec`, hashing it with SHA-1, and commits it under its name.
    /// The content must be exactly `end - begin` bytes. A failure removes the temporary.
    static func writeFragment(begin: Int64, end: Int64, codec: FragmentCodec, store: any FragmentStore, compacted: Bool,
                              nextContent: () throws -> [UInt8]?) throws -> SealedFragment {
        let writer = try store.create(begin: begin, end: end, encoding: FragmentEncoding(codec), compacted: compacted)
        do {
            let hasher = SHA1Hasher()
            let encoder = FrameEncoder(codec: codec)
            var encoded: [UInt8] = []
            encoded.reserveCapacity(Codec.frameContentBytesMax + (Codec.frameContentBytesMax >> 4) + 1024)
            var written: Int64 = 0
            while let content = try nextContent() {
                var position = 0
                while position < content.count {
                    // Frames hold at most frameContentBytesMax of content each.
                    let piece = content[position..<min(content.count, position + Codec.frameContentBytesMax)]
                    try piece.withUnsafeBytes { raw in
                        hasher.update(raw)
                        if codec == .none {
                            try writer.write(raw)
                        } else {
                            encoded.removeAll(keepingCapacity: true)
                            try encoder.encode(raw, into: &encoded)
                            try encoded.withUnsafeBytes { try writer.write($0) }
                        }
                    }
                    position += piece.count
                }
                written += Int64(content.count)
            }
            precondition(written == end - begin, "a fragment's content is exactly its range")
            return try writer.commit(sha1: hasher.finalizeHex())
        } catch {
            writer.abandon()
            throw error
        }
    }
}
