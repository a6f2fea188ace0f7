import Foundation
import SluiceTestSupport
import Testing

/// A document refused for what it is (its schema) fails the task for good: `sluice run` exits 1
/// naming the document, instead of retrying the same input forever, and what was committed
/// before stays readable.
@Suite struct RunDataErrorTests {
    static let catalog = """
    collections:
      acme/items:
        schema: {type: object, required: [id], properties: {id: {type: integer}, n: {type: integer}}}
        key: [/id]
      acme/out:
        schema: {type: object, required: [id], properties: {id: {type: integer}, n: {type: string}}}
        key: [/id]
        derive:
          using: {sqlite: {}}
          transforms:
            - {name: copy, source: acme/items, lambda: "SELECT $id, $n;"}
    """

    @Test func aCapturedDocumentItsSchemaRejectsEndsTheRunWithExitOne() throws {
        let directory = TestDirectory("run-data-error")
        defer { directory.remove() }
        let sluice = try BuiltProducts.executable("sluice")
        try directory.write("flow.yaml", """
            collections:
              acme/items:
                schema: {type: object, required: [id], properties: {id: {type: integer}, n: {type: integer}}}
                key: [/id]
            captures:
              acme/files:
                endpoint: {files: {root: in}}
                bindings:
                  - {resource: {path: "*.jsonl"}, target: acme/items}
            """)
        let data = directory.file("data")
        try directory.write("in/a.jsonl", #"{"id":1,"n":1}"# + "\n")
        let first = try ChildProcess.run(sluice, ["run", directory.file("flow.yaml"), "--data-dir", data, "--until-idle", "--quiet"])
        #expect(first.status == 0, "\(first.error)")
        try directory.write("in/b.jsonl", #"{"id":2,"n":"two"}"# + "\n")
        let second = try ChildProcess.run(sluice, ["run", directory.file("flow.yaml"), "--data-dir", data, "--until-idle", "--quiet",
                                                   "--log-level", "critical"])
        #expect(second.status == 1)
        #expect(second.error.contains("acme/files") && second.error.contains("/n: expected integer"), "\(second.error)")
        let read = try ChildProcess.run(sluice, ["collections", "read", "acme/items", "--catalog", directory.file("flow.yaml"),
                                                 "--data-dir", data])
        #expect(read.status == 0 && read.output.contains(#""id":1"#) && !read.output.contains(#""id":2"#), "\(read.output)")
    }

    @Test func aDerivedDocumentItsSchemaRejectsEndsTheRunWithExitOne() throws {
        let directory = TestDirectory("run-data-error")
        defer { directory.remove() }
        let sluice = try BuiltProducts.executable("sluice")
        try directory.write("flow.yaml", Self.catalog)
        let data = directory.file("data")
        let ingest = try ChildProcess.run(sluice, ["ingest", "acme/items", "--catalog", directory.file("flow.yaml"), "--data-dir", data],
                                          input: #"{"id":1,"n":2}"# + "\n")
        #expect(ingest.status == 0, "\(ingest.error)")
        let run = try ChildProcess.run(sluice, ["run", directory.file("flow.yaml"), "--data-dir", data, "--until-idle", "--quiet",
                                                "--log-level", "critical"])
        #expect(run.status == 1)
        #expect(run.error.contains("transform copy, source document acme/items/pivot=00@0"), "\(run.error)")
        #expect(run.error.contains("/n: expected string, found integer 2"), "\(run.error)")
    }
}
