// ShuffleRouting: which shard of a derivation a source document goes to (docs/derivations.md
// "Shards"). A pure function of the packed shuffle key, so every shard agrees without talking.

/// Splits a derivation's documents across `shards` by hashed key range: a document's shuffle
/// key (the transform's `shuffle: {key: […]}`, or the source collection's key for `any`) is
/// packed (FoundationDB tuple encoding), hashed, and shard `i` of `n` owns hashes in
/// `[i·2³²/n, (i+1)·2³²/n)` of the hash's high 32 bits. Keys are spread evenly whatever
/// their distribution, and a given key always lands on the same shard (its state lives in
/// that shard's database) as long as the shard count stays the same.
public enum ShuffleRouting {
    /// FNV-1a (64-bit) of `bytes`, finalized with MurmurHash3's `fmix64` so that the high bits
    /// depend on every input byte.
    public static func hash(_ bytes: UnsafeRawBufferPointer) -> UInt64 {
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        for byte in bytes {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01B3
        }
        hash ^= hash >> 33
        hash = hash &* 0xFF51_AFD7_ED55_8CCD
        hash ^= hash >> 33
        hash = hash &* 0xC4CE_B9FE_1A85_EC53
        hash ^= hash >> 33
        return hash
    }

    public static func hash(_ bytes: [UInt8]) -> UInt64 {
        bytes.withUnsafeBytes { hash($0) }
    }

    /// The shard (0..<shards) that owns a packed key.
    public static func shard(ofPackedKey key: [UInt8], shards: Int) -> Int {
        precondition(shards >= 1, "a derivation has at least one shard")
        guard shards > 1 else { return 0 }
        return Int(((hash(key) >> 32) &* UInt64(shards)) >> 32)
    }

    /// The hash range `[begin, end)` (of the hash's high 32 bits) shard `shard` of `shards` owns.
    public static func range(ofShard shard: Int, shards: Int) -> Range<UInt64> {
        precondition(shards >= 1 && (0..<shards).contains(shard), "shard \(shard) of \(shards)")
        // Smallest h with h·n >> 32 == shard: ceil(shard·2³² / n).
        func begin(_ index: Int) -> UInt64 { (UInt64(index) << 32 + UInt64(shards) - 1) / UInt64(shards) }
        return begin(shard)..<(shard + 1 == shards ? 1 << 32 : begin(shard + 1))
    }
}
