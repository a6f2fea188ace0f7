// FilesMaterialization: `files: {dir, codec?, rollBytes?, rollInterval?}` with bindings
// `{prefix}`: each binding's combined documents as JSON lines in rolled files under `dir`
// (RolledFiles.swift: naming, checkpoint record, fencing under an exclusive file lock).
public import SluiceCatalog
public import SluiceTask

/// The `files` materialization connector.
public struct FilesMaterialization: MaterializationConnector {
    public init() {}

    public func open(endpoint: MaterializationEndpoint, bindings: [MaterializationBindingSpec],
                     context: TaskContext) async throws -> any MaterializationSession {
        guard case .files(let files) = endpoint else {
            throw TaskError.configuration(task: context.taskName, message: "the files connector needs a files endpoint")
        }
        let settings = RolledFilesSettings(codec: files.codec, rollBytes: files.rollBytes, rollIntervalSeconds: files.rollIntervalSeconds)
        return try await RolledFilesSession.open(store: LocalFileStore(root: files.directory), bindings: bindings, settings: settings,
                                                 context: context)
    }
}
