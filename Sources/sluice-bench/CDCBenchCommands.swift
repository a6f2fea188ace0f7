import ArgumentParser
import Foundation
import SluiceBench
import SluiceTestSupport

/// `cdc`: PostgreSQL change data capture into a collection (`cdc.capture`). Without `--dsn` it
/// starts a throwaway PostgreSQL server (Debian's, as the tests do) for the run.
struct CDCCapture: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cdc", abstract: "Capture a seeded mix of PostgreSQL inserts, updates and deletes into a collection.")

    @Option(help: "Changes (each one row).") var changes: Int = 200_000
    @Option(help: "Seed of the change mix.") var seed: UInt64 = 42
    @Option(help: "Changes per source transaction.") var transactionChanges: Int = 20
    @Option(help: "The workload file (from --write-sql); generated from --changes and --seed when absent.") var sql: String?
    @Option(help: "Write the workload file here and exit (for the peer).") var writeSQL: String?
    @Option(help: "A PostgreSQL database to use (wal_level=logical); default: a throwaway server.") var dsn: String?
    @OptionGroup var work: JournalWorkOptions

    func run() async throws {
        if let writeSQL {
            let lines = PostgresCDCBenchmarks.workloadSQL(changes: changes, seed: seed, transactionChanges: transactionChanges)
            try (lines.joined(separator: "\n") + "\n").write(toFile: writeSQL, atomically: true, encoding: .utf8)
            return
        }
        let lines = try sql.map { try String(contentsOfFile: $0, encoding: .utf8).split(separator: "\n").map(String.init) }
            ?? PostgresCDCBenchmarks.workloadSQL(changes: changes, seed: seed, transactionChanges: transactionChanges)
        var server: PostgresServer?
        defer { server?.stop() }
        if dsn == nil { server = try PostgresServer(label: "bench-cdc") }
        try FileManager.default.createDirectory(atPath: work.workDir, withIntermediateDirectories: true)
        let result = try await PostgresCDCBenchmarks.run(dsn: dsn ?? server!.dsn(), sql: lines, workDirectory: work.workDir)
        print(result.jsonLine)
    }
}
