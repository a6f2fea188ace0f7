import Foundation
import Testing
@testable import SluiceCatalog

/// A temporary folder of catalog files, removed when the test ends.
final class CatalogFolder {
    let path: String

    init() {
        path = NSTemporaryDirectory() + "sluice-catalog-\(UUID().uuidString)"
        try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    @discardableResult
    func write(_ name: String, _ text: String) -> String {
        let file = (path as NSString).appendingPathComponent(name)
        try! FileManager.default.createDirectory(atPath: (file as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try! text.write(toFile: file, atomically: true, encoding: .utf8)
        return file
    }
}

/// The diagnostics of loading `yaml`, as strings without the folder prefix.
func diagnostics(_ yaml: String, environment: [String: String] = [:], folder: CatalogFolder = CatalogFolder()) -> [String] {
    let file = folder.write("flow.yaml", yaml)
    do {
        _ = try CatalogLoader.load(path: file, environment: environment)
        return []
    } catch {
        return error.diagnostics.map { $0.description.replacingOccurrences(of: folder.path + "/", with: "") }
    }
}

@Suite struct CatalogLoaderTests {
    /// The example catalog of SEMANTICS.md §4 loads, with every field where it belongs.
    @Test func semanticsExampleLoads() throws {
        let folder = CatalogFolder()
        folder.write("schemas/order.json", #"{"type":"object","required":["id","customer","region"],"properties":{"id":{"type":"integer"},"customer":{"type":"string"},"region":{"type":"string"},"amount":{"type":"number"}}}"#)
        folder.write("other.yaml", "collections:\n  acme/other:\n    schema: {type: object}\n    key: [/k]\n")
        let file = folder.write("flow.yaml", """
        import: [other.yaml]                       # relative paths
        collections:
          acme/orders:
            schema: schemas/order.json
            key: [/id]
            projections: {region: {location: /region, partition: true}}
          acme/customer-totals:
            schema: {type: object, reduce: {strategy: merge}, required: [customer],
                     properties: {customer: {type: string},
                                  total: {type: number, reduce: {strategy: sum}}}}
            key: [/customer]
            derive:
              using: {sqlite: {migrations: ["CREATE TABLE seen (id TEXT PRIMARY KEY);"]}}
              transforms:
                - name: fromOrders
                  source: acme/orders
                  shuffle: {key: [/customer]}
                  lambda: SELECT $customer, $amount AS total;
        captures:
          acme/hooks:
            endpoint: {http-ingest: {listen: "127.0.0.1:8080", token: "${INGEST_TOKEN}"}}
            bindings: [{resource: {path: /orders}, target: acme/orders}]
        materializations:
          acme/db:
            endpoint: {sqlite: {path: out.db}}
            bindings: [{source: acme/customer-totals, resource: {table: customer_totals}}]
        tests:
          acme/tests/totals:
            - ingest: {collection: acme/orders, documents: [{id: 1, customer: c, amount: 2}, {id: 2, customer: c, amount: 3}]}
            - verify: {collection: acme/customer-totals, documents: [{customer: c, total: 5}]}
        """)
        let catalog = try CatalogLoader.load(path: file, environment: ["INGEST_TOKEN": "s3cr3t"])
        #expect(catalog.files.count == 2)
        #expect(catalog.collections.keys.sorted() == ["acme/customer-totals", "acme/orders", "acme/other"])

        let orders = try #require(catalog.collections["acme/orders"])
        #expect(orders.key.map(\.pointer) == ["/id"])
        #expect(orders.partitionFields.map(\.field) == ["region"])
        #expect(orders.partitionFields.first?.location.pointer == "/region")
        let schema = try #require(orders.schema)
        #expect(schema.json.text.hasPrefix(#"{"type":"object","required":["id","customer","region"]"#))
        #expect(schema.origin == .file(path: folder.path + "/schemas/order.json", pointer: ""))

        let totals = try #require(catalog.collections["acme/customer-totals"])
        #expect(totals.schema?.json.text == #"{"type":"object","reduce":{"strategy":"merge"},"required":["customer"],"properties":{"customer":{"type":"string"},"total":{"type":"number","reduce":{"strategy":"sum"}}}}"#)
        let derive = try #require(totals.derive)
        guard case .sqlite(let migrations) = derive.using else { Issue.record("expected sqlite"); return }
        #expect(migrations.map(\.sql) == ["CREATE TABLE seen (id TEXT PRIMARY KEY);"])
        #expect(derive.transforms.count == 1)
        #expect(derive.transforms[0].name == "fromOrders")
        #expect(derive.transforms[0].source.collection == "acme/orders")
        #expect(derive.transforms[0].shuffle == .key([LocatedPointer(pointer: "/customer", location: derive.transforms[0].location)])
                || { if case .key(let pointers) = derive.transforms[0].shuffle { return pointers.map(\.pointer) == ["/customer"] } else { return false } }())
        #expect(derive.transforms[0].lambda?.sql == "SELECT $customer, $amount AS total;")

        let hooks = try #require(catalog.captures["acme/hooks"])
        guard case .httpIngest(let http) = hooks.endpoint else { Issue.record("expected http-ingest"); return }
        #expect(http.listen == "127.0.0.1:8080")
        #expect(http.token?.value == "s3cr3t")
        #expect("\(http.token!)" == "<secret>")
        #expect(hooks.bindings.map(\.target) == ["acme/orders"])
        #expect(hooks.bindings.first?.resource == .httpIngest(path: "/orders"))

        let db = try #require(catalog.materializations["acme/db"])
        guard case .sqlite(let dbPath) = db.endpoint else { Issue.record("expected sqlite"); return }
        #expect(dbPath == folder.path + "/out.db")  // relative to the catalog's folder
        #expect(db.bindings.first?.resource == .table(name: "customer_totals", schema: nil, deltaUpdates: false))

        let test = try #require(catalog.tests["acme/tests/totals"])
        #expect(test.steps.count == 2)
        guard case .ingest(let collection, let documents, _) = test.steps[0] else { Issue.record("expected ingest"); return }
        #expect(collection == "acme/orders")
        #expect(documents.map(\.text) == [#"{"id":1,"customer":"c","amount":2}"#, #"{"id":2,"customer":"c","amount":3}"#])
    }

    @Test func everyErrorIsReportedWithFileLineColumnAndPath() {
        let found = diagnostics("""
        collections:
          acme/orders:
            schema: {type: object}
            key: [id]
            projectionz: {}
          acme/derived:
            schema: {type: object}
            key: [/k]
            derive:
              using: {sqlite: {}}
              transforms:
                - name: t
                  source: acme/order
                  lambda: SELECT 1;
        materializations:
          acme/db:
            endpoint: {sqlit: {path: out.db}}
            bindings: []
        """)
        #expect(found == [
            #"flow.yaml:4:11: collections[acme/orders].key[0]: "id" is not a JSON pointer (did you mean "/id"?)"#,
            #"flow.yaml:5:5: collections[acme/orders].projectionz: unknown property (did you mean "projections"?)"#,
            #"flow.yaml:17:16: materializations[acme/db].endpoint.sqlit: unknown connector (did you mean "sqlite"?); built-in connectors are sqlite, postgres, redis, files, s3"#,
        ])
        // The unknown source is a cross reference: reported once the structure is valid.
        let reference = diagnostics("""
        collections:
          acme/orders: {schema: {type: object}, key: [/id]}
          acme/derived:
            schema: {type: object}
            key: [/k]
            derive:
              using: {sqlite: {}}
              transforms: [{name: t, source: acme/order, lambda: SELECT 1;}]
        """)
        #expect(reference == [
            #"flow.yaml:8:38: collections[acme/derived].derive.transforms[0].source: collection "acme/order" is not defined (did you mean "acme/orders"?)"#,
        ])
    }

    @Test func missingRequiredPropertiesAndWrongTypes() {
        let found = diagnostics("""
        collections:
          acme/a:
            key: /id
          acme/b:
            schema: 12
            key: []
        captures:
          acme/c:
            endpoint: {http-ingest: {listen: nowhere}}
            bindings: [{resource: {path: orders}, target: acme/a, backfill: -1}]
        """)
        #expect(found == [
            #"flow.yaml:3:5: collections[acme/a]: missing required property "schema" (or both "writeSchema" and "readSchema")"#,
            #"flow.yaml:3:10: collections[acme/a].key: expected a non-empty array of JSON pointers, for example [/id]"#,
            #"flow.yaml:5:13: collections[acme/b].schema: expected a schema (an object) or a schema file path, found an integer"#,
            #"flow.yaml:6:10: collections[acme/b].key: expected a non-empty array of JSON pointers, for example [/id]"#,
            #"flow.yaml:9:38: captures[acme/c].endpoint.http-ingest.listen: "nowhere" is not host:port, for example 127.0.0.1:8080"#,
            #"flow.yaml:10:34: captures[acme/c].bindings[0].resource.path: "orders" is not a URL path such as /orders"#,
            #"flow.yaml:10:69: captures[acme/c].bindings[0].backfill: -1 is out of range 0...1000000000"#,
        ])
    }

    @Test func yamlSyntaxErrorsAndDuplicateKeysNameTheirLine() {
        #expect(diagnostics("collections:\n  acme/a: {schema: {type: object}, key: [/id]\n").first?.hasPrefix("flow.yaml:3:1: invalid YAML") == true)
        let duplicate = diagnostics("""
        collections:
          acme/a: {schema: {type: object}, key: [/id]}
          acme/a: {schema: {type: object}, key: [/id]}
        """)
        #expect(duplicate == [#"flow.yaml:2:3: invalid YAML: duplicate property "acme/a" (a mapping names each property once)"#])
    }

    @Test func yamlCoreSchemaTyping() {
        #expect(CatalogYAML.typedPlainScalar("yes") == nil)  // a string, unlike YAML 1.1
        #expect(CatalogYAML.typedPlainScalar("on") == nil)
        #expect(CatalogYAML.typedPlainScalar("2024-01-01") == nil)
        if case .bool(true)? = CatalogYAML.typedPlainScalar("True") {} else { Issue.record("True is a boolean") }
        if case .integer(-12)? = CatalogYAML.typedPlainScalar("-12") {} else { Issue.record("-12 is an integer") }
        if case .integer(255)? = CatalogYAML.typedPlainScalar("0xff") {} else { Issue.record("0xff is an integer") }
        if case .unsigned(18_446_744_073_709_551_615)? = CatalogYAML.typedPlainScalar("18446744073709551615") {} else {
            Issue.record("u64 max is an unsigned integer")
        }
        if case .double(1.5e3)? = CatalogYAML.typedPlainScalar("1.5e3") {} else { Issue.record("1.5e3 is a number") }
        if case .null? = CatalogYAML.typedPlainScalar("~") {} else { Issue.record("~ is null") }
        #expect(CatalogYAML.typedPlainScalar("1.2.3") == nil)
        #expect(diagnostics("tests:\n  t:\n    - ingest: {collection: c, documents: [{x: .nan}]}\n").contains {
            $0.contains(".nan is not a JSON number")
        })
    }

    @Test func environmentVariablesAreSubstitutedAndNeverPrinted() throws {
        let yaml = """
        collections:
          acme/a: {schema: {type: object}, key: [/id]}
        materializations:
          acme/pg:
            endpoint: {postgres: {dsn: "postgresql://u:${PG_PASSWORD}@127.0.0.1:5432/db", schema: "$${literal}"}}
            bindings: [{source: acme/a, resource: {table: a}}]
        """
        #expect(diagnostics(yaml) == [#"flow.yaml:5:32: materializations[acme/pg].endpoint.postgres.dsn: environment variable PG_PASSWORD is not set"#])
        let folder = CatalogFolder()
        let catalog = try CatalogLoader.load(path: folder.write("flow.yaml", yaml), environment: ["PG_PASSWORD": "hunter2"])
        guard case .postgres(let dsn, let schema)? = catalog.materializations["acme/pg"]?.endpoint else {
            Issue.record("expected postgres")
            return
        }
        #expect(dsn.value == "postgresql://u:hunter2@127.0.0.1:5432/db")
        #expect(schema == "${literal}")
        #expect(!"\(catalog.materializations["acme/pg"]!.endpoint)".contains("hunter2"))
    }

    @Test func importsResolveRelativelyLoadOnceAndDuplicatesAreErrors() throws {
        let folder = CatalogFolder()
        folder.write("a/left.yaml", "import: [../common.yaml]\ncollections:\n  acme/left: {schema: {type: object}, key: [/id]}\n")
        folder.write("b/right.yaml", "import: [../common.yaml, ../flow.yaml]\n")  // a cycle back to the root
        folder.write("common.yaml", "collections:\n  acme/common: {schema: {type: object}, key: [/id]}\n")
        let root = folder.write("flow.yaml", "import: [a/left.yaml, b/right.yaml]\n")
        let catalog = try CatalogLoader.load(path: root, environment: [:])
        #expect(catalog.collections.keys.sorted() == ["acme/common", "acme/left"])
        #expect(catalog.files.count == 4)

        folder.write("dup.yaml", "collections:\n  acme/common: {schema: {type: object}, key: [/x]}\n")
        let found = diagnostics("import: [common.yaml, dup.yaml, missing.yaml]\n", folder: folder)
        #expect(found == [
            "dup.yaml:2:3: collections[acme/common]: defined twice (first at common.yaml:2:3)",
            "flow.yaml:1:33: import[2]: catalog file missing.yaml does not exist",
        ])
    }

    @Test func schemaFromFileWithPointer() throws {
        let folder = CatalogFolder()
        folder.write("schemas.yaml", "definitions:\n  order:\n    type: object\n    required: [id]\n")
        let catalog = try CatalogLoader.load(path: folder.write("flow.yaml", """
        collections:
          acme/a: {schema: "schemas.yaml#/definitions/order", key: [/id]}
        """), environment: [:])
        #expect(catalog.collections["acme/a"]?.schema?.json.text == #"{"type":"object","required":["id"]}"#)
        #expect(diagnostics("collections:\n  acme/a: {schema: \"s.json#/nope\", key: [/id]}\n", folder: {
            let other = CatalogFolder()
            other.write("s.json", "{}")
            return other
        }()).first?.hasSuffix("s.json has nothing at #/nope") == true)
    }

    @Test func namesFollowFlowRulesAndDoNotNest() {
        #expect(diagnostics("collections:\n  acme//x: {schema: {type: object}, key: [/id]}\n") == [
            #"flow.yaml:2:3: collections[acme//x]: "acme//x" has an empty path segment (leading, trailing or double '/')"#,
        ])
        #expect(diagnostics("collections:\n  \"acme/a b\": {schema: {type: object}, key: [/id]}\n") == [
            #"flow.yaml:2:3: collections[acme/a b]: "acme/a b" has the character ' ': names use letters, digits, '-', '_', '.' and '/'"#,
        ])
        #expect(diagnostics("""
        collections:
          acme/a: {schema: {type: object}, key: [/id]}
          acme/a-b: {schema: {type: object}, key: [/id]}
          acme/a/b: {schema: {type: object}, key: [/id]}
        """) == [#"flow.yaml:4:3: collections[acme/a/b]: collection name has the collection "acme/a" as a prefix; collection names must not nest"#])
    }

    @Test func connectorImages() throws {
        let folder = CatalogFolder()
        let catalog = try CatalogLoader.load(path: folder.write("flow.yaml", """
        collections:
          acme/a: {schema: {type: object}, key: [/id]}
        captures:
          acme/pg:
            endpoint:
              connector:
                image: ghcr.io/estuary/source-postgres:dev
                config: {address: "127.0.0.1:5432", user: flow, password: "p@ss", database: app}
            bindings: [{resource: {table: public.a}, target: acme/a}]
        materializations:
          acme/out:
            endpoint: {connector: {image: "ghcr.io/estuary/materialize-sqlite:v1", config: {path: out.db}}}
            bindings: [{source: acme/a, resource: {table: a}}]
        """), environment: [:])
        guard case .postgresCDC(let cdc)? = catalog.captures["acme/pg"]?.endpoint else { Issue.record("expected cdc"); return }
        #expect(cdc.dsn.value == "postgresql://flow:p%40ss@127.0.0.1:5432/app")
        guard case .sqlite(let path)? = catalog.materializations["acme/out"]?.endpoint else { Issue.record("expected sqlite"); return }
        #expect(path == folder.path + "/out.db")

        let found = diagnostics("""
        collections:
          acme/a: {schema: {type: object}, key: [/id]}
        captures:
          acme/hubspot:
            endpoint: {connector: {image: ghcr.io/estuary/source-hubspot:dev, config: {}}}
            bindings: []
        """)
        #expect(found.count == 1)
        #expect(found[0].contains(#"captures[acme/hubspot].endpoint.connector.image: connector image "ghcr.io/estuary/source-hubspot:dev" is not supported"#))
        #expect(found[0].contains("endpoint: {airbyte: {command: [source-…]"))
    }

    @Test func durationsAndSizes() {
        #expect(Durations.parse("500ms") == 0.5)
        #expect(Durations.parse("1h30m") == 5_400)
        #expect(Durations.parse("7d") == 604_800)
        #expect(Durations.parse("45") == 45)
        #expect(Durations.parse("5 minutes") == nil)
        #expect(Durations.parse("") == nil)
        #expect(Durations.parseBytes("64MiB") == 64 << 20)
        #expect(Durations.parseBytes("1GB") == 1_000_000_000)
        #expect(Durations.parseBytes("lots") == nil)
    }

    @Test func journalSettingsAndTestDocumentFiles() throws {
        let folder = CatalogFolder()
        folder.write("fixtures/orders.jsonl", "{\"id\": 1}\n\n{\"id\": 2}\n")
        let catalog = try CatalogLoader.load(path: folder.write("flow.yaml", """
        collections:
          acme/a:
            schema: {type: object}
            key: [/id]
            journals: {fragments: {length: 64MiB, compressionCodec: ZSTANDARD, flushInterval: 1h, retention: 720h}}
        tests:
          acme/t:
            - ingest: {collection: acme/a, documents: fixtures/orders.jsonl}
        """), environment: [:])
        #expect(catalog.collections["acme/a"]?.journals == JournalSettings(fragmentLengthBytes: 64 << 20, codec: .zstd,
                                                                           flushIntervalSeconds: 3_600, retentionSeconds: 2_592_000))
        guard case .ingest(_, let documents, _)? = catalog.tests["acme/t"]?.steps.first else { Issue.record("expected ingest"); return }
        #expect(documents.map(\.text) == [#"{"id":1}"#, #"{"id":2}"#])
    }
}

@Suite struct CatalogLineBreakTests {
    /// Found by fuzzing (fuzz-catalog): YAML breaks lines at \r and \r\n too, and errors must
    /// name those lines.
    @Test func carriageReturnsCountAsLineBreaks() {
        let found = diagnostics("collections:\r\n  acme/a:\r\n    schema: {type: object}\r    key: [id]\r\n")
        #expect(found == [#"flow.yaml:4:11: collections[acme/a].key[0]: "id" is not a JSON pointer (did you mean "/id"?)"#])
    }
}
