import Foundation
import Logging
import Testing
import SluiceCatalog
import SluiceCollection
import SluiceDerive
import SluiceDocument
import SluiceSQLite
import SluiceTask
import SluiceTestSupport

/// Swift transforms: closures and types, state in the derivation's database.
@Suite struct SwiftDerivationTests {
    static let yaml = """
    collections:
      acme/orders:
        schema: {type: object, required: [id], properties: {id: {type: integer}, customer: {type: string}, amount: {type: integer}}}
        key: [/id]
      acme/totals:
        schema: {type: object, required: [customer], properties: {customer: {type: string}, total: {type: integer}}}
        key: [/customer]
        derive:
          using: {swift: {}}
          transforms:
            - {name: fromOrders, source: acme/orders}
            - {name: fromRefunds, source: acme/orders}
    """

    struct Fixture {
        let directory = TestDirectory("swift-derivation")
        let transforms: [TransformSpec]
        let derived: CollectionSpec
        let context: TaskContext

        init() throws {
            let catalog = try CatalogLoader.load(yaml: SwiftDerivationTests.yaml, path: directory.file("flow.yaml"))
            let orders = try CollectionSpec(definition: catalog.collections["acme/orders"]!)
            derived = try CollectionSpec(definition: catalog.collections["acme/totals"]!)
            transforms = catalog.collections["acme/totals"]!.derive!.transforms.enumerated().map {
                TransformSpec(index: $0.offset, definition: $0.element, source: orders, selector: PartitionSelector(),
                              sourceDefinition: catalog.collections["acme/orders"])
            }
            context = TaskContext(taskName: "acme/totals", dataDirectory: directory.path, catalogFolder: directory.path,
                                  registry: JournalRegistry(path: directory.path), logger: Logger(label: "test"),
                                  wallClockNanoseconds: { 0 })
        }
    }

    @Test func closuresPublishAndKeepStateInTheDatabase() throws {
        let fixture = try Fixture()
        defer { fixture.directory.remove() }
        let derivation = SwiftClosureDerivation(
            migrations: ["CREATE TABLE totals (customer TEXT PRIMARY KEY, total INTEGER NOT NULL)"],
            transforms: [
                "fromOrders": { order, context in
                    let customer = order["customer"]!.string!
                    let amount = order["amount"]!.int64!
                    try context.database.prepare("""
                        INSERT INTO totals VALUES (?, ?) ON CONFLICT DO UPDATE SET total = total + excluded.total
                        """).run([.text(customer), .integer(amount)])
                    let total = try context.database.rows("SELECT total FROM totals WHERE customer = ?", [.text(customer)])[0][0]
                    guard case .integer(let value) = total else { return }
                    try context.publish(["customer": .string(customer), "total": .int(value)])
                },
                "fromRefunds": { _, _ in },
            ])
        let connector = SwiftDerivationConnector(derivation)
        let database = try SQLiteDatabase.inMemory()
        try connector.open(database: database, derivation: fixture.derived, transforms: fixture.transforms, context: fixture.context)
        var published: [String] = []
        for (customer, amount) in [("a", 2), ("b", 5), ("a", 3)] {
            try connector.apply(transform: 0, document: try Document(parsing: #"{"id":1,"customer":"\#(customer)","amount":\#(amount)}"#)) {
                published.append($0.description)
            }
        }
        try connector.apply(transform: 1, document: try Document(parsing: #"{"id":1}"#)) { published.append($0.description) }
        #expect(published == [#"{"customer":"a","total":2}"#, #"{"customer":"b","total":5}"#, #"{"customer":"a","total":5}"#])
        // The migrations were recorded like a SQLite derivation's.
        #expect(try database.rows("SELECT count(*) FROM sluice_derivation_migrations") == [[.integer(1)]])
    }

    @Test func everyTransformNeedsAClosureAndEveryClosureATransform() throws {
        let fixture = try Fixture()
        defer { fixture.directory.remove() }
        let derivation = SwiftClosureDerivation(transforms: ["fromOrders": { _, _ in }, "fromRefund": { _, _ in }, "other": { _, _ in }])
        let error = try #require(throws: TaskError.self) {
            try SwiftDerivationConnector(derivation).open(database: SQLiteDatabase.inMemory(), derivation: fixture.derived,
                                                          transforms: fixture.transforms, context: fixture.context)
        }
        #expect(error == .configuration(task: "acme/totals", message: "transform fromRefunds has no Swift closure registered "
            + "(did you mean fromRefund?); a Swift closure is registered for fromRefund, which is not a transform of acme/totals; "
            + "a Swift closure is registered for other, which is not a transform of acme/totals"))
    }

    /// A type conforming to `SwiftDerivation`.
    final class Counter: SwiftDerivation {
        var migrations: [String] { ["CREATE TABLE counts (customer TEXT PRIMARY KEY, n INTEGER NOT NULL)"] }
        var upsert: SQLiteStatement?

        func open(database: SQLiteDatabase, derivation: CollectionSpec, transforms: [TransformSpec], context: TaskContext) throws {
            upsert = try database.prepare("INSERT INTO counts VALUES (?, 1) ON CONFLICT DO UPDATE SET n = n + 1 RETURNING n")
        }

        func apply(document: Document, context: SwiftTransformContext) throws {
            guard let upsert, let customer = document["customer"]?.string else { return }
            try upsert.bind([.text(customer)])
            defer { upsert.reset() }
            guard try upsert.step() else { return }
            try context.publish(["customer": .string(customer), "total": .int(upsert.int64(at: 0)),
                                 "via": .string(context.transform.name)])
        }
    }

    @Test func typesConformingToTheProtocolRunToo() throws {
        let fixture = try Fixture()
        defer { fixture.directory.remove() }
        let connector = SwiftDerivationConnector(Counter())
        try connector.open(database: SQLiteDatabase.inMemory(), derivation: fixture.derived, transforms: fixture.transforms,
                           context: fixture.context)
        var published: [String] = []
        for transform in [0, 1, 0] {
            try connector.apply(transform: transform, document: try Document(parsing: #"{"id":1,"customer":"a"}"#)) {
                published.append($0.description)
            }
        }
        #expect(published == [#"{"customer":"a","total":1,"via":"fromOrders"}"#, #"{"customer":"a","total":2,"via":"fromRefunds"}"#,
                              #"{"customer":"a","total":3,"via":"fromOrders"}"#])
    }
}
