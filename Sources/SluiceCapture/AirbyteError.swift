// AirbyteError: what goes wrong running an Airbyte connector, saying which command and where.

/// A failure of an Airbyte connector or of talking to it.
public enum AirbyteError: Error, Sendable, CustomStringConvertible {
    /// The executable is not there (a path), or not on PATH (a name).
    case executableNotFound(command: String, searched: String)
    /// The process could not be started.
    case spawn(label: String, reason: String)
    /// The connector reported an error (a TRACE of type ERROR).
    case connectorError(label: String, message: String)
    /// The connector exited with a non-zero status; `message` is its last error, log or
    /// standard-error lines.
    case exited(label: String, status: Int32, message: String)
    /// The connector broke the protocol (a RECORD without data, an unknown stream, …).
    case protocolViolation(label: String, line: Int, reason: String)
    /// The connector did not finish within the limit.
    case timeout(label: String, seconds: Double)
    /// The connector ended without the message the command expects (CATALOG, SPEC, …).
    case missingMessage(label: String, expected: String)
    /// The connector's catalog or state cannot be used with the bindings.
    case catalog(String)
    /// Files for the connector (config, catalog, state) could not be written.
    case files(String)

    public var description: String {
        switch self {
        case .executableNotFound(let command, let searched):
            return "airbyte connector \(command) not found (\(searched))"
        case .spawn(let label, let reason): return "\(label): cannot start: \(reason)"
        case .connectorError(let label, let message): return "\(label): the connector reported an error: \(message)"
        case .exited(let label, let status, let message):
            let how = status > 128 ? "was killed by signal \(status - 128)" : "exited with status \(status)"
            return message.isEmpty ? "\(label) \(how)" : "\(label) \(how): \(message)"
        case .protocolViolation(let label, let line, let reason): return "\(label), output line \(line): \(reason)"
        case .timeout(let label, let seconds): return "\(label) did not finish within \(Int(seconds)) s"
        case .missingMessage(let label, let expected): return "\(label) ended without a \(expected) message"
        case .catalog(let message): return message
        case .files(let message): return message
        }
    }

    /// True when the configuration, not the connector's run, is at fault: retrying cannot help.
    public var isConfiguration: Bool {
        switch self {
        case .executableNotFound, .catalog: return true
        default: return false
        }
    }
}
