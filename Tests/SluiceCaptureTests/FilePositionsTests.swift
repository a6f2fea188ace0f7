import Foundation
import Testing
@testable import SluiceCapture
import SluiceDocument

/// The files capture's checkpoint: the byte-exact vector of docs/captures.md, and round trips.
@Suite struct FilePositionsTests {
    @Test func fingerprintIsFNV1a64() {
        #expect(FilePosition.fingerprint([]) == 0xcbf2_9ce4_8422_2325)
        #expect(FilePosition.fingerprint(Array("a".utf8)) == 0xaf63_dc4c_8601_ec8c)
        #expect(FilePosition.fingerprint(Array("foobar".utf8)) == 0x8594_4171_f739_67e8)
    }

    static func documentedCheckpoint() -> FilesCheckpoint {
        let plain = Array("{\"id\":1}\n{\"id\":22}\n".utf8)
        var a = FilePosition()
        a.offset = Int64(plain.count)
        a.line = 2
        a.prefixBytes = plain.count
        a.prefixHash = FilePosition.fingerprint(plain)
        var b = FilePosition()
        b.offset = 9
        b.line = 1
        b.prefixBytes = 22
        b.prefixHash = 0xff
        b.sourceBytes = 22
        var checkpoint = FilesCheckpoint()
        checkpoint.files[.init(target: "acme/orders", path: "in/*.jsonl*")] = ["/srv/in/a.jsonl": a, "/srv/in/b.jsonl.zst": b]
        return checkpoint
    }

    @Test func theDocumentedVector() throws {
        let text = Self.documentedCheckpoint().jsonValue.description
        #expect(text == #"{"bindings":[{"files":{"/srv/in/a.jsonl":{"line":2,"offset":19,"prefixBytes":19,"prefixHash":"f56c847d87956a78"},"/srv/in/b.jsonl.zst":{"line":1,"offset":9,"prefixBytes":22,"prefixHash":"00000000000000ff","sourceBytes":22}},"path":"in/*.jsonl*","target":"acme/orders"}]}"#)
        let documented = try String(contentsOfFile: URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("docs/captures.md").path, encoding: .utf8)
        #expect(documented.contains(text), "docs/captures.md must show the vector")
    }

    @Test func roundTripsThroughJSON() throws {
        let checkpoint = Self.documentedCheckpoint()
        let reread = try FilesCheckpoint(try JSONValue(parsing: checkpoint.jsonValue.description))
        #expect(reread == checkpoint)
        #expect(try FilesCheckpoint(nil) == FilesCheckpoint())
        #expect(throws: FilesCheckpointError.self) { try FilesCheckpoint(["position": 3]) }
    }
}
