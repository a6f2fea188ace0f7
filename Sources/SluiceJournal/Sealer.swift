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
        let writer = try store.create(begin: begin, end: end, encoding: FragmentEncoding(codec))
        do {
            var cursor = SpoolCursor(spool: spool)
            let hasher = SHA1Hasher()
            let encoder = FrameEncoder(codec: codec)
            var encoded: [UInt8] = []
            encoded.reserveCapacity(Codec.frameContentBytesMax + (Codec.frameContentBytesMax >> 4) + 1024)
            var offset = begin
            while offset < end {
                let content = try cursor.read(from: offset, limit: min(offset + Int64(Codec.frameContentBytesMax), end),
                                              maxBytes: Codec.frameContentBytesMax)
                try content.withUnsafeBytes { raw in
                    hasher.update(raw)
                    if codec == .none {
                        try writer.write(raw)
                    } else {
                        encoded.removeAll(keepingCapacity: true)
                        try encoder.encode(raw, into: &encoded)
                        try encoded.withUnsafeBytes { try writer.write($0) }
                    }
                }
                offset += Int64(content.count)
            }
            return try writer.commit(sha1: hasher.finalizeHex())
        } catch {
            writer.abandon()
            throw error
        }
    }
}
