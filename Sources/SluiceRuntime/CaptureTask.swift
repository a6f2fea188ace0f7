import Foundation
import Logging
import SluiceCatalog
import SluiceCollection
import SluiceDocument
import SluiceMessage
import SluiceTask

/// Runs one capture (docs/runtime.md, "Tasks"): documents from the connector are combined and
/// published; a transaction commits at a connector checkpoint, storing the connector's state
/// and the ACK intents in the state store, then appends the ACKs and tells the connector.
final class CaptureTask {
    let definition: CaptureDefinition
    let bindings: [CaptureBindingSpec]
    let connector: any CaptureConnector
    let context: TaskContext
    let store: StateStore
    let bounds: TransactionBounds
    let status: TaskStatus
    let stopRequested: @Sendable () -> Bool

    init(definition: CaptureDefinition, bindings: [CaptureBindingSpec], connector: any CaptureConnector, context: TaskContext,
         store: StateStore, bounds: TransactionBounds, status: TaskStatus, stopRequested: @escaping @Sendable () -> Bool) {
        self.definition = definition
        self.bindings = bindings
        self.connector = connector
        self.context = context
        self.store = store
        self.bounds = bounds
        self.status = status
        self.stopRequested = stopRequested
    }

    /// Recovers, then runs transactions until the source is exhausted or a stop is requested.
    func run() async throws {
        let name = definition.name
        // Recovery: the last committed checkpoint's ACKs go out again, before anything else.
        let recovered = try store.captureCheckpoint(name)
        try await TransactionPublisher.acknowledge(recovered.ackIntents, registry: context.registry)
        let publisher = TransactionPublisher(registry: context.registry, combinerBudgetBytes: bounds.combinerBudgetBytes,
                                             wallClockNanoseconds: context.wallClockNanoseconds)
        let session = try await connector.open(endpoint: definition.endpoint, bindings: bindings, state: recovered.state,
                                               context: context)
        context.logger.info("capture started", metadata: ["task": "\(name)", "producer": "\(publisher.producer)"])
        var exhausted = false
        do {
            while !exhausted && !stopRequested() {
                let started = context.wallClockNanoseconds()
                let maxEnd = started + UInt64(bounds.maxDurationSeconds * 1e9)
                let minEnd = started + UInt64(bounds.minDurationSeconds * 1e9)
                var pendingState: JSONValue?
                var documents = 0
                gathering: while true {
                    let event = try await session.next(deadlineNanoseconds: maxEnd)
                    switch event {
                    case .documents(let binding, let batch):
                        guard bindings.indices.contains(binding) else {
                            throw TaskError.connector(task: name, message: "the connector named binding \(binding), which does not exist")
                        }
                        let collection = bindings[binding].collection  // one copy per batch, not per document
                        for document in batch {
                            do {
                                try publisher.add(document, to: collection)
                            } catch let error as CollectionError where error.isDataError {
                                // The same document fails the same way on a retry: not retried.
                                throw TaskError.configuration(task: name, message: "binding \(binding): \(error)")
                            } catch {
                                throw TaskError.connector(task: name, message: "binding \(binding): \(error)")
                            }
                        }
                        documents += batch.count
                    case .checkpoint(let state):
                        pendingState = state
                        if context.wallClockNanoseconds() >= minEnd { break gathering }
                    case .idle:
                        if pendingState != nil || stopRequested() { break gathering }
                        if documents == 0 && session.isCaughtUp { status.update { $0.caughtUp = true } }
                    case .exhausted:
                        exhausted = true
                        break gathering
                    }
                }
                guard let state = pendingState else {
                    if documents > 0 && exhausted {
                        throw TaskError.connector(task: name, message: "the connector ended without a checkpoint for its last \(documents) documents")
                    }
                    if documents > 0 { publisher.abandon() }  // no commit point: produced again after a restart
                    continue
                }
                let intents = try await publisher.publish()
                try store.saveCaptureCheckpoint(name, CaptureCheckpoint(state: state, ackIntents: intents))
                try await TransactionPublisher.acknowledge(intents, registry: context.registry)
                await session.committed(state: state)
                status.committed(read: documents, written: documents, bytes: 0,
                                 seconds: Double(context.wallClockNanoseconds() - started) / 1e9)
            }
        } catch {
            publisher.abandon()
            await session.abandoned(error: error)
            await session.close()
            throw error
        }
        await session.close()
        if exhausted {
            status.update {
                $0.exhausted = true
                $0.caughtUp = true
            }
            context.logger.info("capture exhausted its source", metadata: ["task": "\(name)"])
        }
    }
}
