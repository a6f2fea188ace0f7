// AirbyteState: the connector state an Airbyte capture commits with its documents, and hands
// back to the next `read` as its `--state` file. Connectors send STATE messages of three kinds:
// per-stream (`{"type":"STREAM","stream":{"stream_descriptor":{name,namespace?},"stream_state":…}}`,
// each replacing that stream's earlier state), global (`{"type":"GLOBAL","global":{…}}`,
// replacing the earlier global state) and legacy (`{"data":{…}}` or `{"type":"LEGACY","data":…}`,
// replacing everything). The checkpoint is exactly the `--state` file's content: an array of
// STREAM (sorted by namespace, then name) and GLOBAL messages, or the legacy `data` object.
public import SluiceDocument

/// The merged state of an Airbyte connector.
public struct AirbyteState: Sendable, Equatable {
    /// A stream's identity in state messages.
    public struct StreamDescriptor: Sendable, Hashable, Comparable {
        public var name: String
        public var namespace: String?

        public init(name: String, namespace: String? = nil) {
            self.name = name
            self.namespace = namespace
        }

        public static func < (left: StreamDescriptor, right: StreamDescriptor) -> Bool {
            (left.namespace ?? "", left.name) < (right.namespace ?? "", right.name)
        }
    }

    /// Per-stream STATE messages (`{"type":"STREAM","stream":{…}}`, statistics left out).
    public private(set) var streams: [StreamDescriptor: JSONValue] = [:]
    /// The GLOBAL message, if the connector sends one.
    public private(set) var global: JSONValue?
    /// The legacy state's `data`, if the connector uses legacy state.
    public private(set) var legacy: JSONValue?

    public init() {}

    /// From a committed checkpoint (nil: the first run).
    public init(checkpoint: JSONValue?) throws(AirbyteStateError) {
        guard let checkpoint else { return }
        switch checkpoint {
        case .array(let messages):
            for (index, message) in messages.enumerated() {
                do {
                    try apply(message)
                } catch {
                    throw AirbyteStateError("checkpoint[\(index)]: \(error.message)")
                }
            }
        case .object:
            legacy = checkpoint
        case .null:
            return
        default:
            throw AirbyteStateError("the checkpoint is neither an array of state messages nor a legacy state object")
        }
    }

    /// Applies the `state` object of a STATE message.
    public mutating func apply(_ state: JSONValue) throws(AirbyteStateError) {
        switch state["type"]?.string {
        case "STREAM":
            guard let stream = state["stream"], case .object = stream,
                  let name = stream["stream_descriptor"]?["name"]?.string else {
                throw AirbyteStateError("a STREAM state without stream.stream_descriptor.name")
            }
            let descriptor = StreamDescriptor(name: name, namespace: stream["stream_descriptor"]?["namespace"]?.string)
            streams[descriptor] = ["type": "STREAM", "stream": stream]
            legacy = nil
        case "GLOBAL":
            guard let body = state["global"], case .object = body else { throw AirbyteStateError("a GLOBAL state without global") }
            global = ["type": "GLOBAL", "global": body]
            legacy = nil
        case "LEGACY", nil:
            guard let data = state["data"] else { throw AirbyteStateError("a legacy state without data") }
            legacy = data
            streams = [:]
            global = nil
        case let other?:
            throw AirbyteStateError("unknown state type \(other)")
        }
    }

    /// True before any state arrived.
    public var isEmpty: Bool { streams.isEmpty && global == nil && legacy == nil }

    /// The checkpoint (and `--state` file content): the legacy object, or the array of
    /// messages (STREAM sorted by namespace and name, then GLOBAL).
    public var checkpoint: JSONValue {
        if let legacy { return legacy }
        var messages = streams.keys.sorted().map { streams[$0]! }
        if let global { messages.append(global) }
        return .array(messages)
    }
}

public struct AirbyteStateError: Error, Sendable, CustomStringConvertible {
    public let message: String

    public init(_ message: String) { self.message = message }

    public var description: String { message }
}
