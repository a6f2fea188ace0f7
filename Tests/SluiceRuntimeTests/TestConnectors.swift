import Foundation
import Synchronization
import SluiceCatalog
import SluiceCollection
import SluiceDocument
import SluiceRuntime
import SluiceSQLite
import SluiceTask

/// A capture of fixed documents, `batch` at a time, each batch followed by a checkpoint
/// `{"position": n}`. Fails once (after `failAfterCheckpoints` checkpoints) when asked, to test
/// recovery: documents since the last committed checkpoint must come again, once.
final class ArrayCapture: CaptureConnector, @unchecked Sendable {
    // Safety: `failuresLeft` is only touched under `lock`.
    let documents: [String]
    let batch: Int
    private let lock = NSLock()
    private var failuresLeft: Int
    let failAfterCheckpoints: Int
    let opens = Atomic<Int>(0)

    init(documents: [String], batch: Int, failures: Int = 0, failAfterCheckpoints: Int = 2) {
        self.documents = documents
        self.batch = batch
        self.failuresLeft = failures
        self.failAfterCheckpoints = failAfterCheckpoints
    }

    func open(endpoint: CaptureEndpoint, bindings: [CaptureBindingSpec], state: JSONValue?, context: TaskContext) async throws
        -> any CaptureSession
    {
        opens.add(1, ordering: .relaxed)
        var position = 0
        if case .object(let object)? = state, case .int(let value)? = object["position"] { position = Int(value) }
        let fail = lock.withLock { () -> Bool in
            guard failuresLeft > 0 else { return false }
            failuresLeft -= 1
            return true
        }
        return Session(owner: self, position: position, failAfter: fail ? failAfterCheckpoints : nil)
    }

    final class Session: CaptureSession {
        let owner: ArrayCapture
        var position: Int
        var emittedUpTo: Int
        var checkpointPending = false
        var checkpoints = 0
        let failAfter: Int?

        init(owner: ArrayCapture, position: Int, failAfter: Int?) {
            self.owner = owner
            self.position = position
            self.emittedUpTo = position
            self.failAfter = failAfter
        }

        func next(deadlineNanoseconds: UInt64) async throws -> CaptureEvent {
            if checkpointPending {
                checkpointPending = false
                checkpoints += 1
                if let failAfter, checkpoints > failAfter { throw TaskError.connector(task: "test", message: "injected failure") }
                return .checkpoint(["position": .int(Int64(emittedUpTo))])
            }
            guard emittedUpTo < owner.documents.count else { return .exhausted }
            let end = min(emittedUpTo + owner.batch, owner.documents.count)
            let batch = try owner.documents[emittedUpTo..<end].map { try Document(parsing: $0) }
            emittedUpTo = end
            checkpointPending = true
            return .documents(binding: 0, batch)
        }

        func committed(state: JSONValue) async {}
        func close() async {}
    }
}

/// A derivation whose transforms are Swift closures.
final class ClosureDerivation: DerivationConnector {
    let body: (Int, Document) throws -> [JSONValue]
    /// Fails the `failOnApply`-th apply once (counting across task starts), to test recovery.
    let failures: FailureCounter?

    init(failures: FailureCounter? = nil, _ body: @escaping (Int, Document) throws -> [JSONValue]) {
        self.body = body
        self.failures = failures
    }

    func open(database: SQLiteDatabase, derivation: CollectionSpec, transforms: [TransformSpec], context: TaskContext) throws {}

    func apply(transform: Int, document: Document, publish: (Document) throws -> Void) throws {
        if let failures, failures.shouldFail() { throw TaskError.connector(task: "test", message: "injected derivation failure") }
        for output in try body(transform, document) { try publish(try Document(output)) }
    }
}

/// Counts calls and says when to fail: once, at call `at`.
final class FailureCounter: Sendable {
    private let calls = Atomic<Int>(0)
    let at: Int

    init(at: Int) { self.at = at }

    func shouldFail() -> Bool { calls.add(1, ordering: .relaxed).newValue == at }
}

/// An in-memory target with SEMANTICS.md §6's fence: data and checkpoint change together.
final class MemoryTarget: MaterializationConnector, @unchecked Sendable {
    // Safety: all state under `lock`.
    private let lock = NSLock()
    private var rows: [Int: [[UInt8]: Document]] = [:]
    private var savedCheckpoint: [UInt8]?
    private var fence = 0
    /// Fails the `failAt`-th store once, before storing anything.
    private var storeCalls = 0
    let failAt: Int?

    init(failAt: Int? = nil) { self.failAt = failAt }

    func open(endpoint: MaterializationEndpoint, bindings: [MaterializationBindingSpec], context: TaskContext) async throws
        -> any MaterializationSession
    {
        let (myFence, checkpoint) = lock.withLock { () -> (Int, [UInt8]?) in
            fence += 1
            return (fence, savedCheckpoint)
        }
        return Session(target: self, fence: myFence, checkpoint: checkpoint)
    }

    /// The stored documents of a binding, in key order, as JSON text.
    func contents(binding: Int = 0) -> [String] {
        lock.withLock {
            (rows[binding] ?? [:]).sorted { $0.key.lexicographicallyPrecedes($1.key) }.map { $0.value.jsonValue.description }
        }
    }

    final class Session: MaterializationSession {
        let target: MemoryTarget
        let fence: Int
        let checkpoint: [UInt8]?

        init(target: MemoryTarget, fence: Int, checkpoint: [UInt8]?) {
            self.target = target
            self.fence = fence
            self.checkpoint = checkpoint
        }

        func load(binding: Int, keys: [LoadKey]) async throws -> [Document] {
            target.lock.withLock { keys.compactMap { target.rows[binding]?[$0.packed] } }
        }

        func store(_ entries: [Int: [StoreEntry]], checkpoint: [UInt8]) async throws {
            try target.lock.withLock {
                target.storeCalls += 1
                if target.storeCalls == target.failAt { throw TaskError.connector(task: "test", message: "injected store failure") }
                guard target.fence == fence else { throw TaskError.fencedOff(task: "test", detail: "fence \(target.fence) > \(fence)") }
                for (binding, list) in entries {
                    for entry in list {
                        if entry.isDeleted {
                            target.rows[binding]?[entry.key.packed] = nil
                        } else {
                            target.rows[binding, default: [:]][entry.key.packed] = entry.document
                        }
                    }
                }
                target.savedCheckpoint = checkpoint
            }
        }

        func close() async {}
    }
}
