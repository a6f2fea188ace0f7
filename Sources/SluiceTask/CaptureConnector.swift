public import SluiceCatalog
public import SluiceCollection
public import SluiceDocument

/// One binding of a capture: where its documents go.
public struct CaptureBindingSpec: Sendable {
    /// Position in the capture's `bindings`.
    public let index: Int
    public let resource: CaptureResource
    /// The target collection (connectors that answer per request, like HTTP ingest, validate
    /// against its write schema themselves, so one bad request fails alone).
    public let collection: CollectionSpec
    public let backfill: Int

    public init(index: Int, resource: CaptureResource, collection: CollectionSpec, backfill: Int) {
        self.index = index
        self.resource = resource
        self.collection = collection
        self.backfill = backfill
    }
}

/// What a capture session yields.
public enum CaptureEvent: Sendable {
    /// Documents for a binding, in order.
    case documents(binding: Int, [Document])
    /// The connector's state through everything yielded so far: committing it with those
    /// documents makes the capture resume after them.
    case checkpoint(JSONValue)
    /// Nothing to capture right now; the runtime may commit what it has and ask again.
    case idle
    /// The source has nothing more, ever (a finished file, an exited Airbyte `read`).
    case exhausted
}

/// A running capture. Not shared between tasks.
public protocol CaptureSession: AnyObject {
    /// The next event; waits at most until `deadline` (Unix nanoseconds on the engine clock)
    /// and answers `.idle` then.
    func next(deadlineNanoseconds: UInt64) async throws -> CaptureEvent
    /// The checkpoint `state` and every document before it are durable and acknowledged: an
    /// HTTP request can be answered, a replication slot confirmed.
    func committed(state: JSONValue) async
    /// The transaction being gathered was abandoned (a failure before its commit): documents
    /// since the last committed checkpoint will be produced again after a restart.
    func abandoned(error: any Error) async
    func close() async
    /// False while the source still holds work it has not yielded (an Airbyte `read` still
    /// running, a CDC stream behind the server's WAL): `.idle` then only means "nothing right
    /// now", and `--until-idle` keeps waiting. True by default.
    var isCaughtUp: Bool { get }
}

extension CaptureSession {
    public func abandoned(error: any Error) async {}
    public var isCaughtUp: Bool { true }
}

/// A capture connector: opens sessions from the last committed state.
public protocol CaptureConnector: Sendable {
    func open(endpoint: CaptureEndpoint, bindings: [CaptureBindingSpec], state: JSONValue?,
              context: TaskContext) async throws -> any CaptureSession
}
