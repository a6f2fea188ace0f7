import Foundation
import Testing
import SluiceDocument

/// JSONTestSuite (../shared/conformance/json-parsing): `y_` files parse, `n_` files are
/// rejected with an error, `i_` files never crash.
@Suite struct ConformanceTests {
    static let folder = TestPaths.conformance("json-parsing")

    /// `y_` files that Sluice rejects on purpose: SEMANTICS.md §1 makes duplicate property
    /// names an error (RFC 8259 only says names SHOULD be unique). docs/decisions.md.
    static let rejectedByDesign: Set<String> = ["y_object_duplicated_key.json", "y_object_duplicated_key_and_value.json"]

    @Test(.enabled(if: folder != nil, "../shared/conformance/json-parsing is absent"))
    func jsonTestSuite() throws {
        let folder = try #require(Self.folder)
        let names = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix(".json") }.sorted()
        var counts: [String: Int] = [:]
        var parser = JSONParser()
        for name in names {
            let bytes = try [UInt8](Data(contentsOf: folder.appendingPathComponent(name)))
            let outcome = Result { () throws(JSONParseError) -> Document in try parser.parse(bytes) }
            switch (name.prefix(2), outcome) {
            case ("y_", .success(let document)):
                // Round trip: canonical bytes parse back to an equal document with the same bytes.
                let again = try parser.parse(document.jsonBytes)
                #expect(again == document, "\(name) round trip")
                #expect(again.jsonBytes == document.jsonBytes, "\(name) canonical bytes")
                #expect(!Self.rejectedByDesign.contains(name), "\(name) should be rejected (duplicate property)")
                counts["y parsed", default: 0] += 1
            case ("y_", .failure(let error)):
                if Self.rejectedByDesign.contains(name) {
                    guard case .duplicateProperty = error.reason else {
                        Issue.record("\(name): expected a duplicate-property error, got \(error)")
                        continue
                    }
                    counts["y rejected by design", default: 0] += 1
                } else {
                    Issue.record("\(name) must parse: \(error)")
                }
            case ("n_", .success(let document)):
                Issue.record("\(name) must be rejected, parsed as \(document)")
            case ("n_", .failure(let error)):
                #expect(error.offset >= 0 && error.offset <= bytes.count, "\(name) offset in range")
                #expect(error.line >= 1 && error.column >= 1)
                counts["n rejected", default: 0] += 1
            case ("i_", .success):
                counts["i accepted", default: 0] += 1
            case ("i_", .failure):
                counts["i rejected", default: 0] += 1
            default:
                Issue.record("unexpected file \(name)")
            }
        }
        print("json-parsing (\(folder.path)): " + counts.sorted { $0.key < $1.key }.map { "\($0.value) \($0.key)" }.joined(separator: ", "))
        #expect((counts["y parsed"] ?? 0) + (counts["y rejected by design"] ?? 0) == names.filter { $0.hasPrefix("y_") }.count)
        #expect(counts["n rejected"] == names.filter { $0.hasPrefix("n_") }.count)
    }
}
