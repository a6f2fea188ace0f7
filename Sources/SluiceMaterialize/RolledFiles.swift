// RolledFiles: the transaction loop shared by the files and S3 materializations.
//
// Each binding writes JSON lines (the transaction's combined documents, optionally one zstd
// frame per file) into an open file named by its sequence number:
// `<prefix><sequence, 10 digits>.jsonl[.zst]`. A file is rolled (finished: renamed into place,
// or its upload completed) when it holds `rollBytes` of JSON lines (before compression) or has
// been open `rollInterval`, and at close; every open file of the materialization rolls
// together, then the checkpoint record `_sluice/<task>.checkpoint.json` is replaced with the
// runtime checkpoint of the last transaction in them and each binding's next sequence.
//
// The record is the commit point. A crash loses only the open files; the runtime resumes from
// the record's checkpoint and writes the same documents again into files with the same
// sequence numbers, so they replace whatever an interrupted roll left (same names: nothing is
// doubled). Files at or past a binding's next sequence, and partial files, are leftovers of an
// uncommitted roll and are deleted at open. Fencing: open increments the record's fence and
// writes its instance id; a roll first re-reads the record and stops (`TaskError.fencedOff`)
// if another instance owns it. Locally both run under an exclusive `flock`; S3 has no lock, so
// there the check and the record write are separate requests (docs/materializations.md).
import Foundation
import SluiceCatalog
import SluiceDocument
import SluiceTask

/// File names of rolled files.
enum RolledFileName {
    /// 10 digits: ten billion files per binding.
    static let sequenceDigits = 10

    static func fileExtension(_ codec: FilesMaterializationEndpoint.Codec) -> String {
        codec == .zstd ? ".jsonl.zst" : ".jsonl"
    }

    /// `deals/0000000042.jsonl.zst`.
    static func name(prefix: String, sequence: Int, codec: FilesMaterializationEndpoint.Codec) -> String {
        let digits = String(sequence)
        return prefix + String(repeating: "0", count: max(0, sequenceDigits - digits.count)) + digits + fileExtension(codec)
    }

    /// The sequence of a rolled file (either codec) directly under `prefix`, or nil.
    static func sequence(of key: String, prefix: String) -> Int? {
        guard key.hasPrefix(prefix) else { return nil }
        let rest = key.dropFirst(prefix.count)
        let digits = rest.prefix(sequenceDigits)
        guard digits.count == sequenceDigits, digits.allSatisfy(\.isASCII), digits.allSatisfy(\.isNumber) else { return nil }
        let suffix = rest.dropFirst(sequenceDigits)
        guard suffix == ".jsonl" || suffix == ".jsonl.zst" else { return nil }
        return Int(digits)
    }

    /// A partial (unfinished) local file of a rolled file under `prefix`.
    static func isPartial(_ key: String, prefix: String) -> Bool {
        guard let range = key.range(of: ".partial-") else { return false }
        return sequence(of: String(key[..<range.lowerBound]), prefix: prefix) != nil
    }

    /// The checkpoint record's and the lock's names: `_sluice/<task>.checkpoint.json`, with `%`
    /// and `/` of the task name percent-encoded (`acme/archive` → `acme%2Farchive`).
    static func recordName(task: String) -> String { "_sluice/" + escaped(task) + ".checkpoint.json" }
    static func lockName(task: String) -> String { "_sluice/" + escaped(task) + ".lock" }

    static func escaped(_ task: String) -> String {
        task.replacingOccurrences(of: "%", with: "%25").replacingOccurrences(of: "/", with: "%2F")
    }
}

/// The checkpoint record of a files or S3 materialization (JSON; asserted in
/// FilesMaterializationTests.recordIsExact).
struct RolledFilesRecord: Codable, Equatable {
    struct Binding: Codable, Equatable {
        /// The sequence of the binding's next file.
        var nextSequence: Int
        /// The backfill counter its files were written under.
        var backfill: Int
    }

    /// Incremented by every open; the owner of the newest fence may roll.
    var fence: Int64
    /// The instance that opened with `fence`.
    var owner: String
    /// The runtime checkpoint of the last transaction in rolled files (base64), nil before any.
    var checkpoint: String?
    /// By binding prefix.
    var bindings: [String: Binding]

    static func decode(_ bytes: [UInt8], location: String) throws -> RolledFilesRecord {
        do {
            return try JSONDecoder().decode(RolledFilesRecord.self, from: Data(bytes))
        } catch {
            throw FileStoreError(message: "\(location): the checkpoint record is not readable: \(error)")
        }
    }

    func encoded() throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return Array(try encoder.encode(self))
    }
}

/// Settings of a rolled-files target.
struct RolledFilesSettings: Sendable {
    var codec: FilesMaterializationEndpoint.Codec
    var rollBytes: Int
    var rollIntervalSeconds: Double?
}

/// An open files or S3 materialization.
///
/// Unchecked Sendable: the runtime makes one call at a time; the mutable state (open files,
/// the pending checkpoint) is only touched inside those calls.
final class RolledFilesSession: MaterializationSession, @unchecked Sendable {
    /// One binding's open file.
    ///
    /// Unchecked Sendable: owned by its session, used by one call at a time.
    final class OpenFile: @unchecked Sendable {
        let sequence: Int
        let writer: any FileStoreWriter
        let compressor: ZstdStream?
        /// JSON-lines bytes written so far, before compression (what `rollBytes` bounds).
        var bytesWritten = 0
        let openedAtNanoseconds: UInt64

        init(sequence: Int, writer: any FileStoreWriter, compressor: ZstdStream?, openedAtNanoseconds: UInt64) {
            self.sequence = sequence
            self.writer = writer
            self.compressor = compressor
            self.openedAtNanoseconds = openedAtNanoseconds
        }
    }

    let store: any FileStore
    let context: TaskContext
    let settings: RolledFilesSettings
    /// Binding index → its prefix.
    let prefixes: [Int: String]
    let instance: String
    private(set) var record: RolledFilesRecord
    let checkpoint: [UInt8]?
    private var openFiles: [Int: OpenFile] = [:]
    private var pendingCheckpoint: [UInt8]?
    /// False after a failed store or roll: close must not roll files of unknown content.
    private var healthy = true

    private init(store: any FileStore, context: TaskContext, settings: RolledFilesSettings, prefixes: [Int: String], instance: String,
                 record: RolledFilesRecord) {
        self.store = store
        self.context = context
        self.settings = settings
        self.prefixes = prefixes
        self.instance = instance
        self.record = record
        checkpoint = record.checkpoint.flatMap { Data(base64Encoded: $0) }.map { Array($0) }
    }

    var task: String { context.taskName }
    var recordName: String { RolledFileName.recordName(task: task) }

    /// Claims the fence, deletes leftovers of uncommitted rolls (and every file of a binding
    /// whose backfill counter changed), and reads the checkpoint.
    static func open(store: any FileStore, bindings: [MaterializationBindingSpec], settings: RolledFilesSettings,
                     context: TaskContext) async throws -> RolledFilesSession {
        let task = context.taskName
        var prefixes: [Int: String] = [:]
        for binding in bindings {
            guard case .files(let prefix) = binding.resource else {
                throw TaskError.configuration(task: task, message: "binding \(binding.index): expected a {prefix} resource")
            }
            if let other = prefixes.values.first(where: { $0 == prefix }) {
                throw TaskError.configuration(task: task, message: "binding \(binding.index): prefix \(other) is used by another binding")
            }
            prefixes[binding.index] = prefix
        }
        let instance = UUID().uuidString.lowercased()
        let recordName = RolledFileName.recordName(task: task)
        let specs = bindings
        let bindingPrefixes = prefixes
        let (claimed, deleted) = try await failures(task: task, store: store, doing: "opening the materialization") {
            try await store.withLock(RolledFileName.lockName(task: task)) { () async throws -> (RolledFilesRecord, Int) in
                var record = try await store.read(recordName).map { try RolledFilesRecord.decode($0, location: store.location) }
                    ?? RolledFilesRecord(fence: 0, owner: "", checkpoint: nil, bindings: [:])
                var deleted = 0
                for binding in specs {
                    let prefix = bindingPrefixes[binding.index]!
                    var state = record.bindings[prefix] ?? .init(nextSequence: 0, backfill: 0)
                    let rebuild = state.backfill != binding.backfill
                    if rebuild {
                        context.logger.notice("backfill: deleting the binding's files", metadata: [
                            "prefix": "\(prefix)", "backfill": "\(state.backfill) → \(binding.backfill)",
                        ])
                        state = .init(nextSequence: 0, backfill: binding.backfill)
                    }
                    for key in try await store.list(prefix: prefix) {
                        let leftover = RolledFileName.isPartial(key, prefix: prefix)
                            || (RolledFileName.sequence(of: key, prefix: prefix).map { $0 >= state.nextSequence } ?? false)
                        if leftover {
                            try await store.delete(key)
                            deleted += 1
                        }
                    }
                    record.bindings[prefix] = state
                }
                record.fence += 1
                record.owner = instance
                try await store.write(recordName, try record.encoded())
                return (record, deleted)
            }
        }
        if deleted > 0 {
            context.logger.notice("deleted files of uncommitted rolls", metadata: ["location": "\(store.location)", "files": "\(deleted)"])
        }
        return RolledFilesSession(store: store, context: context, settings: settings, prefixes: prefixes, instance: instance,
                                  record: claimed)
    }

    func load(binding: Int, keys: [LoadKey]) async throws -> [Document] {
        // Files are delta updates: the runtime never loads (MaterializationBindingSpec.deltaUpdates).
        []
    }

    func store(_ entries: [Int: [StoreEntry]], checkpoint: [UInt8]) async throws {
        guard healthy else { throw TaskError.connector(task: task, message: "\(store.location): the session failed earlier") }
        do {
            var line: [UInt8] = []
            for (binding, rows) in entries.sorted(by: { $0.key < $1.key }) where !rows.isEmpty {
                guard let prefix = prefixes[binding] else { continue }
                let file = try await openFile(binding: binding, prefix: prefix)
                line.removeAll(keepingCapacity: true)
                for entry in rows {
                    JSONSerializer.append(entry.document, to: &line)
                    line.append(UInt8(ascii: "\n"))
                }
                var output: [UInt8] = []
                if let compressor = file.compressor {
                    try compressor.compress(line, end: false, into: &output)
                } else {
                    output = line
                }
                if !output.isEmpty { try await file.writer.write(output) }
                // Before compression: zstd holds back up to a block, so compressed sizes lag.
                file.bytesWritten += line.count
            }
            pendingCheckpoint = checkpoint
        } catch {
            healthy = false
            await abortOpenFiles()
            throw failure(error, doing: "writing a transaction")
        }
        if shouldRoll() { try await roll() }
    }

    private func openFile(binding: Int, prefix: String) async throws -> OpenFile {
        if let file = openFiles[binding] { return file }
        let sequence = record.bindings[prefix]?.nextSequence ?? 0
        let name = RolledFileName.name(prefix: prefix, sequence: sequence, codec: settings.codec)
        let file = OpenFile(sequence: sequence, writer: try await store.makeWriter(name, instance: instance),
                            compressor: settings.codec == .zstd ? ZstdStream() : nil,
                            openedAtNanoseconds: context.wallClockNanoseconds())
        openFiles[binding] = file
        return file
    }

    private func shouldRoll() -> Bool {
        if openFiles.values.contains(where: { $0.bytesWritten >= settings.rollBytes }) { return true }
        if let interval = settings.rollIntervalSeconds, let opened = openFiles.values.map(\.openedAtNanoseconds).min() {
            let now = context.wallClockNanoseconds()
            return now > opened && Double(now - opened) / 1e9 >= interval
        }
        return false
    }

    /// Finishes every open file and commits the record, if this instance still holds the fence.
    private func roll() async throws {
        guard let pending = pendingCheckpoint else { return }
        let files = openFiles.sorted { $0.key < $1.key }
        openFiles = [:]
        let (store, recordName, instance, fence) = (self.store, self.recordName, self.instance, record.fence)
        var next = record
        for (binding, file) in files { next.bindings[prefixes[binding]!]?.nextSequence = file.sequence + 1 }
        next.checkpoint = Data(pending).base64EncodedString()
        let committed = next
        let task = self.task
        do {
            try await store.withLock(RolledFileName.lockName(task: task)) { () async throws -> Void in
                let current = try await store.read(recordName).map { try RolledFilesRecord.decode($0, location: store.location) }
                guard let current, current.fence == fence, current.owner == instance else {
                    throw TaskError.fencedOff(task: task, detail: "\(store.location): fence \(fence) was superseded by "
                                              + (current.map { "fence \($0.fence)" } ?? "a deleted record"))
                }
                for (_, file) in files {
                    if let compressor = file.compressor {
                        var tail: [UInt8] = []
                        try compressor.compress([], end: true, into: &tail)
                        if !tail.isEmpty { try await file.writer.write(tail) }
                    }
                    try await file.writer.finish()
                }
                try await store.write(recordName, try committed.encoded())
            }
            record = committed
            pendingCheckpoint = nil
        } catch {
            healthy = false
            for (_, file) in files { await file.writer.abort() }
            throw failure(error, doing: "rolling files")
        }
    }

    private func abortOpenFiles() async {
        for file in openFiles.values { await file.writer.abort() }
        openFiles = [:]
    }

    func close() async {
        guard healthy else {
            await abortOpenFiles()
            return
        }
        do {
            try await roll()
        } catch {
            context.logger.warning("files not rolled at close (the next run writes them again)",
                                   metadata: ["location": "\(store.location)", "error": "\(error)"])
        }
        await abortOpenFiles()
    }

    private func failure(_ error: any Error, doing: String) -> TaskError {
        Self.failure(error, task: task, store: store, doing: doing)
    }

    static func failure(_ error: any Error, task: String, store: any FileStore, doing: String) -> TaskError {
        if let error = error as? TaskError { return error }
        return .connector(task: task, message: "\(store.location): \(doing): \(error)")
    }

    static func failures<Result>(task: String, store: any FileStore, doing: String,
                                 _ body: () async throws -> Result) async throws -> Result {
        do {
            return try await body()
        } catch {
            throw failure(error, task: task, store: store, doing: doing)
        }
    }
}
