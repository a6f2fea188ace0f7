import ArgumentParser
import Foundation
import SluiceCatalog
import SluiceCollection
import SluiceCombine
import SluiceDocument
import SluiceJournal
import SluiceSchema

/// `sluice ingest NAME < docs.jsonl`: JSON lines into a collection, one transaction per batch.
struct IngestCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ingest",
        abstract: "Write JSON lines from standard input into a collection.",
        discussion: """
            Each batch of --batch lines is one transaction: validated against the collection's \
            schema, combined by key, published and acknowledged. An invalid document stops the \
            ingest with its line number; nothing of its transaction commits (earlier ones stay).
            """)

    @Argument(help: "The collection.") var name: String
    @OptionGroup var catalog: CatalogOption
    @OptionGroup var data: DataDirectoryOption
    @Option(help: "Documents per transaction.") var batch: Int = 10_000

    func validate() throws {
        guard (1...10_000_000).contains(batch) else { throw ValidationError("--batch must be between 1 and 10000000") }
    }

    func run() async throws {
        try await runReportingFailures {
            let collection = try catalog.collection(name)
            let registry = data.registry()
            let publisher = TransactionPublisher(registry: registry)
            var parser = JSONParser()
            var splitter = JSONLinesSplitter()
            var input = StandardInputReader()
            var buffer: [UInt8] = []
            var inBatch = 0
            var documents = 0
            var transactions = 0
            var batchFirstLine = 1

            func commit() async throws {
                guard inBatch > 0 else { return }
                let intents = try await publisher.publish()
                try await TransactionPublisher.acknowledge(intents, registry: registry)
                transactions += 1
                documents += inBatch
                inBatch = 0
            }
            func add(_ line: UnsafeRawBufferPointer, _ number: Int) throws {
                if inBatch == 0 { batchFirstLine = number }
                let document: Document
                do {
                    document = try parser.parse(line)
                } catch {
                    // The parser counts within the line: name the input's line and the column.
                    throw CLIFailure.user("standard input line \(number), column \(error.column): \(error.reason.message)")
                }
                do {
                    try publisher.add(document, to: collection)
                } catch {
                    let reason: String
                    if case .invalidDocument(_, _, let why) = error { reason = why } else { reason = error.description }
                    throw CLIFailure.user("standard input line \(number): invalid document for \(collection.name): \(reason)")
                }
                inBatch += 1
            }
            do {
                while true {
                    buffer.removeAll(keepingCapacity: true)
                    guard try input.read(into: &buffer, upTo: 1 << 20) > 0 else { break }
                    var lines: [(Int, [UInt8])] = []
                    try splitter.feed(buffer) { line, number in lines.append((number, Array(line))) }
                    for (number, line) in lines {
                        try line.withUnsafeBytes { try add($0, number) }
                        if inBatch >= batch { try await commit() }
                    }
                }
                var rest: [(Int, [UInt8])] = []
                try splitter.finish { line, number in rest.append((number, Array(line))) }
                for (number, line) in rest { try line.withUnsafeBytes { try add($0, number) } }
                try await commit()
            } catch let failure as CLIFailure {
                publisher.abandon()
                await registry.close()
                let committed = "\(documents) documents in \(transactions) transactions committed before it"
                throw CLIFailure.user("\(failure.description) (transaction from line \(batchFirstLine) not committed; \(committed))")
            } catch let error as JSONLinesError {
                await registry.close()
                throw CLIFailure.user("standard input: \(error)")
            }
            await registry.close()
            print(#"{"collection":"\#(collection.name)","documents":\#(documents),"transactions":\#(transactions)}"#)
        }
    }
}

/// `sluice collections read NAME`.
struct CollectionsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "collections",
        abstract: "Read the documents of collections.",
        subcommands: [Read.self])

    struct Read: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print a collection's documents as JSON lines.",
            discussion: """
                By default, committed documents in journal order (read-committed). --reduced \
                prints one fully reduced document per key, in key order, without deleted keys. \
                --uncommitted prints every line of the collection's journals as written, \
                acknowledgements and rolled-back documents included.
                """)

        @Argument(help: "The collection.") var name: String
        @OptionGroup var catalog: CatalogOption
        @OptionGroup var data: DataDirectoryOption
        @Flag(help: "One fully reduced document per key, in key order.") var reduced = false
        @Flag(help: "Every line as written, including ACKs and uncommitted documents.") var uncommitted = false
        @Option(name: .customLong("partition"), help: "Only journals with this partition value (FIELD=VALUE; repeatable).")
        var partitions: [String] = []

        func validate() throws {
            if reduced && uncommitted { throw ValidationError("--reduced and --uncommitted cannot be combined") }
            for partition in partitions where !partition.contains("=") {
                throw ValidationError("--partition takes FIELD=VALUE, not \(partition)")
            }
        }

        func run() async throws {
            try await runReportingFailures {
                let collection = try catalog.collection(name)
                let registry = data.registry()
                defer { Task { await registry.close() } }
                var include: [String: Set<String>] = [:]
                for partition in partitions {
                    let parts = partition.split(separator: "=", maxSplits: 1)
                    guard collection.partitions.contains(where: { $0.field == parts[0] }) else {
                        let fields = collection.partitions.map(\.field)
                        throw CLIFailure.user("\(collection.name) has no partition field \(parts[0])"
                                              + (fields.isEmpty ? "" : " (fields: \(fields.joined(separator: ", ")))"))
                    }
                    // Values are given as text: strings are encoded as the journal names encode them.
                    let value = try Document(JSONValue.string(String(parts[1])))
                    include[String(parts[0]), default: []].insert(PartitionNames.encode(value.root)!)
                    if let number = Int64(parts[1]) { include[String(parts[0]), default: []].insert(String(number)) }
                    if parts[1] == "true" || parts[1] == "false" { include[String(parts[0]), default: []].insert(String(parts[1])) }
                }
                let selector = PartitionSelector(include: include)
                let output = StandardOutput()
                if uncommitted {
                    try await printUncommitted(collection, registry, selector, output)
                } else if reduced {
                    try await printReduced(collection, registry, selector, output)
                } else {
                    let reader = try CollectionReader(collection: collection, registry: registry, selector: selector)
                    var line: [UInt8] = []
                    try await reader.read { committed in
                        line.removeAll(keepingCapacity: true)
                        JSONSerializer.append(committed.document, to: &line)
                        line.append(0x0A)
                        output.write(line)
                    }
                    reportSkipped(reader)
                }
                output.flush()
            }
        }

        private func printUncommitted(_ collection: CollectionSpec, _ registry: JournalRegistry,
                                      _ selector: PartitionSelector, _ output: StandardOutput) async throws {
            let reader = try CollectionReader(collection: collection, registry: registry, selector: selector)
            for name in try reader.journals() {
                guard let journal = try registry.existingJournal(name) else { continue }
                for try await item in try journal.read(from: 0) {
                    switch item {
                    case .chunk(let chunk): output.write(chunk.bytes)
                    case .jump(let from, let to): printError("warning: \(name): offsets \(from)..<\(to) are gone (pruned)")
                    }
                }
            }
        }

        private func printReduced(_ collection: CollectionSpec, _ registry: JournalRegistry,
                                  _ selector: PartitionSelector, _ output: StandardOutput) async throws {
            let reader = try CollectionReader(collection: collection, registry: registry, selector: selector)
            var combiner = Combiner(configuration: CombinerConfiguration(key: collection.key, mode: .full),
                                    validator: collection.readSchema.validator())
            var failure: (any Error)?
            try await reader.read { committed in
                guard failure == nil else { return }
                do {
                    try combiner.add(DocumentMeta.removingUUID(committed.document))
                } catch {
                    failure = CLIFailure.user("\(committed.journal) offset \(committed.begin): \(error)")
                }
            }
            if let failure { throw failure }
            reportSkipped(reader)
            var drainer = try combiner.drain()
            var line: [UInt8] = []
            while let drained = try drainer.next() {
                if drained.isDeleted { continue }
                line.removeAll(keepingCapacity: true)
                JSONSerializer.append(drained.document, to: &line)
                line.append(0x0A)
                output.write(line)
            }
        }

        private func reportSkipped(_ reader: CollectionReader) {
            for skipped in reader.skippedRanges {
                printError("warning: \(skipped.journal): offsets \(skipped.from)..<\(skipped.to) are gone (pruned); their documents are missing")
            }
        }
    }
}
