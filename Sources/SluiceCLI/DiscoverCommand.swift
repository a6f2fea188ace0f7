import ArgumentParser
import Foundation
import Logging
import SluiceCapture
import SluiceCatalog
import SluiceDocument

/// `sluice discover`: collection specs suggested from an Airbyte connector's catalog.
struct DiscoverCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "discover",
        abstract: "Suggest collections (schema and key) from an Airbyte connector's discovered catalog.",
        discussion: """
            Runs the connector's `discover` with the config of capture --name in --catalog, or \
            with --command and --config. Prints a catalog fragment: one collection per stream \
            (PREFIX/STREAM; schema from the stream's json_schema, key from its source-defined \
            primary key), and the capture's bindings (as comments in YAML, under "bindings" in \
            JSON). Notes on what to decide go to standard error.
            """)

    @OptionGroup var catalog: CatalogOption
    @Option(help: "The airbyte capture of --catalog whose connector to ask.") var name: String?
    @Option(help: "A connector command instead of a capture (words split at spaces, no shell quoting).") var command: String?
    @Option(help: "With --command: the connector's config, a JSON file.") var config: String?
    @Option(help: "Collection names start with this (default: the capture's name).") var prefix: String?
    @Option(help: "Output format: yaml or json.") var format: String = "yaml"
    @Flag(help: "Run the connector's `check` first and stop if it refuses the config.") var check = false
    @Option(help: "Log level of the connector's messages (to standard error).") var logLevel: String = "warning"

    func validate() throws {
        guard (name == nil) != (command == nil) else { throw ValidationError("give either --name CAPTURE or --command COMMAND") }
        if command != nil && config == nil { throw ValidationError("--command needs --config FILE") }
        if command != nil && prefix == nil { throw ValidationError("--command needs --prefix (collection names start with it)") }
        guard ["yaml", "json"].contains(format) else { throw ValidationError("--format is yaml or json, not \(format)") }
        guard Logger.Level(rawValue: logLevel) != nil else { throw ValidationError("--log-level \(logLevel) is not a level") }
    }

    func run() async throws {
        try await runReportingFailures {
            let (endpoint, folder, captureName) = try resolveEndpoint()
            var logger = Logger(label: "sluice")
            logger.logLevel = Logger.Level(rawValue: logLevel) ?? .warning
            let launch: AirbyteLaunch
            do {
                launch = try AirbyteLaunch(endpoint, folder: folder)
            } catch {
                throw CLIFailure.user("\(error)")
            }
            let commands = AirbyteCommands(launch: launch, logger: logger)
            let discovered: AirbyteCatalog
            do {
                if check, let refusal = try await commands.check() {
                    throw CLIFailure.user("\(launch.label("check")): the connector refused the config: \(refusal)")
                }
                discovered = try await commands.discover()
            } catch let error as AirbyteError {
                switch error {
                case .connectorError, .catalog, .missingMessage, .protocolViolation: throw CLIFailure.user(error.description)
                default: throw CLIFailure.internal(error.description)
                }
            }
            let suggestions = AirbyteDiscovery.suggestions(discovered, prefix: prefix ?? captureName)
            for note in suggestions.flatMap(\.notes) { printError("note: \(note)") }
            let output = StandardOutput()
            output.write(format == "json" ? json(suggestions) : yaml(suggestions, capture: captureName, connector: launch.name))
            output.flush()
        }
    }

    /// The endpoint from the catalog's capture, or from --command and --config.
    private func resolveEndpoint() throws -> (AirbyteEndpoint, folder: String, capture: String) {
        if let name {
            let loaded = try catalog.load()
            guard let capture = loaded.captures[name] else {
                let known = loaded.captures.keys.sorted()
                throw CLIFailure.user("capture \(name) is not defined in \(catalog.catalogPath)"
                                      + (known.isEmpty ? "" : " (captures: \(known.joined(separator: ", ")))"))
            }
            guard case .airbyte(let endpoint) = capture.endpoint else {
                throw CLIFailure.user("capture \(name) is a \(capture.endpoint.connectorName) capture; discover asks airbyte connectors")
            }
            let folder = ((loaded.files.first ?? catalog.catalogPath) as NSString).deletingLastPathComponent
            return (endpoint, folder, name)
        }
        let words = (command ?? "").split(separator: " ").map(String.init)
        guard !words.isEmpty else { throw CLIFailure.user("--command is empty") }
        let file = config ?? ""
        guard let data = FileManager.default.contents(atPath: file) else { throw CLIFailure.user("\(file): cannot be read") }
        let text = String(decoding: data, as: UTF8.self)
        do {
            guard case .object = try JSONValue(parsing: text) else { throw CLIFailure.user("\(file): the config must be a JSON object") }
        } catch let error as JSONParseError {
            throw CLIFailure.user("\(file): \(error)")
        }
        return (AirbyteEndpoint(command: words, config: Secret(text)), FileManager.default.currentDirectoryPath, prefix ?? "")
    }

    private func json(_ suggestions: [AirbyteCollectionSuggestion]) -> String {
        var collections = JSONObject()
        for suggestion in suggestions { collections[suggestion.collection] = suggestion.collectionSpec }
        let document: JSONValue = ["collections": .object(collections), "bindings": .array(suggestions.map(\.binding))]
        return document.description + "\n"
    }

    private func yaml(_ suggestions: [AirbyteCollectionSuggestion], capture: String, connector: String) -> String {
        // A stream without a key cannot be a collection until someone picks one: a comment.
        var collections = JSONObject()
        for suggestion in suggestions where !suggestion.key.isEmpty { collections[suggestion.collection] = suggestion.collectionSpec }
        var text = "# Suggested by `sluice discover` from \(connector)'s catalog (\(suggestions.count) streams).\n"
        text += DiscoverYAML.text(["collections": .object(collections)])
        for suggestion in suggestions where suggestion.key.isEmpty {
            text += "# \(suggestion.collection): the stream has no primary key; add this collection with a key you choose.\n"
        }
        text += "# Bindings for capture \(capture):\n#   bindings:\n"
        for suggestion in suggestions {
            text += "#     - {resource: \(suggestion.resource.description), target: \(suggestion.collection)}\n"
        }
        return text
    }
}
