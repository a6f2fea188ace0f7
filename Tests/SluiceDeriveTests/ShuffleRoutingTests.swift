import Testing
import SluiceDerive
import SluiceDocument
import SluiceWorkload

/// docs/derivations.md "Shards": the routing function's vectors (computed by an independent
/// Python script from the documented definition) and its balance.
@Suite struct ShuffleRoutingTests {
    @Test func vectors() {
        let cases: [(bytes: [UInt8], hash: UInt64, shards: [Int])] = [
            ([], 0xEFD0_1F60_BA99_2926, [1, 2, 3, 6]),
            ([0x02, 0x61, 0x00], 0xED14_0DCB_D814_BF1E, [1, 2, 3, 6]),
            ([0x02] + Array("alice".utf8) + [0x00], 0x64A4_F233_8B4D_32D1, [0, 1, 1, 2]),
            ([0x15, 0x01], 0x32C8_626B_2197_4786, [0, 0, 0, 1]),
            ([0x02, 0x63, 0x31, 0x00, 0x15, 0x05], 0x5B31_2F30_885B_7D30, [0, 1, 1, 2]),
        ]
        for (bytes, hash, shards) in cases {
            #expect(ShuffleRouting.hash(bytes) == hash, "\(bytes)")
            #expect([2, 3, 4, 7].map { ShuffleRouting.shard(ofPackedKey: bytes, shards: $0) } == shards, "\(bytes)")
            #expect(ShuffleRouting.shard(ofPackedKey: bytes, shards: 1) == 0)
        }
        // The documented key [/customer/id, /n] of {"customer":{"id":"c1"},"n":5}.
        let document = try! Document(parsing: #"{"customer":{"id":"c1"},"n":5}"#)
        #expect(KeyExtractor(pointers: ["/customer/id", "/n"]).packed(document) == cases[4].bytes)
    }

    @Test func rangesCoverTheHashSpaceAndAgreeWithRouting() {
        for shards in 1...9 {
            var next: UInt64 = 0
            for shard in 0..<shards {
                let range = ShuffleRouting.range(ofShard: shard, shards: shards)
                #expect(range.lowerBound == next)
                next = range.upperBound
                // The edges of the range route to this shard.
                for high in [range.lowerBound, range.upperBound - 1] {
                    #expect(Int((high * UInt64(shards)) >> 32) == shard)
                }
            }
            #expect(next == 1 << 32)
        }
    }

    @Test func keysSpreadEvenly() {
        var random = SplitMix64(seed: 77)
        var counts = [Int](repeating: 0, count: 4)
        for _ in 0..<40_000 {
            let key = KeyExtractor(pointers: ["/id"]).packed(try! Document(JSONValue.object(["id": .string("key-\(random.below(1_000_000))")])))
            counts[ShuffleRouting.shard(ofPackedKey: key, shards: 4)] += 1
        }
        for count in counts { #expect(abs(count - 10_000) < 500, "seed 77: \(counts)") }
    }
}
