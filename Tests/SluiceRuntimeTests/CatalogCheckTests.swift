import Testing
import SluiceCatalog
@testable import SluiceRuntime
import SluiceTestSupport

@Suite struct CatalogCheckTests {
    func check(_ yaml: String) throws -> [String] {
        let directory = TestDirectory("check")
        defer { directory.remove() }
        let catalog = try CatalogLoader.load(yaml: yaml, path: directory.file("flow.yaml"))
        return CatalogCheck.diagnostics(catalog, connectors: ConnectorSet()).map {
            $0.description.replacingOccurrences(of: directory.path + "/", with: "")
        }
    }

    @Test func keysAndPartitionsMustExistAndBeKeyable() throws {
        let found = try check("""
        collections:
          acme/a:
            schema:
              type: object
              required: [id, price, when, tags]
              properties:
                id: {type: integer}
                price: {type: number}
                when: {type: string, default: "x"}
                tags: {type: array}
                region: {type: string, default: eu}
            key: [/id, /price, /region]
            projections: {tags: {location: /tags, partition: true}, region: {location: /region, partition: true}}
        """)
        #expect(found == [
            "flow.yaml:12:16: collections[acme/a].key[1]: key location /price may be number in the schema; key locations must be strings, integers or booleans",
            "flow.yaml:13:36: collections[acme/a].projections[tags]: partition location /tags may be array; partitions must be strings, integers, booleans or null",
            "flow.yaml:13:80: collections[acme/a].projections[region]: partition location /region is not required by the schema: every document must have it (add it to \"required\")",
        ])
    }

    @Test func shuffleKeysAreCheckedAgainstTheSource() throws {
        let found = try check("""
        collections:
          acme/src:
            schema: {type: object, required: [id], properties: {id: {type: string}, group: {type: string}}}
            key: [/id]
          acme/out:
            schema: {type: object, required: [group], properties: {group: {type: string}}}
            key: [/group]
            derive:
              using: {sqlite: {}}
              transforms:
                - {name: t, source: acme/src, shuffle: {key: [/group]}, lambda: "SELECT 1;"}
        """)
        #expect(found.count == 1)
        #expect(found.first?.contains("derive.transforms[0].shuffle.key[0]: shuffle key location /group is not required by the schema of acme/src") == true)
    }

    @Test func aValidCatalogHasNoDiagnostics() throws {
        #expect(try check("""
        collections:
          acme/a:
            schema: {type: object, required: [id, region], properties: {id: {type: string}, region: {type: string}}}
            key: [/id]
            projections: {region: {location: /region, partition: true}}
        """) == [])
    }
}

/// The built-in connector set brings the SQLite derivation checks into `sluice check`.
@Suite struct BuiltInCatalogCheckTests {
    @Test func lambdaErrorsAreFoundByTheBuiltInChecks() throws {
        let directory = TestDirectory("check-lambda")
        defer { directory.remove() }
        let catalog = try CatalogLoader.load(yaml: """
        collections:
          acme/src:
            schema: {type: object, required: [id], properties: {id: {type: string}, amount: {type: integer}}}
            key: [/id]
          acme/out:
            schema: {type: object, required: [id], properties: {id: {type: string}}}
            key: [/id]
            derive:
              using: {sqlite: {}}
              transforms:
                - name: fromSrc
                  source: acme/src
                  lambda: SELECT $id, $amout AS total;
        """, path: directory.file("flow.yaml"))
        let found = CatalogCheck.diagnostics(catalog).map(\.description)
        #expect(found.count == 1)
        #expect(found.first?.contains("collections[acme/out].derive.transforms[0].lambda") == true, "\(found)")
        #expect(found.first?.contains("amout") == true && found.first?.contains("amount") == true, "did you mean: \(found)")
        #expect(CatalogCheck.diagnostics(catalog, connectors: ConnectorSet()).isEmpty)
    }
}
