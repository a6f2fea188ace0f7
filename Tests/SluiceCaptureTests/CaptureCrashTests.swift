import Foundation
import Testing
import SluiceTestSupport
import SluiceWorkload

/// `sluice run` with a capture, killed with SIGKILL at random moments and restarted: what the
/// collections hold at the end is exactly the input, once: no loss, no duplicate.
@Suite(.serialized) struct CaptureCrashTests {
    /// Two bindings read the same files: `test/lines` keyed by a unique id per line (its
    /// committed read must hold each line exactly once), `test/totals` keyed by a repeating key
    /// with sums (its reduced read must equal the reference reduction).
    static let filesCatalog = """
    collections:
      test/lines:
        schema: {type: object, required: [uid, key, amount], properties: {uid: {type: integer}, key: {type: integer}, amount: {type: integer}}}
        key: [/uid]
      test/totals:
        schema:
          type: object
          reduce: {strategy: merge}
          required: [key]
          properties:
            key: {type: integer}
            amount: {type: integer, reduce: {strategy: sum}}
            lines: {type: integer, reduce: {strategy: sum}}
        key: [/key]
    captures:
      test/files:
        endpoint: {files: {root: in}}
        bindings:
          - {resource: {path: "**/*.jsonl*"}, target: test/lines}
          - {resource: {path: "**/*.jsonl*"}, target: test/totals}
    """

    @Test func killedFilesCapturesLoseAndDoubleNothing() async throws {
        let seed: UInt64 = 0xF11E5
        var random = SplitMix64(seed: seed)
        let directory = TestDirectory("files-crash")
        defer { directory.remove() }
        let catalog = try directory.write("flow.yaml", Self.filesCatalog)
        let sluice = try BuiltProducts.executable("sluice")
        var nextUID = 0
        var expectedTotals: [Int: (amount: Int, lines: Int)] = [:]
        /// Lines with unique uids; the `lines` property is 1 so totals count them.
        func lines(_ count: Int) -> String {
            var text = ""
            for _ in 0..<count {
                let key = random.below(200), amount = random.below(1_000)
                expectedTotals[key, default: (0, 0)].amount += amount
                expectedTotals[key, default: (0, 0)].lines += 1
                text += #"{"uid":\#(nextUID),"key":\#(key),"amount":\#(amount),"lines":1}"# + "\n"
                nextUID += 1
            }
            return text
        }
        try directory.write("in/a.jsonl", lines(20_000))
        try directory.write("in/b/b.jsonl", lines(15_000))
        _ = try Compressor.zstd.compress(try directory.write("in/c.jsonl", lines(10_000)))
        let data = directory.file("data")
        let arguments = ["run", catalog, "--data-dir", data, "--until-idle", "--max-transaction-seconds", "0.05", "--log-level", "error"]

        var kills = 0
        for round in 0..<6 {
            let child = try ChildProcess(sluice, arguments, directory: directory.path, label: "run-\(round)")
            // Killed once the collection's journals grow (mid-work however slowly the run starts).
            let delay = UInt32(random.below(300_000))
            if await offPool({ child.killAfterProgress(under: data + "/journals/test/lines", delayMicroseconds: delay) }) {
                kills += 1
            }
            let status = await offPool { child.wait() }
            #expect(status == 0 || status == 128 + SIGKILL, "seed \(seed) round \(round): exit \(status): \(child.standardError)")
            // New lines in an old file and a new file while the capture is down.
            let appended = try #require(FileHandle(forWritingAtPath: directory.file("in/a.jsonl")))
            try appended.seekToEnd()
            try appended.write(contentsOf: Data(lines(500).utf8))
            try appended.close()
            try directory.write("in/new-\(round).jsonl", lines(300))
        }
        #expect(kills >= 3, "seed \(seed): the runs ended before they could be killed (\(kills) kills)")
        let final = try ChildProcess(sluice, arguments, directory: directory.path, label: "final")
        #expect(await offPool { final.wait(seconds: 180) } == 0, "seed \(seed): \(final.standardError)")

        let committed = try await offPool { try ChildProcess.run(sluice, ["collections", "read", "test/lines", "--catalog", catalog, "--data-dir", data]) }
        #expect(committed.status == 0, "\(committed.error)")
        var seen = [Int](repeating: 0, count: nextUID)
        for line in committed.output.split(separator: "\n") {
            let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
            let uid = try #require(object?["uid"] as? Int)
            seen[uid] += 1
        }
        let duplicated = seen.indices.filter { seen[$0] > 1 }, lost = seen.indices.filter { seen[$0] == 0 }
        #expect(duplicated.isEmpty && lost.isEmpty,
                "seed \(seed): \(duplicated.count) lines duplicated (first \(duplicated.prefix(5))), \(lost.count) lost (first \(lost.prefix(5)))")

        let reduced = try await offPool { try ChildProcess.run(sluice, ["collections", "read", "test/totals", "--reduced", "--catalog", catalog, "--data-dir", data]) }
        #expect(reduced.status == 0, "\(reduced.error)")
        // The reduced totals (`uid` is lastWriteWins there, so it is left out of the comparison).
        var totals: [Int: (amount: Int, lines: Int)] = [:]
        for line in reduced.output.split(separator: "\n") {
            let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            let key = try #require(object["key"] as? Int)
            totals[key] = (try #require(object["amount"] as? Int), try #require(object["lines"] as? Int))
        }
        let wrong = expectedTotals.keys.sorted().filter { totals[$0]?.amount != expectedTotals[$0]!.amount || totals[$0]?.lines != expectedTotals[$0]!.lines }
        #expect(totals.count == expectedTotals.count && wrong.isEmpty,
                "seed \(seed): \(wrong.count) keys differ from the reference reduction (first: \(wrong.first.map { "\($0): \(String(describing: totals[$0])) vs \(expectedTotals[$0]!)" } ?? "-"))")
    }

    /// Clients POST batches with their own request ids (`idFromHeader`) and retry every request
    /// that got no 200 (connection refused or cut, 503) while `sluice run` is killed and
    /// restarted: at the end each document is in the committed read exactly once.
    @Test func killedHTTPIngestWithRetryingClientsLosesAndDoublesNothing() async throws {
        let seed: UInt64 = 0x1A9E57
        var random = SplitMix64(seed: seed)
        let directory = TestDirectory("http-crash")
        defer { directory.remove() }
        let port = try FreePort.find()
        let catalog = try directory.write("flow.yaml", """
            collections:
              test/lines:
                schema: {type: object, required: [uid], properties: {uid: {type: integer}, client: {type: integer}}}
                key: [/uid]
            captures:
              test/hooks:
                endpoint: {http-ingest: {listen: "127.0.0.1:\(port)", token: crash-token, idFromHeader: X-Request-Id}}
                bindings: [{resource: {path: /lines}, target: test/lines}]
            """)
        let sluice = try BuiltProducts.executable("sluice")
        let data = directory.file("data")
        let arguments = ["run", catalog, "--data-dir", data, "--max-transaction-seconds", "0.05", "--log-level", "error"]
        let clients = 4, requestsEach = 120, documentsEach = 5
        let progress = ClientProgress()
        let group = DispatchGroup()
        for client in 0..<clients {
            group.enter()
            Thread {
                defer { group.leave() }
                for request in 0..<requestsEach {
                    let first = (client * requestsEach + request) * documentsEach
                    let body = (first..<first + documentsEach).map { #"{"uid":\#($0),"client":\#(client)}"# }.joined(separator: "\n")
                    let deadline = Date().addingTimeInterval(90)
                    var attempts = 0
                    while true {
                        attempts += 1
                        let response = try? RawHTTPClient.request(
                            port: port, method: "POST", path: "/lines",
                            headers: [("authorization", "Bearer crash-token"), ("x-request-id", "c\(client)-r\(request)")], body: Array(body.utf8))
                        if let response, response.status == 200 {
                            progress.answered(duplicate: response.body.contains("duplicate"), retried: attempts > 1)
                            break
                        }
                        guard Date() < deadline else {
                            progress.failed("c\(client)-r\(request): no 200 after \(attempts) attempts (last: \(response.map { "\($0.status) \($0.body)" } ?? "no answer"))")
                            return
                        }
                        usleep(20_000)
                    }
                }
            }.start()
        }
        var kills = 0
        var server: ChildProcess?
        for round in 0..<5 {
            let child = try ChildProcess(sluice, arguments, directory: directory.path, label: "run-\(round)")
            server = child
            try await Task.sleep(nanoseconds: UInt64(200_000 + random.below(600_000)) * 1_000)
            guard progress.count < clients * requestsEach else { break }
            child.signal(SIGKILL)
            #expect(await offPool { child.wait() } == 128 + SIGKILL, "seed \(seed) round \(round): \(child.standardError)")
            kills += 1
            server = nil
        }
        if server == nil { server = try ChildProcess(sluice, arguments, directory: directory.path, label: "final") }
        let finished = await offPool { group.wait(timeout: .now() + 120) == .success }
        server?.signal(SIGTERM)
        let last = server
        let status = await offPool { last?.wait(seconds: 30) }
        #expect(finished, "seed \(seed): the clients did not finish")
        #expect(progress.failures.isEmpty, "seed \(seed): \(progress.failures.prefix(3))")
        #expect(status == 0, "seed \(seed): the last run exited \(String(describing: status)): \(server?.standardError ?? "")")
        #expect(kills >= 2, "seed \(seed): only \(kills) kills happened before the clients finished")

        let committed = try await offPool { try ChildProcess.run(sluice, ["collections", "read", "test/lines", "--catalog", catalog, "--data-dir", data]) }
        #expect(committed.status == 0, "\(committed.error)")
        let total = clients * requestsEach * documentsEach
        var seen = [Int](repeating: 0, count: total)
        for line in committed.output.split(separator: "\n") {
            let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
            let uid = try #require(object?["uid"] as? Int)
            seen[uid] += 1
            let meta = object?["_meta"] as? [String: Any]
            #expect((meta?["webhookId"] as? String)?.hasPrefix("c") == true)
        }
        let duplicated = seen.indices.filter { seen[$0] > 1 }, lost = seen.indices.filter { seen[$0] == 0 }
        #expect(duplicated.isEmpty && lost.isEmpty,
                "seed \(seed): \(duplicated.count) documents duplicated (first \(duplicated.prefix(5))), \(lost.count) lost (first \(lost.prefix(5))); \(progress.summary)")
        print("http crash test, seed \(seed): \(kills) kills; \(progress.summary)")
    }
}

/// Runs blocking work (waiting for a child process, a dispatch group) on its own thread, so
/// it never holds one of Swift's cooperative threads, which the servers under test need.
func offPool<Value: Sendable>(_ body: @escaping @Sendable () throws -> Value) async throws -> Value {
    try await withCheckedThrowingContinuation { continuation in
        Thread { continuation.resume(with: Result { try body() }) }.start()
    }
}

func offPool<Value: Sendable>(_ body: @escaping @Sendable () -> Value) async -> Value {
    await withCheckedContinuation { continuation in
        Thread { continuation.resume(returning: body()) }.start()
    }
}

/// What the retrying clients saw.
final class ClientProgress: @unchecked Sendable {
    // Safety: every field is read and written under `lock`.
    private let lock = NSLock()
    private var answeredCount = 0
    private var duplicates = 0
    private var retried = 0
    private var failureList: [String] = []

    func answered(duplicate: Bool, retried wasRetried: Bool) {
        lock.withLock {
            answeredCount += 1
            if duplicate { duplicates += 1 }
            if wasRetried { retried += 1 }
        }
    }

    func failed(_ message: String) { lock.withLock { failureList.append(message) } }

    var count: Int { lock.withLock { answeredCount } }
    var failures: [String] { lock.withLock { failureList } }
    var summary: String {
        lock.withLock { "\(answeredCount) requests answered 200, \(retried) after retries, \(duplicates) of them as duplicates" }
    }
}
