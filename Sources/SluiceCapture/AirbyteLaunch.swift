// AirbyteLaunch: how to start a capture's connector (its executable, fixed arguments and
// environment) and the private folder of files it reads (`--config`, `--catalog`, `--state`).
import Foundation
public import SluiceCatalog
public import SluiceDocument

/// A connector command ready to run: `command[0]` resolved to a file, the rest kept as leading
/// arguments (`["python3", "main.py"]` runs `python3 main.py spec`).
public struct AirbyteLaunch: Sendable {
    public let executable: String
    public let leadingArguments: [String]
    public let environment: [String: String]
    /// The connector's config as JSON text (a secret: written only to a private file).
    public let config: Secret
    /// `source-faker`, for messages.
    public let name: String

    /// Resolves `endpoint.command[0]`: a path (relative ones against `folder`, the catalog's), or
    /// a name looked up on PATH (the endpoint's `env.PATH` if it sets one).
    public init(_ endpoint: AirbyteEndpoint, folder: String) throws(AirbyteError) {
        guard let first = endpoint.command.first else {
            throw AirbyteError.catalog("the airbyte endpoint's command is empty")
        }
        let environment = ProcessInfo.processInfo.environment.merging(endpoint.environment) { $1 }
        guard let executable = AirbyteProcess.resolveExecutable(first, folder: folder, path: environment["PATH"]) else {
            throw AirbyteError.executableNotFound(
                command: first, searched: first.contains("/") ? "no executable file there" : "searched PATH")
        }
        self.executable = executable
        self.leadingArguments = Array(endpoint.command.dropFirst())
        self.environment = environment
        self.config = endpoint.config
        self.name = AirbyteLaunch.name(of: endpoint.command)
    }

    /// The connector's short name: the executable's file name, or the script's for an
    /// interpreter (`python3 path/main.py` → `main.py`).
    static func name(of command: [String]) -> String {
        let executable = (command[0] as NSString).lastPathComponent
        let interpreters = ["python", "python3", "node", "sh", "bash", "ruby", "java"]
        if interpreters.contains(executable), command.count > 1, !command[1].hasPrefix("-") {
            return (command[1] as NSString).lastPathComponent
        }
        return executable
    }

    /// `source-faker discover`.
    public func label(_ command: String) -> String { "\(name) \(command)" }
}

/// A private temporary folder (mode 0700) holding the files of one connector run (mode 0600:
/// the config may hold secrets). Removed by `remove()`.
public final class AirbyteWorkFolder: Sendable {
    public let path: String

    public init() throws(AirbyteError) {
        var template = Array((NSTemporaryDirectory() + "/sluice-airbyte-XXXXXX").utf8CString)
        // Safety: mkdtemp rewrites the template's X's in place, within the array.
        guard let created = template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) else {
            throw AirbyteError.files("cannot create a temporary folder for the connector's files: \(String(cString: strerror(errno)))")
        }
        path = String(cString: created)
    }

    /// Writes `value` as JSON to `name` in the folder (mode 0600) and returns its path.
    @discardableResult
    public func write(_ name: String, json value: JSONValue) throws(AirbyteError) -> String {
        try write(name, text: value.description)
    }

    @discardableResult
    public func write(_ name: String, text: String) throws(AirbyteError) -> String {
        let file = path + "/" + name
        let descriptor = open(file, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw AirbyteError.files("\(file): \(String(cString: strerror(errno)))") }
        defer { close(descriptor) }
        let bytes = Array(text.utf8)
        var offset = 0
        while offset < bytes.count {
            // Safety: the buffer is valid for the call; the range stays within it.
            let written = bytes.withUnsafeBytes { Foundation.write(descriptor, $0.baseAddress! + offset, bytes.count - offset) }
            if written < 0 {
                if errno == EINTR { continue }
                throw AirbyteError.files("\(file), offset \(offset): \(String(cString: strerror(errno)))")
            }
            offset += written
        }
        return file
    }

    public func remove() { try? FileManager.default.removeItem(atPath: path) }
}
