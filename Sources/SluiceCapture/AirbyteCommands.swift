// AirbyteCommands: the connector commands that run to completion and answer with one message:
// `spec` (SPEC), `check --config` (CONNECTION_STATUS) and `discover --config` (CATALOG). Their
// LOG messages and standard error go to the logger; a TRACE error or a non-zero exit is an
// error with the connector's message.
import Foundation
public import Logging
public import SluiceDocument
import Synchronization

/// One-shot commands of an Airbyte connector.
public struct AirbyteCommands: Sendable {
    public let launch: AirbyteLaunch
    public let logger: Logger
    /// The longest a one-shot command may run (seconds): discovery of a large source takes
    /// minutes (it lists tables or API objects); past this the connector is stuck.
    public var timeoutSeconds: Double = 600

    public init(launch: AirbyteLaunch, logger: Logger) {
        self.launch = launch
        self.logger = logger
    }

    /// `spec`: the connector's specification (its `connectionSpecification` is the config's
    /// JSON schema).
    public func spec() async throws(AirbyteError) -> JSONValue {
        let messages = try await run("spec", withConfig: false)
        for case .spec(let spec) in messages { return spec }
        throw AirbyteError.missingMessage(label: launch.label("spec"), expected: "SPEC")
    }

    /// `check --config`: nil when the connector accepts the config, else its message.
    public func check() async throws(AirbyteError) -> String? {
        let messages = try await run("check", withConfig: true)
        for case .connectionStatus(let succeeded, let message) in messages {
            return succeeded ? nil : (message ?? "the connector refused the config without saying why")
        }
        throw AirbyteError.missingMessage(label: launch.label("check"), expected: "CONNECTION_STATUS")
    }

    /// `discover --config`: the connector's catalog.
    public func discover() async throws(AirbyteError) -> AirbyteCatalog {
        let messages = try await run("discover", withConfig: true)
        for case .catalog(let catalog) in messages { return try AirbyteCatalog(parsing: catalog) }
        throw AirbyteError.missingMessage(label: launch.label("discover"), expected: "CATALOG")
    }

    /// Runs `command` (with `--config FILE` when asked) to its end and returns its messages
    /// (records are dropped: these commands print none).
    func run(_ command: String, withConfig: Bool) async throws(AirbyteError) -> [AirbyteMessage] {
        let folder = try AirbyteWorkFolder()
        defer { folder.remove() }
        var arguments = launch.leadingArguments + [command]
        if withConfig {
            arguments += ["--config", try folder.write("config.json", text: launch.config.value)]
        }
        let label = launch.label(command)
        let collected = OneShotOutput()
        let logger = self.logger
        let result: Result<Int32, AirbyteError> = await withCheckedContinuation { continuation in
            let handlers = AirbyteProcess.Handlers(
                standardOutputLine: { line, number in
                    let message = collected.parser.parse(line)
                    switch message {
                    case .log(let level, let text):
                        logger.log(level: AirbyteLogLevels.level(level), "\(text)", metadata: ["connector": "\(label)"])
                    case .notJSON(let text):
                        logger.info("connector output is not JSON: \(text)", metadata: ["connector": "\(label)", "line": "\(number)"])
                    case .record:
                        break
                    default:
                        collected.messages.withLock { $0.append(message) }
                    }
                },
                standardOutputOverlong: { number in
                    collected.messages.withLock { $0.append(.invalid("line \(number) is longer than \(AirbyteProcess.lineBytesMax) bytes")) }
                },
                standardErrorLine: { line in
                    collected.rememberErrorLine(line)
                    logger.info("\(line)", metadata: ["connector": "\(label)", "stream": "stderr"])
                },
                exit: { status in continuation.resume(returning: .success(status)) })
            let started = Result { () throws(AirbyteError) -> AirbyteProcess in
                try AirbyteProcess(executable: launch.executable, arguments: arguments, environment: launch.environment,
                                   label: label, handlers: handlers)
            }
            guard case .success(let process) = started else {
                if case .failure(let error) = started { continuation.resume(returning: .failure(error)) }
                return
            }
            let timeout = timeoutSeconds
            DispatchQueue.global().asyncAfter(deadline: .now() + timeout) {
                if process.status == nil {
                    collected.timedOut.store(true, ordering: .relaxed)
                    process.terminate()
                }
            }
        }
        let status: Int32
        switch result {
        case .success(let value): status = value
        case .failure(let error): throw error
        }
        if collected.timedOut.load(ordering: .relaxed) { throw AirbyteError.timeout(label: label, seconds: timeoutSeconds) }
        let messages = collected.messages.withLock { $0 }
        for message in messages {
            if case .traceError(let text, let internalMessage, _) = message {
                throw AirbyteError.connectorError(label: label, message: internalMessage.map { "\(text) (\($0))" } ?? text)
            }
            if case .invalid(let reason) = message { throw AirbyteError.protocolViolation(label: label, line: 0, reason: reason) }
        }
        guard status == 0 else {
            throw AirbyteError.exited(label: label, status: status, message: collected.errorTail())
        }
        return messages
    }
}

/// What a one-shot command's reader threads gather.
private final class OneShotOutput: Sendable {
    let messages = Mutex<[AirbyteMessage]>([])
    let parser = AirbyteLineParserThreadBox()
    let timedOut = Atomic<Bool>(false)
    private let errorLines = Mutex<[String]>([])

    func rememberErrorLine(_ line: String) {
        errorLines.withLock {
            $0.append(line)
            if $0.count > AirbyteLogLevels.errorTailLines { $0.removeFirst() }
        }
    }

    func errorTail() -> String { errorLines.withLock { $0.joined(separator: "\n") } }
}

/// Connector log levels as swift-log levels.
enum AirbyteLogLevels {
    static func level(_ airbyte: String) -> Logger.Level {
        switch airbyte.uppercased() {
        case "FATAL": return .critical
        case "ERROR": return .error
        case "WARN", "WARNING": return .warning
        case "DEBUG": return .debug
        case "TRACE": return .trace
        default: return .info
        }
    }

    /// Standard-error lines kept for an exit's error message: the end of a traceback.
    static let errorTailLines = 12
}
