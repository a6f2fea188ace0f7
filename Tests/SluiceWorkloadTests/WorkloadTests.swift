import Foundation
import Testing
@testable import SluiceWorkload

@Suite struct WorkloadTests {
    /// FNV-1a over the bytes: enough to pin the workload against accidental change.
    static func fnv1a(_ bytes: [UInt8]) -> UInt64 {
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        for byte in bytes {
            hash ^= UInt64(byte)
            hash &*= 0x0000_0100_0000_01B3
        }
        return hash
    }

    @Test func sameSeedSameBytes() {
        let spec = WorkloadSpec(documents: 2_000, keys: 300, seed: 42)
        #expect(WorkloadGenerator.jsonLines(spec) == WorkloadGenerator.jsonLines(spec))
        let other = WorkloadSpec(documents: 2_000, keys: 300, seed: 43)
        #expect(WorkloadGenerator.jsonLines(spec) != WorkloadGenerator.jsonLines(other))
    }

    /// Pins the bytes of the small standard workload. If this fails, the workload changed:
    /// published figures are no longer comparable. Update only on purpose (docs/workload.md).
    @Test func smallWorkloadIsPinned() {
        let bytes = WorkloadGenerator.jsonLines(.small)
        #expect(bytes.count == WorkloadTests.pinnedSmallByteCount)
        #expect(Self.fnv1a(bytes) == WorkloadTests.pinnedSmallDigest)
    }
    static let pinnedSmallByteCount = 4_198_236
    static let pinnedSmallDigest: UInt64 = 4_318_973_790_853_787_223

    @Test func documentsAreValidJSONWithTheDocumentedShape() throws {
        let spec = WorkloadSpec(documents: 3_000, keys: 1_000, seed: 7)
        let lines = WorkloadGenerator.jsonLines(spec).split(separator: 0x0A)
        #expect(lines.count == 3_000)
        var sizes = 0
        var seenKeys = Set<String>()
        var seqByKey: [String: Int] = [:]
        for (index, line) in lines.enumerated() {
            sizes += line.count
            let object = try #require(JSONSerialization.jsonObject(with: Data(line)) as? [String: Any])
            let id = try #require(object["id"] as? String)
            #expect(id.hasPrefix("key-") && id.count == 10)
            if index < spec.keys { #expect(id == String(format: "key-%06d", index)) }
            seenKeys.insert(id)
            let seq = try #require(object["seq"] as? Int)
            #expect(seq == seqByKey[id, default: 0])
            seqByKey[id] = seq + 1
            let customer = try #require(object["customer"] as? [String: Any])
            #expect(customer.keys.sorted() == ["cid", "city", "name", "region", "tier"])
            #expect(object["amount"] is NSNumber)
            #expect((1...20).contains(try #require(object["qty"] as? Int)))
            #expect((try #require(object["tags"] as? [String])).count <= 3)
            let note = try #require(object["note"] as? String)
            #expect(note.utf8.count >= 95)
            let ts = try #require(object["ts"] as? String)
            #expect(ts.count == 24 && ts.hasPrefix("2024-01-01T") && ts.hasSuffix("Z"))
        }
        #expect(seenKeys.count == 1_000)
        let averageBytes = Double(sizes) / Double(lines.count)
        #expect((380.0...480.0).contains(averageBytes), "average document size \(averageBytes)")
    }

    @Test func sameKeySameCustomer() throws {
        let spec = WorkloadSpec(documents: 5_000, keys: 50, seed: 9)
        var customers: [String: String] = [:]
        for line in WorkloadGenerator.jsonLines(spec).split(separator: 0x0A) {
            let object = try #require(JSONSerialization.jsonObject(with: Data(line)) as? [String: Any])
            let id = try #require(object["id"] as? String)
            let customer = try #require(object["customer"] as? [String: Any])
            let name = try #require(customer["name"] as? String)
            if let known = customers[id] { #expect(known == name) }
            customers[id] = name
        }
    }

    @Test func splitMixIsTheReferenceSequence() {
        // First outputs of SplitMix64 seeded with 0 (reference values from Vigna's C code).
        var random = SplitMix64(seed: 0)
        #expect(random.next() == 0xE220_A839_7B1D_CDAF)
        #expect(random.next() == 0x6E78_9E6A_A1B9_65F4)
        #expect(random.next() == 0x06C4_5D18_8009_454F)
    }
}
