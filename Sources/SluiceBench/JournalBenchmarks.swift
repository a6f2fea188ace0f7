import Foundation
#if canImport(Glibc)
import Glibc
#endif
import Synchronization
public import SluiceJournal
public import SluiceWorkload

/// The journal's figures (docs/benchmarks.md, "Journal"):
/// - `journal.append`: durable appends of the workload under group commit, beside
///   `dd bs=1M conv=fdatasync` on the same filesystem;
/// - `journal.replay.<codec>`: reading the sealed journal back from offset 0, beside `lz4 -d` /
///   `zstd -d` (or `cat` for raw) of the same fragment files to /dev/null;
/// - `journal.tail`: wake-up latency of a blocked reader (p50/p99).
public enum JournalBenchmarks {
    /// The workload as JSON lines cut into batches of whole lines of at most `batchBytes`: the
    /// appends a capture (or `sluice journals append`) would make.
    public static func batches(_ spec: WorkloadSpec, batchBytes: Int) -> [[UInt8]] {
        var generator = WorkloadGenerator(spec)
        var batches: [[UInt8]] = []
        var batch: [UInt8] = []
        batch.reserveCapacity(batchBytes)
        var line: [UInt8] = []
        while generator.appendNext(to: &line) {
            line.append(0x0A)
            if batch.count + line.count > batchBytes, !batch.isEmpty {
                batches.append(batch)
                batch = []
                batch.reserveCapacity(batchBytes)
            }
            batch += line
            line.removeAll(keepingCapacity: true)
        }
        if !batch.isEmpty { batches.append(batch) }
        return batches
    }

    /// `journal.append`: appends `spec`'s documents in batches of `batchBytes` with up to
    /// `inFlight` appends written ahead of their commit, into a fresh journal under `directory`.
    /// Seconds run from the first append to the last commit (every byte durable). Extra:
    /// `sealed_seconds`, the time until the last fragment is sealed too.
    ///
    /// With `warmup`, one untimed run comes first: on the VMs this project runs on, writing to
    /// blocks another program just freed is several times slower than rewriting one's own, so
    /// each side (the dd peer too) first runs once to measure both in the same state.
    public static func append(_ spec: WorkloadSpec, directory: String, codec: FragmentCodec = .zstd(level: 1),
                              fsyncPolicy: FsyncPolicy = .groupCommit, batchBytes: Int = 1 << 20,
                              inFlight: Int = 32,
                              fragmentLengthBytes: Int64 = JournalSpec().fragmentLengthBytes,
                              warmup: Bool = false) async throws -> BenchmarkResult {
        let batches = batches(spec, batchBytes: batchBytes)
        if warmup {
            _ = try await appendOnce(batches, spec: spec, directory: directory, codec: codec, fsyncPolicy: fsyncPolicy,
                                     inFlight: inFlight, fragmentLengthBytes: fragmentLengthBytes)
        }
        return try await appendOnce(batches, spec: spec, directory: directory, codec: codec, fsyncPolicy: fsyncPolicy,
                                    inFlight: inFlight, fragmentLengthBytes: fragmentLengthBytes)
    }

    private static func appendOnce(_ batches: [[UInt8]], spec: WorkloadSpec, directory: String, codec: FragmentCodec,
                                   fsyncPolicy: FsyncPolicy, inFlight: Int,
                                   fragmentLengthBytes: Int64) async throws -> BenchmarkResult {
        let bytes = batches.reduce(0) { $0 + $1.count }
        try? FileManager.default.removeItem(atPath: directory)
        // Write back everything pending (earlier runs' files, their deletion's discards) so that
        // it is not billed to this run. The dd peer does the same.
        sync()
        let data = JournalDataDirectory(path: directory)
        let journal = try data.open(JournalName("bench/append"),
                                    createWith: JournalSpec(fragmentLengthBytes: fragmentLengthBytes, codec: codec,
                                                            fsyncPolicy: fsyncPolicy))
        let stopwatch = Stopwatch()
        var pending: [PendingAppend] = []
        pending.reserveCapacity(inFlight)
        var oldest = 0
        for batch in batches {
            pending.append(try await journal.write(batch))
            if pending.count - oldest >= inFlight {
                try await pending[oldest].committed()
                oldest += 1
            }
        }
        for append in pending[oldest...] { try await append.committed() }
        let seconds = stopwatch.elapsedSeconds
        try await journal.seal()
        let sealedSeconds = stopwatch.elapsedSeconds
        precondition(journal.head == Int64(bytes), "head \(journal.head) after appending \(bytes) bytes")
        await journal.close()
        try? FileManager.default.removeItem(atPath: directory)
        return BenchmarkResult(figure: "journal.append", documents: spec.documents, bytes: bytes, seconds: seconds,
                               extra: ["sealed_seconds": sealedSeconds, "appends": Double(batches.count)])
    }

    /// The journal `journal.replay.<codec>` reads, under `directory`: created (appended and
    /// sealed) when missing, so the peer can decompress the same fragment files.
    public static func prepareReplay(_ spec: WorkloadSpec, directory: String, codec: FragmentCodec) async throws -> Journal {
        let data = JournalDataDirectory(path: directory)
        let name = try JournalName("bench/replay-\(FragmentEncoding(codec).rawValue)-\(spec.documents)-\(spec.keys)-\(spec.seed)")
        if try data.exists(name) {
            let journal = try data.open(name)
            if journal.spools.allSatisfy({ $0.begin == $0.end }) { return journal }
            await journal.close()
            try FileManager.default.removeItem(atPath: try data.directory(of: name))
        }
        let journal = try data.open(name, createWith: JournalSpec(codec: codec))
        for batch in batches(spec, batchBytes: 1 << 20) { _ = try await journal.write(batch) }
        try await journal.seal()
        return journal
    }

    /// `journal.replay.<codec>`: reads the whole sealed journal from offset 0 (decompressing and
    /// checking every frame), touching every chunk.
    public static func replay(_ spec: WorkloadSpec, directory: String, codec: FragmentCodec) async throws -> BenchmarkResult {
        let journal = try await prepareReplay(spec, directory: directory, codec: codec)
        let stopwatch = Stopwatch()
        var bytes = 0
        for try await item in try journal.read(from: 0) {
            guard case .chunk(let chunk) = item else { preconditionFailure("unexpected jump in a fresh journal") }
            bytes += chunk.bytes.count
        }
        let seconds = stopwatch.elapsedSeconds
        await journal.close()
        precondition(Int64(bytes) == journal.head, "replayed \(bytes) bytes of \(journal.head)")
        return BenchmarkResult(figure: "journal.replay.\(FragmentEncoding(codec).rawValue)", documents: spec.documents,
                               bytes: bytes, seconds: seconds,
                               extra: ["fragments": Double(journal.fragments.count)])
    }

    /// `journal.tail`: a reader blocks at the head; `appends` times, one document-sized append
    /// is made (group commit) and the time until the reader holds it is measured, after a pause
    /// that lets the reader block again. Extra figures, in milliseconds:
    /// `wake_p50_ms`/`wake_p99_ms` from the append's return to the reader holding the bytes (0
    /// when the reader had them first: commits wake readers before the appender resumes), and
    /// `append_to_read_p50_ms`/`append_to_read_p99_ms` from the append's call (fdatasync included).
    public static func tail(directory: String, appends: Int, payloadBytes: Int = 419,
                            pauseMicroseconds: Int = 300) async throws -> BenchmarkResult {
        try? FileManager.default.removeItem(atPath: directory)
        let data = JournalDataDirectory(path: directory)
        let journal = try data.open(JournalName("bench/tail"), createWith: JournalSpec())
        let payload = [UInt8](repeating: 0x61, count: payloadBytes - 1) + [0x0A]
        let clock = ContinuousClock()
        let origin = clock.now
        func now() -> Double {
            let elapsed = clock.now - origin
            return Double(elapsed.components.seconds) * 1e3 + Double(elapsed.components.attoseconds) * 1e-15
        }
        let received = Mutex<[Double]>([])
        let reader = try journal.read(from: 0, to: Int64(appends * payloadBytes), blocking: true)
        let (signals, signal) = AsyncStream<Void>.makeStream()
        let readerTask = Task {
            var offset: Int64 = 0
            for try await item in reader {
                guard case .chunk(let chunk) = item else { continue }
                let time = now()
                offset = chunk.end
                let complete = Int(offset) / payloadBytes
                received.withLock { times in
                    while times.count < complete { times.append(time) }
                }
                signal.yield()
            }
        }
        var calls: [Double] = []
        var returns: [Double] = []
        calls.reserveCapacity(appends)
        returns.reserveCapacity(appends)
        var signalIterator = signals.makeAsyncIterator()
        let stopwatch = Stopwatch()
        for _ in 0..<appends {
            try await Task.sleep(for: .microseconds(pauseMicroseconds))
            calls.append(now())
            try await journal.append(payload)
            returns.append(now())
            _ = await signalIterator.next()
        }
        let seconds = stopwatch.elapsedSeconds
        try await readerTask.value
        await journal.close()
        try? FileManager.default.removeItem(atPath: directory)
        let times = received.withLock { $0 }
        let wake = zip(times, returns).map { max(0, $0 - $1) }.sorted()
        let endToEnd = zip(times, calls).map { $0 - $1 }.sorted()
        func percentile(_ sorted: [Double], _ fraction: Double) -> Double {
            sorted.isEmpty ? 0 : sorted[min(sorted.count - 1, Int((Double(sorted.count) * fraction).rounded(.up)) - 1)]
        }
        return BenchmarkResult(figure: "journal.tail", documents: appends, bytes: appends * payloadBytes, seconds: seconds,
                               extra: ["wake_p50_ms": percentile(wake, 0.5), "wake_p99_ms": percentile(wake, 0.99),
                                       "wake_max_ms": wake.last ?? 0,
                                       "append_to_read_p50_ms": percentile(endToEnd, 0.5),
                                       "append_to_read_p99_ms": percentile(endToEnd, 0.99)])
    }
}
