import Foundation
import Testing
import SluiceTestSupport

/// `sluice test` and `sluice preview` as built: the examples' catalog tests pass (so they run in
/// `make test`), wrong expectations fail with a diff and exit 1, bad lambdas are refused.
@Suite struct TestCommandTests {
    static var examples: String { BuiltProducts.repositoryRoot + "/examples/derivations" }

    @Test func theExamplesCatalogTestsPass() throws {
        let sluice = try BuiltProducts.executable("sluice")
        let result = try ChildProcess.run(sluice, ["test", Self.examples + "/flow.yaml"])
        #expect(result.status == 0, "\(result.output)\(result.error)")
        let lines = result.output.split(separator: "\n").map(String.init)
        #expect(Array(lines.dropLast()) == [
            "ok     acme/tests/filtering (2 steps)",
            "ok     acme/tests/running-totals (4 steps)",
            "ok     crm/tests/calls-joined-to-deals (5 steps)",
            "ok     crm/tests/deletes (3 steps)",
            "ok     shop/tests/fan-out (2 steps)",
        ])
        #expect(lines.last?.hasPrefix("5 tests: 5 passed, 0 failed (") == true)
        let one = try ChildProcess.run(sluice, ["test", "--catalog", Self.examples + "/flow.yaml", "--test", "shop/tests/fan-out"])
        #expect(one.status == 0)
        #expect(one.output.hasPrefix("ok     shop/tests/fan-out (2 steps)\n1 test: 1 passed, 0 failed"))
    }

    @Test func wrongExpectationsFailWithADiff() throws {
        let directory = TestDirectory("test-command")
        defer { directory.remove() }
        for file in ["flow.yaml", "joins.yaml", "carts.yaml", "customers.yaml"] {
            var text = try String(contentsOfFile: Self.examples + "/" + file, encoding: .utf8)
            text = text.replacingOccurrences(of: "- {sku: apple, qty: 5, carts: 2}", with: "- {sku: apple, qty: 6, carts: 2}")
            try directory.write(file, text)
        }
        let sluice = try BuiltProducts.executable("sluice")
        let result = try ChildProcess.run(sluice, ["test", directory.file("flow.yaml")])
        #expect(result.status == 1)
        #expect(result.output.contains("""
            FAILED shop/tests/fan-out (\(directory.file("carts.yaml")):37:3), at step 2 of 2:
              step 2 (verify shop/sku-quantities, \(directory.file("carts.yaml")):44:7): the documents of shop/sku-quantities differ
                document 1 of 2, key ["apple"]:
                  /qty: expected 6, found 5
            """), "\(result.output)")
        #expect(result.output.contains("5 tests: 4 passed, 1 failed"))
        #expect(result.error == "error: 1 of 5 tests failed\n")
    }

    @Test func unknownLambdaParametersAreRefusedBeforeRunning() throws {
        let directory = TestDirectory("test-command")
        defer { directory.remove() }
        try directory.write("flow.yaml", """
            collections:
              a/src: {schema: {type: object, required: [id], properties: {id: {type: integer}, amount: {type: number}}}, key: [/id]}
              a/out:
                schema: {type: object, required: [id], properties: {id: {type: integer}}}
                key: [/id]
                derive:
                  using: {sqlite: {}}
                  transforms: [{name: t, source: a/src, lambda: "SELECT $id, $amonut;"}]
            tests:
              a/t: [{verify: {collection: a/out, documents: []}}]
            """)
        let sluice = try BuiltProducts.executable("sluice")
        let result = try ChildProcess.run(sluice, ["test", directory.file("flow.yaml")])
        #expect(result.status == 1)
        #expect(result.error == """
            error: \(directory.file("flow.yaml")):8:53: collections[a/out].derive.transforms[0].lambda: lambda line 1, column 13: \
            parameter $amonut is not a field of the source (did you mean $amount?)
            1 error in the catalog

            """)
    }

    @Test func previewPrintsWhatTheDerivationPublishes() throws {
        let sluice = try BuiltProducts.executable("sluice")
        let arguments = ["preview", Self.examples + "/flow.yaml", "--name", "acme/customer-totals", "--fixture",
                         Self.examples + "/fixtures/orders.jsonl"]
        let result = try ChildProcess.run(sluice, arguments)
        #expect(result.status == 0, "\(result.error)")
        #expect(result.output == """
            {"customer":"alice","last_order":1,"orders":1,"running_total":20.0,"total":20}
            {"customer":"bob","last_order":2,"orders":1,"running_total":5.5,"total":5.5}
            {"customer":"alice","last_order":3,"orders":1,"running_total":50.0,"total":30}
            {"customer":"bob","last_order":4,"orders":1,"running_total":7.0,"total":1.5}

            """)
        let reduced = try ChildProcess.run(sluice, arguments + ["--reduced"])
        #expect(reduced.output == """
            {"customer":"alice","last_order":3,"orders":2,"running_total":50.0,"total":50}
            {"customer":"bob","last_order":4,"orders":2,"running_total":7.0,"total":7.0}

            """)
    }

    /// readDelay in preview: documents come out when the simulated clock reaches their time.
    @Test func previewRunsReadDelaysOnASimulatedClock() throws {
        let directory = TestDirectory("preview")
        defer { directory.remove() }
        try directory.write("flow.yaml", """
            collections:
              a/events: {schema: {type: object, required: [id], properties: {id: {type: string}}}, key: [/id]}
              a/out:
                schema: {type: object, required: [id, via], properties: {id: {type: string}, via: {type: string}}}
                key: [/id, /via]
                derive:
                  using: {sqlite: {}}
                  transforms:
                    - {name: late, source: a/events, readDelay: 10m, lambda: "SELECT $id, 'late' AS via;"}
                    - {name: now, source: a/events, lambda: "SELECT $id, 'now' AS via;"}
            """)
        try directory.write("fixture.jsonl", """
            {"id": "e1"}
            ["@advance", "5m"]
            {"id": "e2"}
            ["@advance", "6m"]
            ["now", {"id": "e3"}]

            """)
        let sluice = try BuiltProducts.executable("sluice")
        let result = try ChildProcess.run(sluice, ["preview", directory.file("flow.yaml"), "--name", "a/out", "--fixture", directory.file("fixture.jsonl")])
        #expect(result.status == 0, "\(result.error)")
        #expect(result.output.split(separator: "\n") == [
            #"{"id":"e1","via":"now"}"#, #"{"id":"e2","via":"now"}"#, #"{"id":"e1","via":"late"}"#,
            #"{"id":"e3","via":"now"}"#, #"{"id":"e2","via":"late"}"#, #"{"id":"e3","via":"late"}"#,
        ])
        try directory.write("bad.jsonl", "[\"nowhere\", {\"id\": \"x\"}]\n")
        let bad = try ChildProcess.run(sluice, ["preview", directory.file("flow.yaml"), "--name", "a/out", "--fixture", directory.file("bad.jsonl")])
        #expect(bad.status == 1)
        #expect(bad.error == "error: \(directory.file("bad.jsonl")):1: nowhere is neither a transform nor a source collection of a/out (it has: late, now, a/events)\n")
    }
}
