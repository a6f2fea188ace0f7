// SluiceTask: the shape every connector shares (docs/runtime.md). A task is a capture, a
// derivation or a materialization; each runs transactions whose checkpoint commits atomically
// with its effects. Connectors (SluiceCapture, SluiceDerive, SluiceMaterialize) implement the
// protocols here; SluiceRuntime drives them. Connectors never import SluiceRuntime.
public import Logging
public import SluiceCollection

/// What a connector gets from the runtime.
public struct TaskContext: Sendable {
    /// The task's catalog name (`acme/hooks`).
    public let taskName: String
    /// The engine's data directory.
    public let dataDirectory: String
    /// The catalog file's folder: relative paths in configs resolve against it.
    public let catalogFolder: String
    /// The journals of the data directory, shared by every task of the process.
    public let registry: JournalRegistry
    public let logger: Logger
    /// The engine's clock: Unix time in nanoseconds (a simulated clock in `sluice test`).
    public let wallClockNanoseconds: @Sendable () -> UInt64

    public init(taskName: String, dataDirectory: String, catalogFolder: String, registry: JournalRegistry,
                logger: Logger, wallClockNanoseconds: @escaping @Sendable () -> UInt64) {
        self.taskName = taskName
        self.dataDirectory = dataDirectory
        self.catalogFolder = catalogFolder
        self.registry = registry
        self.logger = logger
        self.wallClockNanoseconds = wallClockNanoseconds
    }

    /// A folder of this task's own under the data directory (`<data>/tasks/<name>`), created.
    public func taskFolder(_ kind: String) throws -> String {
        let path = dataDirectory + "/" + kind + "/" + taskName
        try FileSystemFolders.create(path)
        return path
    }
}

/// Errors a task raises that say what to do, as opposed to failures to retry.
public enum TaskError: Error, CustomStringConvertible, Equatable {
    /// Another instance of the task took over (a newer fence); this one must stop.
    case fencedOff(task: String, detail: String)
    /// The task's configuration cannot work; retrying does not help.
    case configuration(task: String, message: String)
    /// The connector failed; the runtime retries with backoff.
    case connector(task: String, message: String)

    public var description: String {
        switch self {
        case .fencedOff(let task, let detail): return "\(task): fenced off by a newer instance (\(detail))"
        case .configuration(let task, let message): return "\(task): \(message)"
        case .connector(let task, let message): return "\(task): \(message)"
        }
    }

    /// True when retrying cannot help.
    public var isPermanent: Bool {
        switch self {
        case .fencedOff, .configuration: return true
        case .connector: return false
        }
    }
}

import Foundation

enum FileSystemFolders {
    static func create(_ path: String) throws {
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }
}
