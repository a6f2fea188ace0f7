// AirbyteOutputQueue: the hand-off from a connector's reader thread to the capture session.
// The thread blocks when the queue is full (backpressure reaches the connector through its
// stdout pipe); the session awaits items without blocking a thread of the cooperative pool.
import Foundation

/// A bounded queue with a blocking producer (a thread) and an async consumer.
final class AirbyteOutputQueue<Element: Sendable>: @unchecked Sendable {
    // Safety: every stored property is read and written under `condition`'s lock.
    private let condition = NSCondition()
    private var items: [Element] = []
    private var head = 0
    private var closed = false
    /// The consumer waiting for an item, and the number of its wait (so a late timeout cannot
    /// resume a later wait).
    private var waiter: (id: UInt64, continuation: CheckedContinuation<Void, Never>)?
    private var waits: UInt64 = 0
    let capacity: Int

    /// `capacity` items at most are queued; the producer waits beyond that.
    init(capacity: Int) {
        precondition(capacity >= 1)
        self.capacity = capacity
    }

    /// Adds an item, waiting while the queue is full. Returns false (dropping the item) once the
    /// queue is closed.
    @discardableResult
    func put(_ element: Element) -> Bool {
        condition.lock()
        while items.count - head >= capacity && !closed { condition.wait() }
        guard !closed else {
            condition.unlock()
            return false
        }
        items.append(element)
        let resumed = waiter
        waiter = nil
        condition.unlock()
        resumed?.continuation.resume()
        return true
    }

    /// Every queued item, at most `max`, without waiting.
    func takeAvailable(max: Int) -> [Element] {
        condition.lock()
        defer { condition.unlock() }
        let count = min(max, items.count - head)
        guard count > 0 else { return [] }
        let taken = Array(items[head..<(head + count)])
        head += count
        if head == items.count {
            items.removeAll(keepingCapacity: true)
            head = 0
        } else if head >= 4_096 {
            items.removeFirst(head)
            head = 0
        }
        condition.broadcast()
        return taken
    }

    /// Waits until an item is queued (true) or `deadline` passes (false); true at once if the
    /// queue holds items or is closed.
    func wait(until deadline: ContinuousClock.Instant) async -> Bool {
        while true {
            let id: UInt64? = {
                condition.lock()
                defer { condition.unlock() }
                if items.count > head || closed { return nil }
                waits += 1
                return waits
            }()
            guard let id else { return true }
            if ContinuousClock.now >= deadline { return false }
            let timeout = Task {
                try? await Task.sleep(until: deadline, clock: .continuous)
                self.resumeWaiter(id)
            }
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                condition.lock()
                if items.count > head || closed || ContinuousClock.now >= deadline {
                    condition.unlock()
                    continuation.resume()
                    return
                }
                waiter = (id, continuation)
                condition.unlock()
            }
            timeout.cancel()
            if !hasItems && ContinuousClock.now >= deadline { return false }
        }
    }

    private var hasItems: Bool {
        condition.lock()
        defer { condition.unlock() }
        return items.count > head || closed
    }

    private func resumeWaiter(_ id: UInt64) {
        condition.lock()
        guard let current = waiter, current.id == id else {
            condition.unlock()
            return
        }
        waiter = nil
        condition.unlock()
        current.continuation.resume()
    }

    /// Drops what is queued, wakes a waiting producer (its item is dropped) and the consumer.
    func close() {
        condition.lock()
        closed = true
        items.removeAll()
        head = 0
        let resumed = waiter
        waiter = nil
        condition.broadcast()
        condition.unlock()
        resumed?.continuation.resume()
    }
}
