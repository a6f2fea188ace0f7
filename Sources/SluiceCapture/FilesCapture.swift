import Foundation
public import SluiceCatalog
public import SluiceDocument
import SluiceSchema
public import SluiceTask

/// The `files` capture (docs/captures.md): JSON lines and CSV files matched by each binding's
/// glob, plain or compressed (`.zst`, `.lz4`, `.gz`), read once (`follow: false`: the capture
/// is exhausted when every file is read) or followed (new lines and new files, polled).
/// The checkpoint holds a position per file (`FilesCheckpoint`), so a restart resumes after
/// the last committed line, and a file replaced under the same name is read from its start.
public struct FilesCapture: CaptureConnector {
    /// How often followed globs are listed again and followed files checked for growth:
    /// 200 ms keeps new lines quick to appear without busy listing.
    public var pollIntervalSeconds: Double
    /// A checkpoint (a transaction's end) after this many documents, or when the runtime's
    /// transaction deadline passes, whichever comes first: 50,000 ~430-byte documents keep a
    /// transaction's combiner well inside its memory budget and commits far apart.
    public var checkpointDocuments: Int
    /// Bytes read from a file at a time (one batch of documents): 1 MiB amortizes the read and
    /// the hand-over to the runtime over ~2,400 workload documents.
    public var readChunkBytes: Int

    public init(pollIntervalSeconds: Double = 0.2, checkpointDocuments: Int = 50_000, readChunkBytes: Int = 1 << 20) {
        precondition(pollIntervalSeconds > 0 && checkpointDocuments > 0 && readChunkBytes >= 4096)
        self.pollIntervalSeconds = pollIntervalSeconds
        self.checkpointDocuments = checkpointDocuments
        self.readChunkBytes = readChunkBytes
    }

    public func open(endpoint: CaptureEndpoint, bindings: [CaptureBindingSpec], state: JSONValue?,
                     context: TaskContext) async throws -> any CaptureSession {
        guard case .files(let configuration) = endpoint else {
            throw TaskError.configuration(task: context.taskName, message: "the files connector was given a \(endpoint.connectorName) endpoint")
        }
        var fileBindings: [FilesBinding] = []
        for (position, binding) in bindings.enumerated() {
            guard case .files(let pattern, let format, let follow) = binding.resource else {
                throw TaskError.configuration(task: context.taskName, message: "binding \(binding.index) is not a files resource")
            }
            fileBindings.append(FilesBinding(position: position, key: .init(target: binding.collection.name, path: pattern),
                                              glob: FileGlob(pattern, root: configuration.root), format: format, follow: follow,
                                              schema: binding.collection.writeSchema))
        }
        let checkpoint: FilesCheckpoint
        do {
            checkpoint = try FilesCheckpoint(state)
        } catch {
            throw TaskError.configuration(task: context.taskName, message: "\(error)")
        }
        return FilesCaptureSession(bindings: fileBindings, checkpoint: checkpoint, settings: self, context: context)
    }
}

/// One binding of a files capture, resolved.
struct FilesBinding: Sendable {
    /// Position in the session's bindings (what `.documents(binding:)` names).
    let position: Int
    let key: FilesCheckpoint.BindingKey
    let glob: FileGlob
    let format: CaptureResource.FileFormat?
    let follow: Bool
    let schema: Schema

    /// The format of `path`: the binding's, or from its extension under any compression
    /// extension (`.jsonl`, `.ndjson`, `.json` → jsonl; `.csv` → csv).
    func format(of path: String) -> CaptureResource.FileFormat? {
        if let format { return format }
        switch (InputCompression.strippingExtension(path) as NSString).pathExtension.lowercased() {
        case "jsonl", "ndjson", "json", "ldjson": return .jsonl
        case "csv": return .csv
        default: return nil
        }
    }
}
