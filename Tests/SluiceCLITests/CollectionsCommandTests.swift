import Foundation
import Testing
import SluiceTestSupport
import SluiceWorkload

/// `sluice ingest` and `sluice collections read`, run as a user would.
@Suite struct CollectionsCommandTests {
    static let catalog = """
    collections:
      acme/orders:
        schema:
          type: object
          reduce: {strategy: merge}
          required: [id, region]
          properties:
            id: {type: integer}
            region: {type: string}
            amount: {type: number, reduce: {strategy: sum}}
        key: [/id]
        projections: {region: {location: /region, partition: true}}
    """

    func sluice(_ arguments: [String], in directory: TestDirectory, input: String = "") throws -> (status: Int32, output: String, error: String) {
        try ChildProcess.run(try BuiltProducts.executable("sluice"),
                             arguments + ["--catalog", directory.file("flow.yaml"), "--data-dir", directory.file("data")],
                             input: input)
    }

    @Test func ingestThenReadCommittedReducedAndUncommitted() throws {
        let directory = TestDirectory("cli-collections")
        defer { directory.remove() }
        try directory.write("flow.yaml", Self.catalog)
        let input = (0..<30).map { #"{"id":\#($0 % 10),"region":"\#(["eu", "na"][$0 % 2])","amount":1}"# }.joined(separator: "\n") + "\n"
        let ingest = try sluice(["ingest", "acme/orders", "--batch", "7"], in: directory, input: input)
        #expect(ingest.status == 0, "\(ingest.error)")
        #expect(ingest.output == #"{"collection":"acme/orders","documents":30,"transactions":5}"# + "\n")

        let committed = try sluice(["collections", "read", "acme/orders"], in: directory)
        #expect(committed.status == 0)
        let lines = committed.output.split(separator: "\n")
        #expect(!lines.isEmpty && lines.allSatisfy { $0.contains(#""_meta":{"uuid":""#) })

        let reduced = try sluice(["collections", "read", "acme/orders", "--reduced"], in: directory)
        #expect(reduced.status == 0)
        let expected = (0..<10).map { #"{"amount":3,"id":\#($0),"region":"\#(["eu", "na"][$0 % 2])"}"# }
        #expect(reduced.output.split(separator: "\n").map(String.init) == expected)

        let europe = try sluice(["collections", "read", "acme/orders", "--reduced", "--partition", "region=eu"], in: directory)
        #expect(europe.output.split(separator: "\n").count == 5)

        let raw = try sluice(["collections", "read", "acme/orders", "--uncommitted"], in: directory)
        #expect(raw.output.components(separatedBy: #""ack":true"#).count - 1 == 10)  // 5 transactions × 2 journals
    }

    @Test func anInvalidDocumentNamesItsLineAndCommitsNothingOfItsTransaction() throws {
        let directory = TestDirectory("cli-collections")
        defer { directory.remove() }
        try directory.write("flow.yaml", Self.catalog)
        let input = """
        {"id":1,"region":"eu","amount":1}
        {"id":2,"region":"eu","amount":1}
        {"id":3,"region":"eu","amount":1}
        {"id":"four","region":"eu"}
        {"id":5,"region":"eu","amount":1}

        """
        let ingest = try sluice(["ingest", "acme/orders", "--batch", "2"], in: directory, input: input)
        #expect(ingest.status == 1)
        #expect(ingest.error.hasPrefix("error: standard input line 4: invalid document for acme/orders: /id"))
        #expect(ingest.error.contains("(transaction from line 3 not committed; 2 documents in 1 transactions committed before it)"))
        let reduced = try sluice(["collections", "read", "acme/orders", "--reduced"], in: directory)
        #expect(reduced.output.split(separator: "\n").count == 2)

        let broken = try sluice(["ingest", "acme/orders"], in: directory, input: "{\"id\":1,\n")
        #expect(broken.status == 1)
        #expect(broken.error.contains("standard input line 1"))
    }

    @Test func unknownCollectionsAndBadCatalogsAreUserErrors() throws {
        let directory = TestDirectory("cli-collections")
        defer { directory.remove() }
        try directory.write("flow.yaml", Self.catalog)
        let unknown = try sluice(["collections", "read", "acme/order"], in: directory)
        #expect(unknown.status == 1)
        #expect(unknown.error == "error: no collection named acme/order (collections: acme/orders)\n")
        try directory.write("flow.yaml", "collections:\n  acme/orders: {key: [id]}\n")
        let bad = try sluice(["ingest", "acme/orders"], in: directory)
        #expect(bad.status == 1)
        #expect(bad.error.contains("flow.yaml:2:16: collections[acme/orders]: missing required property \"schema\""))
        let partition = try sluice(["collections", "read", "acme/orders", "--partition", "x"], in: directory)
        #expect(partition.status == 1)
    }
}
