import CZstd
import Foundation
import Logging
import Synchronization
import Testing
import SluiceCatalog
import SluiceDocument
@testable import SluiceMaterialize
import SluiceRuntime
import SluiceTask
import SluiceTestSupport

/// Decompresses concatenated zstd frames (libzstd's streaming API).
func zstdDecompress(_ bytes: [UInt8]) throws -> [UInt8] {
    let context = try #require(ZSTD_createDCtx())
    defer { ZSTD_freeDCtx(context) }
    var output: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: ZSTD_DStreamOutSize())
    try bytes.withUnsafeBytes { source in
        var input = ZSTD_inBuffer(src: source.baseAddress, size: source.count, pos: 0)
        while input.pos < input.size {
            let produced = try chunk.withUnsafeMutableBytes { target -> Int in
                var out = ZSTD_outBuffer(dst: target.baseAddress, size: target.count, pos: 0)
                let result = ZSTD_decompressStream(context, &out, &input)
                if ZSTD_isError(result) != 0 { throw TestSupportError("zstd: \(String(cString: ZSTD_getErrorName(result)))") }
                return out.pos
            }
            output += chunk[0..<produced]
        }
    }
    return output
}

/// Documents of rolled files (`name → bytes`), in file order then line order.
func rolledDocuments(_ files: [(name: String, bytes: [UInt8])]) throws -> [Document] {
    var documents: [Document] = []
    for (name, bytes) in files.sorted(by: { $0.name < $1.name }) {
        let text = name.hasSuffix(".zst") ? try zstdDecompress(bytes) : bytes
        for line in text.split(separator: UInt8(ascii: "\n")) { documents.append(try Document(parsing: Array(line))) }
    }
    return documents
}

/// The rolled files under `folder/prefix` of a files target.
func localRolledFiles(_ folder: String, prefix: String = "ev/") throws -> [(name: String, bytes: [UInt8])] {
    let directory = folder + "/" + prefix
    guard FileManager.default.fileExists(atPath: directory) else { return [] }
    return try FileManager.default.contentsOfDirectory(atPath: directory).sorted().map { name in
        (prefix + name, Array(try Data(contentsOf: URL(fileURLWithPath: directory + name))))
    }
}

/// A clock tests move by hand.
final class ManualClock: Sendable {
    let nanoseconds = Atomic<UInt64>(1_800_000_000_000_000_000)
    func advance(seconds: Double) { nanoseconds.add(UInt64(seconds * 1e9), ordering: .relaxed) }
    var now: UInt64 { nanoseconds.load(ordering: .relaxed) }
}

@Suite struct FilesMaterializationTests {
    static func endpoint(codec: String = "none", rollBytes: String = "8KiB", rollInterval: String? = nil) -> String {
        "{files: {dir: out, codec: \(codec), rollBytes: \(rollBytes)\(rollInterval.map { ", rollInterval: \($0)" } ?? "")}}"
    }

    @Test func namesAndRecordAreExact() throws {
        #expect(RolledFileName.name(prefix: "deals/", sequence: 42, codec: .zstd) == "deals/0000000042.jsonl.zst")
        #expect(RolledFileName.name(prefix: "", sequence: 0, codec: .none) == "0000000000.jsonl")
        #expect(RolledFileName.sequence(of: "deals/0000000042.jsonl.zst", prefix: "deals/") == 42)
        #expect(RolledFileName.sequence(of: "deals/0000000042.jsonl", prefix: "deals/") == 42)
        #expect(RolledFileName.sequence(of: "deals/eu/0000000042.jsonl", prefix: "deals/") == nil)
        #expect(RolledFileName.sequence(of: "deals/000000042.jsonl", prefix: "deals/") == nil)
        #expect(RolledFileName.sequence(of: "deals/0000000042.jsonl.partial-ab", prefix: "deals/") == nil)
        #expect(RolledFileName.isPartial("deals/0000000042.jsonl.partial-ab", prefix: "deals/"))
        #expect(RolledFileName.recordName(task: "acme/archive") == "_sluice/acme%2Farchive.checkpoint.json")
        #expect(RolledFileName.lockName(task: "a%b/c") == "_sluice/a%25b%2Fc.lock")
        let record = RolledFilesRecord(fence: 2, owner: "x", checkpoint: "AQI=", bindings: ["deals/": .init(nextSequence: 3, backfill: 1)])
        #expect(String(decoding: try record.encoded(), as: UTF8.self)
            == #"{"bindings":{"deals/":{"backfill":1,"nextSequence":3}},"checkpoint":"AQI=","fence":2,"owner":"x"}"#)
        #expect(try RolledFilesRecord.decode(try record.encoded(), location: "test") == record)
    }

    @Test(arguments: ["none", "zstd"])
    func pipelineRollsFilesThatReduceToTheReference(codec: String) async throws {
        let workload = EventWorkload(seed: testSeed(41), events: 3_000, keys: 300, deletions: 30)
        let fixture = try MaterializeFixture("files-\(codec)", catalog: eventsCatalog(endpoint: Self.endpoint(codec: codec),
                                                                                     resource: "{prefix: ev/}"))
        defer { fixture.directory.remove() }
        try await fixture.ingest(workload.documents, batch: 170)
        _ = try await fixture.runUntilIdle()
        let files = try localRolledFiles(fixture.directory.file("out"))
        let suffix = codec == "zstd" ? ".jsonl.zst" : ".jsonl"
        #expect(files.count >= 3, "expected several rolled files, found \(files.map(\.name))")
        #expect(files.map(\.name) == (0..<files.count).map { RolledFileName.name(prefix: "ev/", sequence: $0, codec: codec == "zstd" ? .zstd : .none) })
        #expect(files.allSatisfy { $0.name.hasSuffix(suffix) })
        workload.check(reduceLines(try rolledDocuments(files)), target: "files \(codec)")
        let record = try RolledFilesRecord.decode(Array(try Data(contentsOf: URL(fileURLWithPath: fixture.directory.file("out/_sluice/test%2Fout.checkpoint.json")))),
                                                  location: "test")
        #expect(record.bindings["ev/"]?.nextSequence == files.count)
        #expect(record.fence == 1)
        // Running again writes nothing new.
        _ = try await fixture.runUntilIdle()
        #expect(try localRolledFiles(fixture.directory.file("out")).map(\.name) == files.map(\.name))
    }

    /// Rolls by time (the engine clock), at close, and the record holds the checkpoint of the
    /// last transaction in rolled files.
    @Test func rollsByIntervalAndAtClose() async throws {
        let fixture = try MaterializeFixture("files-interval", catalog: eventsCatalog(endpoint: Self.endpoint(rollBytes: "1GiB", rollInterval: "1s"),
                                                                                     resource: "{prefix: ev/}"))
        defer { fixture.directory.remove() }
        let catalog = try fixture.loadCatalog()
        let clock = ManualClock()
        var context = taskContext(fixture)
        context = TaskContext(taskName: context.taskName, dataDirectory: context.dataDirectory, catalogFolder: context.catalogFolder,
                              registry: context.registry, logger: context.logger, wallClockNanoseconds: { clock.now })
        let session = try await FilesMaterialization().open(endpoint: try #require(catalog.materializations["test/out"]).endpoint,
                                                            bindings: try bindingSpecs(catalog), context: context)
        #expect(session.checkpoint == nil)
        func entry(_ id: String) throws -> StoreEntry {
            StoreEntry(key: LoadKey(packed: [], values: [.string(id)]), document: try Document(parsing: #"{"id":"\#(id)","n":1}"#),
                       isDeleted: false, existed: false)
        }
        let out = fixture.directory.file("out")
        try await session.store([0: [try entry("a")]], checkpoint: [1])
        clock.advance(seconds: 0.5)
        try await session.store([0: [try entry("b")]], checkpoint: [2])
        #expect(try localRolledFiles(out).filter { !$0.name.contains(".partial-") }.isEmpty)
        clock.advance(seconds: 0.6)
        try await session.store([0: [try entry("c")]], checkpoint: [3])
        var files = try localRolledFiles(out)
        #expect(files.map(\.name) == ["ev/0000000000.jsonl"])
        #expect(String(decoding: files[0].bytes, as: UTF8.self) == "{\"id\":\"a\",\"n\":1}\n{\"id\":\"b\",\"n\":1}\n{\"id\":\"c\",\"n\":1}\n")
        try await session.store([0: [try entry("d")]], checkpoint: [4])
        await session.close()
        files = try localRolledFiles(out)
        #expect(files.map(\.name) == ["ev/0000000000.jsonl", "ev/0000000001.jsonl"])
        let reopened = try await FilesMaterialization().open(endpoint: try #require(catalog.materializations["test/out"]).endpoint,
                                                             bindings: try bindingSpecs(catalog), context: context)
        #expect(reopened.checkpoint == [4])
        await reopened.close()
    }

    @Test func openDeletesLeftoversOfUncommittedRolls() async throws {
        let fixture = try MaterializeFixture("files-leftovers", catalog: eventsCatalog(endpoint: Self.endpoint(), resource: "{prefix: ev/}"))
        defer { fixture.directory.remove() }
        let catalog = try fixture.loadCatalog()
        let endpoint = try #require(catalog.materializations["test/out"]).endpoint
        let session = try await FilesMaterialization().open(endpoint: endpoint, bindings: try bindingSpecs(catalog), context: taskContext(fixture))
        try await session.store([0: [StoreEntry(key: LoadKey(packed: [], values: ["a"]), document: try Document(parsing: #"{"id":"a"}"#),
                                                isDeleted: false, existed: false)]], checkpoint: [7])
        await session.close()
        // What a crash mid-roll leaves: a finished file past the record, a partial, a stray file of another codec.
        let folder = fixture.directory.file("out/ev")
        for name in ["0000000001.jsonl", "0000000002.jsonl.zst", "0000000001.jsonl.partial-dead", "notes.txt"] {
            try Data("x\n".utf8).write(to: URL(fileURLWithPath: folder + "/" + name))
        }
        let reopened = try await FilesMaterialization().open(endpoint: endpoint, bindings: try bindingSpecs(catalog), context: taskContext(fixture))
        #expect(reopened.checkpoint == [7])
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder).sorted() == ["0000000000.jsonl", "notes.txt"])
        await reopened.close()
    }

    @Test func olderInstanceIsFencedOffAtItsNextRoll() async throws {
        let fixture = try MaterializeFixture("files-fence", catalog: eventsCatalog(endpoint: Self.endpoint(rollBytes: "1"), resource: "{prefix: ev/}"))
        defer { fixture.directory.remove() }
        let catalog = try fixture.loadCatalog()
        let endpoint = try #require(catalog.materializations["test/out"]).endpoint
        let entry = StoreEntry(key: LoadKey(packed: [], values: ["a"]), document: try Document(parsing: #"{"id":"a"}"#), isDeleted: false,
                               existed: false)
        let older = try await FilesMaterialization().open(endpoint: endpoint, bindings: try bindingSpecs(catalog), context: taskContext(fixture))
        try await older.store([0: [entry]], checkpoint: [1])
        let newer = try await FilesMaterialization().open(endpoint: endpoint, bindings: try bindingSpecs(catalog), context: taskContext(fixture))
        #expect(newer.checkpoint == [1])
        do {
            try await older.store([0: [entry]], checkpoint: [2])
            Issue.record("the older instance rolled after a newer one opened")
        } catch let error as TaskError {
            guard case .fencedOff = error else { throw error }
        }
        try await newer.store([0: [entry]], checkpoint: [3])
        #expect(try localRolledFiles(fixture.directory.file("out")).map(\.name) == ["ev/0000000000.jsonl", "ev/0000000001.jsonl"])
        await older.close()
        await newer.close()
    }

    @Test func backfillDeletesTheBindingsFilesAndRewritesThem() async throws {
        let workload = EventWorkload(seed: testSeed(42), events: 600, keys: 60, deletions: 6)
        let catalog = eventsCatalog(endpoint: Self.endpoint(rollBytes: "2KiB"), resource: "{prefix: ev/}")
        let fixture = try MaterializeFixture("files-backfill", catalog: catalog)
        defer { fixture.directory.remove() }
        try await fixture.ingest(workload.documents, batch: 50)
        _ = try await fixture.runUntilIdle(maxDocuments: 40)
        let before = try localRolledFiles(fixture.directory.file("out"))
        try fixture.rewriteCatalog(catalog.replacingOccurrences(of: "backfill: 0", with: "backfill: 1"))
        _ = try await fixture.runUntilIdle(maxDocuments: 1_000)
        let after = try localRolledFiles(fixture.directory.file("out"))
        // Written again from the collection's start (in larger transactions, so fewer files).
        #expect(after.count < before.count)
        workload.check(reduceLines(try rolledDocuments(after)), target: "files after a backfill")
    }

    /// `sluice run` SIGKILLed at random moments, 22 times, then run to idle: the files reduce
    /// to the reference (each transaction's documents in exactly one file).
    @Test func killedRunsLoseAndDoubleNothing() async throws {
        let seed = testSeed(43)
        let workload = EventWorkload(seed: seed, events: 15_000, keys: 1_500, deletions: 150)
        let fixture = try MaterializeFixture("files-kills", catalog: eventsCatalog(endpoint: Self.endpoint(codec: "zstd", rollBytes: "16KiB"),
                                                                                  resource: "{prefix: ev/}"))
        defer { fixture.directory.remove() }
        try await fixture.ingest(workload.documents, batch: 100)
        let out = fixture.directory.file("out")
        let readings = try await fixture.runWithKills(kills: 22, seed: seed, expectedProgress: workload.expectedCount,
                                                      maxTransactionDocuments: 100) {
            let files = try localRolledFiles(out).filter { !$0.name.contains(".partial-") }
            return try rolledDocuments(files).reduce(0) { $0 + Int($1.root["n"]?.int64 ?? 0) }
        }
        let files = try localRolledFiles(out)
        #expect(!files.contains { $0.name.contains(".partial-") })
        workload.check(reduceLines(try rolledDocuments(files)), target: "files after kills")
        let midway = readings.filter { $0 > 0 && $0 < workload.expectedCount }.count
        #expect(midway >= 10, "seed \(seed): kills mostly missed the run (progress after each kill: \(readings))")
    }
}
