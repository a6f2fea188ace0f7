import Foundation
public import Logging
public import SluiceCatalog
import SluiceCollection
import SluiceCombine
import SluiceDerive
import SluiceDocument
import SluiceTask

/// The outcome of one catalog test.
public struct CatalogTestOutcome: Sendable {
    public let name: String
    public let location: SourceLocation
    /// Steps run (a failing step ends the test).
    public let stepsRun: Int
    public let steps: Int
    /// What failed, as readable text (the step, then the differences, one per line).
    public let failures: [String]

    public var passed: Bool { failures.isEmpty }
}

/// Runs a catalog's `tests:` (docs/derivations.md "Catalog tests"), offline and
/// deterministically: each test starts from empty collections in its own folder, on a
/// simulated clock.
///
/// - `ingest` is one transaction into its collection (same-key documents combine), published
///   and acknowledged at the clock's time (the clock moves one second per ingest); then every
///   derivation runs until nothing is ready.
/// - `verify` first lets every document held for a read delay become due (moving the clock to
///   each due time) and runs derivations to quiescence; then it reads the collection fully
///   reduced, in key order, and compares it with the expected documents sorted by key: the
///   same number of documents and keys, and every property an expected document has (at any
///   depth) equal in the actual one (extra properties are fine; arrays compare element by
///   element and must have the same length; numbers compare by value).
///
/// Captures and materializations are not run.
public final class CatalogTestRunner {
    public let catalog: Catalog
    public let connectors: ConnectorSet
    public let clockStartNanoseconds: UInt64
    public let logger: Logger

    public init(catalog: Catalog, connectors: ConnectorSet = .builtIn,
                clockStartNanoseconds: UInt64 = SimulatedClock.defaultStartNanoseconds, logger: Logger = Logger(label: "sluice")) {
        self.catalog = catalog
        self.connectors = connectors
        self.clockStartNanoseconds = clockStartNanoseconds
        self.logger = logger
    }

    /// Runs the named tests (every test when nil) in name order, each in a folder under
    /// `workDirectory`. Throws only when the environment fails (I/O); test failures, including
    /// derivations that fail, are in the outcomes.
    public func run(_ names: [String]? = nil, workDirectory: String) async throws -> [CatalogTestOutcome] {
        let collections = try Self.collectionSpecs(catalog)
        var outcomes: [CatalogTestOutcome] = []
        for (number, test) in catalog.tests.values.sorted(by: { $0.name < $1.name }).enumerated()
        where names == nil || names!.contains(test.name) {
            let folder = workDirectory + "/test-\(number)"
            try? FileManager.default.removeItem(atPath: folder)
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            outcomes.append(await run(test, collections: collections, folder: folder))
            try? FileManager.default.removeItem(atPath: folder)
        }
        return outcomes
    }

    static func collectionSpecs(_ catalog: Catalog) throws -> [String: CollectionSpec] {
        var specs: [String: CollectionSpec] = [:]
        for (name, definition) in catalog.collections { specs[name] = try CollectionSpec(definition: definition) }
        return specs
    }

    private func run(_ test: TestDefinition, collections: [String: CollectionSpec], folder: String) async -> CatalogTestOutcome {
        let clock = SimulatedClock(startNanoseconds: clockStartNanoseconds)
        let registry = JournalRegistry(path: folder)
        var stepsRun = 0
        var failures: [String] = []
        func outcome() -> CatalogTestOutcome {
            CatalogTestOutcome(name: test.name, location: test.location, stepsRun: stepsRun, steps: test.steps.count, failures: failures)
        }
        let driver: DerivationDriver
        do {
            driver = try await DerivationDriver(catalog: catalog, collections: collections, connectors: connectors, dataDirectory: folder,
                                                registry: registry, logger: logger, wallClockNanoseconds: clock.read)
        } catch {
            await registry.close()
            failures.append("derivations cannot start: \(error)")
            return outcome()
        }
        defer { driver.close() }
        for (index, step) in test.steps.enumerated() {
            stepsRun += 1
            let label = Self.label(step, index: index)
            guard let collection = collections[step.collection] else {
                failures.append("\(label): collection \(step.collection) is not defined")
                break
            }
            do {
                switch step {
                case .ingest(_, let documents, _):
                    clock.advance(byNanoseconds: 1_000_000_000)
                    if let problem = try await Self.ingest(documents, into: collection, registry: registry, clock: clock) {
                        failures.append("\(label): \(problem)")
                    } else {
                        try await driver.runUntilQuiet()
                    }
                case .verify(_, let expectedText, _):
                    try await driver.runUntilDone(advancing: clock)
                    let actual = try await Self.reduced(collection, registry: registry)
                    var expected: [Document] = []
                    for (position, text) in expectedText.enumerated() {
                        do {
                            expected.append(try Document(parsing: text.text))
                        } catch {
                            failures.append("\(label): expected document \(position + 1) is not JSON: \(error)")
                        }
                    }
                    let differences = VerifyComparison.differences(expected: expected, actual: actual, key: collection.key)
                    if !differences.isEmpty {
                        failures.append(([label + ": the documents of \(collection.name) differ"] + differences.map { "  " + $0 })
                            .joined(separator: "\n"))
                    }
                }
            } catch {
                failures.append("\(label): \(error)")
            }
            if !failures.isEmpty { break }
        }
        await registry.close()
        return outcome()
    }

    static func label(_ step: TestStep, index: Int) -> String {
        switch step {
        case .ingest(let collection, _, let location): return "step \(index + 1) (ingest into \(collection), \(location))"
        case .verify(let collection, _, let location): return "step \(index + 1) (verify \(collection), \(location))"
        }
    }

    /// One transaction of `documents` into `collection`; a document that is not JSON or not
    /// valid is returned as a problem (nothing of the transaction commits then).
    static func ingest(_ documents: [JSONText], into collection: CollectionSpec, registry: JournalRegistry,
                       clock: SimulatedClock) async throws -> String? {
        let publisher = TransactionPublisher(registry: registry, wallClockNanoseconds: clock.read)
        for (position, text) in documents.enumerated() {
            do {
                try publisher.add(try Document(parsing: text.text), to: collection)
            } catch {
                publisher.abandon()
                let reason: String
                if case .invalidDocument(_, _, let why) = error as? CollectionError { reason = why } else { reason = "\(error)" }
                return "document \(position + 1) (\(text.location)): \(reason)"
            }
        }
        let intents = try await publisher.publish()
        try await TransactionPublisher.acknowledge(intents, registry: registry)
        return nil
    }

    /// The fully reduced documents of a collection, in key order, without `/_meta/uuid` and
    /// without deleted keys.
    static func reduced(_ collection: CollectionSpec, registry: JournalRegistry) async throws -> [Document] {
        let reader = try CollectionReader(collection: collection, registry: registry)
        var combiner = Combiner(configuration: CombinerConfiguration(key: collection.key, mode: .full),
                                validator: collection.readSchema.validator())
        var failure: (any Error)?
        try await reader.read { committed in
            guard failure == nil else { return }
            do {
                try combiner.add(DocumentMeta.removingUUID(committed.document))
            } catch {
                failure = error
            }
        }
        if let failure { throw failure }
        var drainer = try combiner.drain()
        var documents: [Document] = []
        while let drained = try drainer.next() {
            if !drained.isDeleted { documents.append(drained.document) }
        }
        return documents
    }
}

/// `verify`'s comparison, with differences as readable lines.
enum VerifyComparison {
    /// Values longer than this are cut in messages (characters).
    static let shownCharactersMax = 240

    static func differences(expected: [Document], actual: [Document], key: KeyExtractor) -> [String] {
        var lines: [String] = []
        for (position, document) in expected.enumerated() {
            for (component, pointer) in key.pointers.enumerated() where key.node(component, in: document.root) == nil {
                lines.append("expected document \(position + 1) has no \(pointer) (expected documents must include the collection's key)")
            }
        }
        if !lines.isEmpty { return lines }
        let expected = stableSorted(expected, key)
        let actual = stableSorted(actual, key)
        var i = 0
        var j = 0
        while i < expected.count || j < actual.count {
            let order: Int
            if i == expected.count { order = 1 } else if j == actual.count { order = -1 } else { order = key.compare(expected[i], actual[j]) }
            if order < 0 {
                lines.append("missing: a document with key \(keyText(expected[i], key)), expected \(shown(expected[i].jsonValue))")
                i += 1
            } else if order > 0 {
                lines.append("unexpected: a document with key \(keyText(actual[j], key)): \(shown(actual[j].jsonValue))")
                j += 1
            } else {
                var inner: [String] = []
                compare(expected[i].jsonValue, actual[j].jsonValue, pointer: "", into: &inner)
                if !inner.isEmpty {
                    lines.append("document \(i + 1) of \(expected.count), key \(keyText(expected[i], key)):")
                    lines += inner.map { "  " + $0 }
                }
                i += 1
                j += 1
            }
        }
        if expected.count != actual.count {
            lines.append("expected \(expected.count) document\(expected.count == 1 ? "" : "s"), found \(actual.count)")
        }
        return lines
    }

    private static func stableSorted(_ documents: [Document], _ key: KeyExtractor) -> [Document] {
        documents.enumerated().sorted { left, right in
            let order = key.compare(left.element, right.element)
            return order != 0 ? order < 0 : left.offset < right.offset
        }.map(\.element)
    }

    /// Every location of `expected` must be in `actual` with an equal value.
    private static func compare(_ expected: JSONValue, _ actual: JSONValue?, pointer: String, into lines: inout [String]) {
        let place = pointer.isEmpty ? "(the document)" : pointer
        guard let actual else {
            lines.append("\(place): expected \(shown(expected)), missing")
            return
        }
        switch (expected, actual) {
        case (.object(let wanted), .object(let found)):
            for (name, value) in wanted {
                let escaped = name.replacingOccurrences(of: "~", with: "~0").replacingOccurrences(of: "/", with: "~1")
                compare(value, found[name], pointer: pointer + "/" + escaped, into: &lines)
            }
        case (.array(let wanted), .array(let found)) where wanted.count == found.count:
            for (index, (value, other)) in zip(wanted, found).enumerated() {
                compare(value, other, pointer: pointer + "/\(index)", into: &lines)
            }
        default:
            if expected != actual || expected.kind != actual.kind {
                lines.append("\(place): expected \(shown(expected)), found \(shown(actual))")
            }
        }
    }

    static func keyText(_ document: Document, _ key: KeyExtractor) -> String {
        shown(.array(key.extract(document)))
    }

    static func shown(_ value: JSONValue) -> String {
        let text = String(decoding: value.jsonBytes, as: UTF8.self)
        return text.count > shownCharactersMax ? String(text.prefix(shownCharactersMax)) + "…" : text
    }
}
