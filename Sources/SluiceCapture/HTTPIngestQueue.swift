import Foundation
import SluiceDocument
import SluiceHTTP
import SluiceTask
import Synchronization

/// What became of a request's documents.
enum IngestOutcome: Sendable, Equatable {
    /// Durably committed (or, `duplicate`, committed earlier under the same webhook id).
    case committed(count: Int, duplicate: Bool)
    /// Not committed: the transaction failed or the capture is stopping; the client retries.
    case unavailable(String)
    /// Not queued: `queuedBytesMax` of requests already wait; the client retries later.
    case busy
}

/// The requests of an http-ingest capture between the HTTP handlers (many, concurrent) and the
/// capture session (one, driven by the runtime): a queue of validated requests, the ones in
/// the transaction being gathered, the ones committing, and the webhook ids remembered in the
/// checkpoint. Every field is guarded by one mutex.
final class IngestQueue: Sendable {
    struct Request: Sendable {
        let binding: Int
        let documents: [Document]
        let bytes: Int
        let webhookId: String
        /// True when the id came from the client (`idFromHeader`): remembered, so a retry of a
        /// committed request is answered without capturing it again.
        let remember: Bool
        var responders: [CheckedContinuation<IngestOutcome, Never>]
    }

    private struct State {
        var queue: [Request] = []
        var queueHead = 0
        var queuedBytes = 0
        var inTransaction: [Request] = []
        var transactionDocuments = 0
        var checkpointDue = false
        var committing: [Request] = []
        /// Webhook ids committed, oldest first, and the same as a set.
        var remembered: [String] = []
        var rememberedSet = Set<String>()
        /// What `remembered` becomes when the committing transaction commits.
        var rememberedAfterCommit: [String]?
        /// Ids of requests queued, in the transaction, or committing: a retry joins them.
        var inFlight: [String: Int] = [:]
        var closed = false
        var waiter: (token: UInt64, continuation: CheckedContinuation<Bool, Never>)?
        var nextToken: UInt64 = 0
    }

    private let state: Mutex<State>
    let queuedBytesMax: Int
    let transactionDocumentsMax: Int
    let rememberedIdsMax: Int

    init(remembered: [String], queuedBytesMax: Int, transactionDocumentsMax: Int, rememberedIdsMax: Int) {
        var initial = State()
        initial.remembered = Array(remembered.suffix(rememberedIdsMax))
        initial.rememberedSet = Set(initial.remembered)
        state = Mutex(initial)
        self.queuedBytesMax = queuedBytesMax
        self.transactionDocumentsMax = transactionDocumentsMax
        self.rememberedIdsMax = rememberedIdsMax
    }

    // MARK: - The handlers' side

    /// Queues a validated request and waits for its outcome.
    func submit(binding: Int, documents: [Document], bytes: Int, webhookId: String, remember: Bool) async -> IngestOutcome {
        await withCheckedContinuation { responder in
            enqueue(binding: binding, documents: documents, bytes: bytes, webhookId: webhookId, remember: remember, responder: responder)
        }
    }

    private func enqueue(binding: Int, documents: [Document], bytes: Int, webhookId: String, remember: Bool,
                         responder: CheckedContinuation<IngestOutcome, Never>) {
        var wake: CheckedContinuation<Bool, Never>?
        state.withLock { state in
            if state.closed {
                responder.resume(returning: .unavailable("the capture is stopping; retry"))
                return
            }
            if remember && state.rememberedSet.contains(webhookId) {
                responder.resume(returning: .committed(count: documents.count, duplicate: true))
                return
            }
            if remember, state.inFlight[webhookId] != nil {
                // A retry of a request still in flight: answered with it.
                if let index = state.queue[state.queueHead...].firstIndex(where: { $0.remember && $0.webhookId == webhookId }) {
                    state.queue[index].responders.append(responder)
                    return
                }
                if let index = state.inTransaction.firstIndex(where: { $0.remember && $0.webhookId == webhookId }) {
                    state.inTransaction[index].responders.append(responder)
                    return
                }
                if let index = state.committing.firstIndex(where: { $0.remember && $0.webhookId == webhookId }) {
                    state.committing[index].responders.append(responder)
                    return
                }
            }
            if state.queuedBytes + bytes > queuedBytesMax && state.queueHead < state.queue.count {
                responder.resume(returning: .busy)
                return
            }
            if remember { state.inFlight[webhookId, default: 0] += 1 }
            state.queue.append(Request(binding: binding, documents: documents, bytes: bytes, webhookId: webhookId, remember: remember,
                                       responders: [responder]))
            state.queuedBytes += bytes
            wake = state.waiter?.continuation
            state.waiter = nil
        }
        wake?.resume(returning: true)
    }

    // MARK: - The session's side

    enum Next {
        case documents(binding: Int, [Document])
        case checkpoint(remembered: [String])
        case nothing
    }

    /// The next request's documents, or the checkpoint that ends the transaction (when the
    /// queue ran dry, the transaction is large enough, or `deadlinePassed`), or nothing.
    func next(deadlinePassed: Bool) -> Next {
        state.withLock { state in
            if state.checkpointDue || (deadlinePassed && !state.inTransaction.isEmpty) {
                state.checkpointDue = false
                state.transactionDocuments = 0
                var remembered = state.remembered
                for request in state.inTransaction where request.remember { remembered.append(request.webhookId) }
                if remembered.count > rememberedIdsMax { remembered.removeFirst(remembered.count - rememberedIdsMax) }
                state.rememberedAfterCommit = remembered
                state.committing = state.inTransaction
                state.inTransaction = []
                return .checkpoint(remembered: remembered)
            }
            guard state.queueHead < state.queue.count else { return .nothing }
            let request = state.queue[state.queueHead]
            state.queueHead += 1
            state.queuedBytes -= request.bytes
            if state.queueHead == state.queue.count {
                state.queue.removeAll(keepingCapacity: true)
                state.queueHead = 0
            }
            state.inTransaction.append(request)
            state.transactionDocuments += request.documents.count
            if state.queue.isEmpty || state.transactionDocuments >= transactionDocumentsMax { state.checkpointDue = true }
            return .documents(binding: request.binding, request.documents)
        }
    }

    /// Waits until a request is queued (true) or `nanoseconds` pass (false).
    func waitForRequest(nanoseconds: UInt64) async -> Bool {
        let token: UInt64? = state.withLock { state in
            guard state.queueHead == state.queue.count, !state.closed else { return nil }
            state.nextToken += 1
            return state.nextToken
        }
        guard let token else { return true }
        return await withCheckedContinuation { continuation in
            let ready = state.withLock { state -> Bool in
                if state.queueHead < state.queue.count || state.closed { return true }
                state.waiter = (token, continuation)
                return false
            }
            if ready {
                continuation.resume(returning: true)
                return
            }
            Task {
                try? await Task.sleep(nanoseconds: nanoseconds)
                let expired = self.state.withLock { state -> CheckedContinuation<Bool, Never>? in
                    guard let waiter = state.waiter, waiter.token == token else { return nil }
                    state.waiter = nil
                    return waiter.continuation
                }
                expired?.resume(returning: false)
            }
        }
    }

    /// The committing transaction is durable: its requests are answered 200.
    func committed() {
        let answered = state.withLock { state -> [Request] in
            if let remembered = state.rememberedAfterCommit {
                state.remembered = remembered
                state.rememberedSet = Set(remembered)
                state.rememberedAfterCommit = nil
            }
            let answered = state.committing
            state.committing = []
            for request in answered where request.remember { Self.leave(&state, request.webhookId) }
            return answered
        }
        for request in answered {
            for responder in request.responders { responder.resume(returning: .committed(count: request.documents.count, duplicate: false)) }
        }
    }

    /// The transaction failed: its requests (gathered or committing) are answered 503.
    func abandoned(_ reason: String) {
        let failed = state.withLock { state -> [Request] in
            let failed = state.inTransaction + state.committing
            state.inTransaction = []
            state.committing = []
            state.checkpointDue = false
            state.transactionDocuments = 0
            state.rememberedAfterCommit = nil
            for request in failed where request.remember { Self.leave(&state, request.webhookId) }
            return failed
        }
        for request in failed {
            for responder in request.responders { responder.resume(returning: .unavailable("not committed (\(reason)); retry")) }
        }
    }

    /// Stopping: every request still waiting is answered 503, and later ones too.
    func close() {
        let (failed, waiter) = state.withLock { state -> ([Request], CheckedContinuation<Bool, Never>?) in
            state.closed = true
            let failed = Array(state.queue[state.queueHead...]) + state.inTransaction + state.committing
            state.queue = []
            state.queueHead = 0
            state.inTransaction = []
            state.committing = []
            state.inFlight = [:]
            let waiter = state.waiter?.continuation
            state.waiter = nil
            return (failed, waiter)
        }
        for request in failed {
            for responder in request.responders { responder.resume(returning: .unavailable("the capture is stopping; retry")) }
        }
        waiter?.resume(returning: true)
    }

    private static func leave(_ state: inout State, _ webhookId: String) {
        if let count = state.inFlight[webhookId], count > 1 {
            state.inFlight[webhookId] = count - 1
        } else {
            state.inFlight[webhookId] = nil
        }
    }
}
