import Foundation
import SluiceTestSupport
import Testing

/// `sluice run --until-idle --idle-seconds`: the run waits that long for more work.
@Suite struct RunCommandTests {
    @Test func idleSecondsIsHowLongAnIdlePipelineWaitsBeforeItEnds() throws {
        let directory = TestDirectory("run-idle")
        defer { directory.remove() }
        let sluice = try BuiltProducts.executable("sluice")
        try directory.write("flow.yaml", """
            collections:
              acme/items:
                schema: {type: object, required: [id], properties: {id: {type: integer}}}
                key: [/id]
            """)
        let arguments = ["run", directory.file("flow.yaml"), "--data-dir", directory.file("data"), "--until-idle", "--quiet"]
        let started = Date()
        let waited = try ChildProcess.run(sluice, arguments + ["--idle-seconds", "1.5"])
        #expect(waited.status == 0, "\(waited.error)")
        #expect(Date().timeIntervalSince(started) >= 1.5, "the run ended before it was idle for --idle-seconds")
        let refused = try ChildProcess.run(sluice, arguments + ["--idle-seconds=-1"])
        #expect(refused.status == 1 && refused.error.contains("--idle-seconds must not be negative"), "\(refused.error)")
    }
}
