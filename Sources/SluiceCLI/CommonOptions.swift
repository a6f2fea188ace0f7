import ArgumentParser
import Foundation
import SluiceCatalog
import SluiceCollection
import SluiceJournal

/// `--data-dir`, shared by every command that touches data.
struct DataDirectoryOption: ParsableArguments {
    @Option(name: .customLong("data-dir"), help: "The data directory.")
    var dataDirectory: String = "./sluice-data"

    var directory: JournalDataDirectory { JournalDataDirectory(path: dataDirectory) }

    /// The journals of the data directory, reporting on stderr what opening them repaired.
    func registry() -> JournalRegistry {
        JournalRegistry(dataDirectory: directory) { name, line in printError("\(name): \(line)") }
    }
}

/// `--catalog`, shared by every command that reads the catalog.
struct CatalogOption: ParsableArguments {
    @Option(name: .customLong("catalog"), help: "The catalog file.")
    var catalogPath: String = "flow.yaml"

    /// Loads the catalog, turning its errors into a user failure listing them all.
    func load() throws -> Catalog {
        do {
            return try CatalogLoader.load(path: catalogPath)
        } catch {
            throw CLIFailure.user(error.description)
        }
    }

    /// The runtime spec of collection `name` of the catalog.
    func collection(_ name: String) throws -> CollectionSpec {
        let catalog = try load()
        guard let definition = catalog.collections[name] else {
            let known = catalog.collections.keys.sorted()
            throw CLIFailure.user(CollectionError.unknownCollection(name: name, known: known).description)
        }
        do {
            return try CollectionSpec(definition: definition)
        } catch {
            throw CLIFailure.user(error.description)
        }
    }
}
