import Testing
@testable import SluiceDocument

/// Pinned sizes: a change here changes memory use everywhere documents are held.
@Suite struct MemoryLayoutTests {
    @Test func sizes() throws {
        #expect(MemoryLayout<TapeEntry>.size == 16)
        #expect(MemoryLayout<TapeEntry>.stride == 16)
        #expect(MemoryLayout<Document>.size == 8)
        #expect(MemoryLayout<Node>.size == 16)
        #expect(MemoryLayout<JSONNumber>.size == 9)
        #expect(MemoryLayout<JSONValue>.size == 17)
        // The standard workload's documents: one tape entry per value and property name.
        let document = try Document(parsing: #"{"id":"key-000001","seq":0,"ts":"2024-01-01T00:00:00.036Z","customer":{"cid":"c-6182","name":"Ann Lee","tier":"gold","region":"eu","city":"Lyon"},"amount":123.45,"qty":3,"tags":["a","b"],"note":"short"}"#)
        #expect(document.entryCount == 1 + 2 * 8 + 2 * 5 + 2)
    }
}
