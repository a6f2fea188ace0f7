import Foundation
import Logging
import SluiceCapture
import SluiceCatalog
import SluiceCollection
import SluiceDocument
import SluiceRuntime
import SluiceTask
import SluiceTestSupport
import Testing

/// A catalog in a temporary folder, run in-process by an engine with chosen capture
/// connectors, and its collections read back.
struct CaptureHarness {
    let directory: TestDirectory
    let catalogPath: String

    init(_ label: String, catalog: String) throws {
        directory = TestDirectory(label)
        catalogPath = try directory.write("flow.yaml", catalog)
    }

    var dataDirectory: String { directory.file("data") }

    func catalog() throws -> Catalog { try CatalogLoader.load(path: catalogPath) }

    func engine(_ captures: [String: any CaptureConnector], maxTransactionSeconds: Double = 0.2) throws -> Engine {
        var connectors = ConnectorSet()
        connectors.captures = captures
        var logger = Logger(label: "test")
        logger.logLevel = .error
        return try Engine(catalog: try catalog(), connectors: connectors,
                          options: EngineOptions(dataDirectory: dataDirectory,
                                                 bounds: TransactionBounds(maxDurationSeconds: maxTransactionSeconds),
                                                 restartBackoffSeconds: (0.01, 0.05), idleCheckSeconds: 0.05, logger: logger))
    }

    /// Runs until every task is idle (or exhausted).
    func runUntilIdle(_ captures: [String: any CaptureConnector]) async throws {
        try await engine(captures).run(untilIdle: true)
    }

    /// The committed documents of `collection`, in journal order, without `/_meta/uuid`.
    /// While an engine runs, pass its registry (journals are opened by one registry at a time).
    func committed(_ collection: String, registry running: JournalRegistry? = nil) async throws -> [JSONValue] {
        let definition = try #require(try catalog().collections[collection])
        let spec = try CollectionSpec(definition: definition)
        let registry = running ?? JournalRegistry(path: dataDirectory)
        let reader = try CollectionReader(collection: spec, registry: registry)
        var documents: [JSONValue] = []
        _ = try await reader.read { documents.append(DocumentMeta.removingUUID($0.document).jsonValue) }
        if running == nil { await registry.close() }
        return documents
    }
}

enum Compressor: String, CaseIterable {
    case zstd, lz4, gzip

    var fileExtension: String {
        switch self {
        case .zstd: "zst"
        case .lz4: "lz4"
        case .gzip: "gz"
        }
    }

    /// Compresses `path` into `path.ext` with the Debian command (`make deps` installs them),
    /// removing the original.
    func compress(_ path: String) throws -> String {
        let output = path + "." + fileExtension
        let arguments: [String]
        switch self {
        case .zstd: arguments = ["-q", "--rm", path, "-o", output]
        case .lz4: arguments = ["-q", "--rm", path, output]
        case .gzip: arguments = ["-q", path]
        }
        let result = try ChildProcess.run("/usr/bin/" + rawValue, arguments)
        guard result.status == 0 else { throw TestSupportError("\(rawValue) failed: \(result.error)") }
        return output
    }
}
