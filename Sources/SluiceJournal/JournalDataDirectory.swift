#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A data directory: where Sluice keeps its journals (`--data-dir`, default `./sluice-data`).
///
/// Layout (docs/journal.md, "Data directory"): a journal named `a/b/c` lives in
///
///     <data-dir>/journals/a/b/c/@journal/
///         spec.json                       the JournalSpec, written once at creation
///         lock                            flock(2)ed while a process appends
///         spool-<begin:016x>.spool        the spool, and rolled spools awaiting their seal
///         fragments/<begin>-<end>-<sha1>.<raw|lz4|zst>   sealed fragments
///         fragments/<begin>-<end>.<ext>.tmp               a seal in progress
///
/// One folder per name segment keeps the tree browsable, and the reserved `@journal` entry
/// (`@` cannot occur in a journal name) keeps the layout unambiguous when one name is a prefix
/// of another: `a/b` owns `a/b/@journal`, `a/b/c` owns `a/b/c/@journal`. Each segment must fit a
/// file name (255 bytes).
public struct JournalDataDirectory: Sendable {
    public let path: String
    public let fileSystem: any FileSystem
    public let clock: any JournalClock
    /// Passed to the journals opened here (tests lower it to exercise backpressure).
    var sealBacklogBytesMax = Journal.sealBacklogBytesMaxDefault

    /// The entry that holds a journal's files, inside its name's folder.
    public static let journalEntryName = "@journal"
    /// Longest name segment a directory can hold (NAME_MAX on Linux, ext4 and most others).
    public static let segmentBytesMax = 255

    public init(path: String, fileSystem: any FileSystem = PosixFileSystem(), clock: any JournalClock = SystemClock()) {
        self.path = path.count > 1 && path.hasSuffix("/") ? String(path.dropLast()) : path
        self.fileSystem = fileSystem
        self.clock = clock
    }

    public var journalsPath: String { path + "/journals" }

    /// The `@journal` directory of `name`.
    public func directory(of name: JournalName) throws -> String {
        for segment in name.segments where segment.utf8.count > Self.segmentBytesMax {
            throw JournalError.invalidName(
                name.rawValue, reason: "segment \"\(segment.prefix(24))…\" is \(segment.utf8.count) bytes; "
                    + "a data directory holds segments of at most \(Self.segmentBytesMax) bytes")
        }
        return journalsPath + "/" + name.rawValue + "/" + Self.journalEntryName
    }

    /// True when `name` exists (its spec was written).
    public func exists(_ name: JournalName) throws -> Bool {
        try checkDataDirectory()
        return try fileSystem.status(atPath: directory(of: name) + "/spec.json") != nil
    }

    /// Every journal under the data directory, sorted by name. Empty when the data directory
    /// does not exist.
    public func journalNames() throws -> [JournalName] {
        guard try checkDataDirectory(), try fileSystem.status(atPath: journalsPath) != nil else { return [] }
        var names: [JournalName] = []
        try collect(journalsPath, prefix: "", into: &names)
        return names.sorted()
    }

    private func collect(_ folder: String, prefix: String, into names: inout [JournalName]) throws {
        for entry in try fileSystem.contentsOfDirectory(atPath: folder).sorted(by: { $0.name < $1.name })
        where entry.kind == .directory {
            if entry.name == Self.journalEntryName {
                if !prefix.isEmpty, try fileSystem.status(atPath: folder + "/" + entry.name + "/spec.json") != nil,
                   let name = try? JournalName(prefix) {
                    names.append(name)
                }
            } else {
                try collect(folder + "/" + entry.name, prefix: prefix.isEmpty ? entry.name : prefix + "/" + entry.name,
                            into: &names)
            }
        }
    }

    /// Creates `name` with `spec` unless it exists; returns the spec in force (the stored one
    /// when it existed).
    @discardableResult
    public func create(_ name: JournalName, spec: JournalSpec) throws -> JournalSpec {
        try spec.validate()
        let directory = try directory(of: name)
        if let stored = try loadSpec(directory) { return stored }
        try fileSystem.createDirectory(atPath: directory + "/fragments")
        let temporary = directory + "/spec.json.tmp"
        let file = try fileSystem.openFile(atPath: temporary, mode: .createOrTruncate)
        try spec.encodedJSON().withUnsafeBytes { try file.write($0, at: 0) }
        try file.synchronizeData()
        try fileSystem.rename(atPath: temporary, toPath: directory + "/spec.json")
        // Make every new directory entry durable, from the journal's folder up to the data dir.
        var folder = directory
        try fileSystem.synchronizeDirectory(atPath: folder + "/fragments")
        while folder.count >= path.count {
            try fileSystem.synchronizeDirectory(atPath: folder)
            guard let slash = folder.lastIndex(of: "/") else { break }
            folder = String(folder[..<slash])
        }
        return spec
    }

    /// Opens `name`, creating it with `spec` first when given and missing. Read-only opening
    /// takes no lock and changes nothing (a writer may run in another process); it cannot
    /// append, seal, prune or block at the head.
    public func open(_ name: JournalName, createWith spec: JournalSpec? = nil, readOnly: Bool = false) throws -> Journal {
        try checkDataDirectory()
        if let spec, !readOnly { try create(name, spec: spec) }
        let directory = try directory(of: name)
        guard let stored = try loadSpec(directory) else {
            throw JournalError.journalNotFound(name: name.rawValue, dataDirectory: path)
        }
        return try JournalRecovery.open(name: name, directory: directory, spec: stored, readOnly: readOnly,
                                        fileSystem: fileSystem, clock: clock, sealBacklogBytesMax: sealBacklogBytesMax)
    }

    /// The stored spec of the journal in `directory`, or nil when there is none.
    func loadSpec(_ directory: String) throws -> JournalSpec? {
        let specPath = directory + "/spec.json"
        guard let status = try fileSystem.status(atPath: specPath) else { return nil }
        let file = try fileSystem.openFile(atPath: specPath, mode: .readOnly)
        var bytes = [UInt8](repeating: 0, count: Int(status.sizeBytes))
        let count = try bytes.withUnsafeMutableBytes { try file.read(into: $0, at: 0) }
        return try JournalSpec.decode(json: Array(bytes[0..<count]), path: specPath)
    }

    /// Fails clearly when the data directory path is not a directory; returns whether it exists.
    @discardableResult
    private func checkDataDirectory() throws -> Bool {
        guard let status = try fileSystem.status(atPath: path) else { return false }
        guard status.isDirectory else {
            throw JournalError.io(operation: "use as data directory", path: path, errorNumber: ENOTDIR)
        }
        return true
    }
}
