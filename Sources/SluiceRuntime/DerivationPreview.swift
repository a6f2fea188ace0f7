import Foundation
public import Logging
public import SluiceCatalog
import SluiceCollection
import SluiceCombine
public import SluiceDocument
import SluiceTask

/// A fixture for `sluice preview` (docs/derivations.md "Preview"): JSON lines, each one of
///
/// - `{…}`: a source document, for a derivation whose transforms all read one collection;
/// - `["NAME", {…}]`: a source document for the transform named NAME, or for the source
///   collection named NAME; it is written to that collection, so every transform reading the
///   collection sees it, as in a real run;
/// - `["@advance", "1h"]`: the simulated clock moves forward (a duration: `500ms`, `30s`, `5m`,
///   `2h`, `1d`, or a number of seconds), releasing documents held for a read delay.
///
/// Blank lines are skipped.
public struct PreviewFixture: Sendable {
    public enum Entry: Sendable {
        /// A document for a source collection.
        case document(collection: String, Document, line: Int)
        /// Move the clock forward.
        case advance(nanoseconds: UInt64, line: Int)
    }

    public let entries: [Entry]

    /// Parses fixture text for `derivation` (its transforms decide what names mean).
    public init(text: String, file: String, derivation: CollectionDefinition) throws(PreviewError) {
        guard let derive = derivation.derive else {
            throw PreviewError(message: "\(derivation.name) is not a derivation")
        }
        let sources = Set(derive.transforms.map(\.source.collection))
        var entries: [Entry] = []
        for (index, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = index + 1
            let trimmed = rawLine.trimmingCharacters(in: .whitespacesAndNewlines)
            if trimmed.isEmpty { continue }
            func failure(_ message: String) -> PreviewError { PreviewError(message: "\(file):\(line): \(message)") }
            let value: Document
            do {
                value = try Document(parsing: trimmed)
            } catch {
                throw failure("not JSON: \(error)")
            }
            switch value.kind {
            case .object:
                guard sources.count == 1, let only = sources.first else {
                    throw failure("\(derivation.name) reads \(sources.sorted().joined(separator: ", ")): "
                                  + "name the transform or collection, as [\"NAME\", {…}]")
                }
                entries.append(.document(collection: only, value, line: line))
            case .array where value.root.count == 2:
                guard let name = value.root[0]?.string, let second = value.root[1] else {
                    throw failure("expected [\"NAME\", {…}] or [\"@advance\", \"DURATION\"]")
                }
                if name == "@advance" {
                    guard let text = second.string ?? second.number.map({ "\($0.doubleValue)" }),
                          let seconds = PreviewDurations.seconds(text) else {
                        throw failure("@advance takes a duration such as \"30s\", \"1h\" or \"1h30m\"")
                    }
                    entries.append(.advance(nanoseconds: UInt64((seconds * 1e9).rounded()), line: line))
                    continue
                }
                guard second.kind == .object else { throw failure("the document of \(name) must be a JSON object") }
                let collection: String
                if let transform = derive.transforms.first(where: { $0.name == name }) {
                    collection = transform.source.collection
                } else if sources.contains(name) {
                    collection = name
                } else {
                    let names = derive.transforms.map(\.name) + sources.sorted()
                    throw failure("\(name) is neither a transform nor a source collection of \(derivation.name) "
                                  + "(it has: \(names.joined(separator: ", ")))")
                }
                entries.append(.document(collection: collection, Document(copying: second), line: line))
            default:
                throw failure("expected a document {…}, [\"NAME\", {…}] or [\"@advance\", \"DURATION\"]")
            }
        }
        self.entries = entries
    }
}

public struct PreviewError: Error, Sendable, CustomStringConvertible {
    public let message: String
    public var description: String { message }
}

/// Runs one derivation over a fixture (docs/derivations.md "Preview"), in a scratch folder on a
/// simulated clock: each fixture document is one transaction into its source collection (the
/// clock moving one second per document), after which the derivation runs to quiescence with
/// one source document per transaction; at the end the clock moves on until no document is
/// held for a read delay. The output is the derivation's published documents in order (each
/// transaction's outputs, combined by key within the transaction), without `/_meta/uuid`; or,
/// with `reduced`, one fully reduced document per key, in key order.
public enum DerivationPreview {
    public static func run(catalog: Catalog, derivation name: String, fixture: PreviewFixture, connectors: ConnectorSet = .builtIn,
                           workDirectory: String, clockStartNanoseconds: UInt64 = SimulatedClock.defaultStartNanoseconds,
                           reduced: Bool = false, logger: Logger = Logger(label: "sluice"),
                           emit: (Document) -> Void) async throws {
        let collections = try CatalogTestRunner.collectionSpecs(catalog)
        guard let derived = collections[name], catalog.collections[name]?.derive != nil else {
            throw PreviewError(message: "\(name) is not a derivation of the catalog")
        }
        try FileManager.default.createDirectory(atPath: workDirectory, withIntermediateDirectories: true)
        let clock = SimulatedClock(startNanoseconds: clockStartNanoseconds)
        let registry = JournalRegistry(path: workDirectory)
        do {
            let driver = try await DerivationDriver(catalog: catalog, collections: collections, connectors: connectors,
                                                    dataDirectory: workDirectory, registry: registry, derivations: [name],
                                                    bounds: TransactionBounds(maxDocuments: 1), logger: logger,
                                                    wallClockNanoseconds: clock.read)
            defer { driver.close() }
            for entry in fixture.entries {
                switch entry {
                case .document(let collection, let document, let line):
                    clock.advance(byNanoseconds: 1_000_000_000)
                    let text = JSONText(text: document.description, location: SourceLocation(file: "fixture", line: line, column: 1))
                    if let problem = try await CatalogTestRunner.ingest([text], into: collections[collection]!, registry: registry,
                                                                         clock: clock) {
                        throw PreviewError(message: "fixture line \(line): \(collection): \(problem)")
                    }
                    try await driver.runUntilQuiet()
                case .advance(let nanoseconds, _):
                    clock.advance(byNanoseconds: nanoseconds)
                    try await driver.runUntilQuiet()
                }
            }
            try await driver.runUntilDone(advancing: clock)
            if reduced {
                for document in try await CatalogTestRunner.reduced(derived, registry: registry) { emit(document) }
            } else {
                let reader = try CollectionReader(collection: derived, registry: registry)
                try await reader.read { committed in emit(DocumentMeta.removingUUID(committed.document)) }
            }
        } catch {
            await registry.close()
            throw error
        }
        await registry.close()
    }
}

/// Durations in fixtures: `500ms`, `30s`, `5m`, `2h`, `1h30m`, `7d`, or seconds.
enum PreviewDurations {
    static func seconds(_ text: String) -> Double? {
        if let seconds = Double(text), seconds >= 0, seconds.isFinite { return seconds }
        let units: [(String, Double)] = [("ms", 0.001), ("s", 1), ("m", 60), ("h", 3600), ("d", 86_400)]
        var rest = Substring(text.trimmingCharacters(in: .whitespaces))
        guard !rest.isEmpty else { return nil }
        var total = 0.0
        while !rest.isEmpty {
            let digits = rest.prefix { $0.isNumber || $0 == "." }
            guard !digits.isEmpty, let amount = Double(digits) else { return nil }
            rest = rest.dropFirst(digits.count)
            guard let unit = units.first(where: { rest.hasPrefix($0.0) }) else { return nil }
            rest = rest.dropFirst(unit.0.count)
            total += amount * unit.1
        }
        return total
    }
}
