// AirbyteCapture: the `airbyte` capture connector (SEMANTICS.md §7, docs/captures.md). Opening
// a session discovers the connector's catalog, configures it from the bindings, and starts
// `read --config --catalog [--state]` with the last committed state. RECORDs become documents of
// their stream's binding; a STATE is a checkpoint covering every record before it; LOG, TRACE
// and standard error go to the task log; a TRACE error or a non-zero exit fails the task with
// the connector's message (the engine restarts it with backoff, from the committed state).
import Foundation
import Logging
public import SluiceCatalog
public import SluiceDocument
public import SluiceTask
import Synchronization

/// The `airbyte` capture connector.
public struct AirbyteCapture: CaptureConnector {
    public init() {}

    public func open(endpoint: CaptureEndpoint, bindings: [CaptureBindingSpec], state: JSONValue?,
                     context: TaskContext) async throws -> any CaptureSession {
        let task = context.taskName
        guard case .airbyte(let settings) = endpoint else {
            throw TaskError.configuration(task: task, message: "the airbyte connector cannot run a \(endpoint.connectorName) endpoint")
        }
        let streams = try AirbyteStreamBindings(bindings, task: task)
        let committed: AirbyteState
        do {
            committed = try AirbyteState(checkpoint: state)
        } catch {
            throw TaskError.configuration(task: task, message: "the committed airbyte state cannot be read: \(error)")
        }
        do {
            let launch = try AirbyteLaunch(settings, folder: context.catalogFolder)
            let catalog = try await AirbyteCommands(launch: launch, logger: context.logger).discover()
            let configured = try catalog.configured(bindings.map(\.resource))
            return try AirbyteReadSession(launch: launch, configuredCatalog: configured, state: committed, streams: streams,
                                          context: context)
        } catch {
            throw error.isConfiguration ? TaskError.configuration(task: task, message: error.description)
                                        : TaskError.connector(task: task, message: error.description)
        }
    }
}

/// Which binding (by position in the session's bindings) takes the records of a stream: an
/// exact (namespace, name) match, else a binding that names the stream without a namespace.
struct AirbyteStreamBindings: Sendable {
    private var exact: [AirbyteState.StreamDescriptor: Int] = [:]
    private var byName: [String: Int] = [:]

    init(_ bindings: [CaptureBindingSpec], task: String) throws(TaskError) {
        for (position, binding) in bindings.enumerated() {
            guard case .airbyte(let stream, let namespace, _, _) = binding.resource else {
                throw TaskError.configuration(task: task, message: "bindings[\(binding.index)]: not an airbyte resource")
            }
            let descriptor = AirbyteState.StreamDescriptor(name: stream, namespace: namespace)
            if exact[descriptor] != nil || (namespace == nil && byName[stream] != nil) {
                throw TaskError.configuration(task: task, message: "bindings[\(binding.index)].resource.stream: stream "
                                              + "\(namespace.map { "\($0)." } ?? "")\(stream) is bound twice")
            }
            exact[descriptor] = position
            if namespace == nil { byName[stream] = position }
        }
    }

    func binding(stream: String, namespace: String?) -> Int? {
        exact[AirbyteState.StreamDescriptor(name: stream, namespace: namespace)] ?? byName[stream]
    }
}

/// What the stdout reader thread hands to the session, in output order.
enum AirbyteReadItem: Sendable {
    case record(binding: Int, Document)
    case state(JSONValue, line: Int)
    case failure(AirbyteError)
    case exit(Int32)
}

/// A running `read`.
final class AirbyteReadSession: CaptureSession {
    private let process: AirbyteProcess
    private let queue: AirbyteOutputQueue<AirbyteReadItem>
    private let folder: AirbyteWorkFolder
    private let diagnostics: AirbyteReadDiagnostics
    private let context: TaskContext
    private let label: String

    /// The merged state through the last STATE read.
    private var state: AirbyteState
    /// No record was read since the last STATE: `state` covers exactly what was yielded.
    private var stateIsCurrent = true
    /// `state` was yielded as a checkpoint (or is the committed one).
    private var checkpointYielded = true
    private var documentsSinceCheckpoint = 0
    private var batch: [Document] = []
    private var batchBinding = -1
    private var ready: [CaptureEvent] = []
    private var readyIndex = 0
    private var failure: TaskError?
    private var exited = false
    private var exhausted = false

    /// Documents per `.documents` event: amortizes the runtime's per-event work.
    static let batchDocumentsMax = 1_000
    /// Records after which the next STATE is yielded even while more output is waiting: bounds
    /// a transaction when a fast connector emits STATEs back to back (they are otherwise
    /// coalesced, each commit costing an fsync).
    static let checkpointDocumentsMax = 20_000
    /// Items queued from the reader thread: the connector blocks on its stdout beyond this
    /// (a few MiB of records at most).
    static let queueItemsMax = 4_096

    init(launch: AirbyteLaunch, configuredCatalog: JSONValue, state: AirbyteState, streams: AirbyteStreamBindings,
         context: TaskContext) throws(AirbyteError) {
        self.state = state
        self.context = context
        label = launch.label("read")
        // Under the data directory, not /tmp: a SIGKILLed run's folder (its config may hold
        // secrets) is removed by the next run of the same task.
        let parent = context.dataDirectory + "/tmp/airbyte"
        let prefix = AirbyteWorkFolder.prefix(task: context.taskName)
        AirbyteWorkFolder.removeStale(parent: parent, prefix: prefix)
        folder = try AirbyteWorkFolder(parent: parent, prefix: prefix)
        var arguments = launch.leadingArguments + ["read", "--config", try folder.write("config.json", text: launch.config.value),
                                                   "--catalog", try folder.write("catalog.json", json: configuredCatalog)]
        if !state.isEmpty { arguments += ["--state", try folder.write("state.json", json: state.checkpoint)] }
        let queue = AirbyteOutputQueue<AirbyteReadItem>(capacity: AirbyteReadSession.queueItemsMax)
        let diagnostics = AirbyteReadDiagnostics()
        let parser = AirbyteLineParserThreadBox()
        let (logger, label) = (context.logger, self.label)
        let handlers = AirbyteProcess.Handlers(
            standardOutputLine: { line, number in
                switch parser.parse(line) {
                case .record(let stream, let namespace, let data):
                    if let binding = streams.binding(stream: stream, namespace: namespace) {
                        queue.put(.record(binding: binding, data))
                    } else if diagnostics.firstRecordOfUnboundStream(stream, namespace: namespace) {
                        logger.warning("records of a stream no binding captures are dropped",
                                       metadata: ["connector": "\(label)", "stream": "\(stream)", "line": "\(number)"])
                    }
                case .state(let value):
                    queue.put(.state(value, line: number))
                case .log(let level, let message):
                    let swiftLevel = AirbyteLogLevels.level(level)
                    if swiftLevel >= .error { diagnostics.rememberError(message) }
                    logger.log(level: swiftLevel, "\(message)", metadata: ["connector": "\(label)"])
                case .traceError(let message, let internalMessage, let failureType):
                    logger.error("\(message)", metadata: ["connector": "\(label)", "internal": "\(internalMessage ?? "")",
                                                           "failure_type": "\(failureType ?? "")"])
                    queue.put(.failure(.connectorError(label: label, message: internalMessage.map { "\(message) (\($0))" } ?? message)))
                case .trace(let type):
                    logger.debug("connector trace", metadata: ["connector": "\(label)", "type": "\(type)"])
                case .notJSON(let text):
                    logger.info("connector output is not JSON: \(text)", metadata: ["connector": "\(label)", "line": "\(number)"])
                case .invalid(let reason):
                    queue.put(.failure(.protocolViolation(label: label, line: number, reason: reason)))
                case .spec, .catalog, .connectionStatus, .other:
                    logger.debug("connector message ignored during read", metadata: ["connector": "\(label)", "line": "\(number)"])
                }
            },
            standardOutputOverlong: { number in
                queue.put(.failure(.protocolViolation(label: label, line: number,
                                                      reason: "a line longer than \(AirbyteProcess.lineBytesMax) bytes")))
            },
            standardErrorLine: { line in
                diagnostics.rememberStandardError(line)
                logger.info("\(line)", metadata: ["connector": "\(label)", "stream": "stderr"])
            },
            exit: { status in queue.put(.exit(status)) })
        do {
            process = try AirbyteProcess(executable: launch.executable, arguments: arguments, environment: launch.environment,
                                         label: label, handlers: handlers)
        } catch {
            folder.remove()
            throw error
        }
        self.queue = queue
        self.diagnostics = diagnostics
        context.logger.info("airbyte read started", metadata: [
            "connector": "\(label)", "pid": "\(process.pid)",
            "state": "\(state.isEmpty ? "none: from the beginning" : "resuming from the committed state")",
        ])
    }

    var isCaughtUp: Bool { exited }

    func next(deadlineNanoseconds: UInt64) async throws -> CaptureEvent {
        while true {
            if readyIndex < ready.count {
                let event = ready[readyIndex]
                readyIndex += 1
                if readyIndex == ready.count {
                    ready.removeAll(keepingCapacity: true)
                    readyIndex = 0
                }
                return event
            }
            if let failure { throw failure }
            if exhausted { return .exhausted }
            let items = queue.takeAvailable(max: AirbyteReadSession.batchDocumentsMax)
            if items.isEmpty {
                flushBatch()
                if !ready.isEmpty { continue }
                // Nothing more right now: commit what the current state covers before waiting.
                if stateIsCurrent && !checkpointYielded {
                    yieldCheckpoint()
                    continue
                }
                let now = context.wallClockNanoseconds()
                guard now < deadlineNanoseconds else { return .idle }
                let wake = ContinuousClock.now + .nanoseconds(Int64(min(deadlineNanoseconds - now, UInt64(Int64.max))))
                if await !queue.wait(until: wake) { return .idle }
                continue
            }
            for item in items {
                handle(item, deadlineNanoseconds: deadlineNanoseconds)
                if failure != nil || exhausted { break }
            }
        }
    }

    private func handle(_ item: AirbyteReadItem, deadlineNanoseconds: UInt64) {
        switch item {
        case .record(let binding, let document):
            if binding != batchBinding {
                flushBatch()
                batchBinding = binding
            }
            batch.append(document)
            documentsSinceCheckpoint += 1
            stateIsCurrent = false
            if batch.count >= AirbyteReadSession.batchDocumentsMax { flushBatch() }
        case .state(let value, let line):
            do {
                try state.apply(value)
            } catch {
                fail(.protocolViolation(label: label, line: line, reason: "STATE: \(error)"))
                return
            }
            stateIsCurrent = true
            checkpointYielded = false
            if documentsSinceCheckpoint >= AirbyteReadSession.checkpointDocumentsMax
                || context.wallClockNanoseconds() >= deadlineNanoseconds {
                yieldCheckpoint()
            }
        case .failure(let error):
            fail(error)
        case .exit(let status):
            exited = true
            flushBatch()
            guard status == 0 else {
                fail(.exited(label: label, status: status, message: diagnostics.lastWords()))
                return
            }
            // A finished read is a commit point: every record was read (records after the
            // last STATE commit with it; a later run may repeat them, as full refresh does).
            if !checkpointYielded || documentsSinceCheckpoint > 0 { yieldCheckpoint() }
            context.logger.info("airbyte read finished", metadata: ["connector": "\(label)"])
            exhausted = true
        }
    }

    private func flushBatch() {
        guard !batch.isEmpty else { return }
        ready.append(.documents(binding: batchBinding, batch))
        batch.removeAll(keepingCapacity: true)
    }

    private func yieldCheckpoint() {
        flushBatch()
        ready.append(.checkpoint(state.checkpoint))
        checkpointYielded = true
        stateIsCurrent = true
        documentsSinceCheckpoint = 0
    }

    private func fail(_ error: AirbyteError) {
        flushBatch()
        failure = failure ?? TaskError.connector(task: context.taskName, message: error.description)
    }

    func committed(state: JSONValue) async {}

    func close() async {
        queue.close()
        process.terminate()
        folder.remove()
    }
}

/// What the reader threads remember for messages: the connector's last error logs and standard
/// error lines (for a failed exit), and the streams without a binding already warned about.
final class AirbyteReadDiagnostics: Sendable {
    private struct State {
        var errors: [String] = []
        var standardError: [String] = []
        var unboundStreams: Set<AirbyteState.StreamDescriptor> = []
    }

    private let state = Mutex(State())

    func rememberError(_ message: String) {
        state.withLock {
            $0.errors.append(message)
            if $0.errors.count > 3 { $0.errors.removeFirst() }
        }
    }

    func rememberStandardError(_ line: String) {
        state.withLock {
            $0.standardError.append(line)
            if $0.standardError.count > AirbyteLogLevels.errorTailLines { $0.standardError.removeFirst() }
        }
    }

    /// True the first time a stream without a binding sends a record.
    func firstRecordOfUnboundStream(_ stream: String, namespace: String?) -> Bool {
        state.withLock { $0.unboundStreams.insert(.init(name: stream, namespace: namespace)).inserted }
    }

    /// The connector's last error logs, else the end of its standard error.
    func lastWords() -> String {
        state.withLock { $0.errors.isEmpty ? $0.standardError.joined(separator: "\n") : $0.errors.joined(separator: "; ") }
    }
}
