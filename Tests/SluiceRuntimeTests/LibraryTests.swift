import Foundation
import Logging
import Testing
import SluiceCatalog
import SluiceDocument
@testable import SluiceRuntime
import SluiceTestSupport

/// The library API: a catalog built in code, documents ingested from Swift, a Swift
/// transform, run to idle, read back reduced.
@Suite struct LibraryTests {
    static let catalog = """
    collections:
      acme/orders:
        schema: {type: object, required: [id, customer, amount], properties: {id: {type: integer}, customer: {type: string}, amount: {type: integer}}}
        key: [/id]
      acme/totals:
        schema:
          type: object
          reduce: {strategy: merge}
          required: [customer]
          properties: {customer: {type: string}, total: {type: integer, reduce: {strategy: sum}}}
        key: [/customer]
        derive:
          using: {swift: {}}
          transforms: [{name: fromOrders, source: acme/orders}]
    """

    @Test func ingestRunReadWithASwiftTransform() async throws {
        let directory = TestDirectory("library")
        defer { directory.remove() }
        var logger = Logger(label: "test")
        logger.logLevel = .warning
        let sluice = try Sluice(catalogYAML: Self.catalog, path: directory.file("flow.yaml"), dataDirectory: directory.file("data"),
                                connectors: ConnectorSet(), logger: logger)
        sluice.connectors.derivations["swift:acme/totals"] = { _ in
            ClosureDerivation { _, order in [["customer": order.root["customer"]!.jsonValue, "total": order.root["amount"]!.jsonValue]] }
        }
        try await sluice.ingest("acme/orders", [["id": 1, "customer": "a", "amount": 2], ["id": 2, "customer": "b", "amount": 3]])
        try await sluice.ingest("acme/orders", [["id": 3, "customer": "a", "amount": 5]])
        try await sluice.runUntilIdle(options: EngineOptions(dataDirectory: directory.file("data"), idleCheckSeconds: 0.05, logger: logger))
        let totals = try await sluice.read("acme/totals", reduced: true).map(\.jsonValue.description)
        #expect(totals == [#"{"customer":"a","total":7}"#, #"{"customer":"b","total":3}"#])
        #expect(try await sluice.read("acme/orders").count == 3)
        await #expect(throws: (any Error).self) { try await sluice.ingest("acme/nope", []) }

        // Started in the background: documents ingested while running are derived.
        try sluice.start(options: EngineOptions(dataDirectory: directory.file("data"), logger: logger))
        try await sluice.ingest("acme/orders", [["id": 4, "customer": "b", "amount": 10]])
        var seen: [String] = []
        for _ in 0..<200 {
            seen = try await sluice.read("acme/totals", reduced: true).map(\.jsonValue.description)
            if seen.last == #"{"customer":"b","total":13}"# { break }
            try await Task.sleep(nanoseconds: 20_000_000)
        }
        #expect(seen == [#"{"customer":"a","total":7}"#, #"{"customer":"b","total":13}"#])
        try await sluice.stop()
    }
}
