import Testing
import SluiceCatalog
import SluiceDerive
import SluiceTestSupport

/// What `sluice check` (and every derivation's start) reports about lambdas and migrations.
@Suite struct DerivationChecksTests {
    static let catalog = """
    collections:
      acme/orders:
        schema:
          type: object
          required: [id]
          properties:
            id: {type: integer}
            customer: {type: string}
            amount: {type: number}
            ship-to: {type: object, properties: {city: {type: string}}}
        key: [/id]
        projections: {region: /ship-to/city}
      acme/totals:
        schema: {type: object, required: [customer], properties: {customer: {type: string}, total: {type: number}}}
        key: [/customer]
        derive:
          using:
            sqlite:
              migrations:
                - CREATE TABLE seen (id INTEGER PRIMARY KEY);
                - MIGRATION
          transforms:
            - name: fromOrders
              source: acme/orders
              lambda: LAMBDA
    """

    func diagnostics(migration: String = "CREATE TABLE other (x TEXT);", lambda: String) throws -> [String] {
        let directory = TestDirectory("checks")
        defer { directory.remove() }
        let yaml = Self.catalog.replacingOccurrences(of: "MIGRATION", with: migration).replacingOccurrences(of: "LAMBDA", with: lambda)
        let catalog = try CatalogLoader.load(yaml: yaml, path: directory.file("flow.yaml"))
        return DerivationChecks.diagnostics(catalog).map {
            $0.description.replacingOccurrences(of: directory.path + "/", with: "")
        }
    }

    @Test func validLambdasHaveNoDiagnostics() throws {
        #expect(try diagnostics(lambda: #""INSERT INTO seen VALUES ($id); SELECT $customer, $amount AS total, $region, $ship_to$city, $flow_document;""#) == [])
    }

    @Test func unknownParametersAreReportedWithAHint() throws {
        #expect(try diagnostics(lambda: "SELECT $customer, $amont AS total;") == [
            "flow.yaml:25:19: collections[acme/totals].derive.transforms[0].lambda: "
                + "lambda line 1, column 19: parameter $amont is not a field of the source (did you mean $amount?)",
        ])
    }

    @Test func sqlErrorsAndMissingTablesAreReported() throws {
        #expect(try diagnostics(lambda: "SELECT * FROM nope;") == [
            "flow.yaml:25:19: collections[acme/totals].derive.transforms[0].lambda: no such table: nope",
        ])
        #expect(try diagnostics(lambda: "INSERT INTO other VALUES ($id);") == [])
    }

    @Test func failingMigrationsAreReportedAtTheirPlace() throws {
        #expect(try diagnostics(migration: "CREATE TABEL x (y);", lambda: "SELECT 1 AS one;") == [
            #"flow.yaml:21:15: collections[acme/totals].derive.using.sqlite.migrations[1]: migration 2, line 1, column 8: near "TABEL": syntax error"#,
        ])
    }
}
