import ArgumentParser
import Foundation
import SluiceCollection
import SluiceCombine
import SluiceDocument
import SluiceRuntime

/// `sluice stats`: what each task did, from the reduced `ops/stats` collection.
struct StatsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stats",
        abstract: "Print task statistics (transactions, documents) from the ops/stats collection.")

    @OptionGroup var data: DataDirectoryOption
    @Flag(help: "One line per task and hour instead of per task.") var hourly = false
    @Flag(help: "JSON lines (the reduced stats documents) instead of a table.") var json = false
    @Option(help: "Only this task.") var task: String?

    func run() async throws {
        try await runReportingFailures {
            let collection = try OpsStats.collection()
            let registry = data.registry()
            let reader = try CollectionReader(collection: collection, registry: registry)
            var combiner = Combiner(configuration: CombinerConfiguration(key: collection.key, mode: .full),
                                    validator: collection.readSchema.validator())
            try await reader.read { try combiner.add(DocumentMeta.removingUUID($0.document)) }
            var drainer = try combiner.drain()
            struct Row { var kind = ""; var transactions: Int64 = 0; var read: Int64 = 0; var written: Int64 = 0; var seconds = 0.0; var last = "" }
            var rows: [(String, Row)] = []
            let output = StandardOutput()
            while let drained = try drainer.next() {
                let root = drained.document.root
                guard let name = root["task"]?.string, task == nil || task == name else { continue }
                if json {
                    var line: [UInt8] = []
                    JSONSerializer.append(drained.document, to: &line)
                    output.write(line + [0x0A])
                    continue
                }
                let label = hourly ? "\(name) \(root["hour"]?.string ?? "")" : name
                var row = rows.last?.0 == label ? rows.removeLast().1 : Row()
                row.kind = root["kind"]?.string ?? ""
                row.transactions += root["transactions"]?.int64 ?? 0
                row.read += root["docsRead"]?.int64 ?? 0
                row.written += root["docsWritten"]?.int64 ?? 0
                row.seconds += root["transactionSeconds"]?.double ?? 0
                row.last = max(row.last, root["last"]?.string ?? "")
                rows.append((label, row))
            }
            if !json {
                if rows.isEmpty {
                    output.write("no statistics yet in \(data.dataDirectory) (they are written while `sluice run` runs)\n")
                } else {
                    output.write("task\tkind\ttransactions\tdocs_read\tdocs_written\ttransaction_seconds\tlast\n")
                    for (label, row) in rows {
                        output.write("\(label)\t\(row.kind)\t\(row.transactions)\t\(row.read)\t\(row.written)\t"
                                     + String(format: "%.3f", row.seconds) + "\t\(row.last)\n")
                    }
                }
            }
            output.flush()
            await registry.close()
        }
    }
}
