import Foundation
import Testing
import SluiceTestSupport

/// The bad-input matrix (docs/reliability.md): each case feeds `sluice` one kind of bad input —
/// arguments, catalogs, documents, damaged data directories — and expects a clear error: the
/// exit code (1 for bad input, 2 for damaged data or the environment) and a message naming the
/// place. Cases that damage data also check that what was committed before is still served.
@Suite struct BadInputMatrixTests {
    struct Case: CustomStringConvertible, Sendable {
        var name: String
        /// Files to write first, relative to the case folder (`flow.yaml`, `docs.jsonl`, …).
        var files: [String: String] = [:]
        /// Run before the case: commands whose failure fails the test (fill data, …).
        var setup: [[String]] = []
        /// Damage to do after the setup: (relative path glob inside data/, action).
        var damage: Damage? = nil
        var arguments: [String]
        var input: String = ""
        var status: Int32
        /// Every string must appear in stderr (after replacing the case folder with `DIR`).
        var stderr: [String]
        /// After the case, this command must succeed and print exactly this (committed data intact).
        var intact: (arguments: [String], output: String)? = nil

        var description: String { name }
    }

    enum Damage: Sendable {
        case truncateLast(file: String, bytes: Int)
        case flipByte(file: String, offsetFromEnd: Int)
        case replace(file: String, with: String)
        case remove(file: String)
        case createFile(path: String, contents: String)
    }

    static let orders = """
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
    static let twoOrders = #"{"id":1,"region":"eu","amount":2}"# + "\n" + #"{"id":2,"region":"na","amount":3}"# + "\n"
    static let twoReduced = #"{"amount":2,"id":1,"region":"eu"}"# + "\n" + #"{"amount":3,"id":2,"region":"na"}"# + "\n"
    static let ingestTwo: [[String]] = [["ingest", "acme/orders", "--stdin-file", "docs.jsonl"]]

    static func catalogCase(_ name: String, _ yaml: String, _ stderr: [String]) -> Case {
        Case(name: "catalog: " + name, files: ["flow.yaml": yaml], arguments: ["check"], status: 1, stderr: stderr)
    }

    static func documentCase(_ name: String, _ line: String, _ stderr: [String]) -> Case {
        Case(name: "document: " + name, files: ["flow.yaml": orders, "docs.jsonl": twoOrders], setup: ingestTwo,
             arguments: ["ingest", "acme/orders"], input: #"{"id":3,"region":"eu"}"# + "\n" + line + "\n", status: 1,
             stderr: ["standard input line 2"] + stderr,
             intact: (["collections", "read", "acme/orders", "--reduced"], twoReduced))
    }

    static let cases: [Case] = [
        // Arguments.
        Case(name: "unknown subcommand", arguments: ["frobnicate"], status: 1, stderr: ["Unexpected argument 'frobnicate'"]),
        Case(name: "zero keys", arguments: ["workload", "generate", "--keys", "0"], status: 1, stderr: ["--keys must be between 1 and 99999999"]),
        Case(name: "journal read without a name", arguments: ["journals", "read"], status: 1, stderr: ["Missing expected argument '<name>'"]),
        Case(name: "journal name too short", arguments: ["journals", "read", "abc"], status: 1, stderr: ["abc"]),
        Case(name: "journal name with a space", arguments: ["journals", "append", "acme/a b"], status: 1, stderr: ["acme/a b"]),
        Case(name: "journal name with ..", arguments: ["journals", "read", "acme/../x"], status: 1, stderr: ["acme/../x"]),
        Case(name: "missing journal", arguments: ["journals", "read", "acme/missing"], status: 1, stderr: ["acme/missing"]),
        Case(name: "negative offset", files: ["flow.yaml": orders, "docs.jsonl": twoOrders], setup: ingestTwo,
             arguments: ["journals", "read", "acme/orders/region=eu/pivot=00", "--offset=-7"], status: 1, stderr: ["-7"]),
        Case(name: "offset past the head", files: ["flow.yaml": orders, "docs.jsonl": twoOrders], setup: ingestTwo,
             arguments: ["journals", "read", "acme/orders/region=eu/pivot=00", "--offset", "999999"], status: 1, stderr: ["999999"]),
        Case(name: "lint a missing file", arguments: ["json", "lint", "missing.json"], status: 1, stderr: ["missing.json"]),
        Case(name: "lint a trailing comma", files: ["bad.json": "{\"a\": [1, 2,]}"], arguments: ["json", "lint", "bad.json"], status: 1,
             stderr: ["bad.json", "line 1, column 13"]),
        Case(name: "schema file missing", arguments: ["schema", "validate", "--schema", "missing.json"], status: 1, stderr: ["missing.json"]),
        Case(name: "schema with a bad pattern", files: ["s.json": #"{"properties": {"a": {"pattern": "(unclosed"}}}"#],
             arguments: ["schema", "validate", "--schema", "s.json"], input: "{}\n", status: 1, stderr: ["/properties/a/pattern"]),
        Case(name: "ingest into an unknown collection", files: ["flow.yaml": orders], arguments: ["ingest", "acme/order"], status: 1,
             stderr: ["no collection named acme/order (collections: acme/orders)"]),
        Case(name: "ingest batch of zero", files: ["flow.yaml": orders], arguments: ["ingest", "acme/orders", "--batch", "0"], status: 1,
             stderr: ["--batch must be between 1 and 10000000"]),
        Case(name: "reduced and uncommitted together", files: ["flow.yaml": orders],
             arguments: ["collections", "read", "acme/orders", "--reduced", "--uncommitted"], status: 1, stderr: ["cannot be combined"]),
        Case(name: "partition option without =", files: ["flow.yaml": orders],
             arguments: ["collections", "read", "acme/orders", "--partition", "region"], status: 1, stderr: ["FIELD=VALUE"]),
        Case(name: "unknown partition field", files: ["flow.yaml": orders],
             arguments: ["collections", "read", "acme/orders", "--partition", "tier=gold"], status: 1, stderr: ["no partition field tier"]),
        Case(name: "check a missing catalog", arguments: ["check", "nowhere.yaml"], status: 1, stderr: ["nowhere.yaml does not exist"]),
        Case(name: "run with a bad log level", files: ["flow.yaml": orders], arguments: ["run", "--log-level", "loud"], status: 1,
             stderr: ["--log-level loud is not a level"]),
        Case(name: "compact an unknown name", files: ["flow.yaml": orders], arguments: ["journals", "compact", "acme/other"], status: 1,
             stderr: ["acme/other is neither a collection of the catalog nor a journal of one"]),
        Case(name: "compact with a ratio above 1", files: ["flow.yaml": orders],
             arguments: ["journals", "compact", "acme/orders", "--min-dirty-ratio", "2"], status: 1, stderr: ["between 0 and 1"]),
        Case(name: "data directory is a file", files: ["flow.yaml": orders, "datafile": "x"],
             arguments: ["journals", "list", "--data-dir", "datafile"], status: 2, stderr: ["datafile"]),

        // Catalogs.
        catalogCase("YAML syntax error", "collections:\n  acme/a: {schema: {type: object}, key: [/id]\n", ["flow.yaml:3:1: invalid YAML"]),
        catalogCase("unknown top-level property", "collection: {}\n", [#"flow.yaml:1:1: collection: unknown property (did you mean "collections"?)"#]),
        catalogCase("key that is not a pointer", orders.replacingOccurrences(of: "key: [/id]", with: "key: [id]"),
                    [#"collections[acme/orders].key[0]: "id" is not a JSON pointer (did you mean "/id"?)"#]),
        catalogCase("key that is not required", orders.replacingOccurrences(of: "key: [/id]", with: "key: [/amount]"),
                    ["collections[acme/orders].key[0]: key location /amount is not required by the schema"]),
        catalogCase("partition of a non-scalar", orders.replacingOccurrences(of: "region: {type: string}", with: "region: {type: object}"),
                    ["collections[acme/orders].projections[region]: partition location /region may be object"]),
        catalogCase("missing schema file", "collections:\n  acme/a: {schema: nope.json, key: [/id]}\n",
                    ["collections[acme/a].schema: schema file", "nope.json does not exist"]),
        catalogCase("invalid schema", "collections:\n  acme/a: {schema: {type: 5}, key: [/id]}\n", ["collections[acme/a].schema"]),
        catalogCase("misspelled source", orders + "\nmaterializations:\n  acme/m:\n    endpoint: {sqlite: {path: o.db}}\n    bindings: [{source: acme/order, resource: {table: t}}]\n",
                    [#"collection "acme/order" is not defined (did you mean "acme/orders"?)"#]),
        catalogCase("nested collection names", orders + "\n  acme/orders/eu: {schema: {type: object, required: [id], properties: {id: {type: integer}}}, key: [/id]}\n",
                    [#"collections[acme/orders/eu]: collection name has the collection "acme/orders" as a prefix"#]),
        catalogCase("reserved ops/ name", "collections:\n  ops/x: {schema: {type: object}, key: [/id]}\n", ["collection names under ops/ are reserved"]),
        catalogCase("missing environment variable", orders + "\nmaterializations:\n  acme/m:\n    endpoint: {postgres: {dsn: \"${SLUICE_MATRIX_UNSET}\"}}\n    bindings: [{source: acme/orders, resource: {table: t}}]\n",
                    ["environment variable SLUICE_MATRIX_UNSET is not set"]),
        catalogCase("unsupported connector image", orders + "\ncaptures:\n  acme/c:\n    endpoint: {connector: {image: ghcr.io/estuary/source-hubspot:dev, config: {}}}\n    bindings: []\n",
                    [#"connector image "ghcr.io/estuary/source-hubspot:dev" is not supported"#]),
        catalogCase("bad duration", orders + "\nmaterializations:\n  acme/m:\n    endpoint: {redis: {url: \"redis://127.0.0.1:1/0\", ttl: soon}}\n    bindings: [{source: acme/orders, resource: {keyPrefix: x}}]\n",
                    [#""soon" is not a duration"#]),
        catalogCase("bad table name", orders + "\nmaterializations:\n  acme/m:\n    endpoint: {sqlite: {path: o.db}}\n    bindings: [{source: acme/orders, resource: {table: 1table}}]\n",
                    [#""1table" is not a table name"#]),
        catalogCase("duplicate property", "collections:\n  acme/a: {schema: {type: object}, key: [/id], key: [/x]}\n", ["duplicate property"]),
        catalogCase("import of a missing file", "import: [other.yaml]\n", ["import[0]: catalog file", "other.yaml does not exist"]),
        catalogCase("endpoint naming two connectors", orders + "\nmaterializations:\n  acme/m:\n    endpoint: {sqlite: {path: a}, redis: {url: \"redis://x:1/0\"}}\n    bindings: []\n",
                    ["an endpoint names exactly one connector"]),
        Case(name: "catalog: not UTF-8", files: ["flow.yaml": "collections:\n  acme/\u{FFFD}: {}\n"], arguments: ["check"], status: 1,
             stderr: ["flow.yaml"]),

        // Documents.
        documentCase("not JSON", #"{"id": 4,"#, ["expected"]),
        documentCase("not an object", "[1, 2]", ["must be a JSON object"]),
        documentCase("schema violation", #"{"id":"four","region":"eu"}"#, ["/id"]),
        documentCase("missing partition field", #"{"id":4}"#, ["region"]),
        documentCase("duplicate property", #"{"id":4,"id":5,"region":"eu"}"#, [#"duplicate property "id""#]),
        documentCase("number out of range", #"{"id":4,"region":"eu","amount":1e400}"#, ["column 32: number out of range"]),
        documentCase("lone surrogate", #"{"id":4,"region":"\ud800"}"#, ["surrogate"]),
        documentCase("nesting too deep", #"{"id":4,"region":"eu","x":"# + String(repeating: "[", count: 300) + String(repeating: "]", count: 300) + "}",
                     ["nest"]),
        documentCase("trailing garbage", #"{"id":4,"region":"eu"} x"#, ["line 2"]),

        // Damaged data directories: committed data stays served, damage is named.
        Case(name: "torn spool tail", files: ["flow.yaml": orders, "docs.jsonl": twoOrders], setup: ingestTwo,
             damage: .truncateLast(file: "journals/acme/orders/region=eu/pivot=00/@journal/spool-0000000000000000.spool", bytes: 10),
             arguments: ["collections", "read", "acme/orders", "--reduced"], status: 0, stderr: ["recovery: dropped"],
             intact: (["collections", "read", "acme/orders", "--reduced", "--partition", "region=na"], #"{"amount":3,"id":2,"region":"na"}"# + "\n")),
        Case(name: "flipped byte in a spool record", files: ["flow.yaml": orders, "docs.jsonl": twoOrders], setup: ingestTwo,
             damage: .flipByte(file: "journals/acme/orders/region=na/pivot=00/@journal/spool-0000000000000000.spool", offsetFromEnd: 5),
             arguments: ["collections", "read", "acme/orders", "--partition", "region=na"], status: 0, stderr: ["recovery: dropped"],
             intact: (["collections", "read", "acme/orders", "--reduced", "--partition", "region=eu"], #"{"amount":2,"id":1,"region":"eu"}"# + "\n")),
        Case(name: "corrupt journal spec", files: ["flow.yaml": orders, "docs.jsonl": twoOrders], setup: ingestTwo,
             damage: .replace(file: "journals/acme/orders/region=eu/pivot=00/@journal/spec.json", with: "{not json"),
             arguments: ["journals", "read", "acme/orders/region=eu/pivot=00"], status: 2, stderr: ["spec.json"]),
        Case(name: "stale temporary fragment", files: ["flow.yaml": orders, "docs.jsonl": twoOrders], setup: ingestTwo,
             damage: .createFile(path: "journals/acme/orders/region=eu/pivot=00/@journal/fragments/0000000000000000-0000000000000010.zst.tmp", contents: "junk"),
             arguments: ["collections", "read", "acme/orders", "--reduced"], status: 0, stderr: [],
             intact: (["collections", "read", "acme/orders", "--reduced"], twoReduced)),
        Case(name: "journal folder replaced by a file", files: ["flow.yaml": orders, "docs.jsonl": twoOrders], setup: ingestTwo,
             damage: .remove(file: "journals/acme/orders/region=eu/pivot=00/@journal"),
             arguments: ["journals", "read", "acme/orders/region=eu/pivot=00"], status: 2, stderr: ["acme/orders/region=eu/pivot=00"],
             intact: (["collections", "read", "acme/orders", "--reduced", "--partition", "region=na"], #"{"amount":3,"id":2,"region":"na"}"# + "\n")),
        Case(name: "corrupt engine state store", files: ["flow.yaml": orders, "docs.jsonl": twoOrders], setup: ingestTwo,
             damage: .createFile(path: "engine.db", contents: String(repeating: "not a database ", count: 100)),
             arguments: ["run", "--until-idle"], status: 2, stderr: ["engine.db"]),
    ]

    @Test(arguments: cases)
    func badInputGivesAClearErrorAndKeepsCommittedData(_ testCase: Case) throws {
        let directory = TestDirectory("matrix")
        defer { directory.remove() }
        for (name, text) in testCase.files { try directory.write(name, text) }
        let sluice = try BuiltProducts.executable("sluice")
        func run(_ arguments: [String], input: String = "") throws -> (status: Int32, output: String, error: String) {
            var arguments = arguments
            var input = input
            if let index = arguments.firstIndex(of: "--stdin-file") {
                input = try String(contentsOfFile: directory.file(arguments[index + 1]), encoding: .utf8)
                arguments.removeSubrange(index...(index + 1))
            }
            let usesData = ["ingest", "collections", "journals", "run", "stats"].contains(arguments.first ?? "")
            let usesCatalog = ["ingest", "collections", "run", "check"].contains(arguments.first ?? "")
                || (arguments.count > 1 && arguments[1] == "compact")
            if usesData && !arguments.contains("--data-dir") { arguments += ["--data-dir", directory.file("data")] }
            if usesCatalog && !arguments.contains("--catalog") && !(arguments.first == "check" && arguments.count > 1) {
                arguments += ["--catalog", directory.file("flow.yaml")]
            }
            return try ChildProcess.runIn(directory.path, sluice, arguments, input: input)
        }
        for command in testCase.setup {
            let outcome = try run(command)
            try #require(outcome.status == 0, "setup \(command): \(outcome.error)")
        }
        if let damage = testCase.damage { try apply(damage, in: directory.file("data")) }
        let outcome = try run(testCase.arguments, input: testCase.input)
        let stderr = outcome.error.replacingOccurrences(of: directory.path, with: "DIR")
        #expect(outcome.status == testCase.status, "\(testCase.name): exit \(outcome.status), stderr: \(stderr)")
        for expected in testCase.stderr {
            #expect(stderr.contains(expected), "\(testCase.name): stderr lacks \(expected.debugDescription): \(stderr)")
        }
        if testCase.status != 0 {
            #expect(!stderr.contains("Fatal error") && !stderr.contains("Program crashed"), "\(testCase.name) crashed: \(stderr)")
        }
        if let intact = testCase.intact {
            let after = try run(intact.arguments)
            #expect(after.status == 0 && after.output == intact.output, "\(testCase.name): committed data changed: \(after.output) \(after.error)")
        }
    }

    func apply(_ damage: Damage, in data: String) throws {
        let manager = FileManager.default
        switch damage {
        case .truncateLast(let file, let bytes):
            let path = data + "/" + file
            let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
            let size = try handle.seekToEnd()
            try handle.truncate(atOffset: size - UInt64(bytes))
            try handle.close()
        case .flipByte(let file, let offsetFromEnd):
            let path = data + "/" + file
            var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
            bytes[bytes.count - offsetFromEnd] ^= 0x5A
            try Data(bytes).write(to: URL(fileURLWithPath: path))
        case .replace(let file, let text):
            try text.write(toFile: data + "/" + file, atomically: false, encoding: .utf8)
        case .remove(let file):
            try manager.removeItem(atPath: data + "/" + file)
            try "not a folder".write(toFile: data + "/" + file, atomically: false, encoding: .utf8)
        case .createFile(let path, let text):
            try text.write(toFile: data + "/" + path, atomically: false, encoding: .utf8)
        }
    }
}
