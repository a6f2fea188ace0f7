import ArgumentParser
import Foundation
import SluiceCatalog
import SluiceCollection
import SluiceJournal

extension JournalsCommand {
    /// `sluice journals compact NAME`: key compaction of a journal, or of every journal of a collection.
    struct Compact: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Rewrite sealed fragments so each key keeps one fully reduced document.",
            discussion: """
                NAME is a journal or a collection of the catalog (then every journal of it). \
                Only sealed fragments from a journal's start are rewritten, up to the last \
                point where no transaction is pending; never the spool. Readers past the \
                compacted range keep their offsets; a reader that resumes inside it reads the \
                range's reduced documents from its start (docs/compaction.md).
                """)

        @Argument(help: "A journal or a collection.") var name: String
        @OptionGroup var catalog: CatalogOption
        @OptionGroup var data: DataDirectoryOption
        @Option(help: "Keep deleted keys' tombstones while the compacted fragments are younger than this many seconds.")
        var tombstoneRetention: Int64 = 24 * 3600
        @Option(help: "Only compact journals at least this share dirty (0–1), like Kafka's min.cleanable.dirty.ratio.")
        var minDirtyRatio: Double?
        @Flag(help: "Seal each journal's spool first, so recent appends are compactable too.") var seal = false

        func validate() throws {
            if let ratio = minDirtyRatio, !(0...1).contains(ratio) { throw ValidationError("--min-dirty-ratio is between 0 and 1") }
            if tombstoneRetention < 0 { throw ValidationError("--tombstone-retention must not be negative") }
        }

        func run() async throws {
            try await runReportingFailures {
                let loaded = try catalog.load()
                let registry = data.registry()
                var targets: [(JournalName, CollectionSpec)] = []
                if let definition = loaded.collections[name] {
                    let spec = try specOf(definition)
                    for journal in try registry.journalNames(withPrefix: spec.journalPrefix) { targets.append((journal, spec)) }
                } else {
                    let journalName: JournalName
                    do { journalName = try JournalName(name) } catch { throw CLIFailure.user("\(error)") }
                    guard let definition = loaded.collections.values.first(where: { journalName.rawValue.hasPrefix($0.name + "/") }) else {
                        throw CLIFailure.user("\(name) is neither a collection of the catalog nor a journal of one")
                    }
                    targets.append((journalName, try specOf(definition)))
                }
                let policy = minDirtyRatio.map { CompactionPolicy(minDirtyRatio: $0, minDirtyBytes: 0) }
                let output = StandardOutput()
                for (journalName, spec) in targets {
                    guard let journal = try registry.existingJournal(journalName) else {
                        throw CLIFailure.user("journal \(journalName) does not exist in \(data.dataDirectory)")
                    }
                    if seal { try await journal.seal() }
                    if let policy, !policy.shouldCompact(journal) {
                        output.write("\(journalName): skipped (dirty ratio below \(policy.minDirtyRatio))\n")
                        continue
                    }
                    switch try await CollectionCompactor.compact(journal, collection: spec,
                                                                 tombstoneRetentionSeconds: tombstoneRetention) {
                    case .success(let report): output.write(report.description + "\n")
                    case .failure(let skip): output.write("\(journalName): skipped (\(skip))\n")
                    }
                }
                output.flush()
                await registry.close()
            }
        }

        private func specOf(_ definition: CollectionDefinition) throws -> CollectionSpec {
            do { return try CollectionSpec(definition: definition) } catch { throw CLIFailure.user(error.description) }
        }
    }
}
