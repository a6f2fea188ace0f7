import Foundation
import Testing
import SluiceTestSupport
import SluiceWorkload

/// `sluice journals compact` killed with SIGKILL at random moments: the fully reduced read of
/// the collection afterwards is identical to the one before (old or new fragments are served,
/// never a mix that loses or doubles a key).
@Suite struct CompactionCrashTests {
    static let catalog = """
    collections:
      acme/ledger:
        schema:
          type: object
          reduce: {strategy: merge}
          required: [id]
          properties:
            id: {type: integer}
            amount: {type: integer, reduce: {strategy: sum}}
            note: {type: string}
        key: [/id]
        journals: {fragments: {length: 16KiB, compressionCodec: ZSTANDARD}}
    """

    @Test func killedCompactionsLoseAndDoubleNothing() throws {
        let directory = TestDirectory("compaction-crash")
        defer { directory.remove() }
        try directory.write("flow.yaml", Self.catalog)
        let sluice = try BuiltProducts.executable("sluice")
        var random = SplitMix64(seed: 0xC0_4AC7)
        var lines: [String] = []
        for _ in 0..<12_000 {
            lines.append(#"{"id":\#(random.below(300)),"amount":\#(random.below(10)),"note":"\#(String(repeating: "x", count: random.below(80)))"}"#)
        }
        let data = directory.file("data")
        func run(_ arguments: [String], dataDirectory: String = data, input: String = "") throws -> (status: Int32, output: String, error: String) {
            try ChildProcess.run(sluice, arguments + ["--catalog", directory.file("flow.yaml"), "--data-dir", dataDirectory], input: input)
        }
        let ingest = try run(["ingest", "acme/ledger", "--batch", "500"], input: lines.joined(separator: "\n") + "\n")
        #expect(ingest.status == 0, "\(ingest.error)")
        let expected = try run(["collections", "read", "acme/ledger", "--reduced"]).output
        #expect(expected.split(separator: "\n").count == 300)

        var killed = 0
        for round in 0..<12 {
            let copy = directory.file("copy-\(round)")
            try FileManager.default.copyItem(atPath: data, toPath: copy)
            let child = try ChildProcess(sluice, ["journals", "compact", "acme/ledger", "--seal", "--catalog", directory.file("flow.yaml"),
                                                  "--data-dir", copy], directory: directory.path, label: "compact-\(round)")
            usleep(UInt32(random.below(400_000)))
            child.signal(SIGKILL)
            if child.wait() == 128 + SIGKILL { killed += 1 }
            let after = try run(["collections", "read", "acme/ledger", "--reduced"], dataDirectory: copy)
            #expect(after.status == 0, "round \(round): \(after.error)")
            #expect(after.output == expected, "round \(round): reduced read differs after a killed compaction")
            // A later compaction completes, and still changes nothing.
            let again = try run(["journals", "compact", "acme/ledger", "--seal"], dataDirectory: copy)
            #expect(again.status == 0, "round \(round): \(again.error)")
            #expect(try run(["collections", "read", "acme/ledger", "--reduced"], dataDirectory: copy).output == expected)
            try FileManager.default.removeItem(atPath: copy)
        }
        #expect(killed >= 3, "too few compactions were killed mid-way to prove anything (\(killed))")
    }
}
