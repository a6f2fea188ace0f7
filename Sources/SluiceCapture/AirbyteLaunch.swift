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

    /// A folder under the system's temporary folder (`sluice discover`), or under `parent` named
    /// by `prefix` (a capture: `<data>/tmp/airbyte/<task>-…`). A process killed with SIGKILL
    /// cannot remove its folder: a capture removes its own stale ones with `removeStale`.
    public init(parent: String? = nil, prefix: String = "sluice-airbyte") throws(AirbyteError) {
        let base = parent ?? NSTemporaryDirectory()
        if let parent {
            do {
                try FileManager.default.createDirectory(atPath: parent, withIntermediateDirectories: true,
                                                        attributes: [.posixPermissions: 0o700])
            } catch {
                throw AirbyteError.files("cannot create \(parent) for the connector's files: \(error)")
            }
        }
        var template = Array((base + "/" + prefix + "-XXXXXX").utf8CString)
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

    /// Removes the folders `prefix-…` under `parent` left by runs that were killed (call before
    /// creating this run's folder: one capture runs one connector at a time).
    public static func removeStale(parent: String, prefix: String) {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: parent) else { return }
        for name in names where name.hasPrefix(prefix + "-") && name.count == prefix.count + 7 {
            try? FileManager.default.removeItem(atPath: parent + "/" + name)
        }
    }

    /// A folder-name prefix for a task: its name with every character but ASCII letters,
    /// digits, `-` and `_` replaced by `_`, then a hash of the exact name (so `acme/x` and
    /// `acme_x` never share folders).
    public static func prefix(task: String) -> String {
        var hash: UInt32 = 0x811C_9DC5  // FNV-1a 32
        for byte in task.utf8 { hash = (hash ^ UInt32(byte)) &* 0x0100_0193 }
        let readable = String(task.map { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") ? $0 : "_" })
        let hex = String(hash, radix: 16)
        return readable + "-" + String(repeating: "0", count: 8 - hex.count) + hex
    }
}
