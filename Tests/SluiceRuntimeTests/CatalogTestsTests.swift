import Foundation
import Logging
import Testing
import SluiceCatalog
import SluiceDocument
@testable import SluiceRuntime
import SluiceTestSupport

/// The catalog test runner: right output passes, wrong output fails with a readable diff.
@Suite struct CatalogTestsTests {
    static let catalog = """
    collections:
      acme/orders:
        schema: {type: object, required: [id, customer, amount], properties: {id: {type: integer}, customer: {type: string}, amount: {type: number}}}
        key: [/id]
      acme/totals:
        schema:
          type: object
          reduce: {strategy: merge}
          required: [customer]
          properties:
            customer: {type: string}
            total: {type: number, reduce: {strategy: sum}}
            tags: {type: array}
            detail: {type: object}
        key: [/customer]
        derive:
          using: {sqlite: {}}
          transforms:
            - name: fromOrders
              source: acme/orders
              readDelay: READ_DELAY
              lambda: SELECT $customer, $amount AS total, json_array('x', $id) AS tags, json_object('last', $id) AS detail;
    tests:
      acme/tests/t:
        - ingest: {collection: acme/orders, documents: [{id: 1, customer: a, amount: 2}, {id: 2, customer: b, amount: 3}, {id: 3, customer: a, amount: 4}]}
        - verify: {collection: acme/totals, documents: EXPECTED}
    """

    func run(_ expected: String, readDelay: String = "0") async throws -> CatalogTestOutcome {
        let directory = TestDirectory("catalog-tests")
        defer { directory.remove() }
        let yaml = Self.catalog.replacingOccurrences(of: "EXPECTED", with: expected).replacingOccurrences(of: "READ_DELAY", with: readDelay)
        let catalog = try CatalogLoader.load(yaml: yaml, path: directory.file("flow.yaml"))
        var logger = Logger(label: "test")
        logger.logLevel = .error
        let outcomes = try await CatalogTestRunner(catalog: catalog, logger: logger).run(workDirectory: directory.file("work"))
        #expect(outcomes.count == 1)
        return outcomes[0]
    }

    @Test func exactAndPartialExpectationsPass() async throws {
        #expect(try await run("[{customer: a, total: 6, tags: [x, 3], detail: {last: 3}}, {customer: b, total: 3, tags: [x, 2], detail: {last: 2}}]").passed)
        // Partial documents (the key, and any subset of properties at any depth), any order.
        #expect(try await run("[{customer: b}, {customer: a, detail: {}}]").passed)
        // Read delays elapse before a verify (the clock moves to each due time).
        #expect(try await run("[{customer: a, total: 6}, {customer: b, total: 3}]", readDelay: "2h").passed)
    }

    @Test func wrongOutputFailsWithAReadableDiff() async throws {
        let outcome = try await run("[{customer: a, total: 7, tags: [x, 1], detail: {last: 3, first: 1}}, {customer: c, total: 3}]")
        #expect(!outcome.passed)
        #expect(outcome.stepsRun == 2)
        #expect(outcome.failures.count == 1)
        let lines = outcome.failures[0].split(separator: "\n").map(String.init)
        #expect(lines.first?.hasPrefix("step 2 (verify acme/totals, ") == true)
        #expect(lines.first?.hasSuffix("flow.yaml:26:7): the documents of acme/totals differ") == true, "\(lines)")
        #expect(Array(lines.dropFirst()) == [
            #"  document 1 of 2, key ["a"]:"#,
            #"    /detail/first: expected 1, missing"#,
            #"    /tags/1: expected 1, found 3"#,
            #"    /total: expected 7, found 6"#,
            #"  unexpected: a document with key ["b"]: {"customer":"b","detail":{"last":2},"tags":["x",2],"total":3}"#,
            #"  missing: a document with key ["c"], expected {"customer":"c","total":3}"#,
        ])
    }

    @Test func countsKeysAndShapesMustMatch() async throws {
        let fewer = try await run("[{customer: a}]")
        #expect(fewer.failures.first?.hasSuffix(#"  expected 1 document, found 2"#) == true)
        let noKey = try await run("[{total: 6}, {customer: b}]")
        #expect(noKey.failures.first?.contains("expected document 1 has no /customer (expected documents must include the collection's key)") == true)
        let shape = try await run("[{customer: a, tags: [x]}, {customer: b, detail: [1]}]")
        #expect(shape.failures.first?.contains(#"/tags: expected ["x"], found ["x",3]"#) == true)
        #expect(shape.failures.first?.contains(#"/detail: expected [1], found {"last":2}"#) == true)
    }

    @Test func invalidIngestsAndFailingDerivationsFailTheTest() async throws {
        let directory = TestDirectory("catalog-tests")
        defer { directory.remove() }
        let yaml = Self.catalog.replacingOccurrences(of: "READ_DELAY", with: "0")
            .replacingOccurrences(of: "{id: 2, customer: b, amount: 3}", with: "{id: 2, customer: b, amount: three}")
            .replacingOccurrences(of: "EXPECTED", with: "[]")
        let catalog = try CatalogLoader.load(yaml: yaml, path: directory.file("flow.yaml"))
        var logger = Logger(label: "test")
        logger.logLevel = .error
        let outcome = try await CatalogTestRunner(catalog: catalog, logger: logger).run(workDirectory: directory.file("work"))[0]
        #expect(outcome.stepsRun == 1)
        #expect(outcome.failures.first?.contains("document 2 (") == true)
        #expect(outcome.failures.first?.contains("/amount") == true, "\(outcome.failures)")

        // A derived document the derived collection rejects names the transform and the source document.
        let bad = Self.catalog.replacingOccurrences(of: "READ_DELAY", with: "0").replacingOccurrences(of: "EXPECTED", with: "[]")
            .replacingOccurrences(of: "$amount AS total", with: "'many' AS total")
        let failing = try await CatalogTestRunner(catalog: try CatalogLoader.load(yaml: bad, path: directory.file("flow.yaml")), logger: logger)
            .run(workDirectory: directory.file("work"))[0]
        #expect(failing.failures.first?.contains("derivation acme/totals, transform fromOrders, source document acme/orders/pivot=00@0") == true,
                "\(failing.failures)")
    }
}
