/// Where a journal's sealed fragments are kept. The local directory (`LocalFragmentStore`) is
/// the first implementation; an S3-compatible bucket comes later, and the journal's index is
/// then the union of the listings. A store is scoped to one journal.
public protocol FragmentStore: Sendable {
    /// Where the store keeps the journal's fragments, for messages (a directory or a URL).
    var location: String { get }
    /// The fragments present, and the names of entries that are neither fragments nor
    /// temporaries (ignored).
    func list() throws -> (fragments: [SealedFragment], ignoredEntries: [String])
    /// Removes temporaries left by interrupted seals; returns their names.
    func removeTemporaries() throws -> [String]
    /// Starts writing the fragment `[begin, end)` under a temporary name; `compacted` for the
    /// output of key compaction.
    func create(begin: Int64, end: Int64, encoding: FragmentEncoding, compacted: Bool) throws -> any FragmentWriter
    /// Opens a fragment for reading.
    func open(_ fragment: SealedFragment) throws -> any OpenFile
    /// Removes a fragment.
    func remove(_ fragment: SealedFragment) throws
    /// The path or URL of a fragment, for messages.
    func path(of name: FragmentName) -> String
}

/// A fragment being written. `commit` makes it durable under its final name; `abandon`
/// removes what was written.
extension FragmentStore {
    /// Starts writing a fragment of sealed appends.
    public func create(begin: Int64, end: Int64, encoding: FragmentEncoding) throws -> any FragmentWriter {
        try create(begin: begin, end: end, encoding: encoding, compacted: false)
    }
}

public protocol FragmentWriter {
    func write(_ bytes: UnsafeRawBufferPointer) throws
    func commit(sha1: String) throws -> SealedFragment
    func abandon()
}

/// Sealed fragments as files in one local directory (`<journal>/@journal/fragments/`).
public struct LocalFragmentStore: FragmentStore {
    public let directory: String
    let fileSystem: any FileSystem

    public init(directory: String, fileSystem: any FileSystem) {
        self.directory = directory
        self.fileSystem = fileSystem
    }

    public var location: String { directory }

    public func path(of name: FragmentName) -> String { directory + "/" + name.fileName }

    public func list() throws -> (fragments: [SealedFragment], ignoredEntries: [String]) {
        var fragments: [SealedFragment] = []
        var ignored: [String] = []
        for entry in try fileSystem.contentsOfDirectory(atPath: directory) {
            guard entry.kind == .file, let name = FragmentName(fileName: entry.name) else {
                if !entry.name.hasSuffix(FragmentName.temporarySuffix) { ignored.append(entry.name) }
                continue
            }
            guard let status = try fileSystem.status(atPath: directory + "/" + entry.name) else { continue }
            fragments.append(SealedFragment(name: name, storedSizeBytes: status.sizeBytes,
                                            modificationTimeNanoseconds: status.modificationTimeNanoseconds))
        }
        return (fragments.sorted(), ignored.sorted())
    }

    public func removeTemporaries() throws -> [String] {
        var removed: [String] = []
        for entry in try fileSystem.contentsOfDirectory(atPath: directory)
        where entry.kind == .file && entry.name.hasSuffix(FragmentName.temporarySuffix) {
            try fileSystem.removeFile(atPath: directory + "/" + entry.name)
            removed.append(entry.name)
        }
        if !removed.isEmpty { try fileSystem.synchronizeDirectory(atPath: directory) }
        return removed.sorted()
    }

    public func create(begin: Int64, end: Int64, encoding: FragmentEncoding, compacted: Bool) throws -> any FragmentWriter {
        var temporary = FragmentName.temporaryFileName(begin: begin, end: end, encoding: encoding)
        if compacted { temporary = "compacted-" + temporary }
        let file = try fileSystem.openFile(atPath: directory + "/" + temporary, mode: .createOrTruncate)
        return LocalFragmentWriter(store: self, file: file, begin: begin, end: end, encoding: encoding, compacted: compacted)
    }

    public func open(_ fragment: SealedFragment) throws -> any OpenFile {
        try fileSystem.openFile(atPath: path(of: fragment.name), mode: .readOnly)
    }

    public func remove(_ fragment: SealedFragment) throws {
        try fileSystem.removeFile(atPath: path(of: fragment.name))
    }
}

/// Writes a temporary, then: fdatasync, rename to the content-addressed name, fsync the
/// directory. A crash at any point leaves either no fragment (only a temporary, removed on
/// open) or a complete, durable one.
final class LocalFragmentWriter: FragmentWriter {
    let store: LocalFragmentStore
    let file: any OpenFile
    let begin: Int64
    let end: Int64
    let encoding: FragmentEncoding
    let compacted: Bool
    private var sizeBytes: Int64 = 0

    init(store: LocalFragmentStore, file: any OpenFile, begin: Int64, end: Int64, encoding: FragmentEncoding, compacted: Bool) {
        self.store = store
        self.file = file
        self.begin = begin
        self.end = end
        self.encoding = encoding
        self.compacted = compacted
    }

    func write(_ bytes: UnsafeRawBufferPointer) throws {
        try file.write(bytes, at: sizeBytes)
        sizeBytes += Int64(bytes.count)
    }

    func commit(sha1: String) throws -> SealedFragment {
        try file.synchronizeData()
        let name = FragmentName(begin: begin, end: end, sha1: sha1, encoding: encoding, isCompacted: compacted)
        let finalPath = store.path(of: name)
        try store.fileSystem.rename(atPath: file.path, toPath: finalPath)
        try store.fileSystem.synchronizeDirectory(atPath: store.directory)
        let status = try store.fileSystem.status(atPath: finalPath)
        return SealedFragment(name: name, storedSizeBytes: sizeBytes,
                              modificationTimeNanoseconds: status?.modificationTimeNanoseconds ?? 0)
    }

    func abandon() {
        try? store.fileSystem.removeFile(atPath: file.path)
    }
}
