import Foundation
import Testing
@testable import SluiceCapture
import SluiceCatalog
import SluiceCollection
import SluiceDocument
import SluiceTestSupport

@Suite struct AirbyteDiscoveryTests {
    static let catalog: JSONValue = ["streams": [
        ["name": "orders", "namespace": "shop",
         "json_schema": ["type": "object", "properties": [
             "ref": ["type": "object", "properties": ["code": ["type": ["null", "string"]]]],
             "total": ["type": "number"]]],
         "supported_sync_modes": ["full_refresh", "incremental"], "source_defined_cursor": true,
         "source_defined_primary_key": [["ref", "code"]]],
        ["name": "rates", "json_schema": ["properties": ["rate": ["type": "number"]]],
         "supported_sync_modes": ["full_refresh", "incremental"], "source_defined_primary_key": [["rate"]]],
        ["name": "events", "json_schema": ["type": "object"], "supported_sync_modes": ["full_refresh"]],
    ]]

    @Test func suggestionsRequireNonNullKeysAndNameCollectionsByStream() throws {
        let suggestions = AirbyteDiscovery.suggestions(try AirbyteCatalog(parsing: AirbyteDiscoveryTests.catalog), prefix: "acme")
        #expect(suggestions.map(\.collection) == ["acme/shop/orders", "acme/rates", "acme/events"])
        // A nested key: required at each level, `null` taken out of its type.
        #expect(suggestions[0].collectionSpec.description == #"{"key":["/ref/code"],"schema":{"properties":{"ref":{"properties":"#
                + #"{"code":{"type":"string"}},"required":["code"],"type":"object"},"total":{"type":"number"}},"required":["ref"],"#
                + #""type":"object"}}"#)
        #expect(suggestions[0].binding == ["resource": ["stream": "orders", "namespace": "shop", "syncMode": "incremental"],
                                           "target": "acme/shop/orders"])
        #expect(suggestions[0].notes.isEmpty)
        // A number cannot be a key: said; incremental without a cursor: full_refresh suggested.
        #expect(suggestions[1].schema["type"] == "object")
        #expect(suggestions[1].notes == [
            "rates: key /rate has type number; keys must be strings, integers or booleans",
            "rates supports incremental sync with a cursorField you choose; full_refresh suggested",
        ])
        #expect(suggestions[1].resource["syncMode"] == "full_refresh")
        #expect(suggestions[2].key.isEmpty)
        #expect(suggestions[2].notes == ["events has no source-defined primary key: choose a key for acme/events"])
    }

    @Test func configuredCatalogFollowsTheBindings() throws {
        let catalog = try AirbyteCatalog(parsing: AirbyteDiscoveryTests.catalog)
        let configured = try catalog.configured([.airbyte(stream: "orders", namespace: nil, syncMode: nil, cursorField: nil),
                                                 .airbyte(stream: "events", namespace: nil, syncMode: nil, cursorField: nil)])
        let streams = try #require(configured["streams"]?.array)
        #expect(streams.count == 2)
        #expect(streams[0]["sync_mode"] == "incremental")
        #expect(streams[0]["cursor_field"] == [])
        #expect(streams[0]["primary_key"] == [["ref", "code"]])
        #expect(streams[0]["destination_sync_mode"] == "append")
        #expect(streams[0]["stream"]?["json_schema"] == AirbyteDiscoveryTests.catalog["streams"]?[0]?["json_schema"])
        #expect(streams[1]["sync_mode"] == "full_refresh")
        #expect(throws: AirbyteError.self) {
            _ = try catalog.configured([.airbyte(stream: "events", namespace: nil, syncMode: .incremental, cursorField: nil)])
        }
        do {
            _ = try catalog.configured([.airbyte(stream: "rates", namespace: nil, syncMode: .incremental, cursorField: nil)])
            Issue.record("incremental without a cursor was accepted")
        } catch {
            #expect(error.description == "bindings[0].resource.cursorField: stream rates has no default cursor; incremental sync needs one")
        }
        let withCursor = try catalog.configured([.airbyte(stream: "rates", namespace: nil, syncMode: .incremental, cursorField: ["rate"])])
        #expect(withCursor["streams"]?[0]?["cursor_field"] == ["rate"])
    }

    /// `sluice discover --catalog --name`: the YAML people read, snapshotted, and it loads as a
    /// catalog whose collections compile; JSON keeps the keyless stream with an empty key.
    @Test func discoverPrintsLoadableCollectionsFromACapture() throws {
        let setup = try FakeSourceSetup()
        defer { setup.directory.remove() }
        let (_, path) = try setup.catalog(config: #"{"streams": {"alpha": 1, "beta": 2}}"#)
        let sluice = try BuiltProducts.executable("sluice")
        let yaml = try ChildProcess.run(sluice, ["discover", "--catalog", path, "--name", "test/source"])
        #expect(yaml.status == 0, "\(yaml.error)")
        #expect(yaml.error == "note: keyless has no source-defined primary key: choose a key for test/source/keyless\n")
        let alpha = """
              test/source/alpha:
                key: [/id]
                schema:
                  "$schema": "http://json-schema.org/draft-07/schema#"
                  properties:
                    id:
                      type: integer
                    "n":
                      type: ["null", integer]
                    pad:
                      type: string
                    stream:
                      type: string
                  required: [id]
                  type: object

            """
        #expect(yaml.output.hasPrefix("# Suggested by `sluice discover` from fake-source.py's catalog (3 streams).\ncollections:\n" + alpha))
        #expect(yaml.output.hasSuffix("""
            # test/source/keyless: the stream has no primary key; add this collection with a key you choose.
            # Bindings for capture test/source:
            #   bindings:
            #     - {resource: {"stream":"alpha","syncMode":"incremental"}, target: test/source/alpha}
            #     - {resource: {"stream":"beta","syncMode":"incremental"}, target: test/source/beta}
            #     - {resource: {"stream":"keyless","syncMode":"full_refresh"}, target: test/source/keyless}

            """))
        let loaded = try CatalogLoader.load(yaml: yaml.output, path: setup.directory.file("suggested.yaml"))
        #expect(loaded.collections.keys.sorted() == ["test/source/alpha", "test/source/beta"])
        let spec = try CollectionSpec(definition: try #require(loaded.collections["test/source/alpha"]))
        #expect(spec.key.pointers.map(\.description) == ["/id"])

        let json = try ChildProcess.run(sluice, ["discover", "--catalog", path, "--name", "test/source", "--format", "json"])
        let value = try JSONValue(parsing: json.output)
        #expect(value["collections"]?["test/source/keyless"]?["key"] == [])
        #expect(value["bindings"]?.array?.count == 3)

        let wrong = try ChildProcess.run(sluice, ["discover", "--catalog", path, "--name", "test/nope"])
        #expect(wrong.status == 1)
        #expect(wrong.error == "error: capture test/nope is not defined in \(path) (captures: test/source)\n")
    }

    @Test func discoverWithACommandChecksTheConfigFirstWhenAsked() throws {
        let setup = try FakeSourceSetup()
        defer { setup.directory.remove() }
        let sluice = try BuiltProducts.executable("sluice")
        let config = try setup.directory.write("config.json", #"{"streams": {}}"#)
        let refused = try ChildProcess.run(sluice, ["discover", "--command", setup.command.joined(separator: " "), "--config", config,
                                                    "--prefix", "acme", "--check"])
        #expect(refused.status == 1)
        #expect(refused.error == "error: fake-source.py check: the connector refused the config: no streams configured\n")
        try setup.directory.write("config.json", #"{"streams": {"gamma": 1}}"#)
        let accepted = try ChildProcess.run(sluice, ["discover", "--command", setup.command.joined(separator: " "), "--config", config,
                                                     "--prefix", "acme", "--check", "--format", "json"])
        #expect(accepted.status == 0, "\(accepted.error)")
        #expect(try JSONValue(parsing: accepted.output)["collections"]?["acme/gamma"]?["key"] == ["/id"])
    }
}
