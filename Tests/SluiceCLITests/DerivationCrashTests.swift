import Foundation
import Testing
import SluiceTestSupport
import SluiceWorkload

/// Exactly-once derivations under SIGKILL: `sluice run --until-idle` over pre-filled sources,
/// killed at random moments and restarted, then finished. The derived collection's fully
/// reduced documents equal the reference computed here (no duplicates: every count and sum
/// would grow; no loss: they would shrink), and the running total kept in each shard's state
/// table equals the sum of the published amounts for every key (state and outputs commit
/// together).
@Suite struct DerivationCrashTests {
    static let catalog = """
    collections:
      acme/orders:
        schema: {type: object, required: [id, account, amount], properties: {id: {type: integer}, account: {type: string}, amount: {type: integer}}}
        key: [/id]
      acme/calls:
        schema: {type: object, required: [id, account, minutes], properties: {id: {type: integer}, account: {type: string}, minutes: {type: integer}}}
        key: [/id]
      acme/accounts:
        schema:
          type: object
          reduce: {strategy: merge}
          required: [account]
          properties:
            account: {type: string}
            orders: {type: integer, reduce: {strategy: sum}}
            total: {type: integer, reduce: {strategy: sum}}
            running_total: {type: integer}
            calls: {type: integer, reduce: {strategy: sum}}
            minutes: {type: integer, reduce: {strategy: sum}}
        key: [/account]
        derive:
          using:
            sqlite:
              migrations: ["CREATE TABLE balances (account TEXT PRIMARY KEY NOT NULL, total INTEGER NOT NULL);"]
          shards: 2
          transforms:
            - name: fromOrders
              source: acme/orders
              shuffle: {key: [/account]}
              lambda: |
                INSERT INTO balances VALUES ($account, $amount) ON CONFLICT DO UPDATE SET total = total + excluded.total;
                SELECT $account, 1 AS orders, $amount AS total,
                       (SELECT total FROM balances WHERE account = $account) AS running_total;
            - name: fromCalls
              source: acme/calls
              shuffle: {key: [/account]}
              lambda: SELECT $account, 1 AS calls, $minutes AS minutes;
    """

    @Test func killedDerivationsLoseAndDoubleNothing() throws {
        let seed: UInt64 = 0xDE51_7E
        let directory = TestDirectory("derivation-crash")
        defer { directory.remove() }
        try directory.write("flow.yaml", Self.catalog)
        let sluice = try BuiltProducts.executable("sluice")
        var random = SplitMix64(seed: seed)
        var orders: [String] = []
        var calls: [String] = []
        var expected: [String: (orders: Int, total: Int, calls: Int, minutes: Int)] = [:]
        for id in 0..<6_000 {
            let account = "a\(random.below(40))"
            let amount = random.below(1_000)
            orders.append(#"{"id":\#(id),"account":"\#(account)","amount":\#(amount)}"#)
            expected[account, default: (0, 0, 0, 0)].orders += 1
            expected[account, default: (0, 0, 0, 0)].total += amount
        }
        for id in 0..<3_000 {
            let account = "a\(random.below(50))"
            let minutes = random.below(60)
            calls.append(#"{"id":\#(id),"account":"\#(account)","minutes":\#(minutes)}"#)
            expected[account, default: (0, 0, 0, 0)].calls += 1
            expected[account, default: (0, 0, 0, 0)].minutes += minutes
        }
        let reference = expected.keys.sorted().map { account -> String in
            let value = expected[account]!
            var fields = [#""account":"\#(account)""#]
            if value.calls > 0 { fields.append(#""calls":\#(value.calls)"#) }
            if value.minutes > 0 || value.calls > 0 { fields.append(#""minutes":\#(value.minutes)"#) }
            if value.orders > 0 {
                fields += [#""orders":\#(value.orders)"#, #""running_total":\#(value.total)"#, #""total":\#(value.total)"#]
            }
            return "{" + fields.joined(separator: ",") + "}"
        }.joined(separator: "\n") + "\n"

        let data = directory.file("data")
        func run(_ arguments: [String], input: String = "") throws -> (status: Int32, output: String, error: String) {
            try ChildProcess.run(sluice, arguments + ["--catalog", directory.file("flow.yaml"), "--data-dir", data], input: input)
        }
        for (collection, lines) in [("acme/orders", orders), ("acme/calls", calls)] {
            let ingest = try run(["ingest", collection, "--batch", "250"], input: lines.joined(separator: "\n") + "\n")
            #expect(ingest.status == 0, "\(ingest.error)")
        }

        let runArguments = ["run", directory.file("flow.yaml"), "--data-dir", data, "--until-idle", "--max-transaction-documents", "40",
                            "--log-level", "error"]
        var killed = 0
        var midway: [Int] = []
        for round in 0..<8 {
            let child = try ChildProcess(sluice, runArguments, directory: directory.path, label: "run-\(round)")
            // Killed once the derived journals grow (so mid-work however slowly the run starts).
            if child.killAfterProgress(under: data + "/journals/acme/accounts", delayMicroseconds: UInt32(random.below(200_000))) {
                killed += 1
            }
            // Sometimes the reduced read happens between kills, as a reader would see it.
            if round % 3 == 2 {
                let partial = try run(["collections", "read", "acme/accounts", "--reduced"])
                #expect(partial.status == 0, "seed \(seed), round \(round): \(partial.error)")
                midway.append(Self.sourceDocumentsCounted(partial.output))
            }
        }
        let finish = try ChildProcess(sluice, runArguments, directory: directory.path, label: "finish")
        #expect(finish.wait(seconds: 120) == 0, "seed \(seed): \(finish.standardError)")
        let result = try run(["collections", "read", "acme/accounts", "--reduced"])
        #expect(result.status == 0, "\(result.error)")
        #expect(result.output == reference, "seed \(seed): the derived collection differs from the reference after \(killed) kills")
        #expect(killed >= 4, "seed \(seed): too few runs were killed mid-way to prove anything (\(killed))")
        #expect(midway.contains { $0 > 0 && $0 < 9_000 }, "seed \(seed): no read saw a run stopped half-way (\(midway))")
        #expect(Self.sourceDocumentsCounted(result.output) == 9_000)
    }

    /// Orders plus calls counted in a reduced read of acme/accounts.
    static func sourceDocumentsCounted(_ output: String) -> Int {
        output.split(separator: "\n").reduce(0) { total, line in
            let object = (try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: Any] ?? [:]
            return total + ((object["orders"] as? Int) ?? 0) + ((object["calls"] as? Int) ?? 0)
        }
    }
}
