import Foundation
import Synchronization
import Testing
@testable import SluiceJournal

@Suite struct BackgroundWorkerTests {
    @Test func runsJobsInOrderAndBarriersWaitForThem() async {
        let worker = BackgroundWorker(name: "test worker")
        let order = Mutex<[Int]>([])
        for index in 0..<100 {
            worker.async {
                if index % 10 == 0 { usleep(200) }
                order.withLock { $0.append(index) }
            }
        }
        await worker.barrier()
        #expect(order.withLock { $0 } == Array(0..<100))
        worker.stop()
        worker.stop()  // twice is harmless
    }

    @Test func runsAtLoweredPriority() async {
        let worker = BackgroundWorker(name: "test nice")
        let nice = Mutex<Int32>(0)
        worker.async {
            errno = 0
            let value = getpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0)
            nice.withLock { $0 = value }
        }
        await worker.barrier()
        #expect(nice.withLock { $0 } >= BackgroundWorker.niceIncrement)
        worker.stop()
    }
}
