import Foundation
import Testing
@testable import SluiceCapture
import SluiceDocument

@Suite struct AirbyteMessageTests {
    func parse(_ line: String) -> AirbyteMessage {
        var parser = AirbyteLineParser()
        return Array(line.utf8).withUnsafeBytes { parser.parse($0) }
    }

    @Test func recordsBecomeTheirDataDocument() throws {
        let message = parse(#"{"type":"RECORD","record":{"stream":"users","namespace":"crm","data":{"id":7,"b":[1,{"c":null}],"a":"é"},"emitted_at":1}}"#)
        guard case .record(let stream, let namespace, let data) = message else {
            Issue.record("not a record: \(message)")
            return
        }
        #expect(stream == "users")
        #expect(namespace == "crm")
        #expect(data.description == #"{"a":"é","b":[1,{"c":null}],"id":7}"#)
        guard case .record(_, nil, _) = parse(#"{"type":"RECORD","record":{"stream":"s","data":{}}}"#) else {
            Issue.record("a record without namespace")
            return
        }
    }

    @Test func everyMessageTypeParses() {
        guard case .state(let state) = parse(#"{"type":"STATE","state":{"type":"STREAM","stream":{"stream_descriptor":{"name":"a"}}}}"#) else {
            Issue.record("state")
            return
        }
        #expect(state["type"] == "STREAM")
        guard case .log("WARN", "careful") = parse(#"{"type":"LOG","log":{"level":"WARN","message":"careful"}}"#) else {
            Issue.record("log")
            return
        }
        guard case .traceError("bad", "detail", "config_error") = parse(
            #"{"type":"TRACE","trace":{"type":"ERROR","emitted_at":1,"error":{"message":"bad","internal_message":"detail","failure_type":"config_error"}}}"#)
        else {
            Issue.record("trace error")
            return
        }
        guard case .trace("ESTIMATE") = parse(#"{"type":"TRACE","trace":{"type":"ESTIMATE","estimate":{}}}"#) else {
            Issue.record("trace")
            return
        }
        guard case .connectionStatus(false, "nope") = parse(#"{"type":"CONNECTION_STATUS","connectionStatus":{"status":"FAILED","message":"nope"}}"#)
        else {
            Issue.record("connection status")
            return
        }
        guard case .other("CONTROL") = parse(#"{"type":"CONTROL","control":{}}"#) else {
            Issue.record("control")
            return
        }
        guard case .spec = parse(#"{"type":"SPEC","spec":{"connectionSpecification":{}}}"#),
              case .catalog = parse(#"{"type":"CATALOG","catalog":{"streams":[]}}"#) else {
            Issue.record("spec or catalog")
            return
        }
    }

    @Test func nonJSONAndMalformedLinesAreTellable() {
        guard case .notJSON("Traceback (most recent call last):") = parse("Traceback (most recent call last):") else {
            Issue.record("text")
            return
        }
        guard case .notJSON = parse(#"[1,2]"#), case .notJSON = parse(#"{"no":"type"}"#), case .notJSON = parse(#"{"type":1}"#) else {
            Issue.record("JSON without a type")
            return
        }
        guard case .invalid("RECORD of stream s: data is not an object") = parse(#"{"type":"RECORD","record":{"stream":"s","data":[1]}}"#),
              case .invalid("a RECORD without a stream name") = parse(#"{"type":"RECORD","record":{"data":{}}}"#),
              case .invalid("a STATE without a state object") = parse(#"{"type":"STATE"}"#) else {
            Issue.record("malformed messages")
            return
        }
        // Long non-JSON lines are cut for the log.
        guard case .notJSON(let text) = parse(String(repeating: "x", count: 5_000)) else { return }
        #expect(text.count == AirbyteLineParser.logLineCharactersMax + 1)
    }
}

@Suite struct AirbyteStateTests {
    func stream(_ name: String, _ offset: Int64, namespace: String? = nil) -> JSONValue {
        var descriptor: JSONObject = ["name": .string(name)]
        if let namespace { descriptor["namespace"] = .string(namespace) }
        return ["type": "STREAM", "stream": ["stream_descriptor": .object(descriptor), "stream_state": ["offset": .int(offset)]],
                "sourceStats": ["recordCount": 3.0]]
    }

    @Test func perStreamStatesMergeSortedWithoutStatistics() throws {
        var state = AirbyteState()
        #expect(state.isEmpty)
        try state.apply(stream("users", 1))
        try state.apply(stream("b", 5, namespace: "z"))
        try state.apply(stream("accounts", 2))
        try state.apply(stream("users", 9))
        #expect(state.checkpoint.description == #"[{"stream":{"stream_descriptor":{"name":"accounts"},"stream_state":{"offset":2}},"type":"STREAM"},"#
                + #"{"stream":{"stream_descriptor":{"name":"users"},"stream_state":{"offset":9}},"type":"STREAM"},"#
                + #"{"stream":{"stream_descriptor":{"name":"b","namespace":"z"},"stream_state":{"offset":5}},"type":"STREAM"}]"#)
        #expect(try AirbyteState(checkpoint: state.checkpoint) == state)
    }

    @Test func globalAndLegacyStates() throws {
        var state = AirbyteState()
        try state.apply(["type": "GLOBAL", "global": ["shared_state": ["lsn": 5], "stream_states": []]])
        try state.apply(stream("a", 1))
        try state.apply(["type": "GLOBAL", "global": ["shared_state": ["lsn": 6], "stream_states": []]])
        #expect(state.checkpoint.array?.count == 2)
        #expect(state.checkpoint[1]?["global"]?["shared_state"]?["lsn"] == 6)
        #expect(try AirbyteState(checkpoint: state.checkpoint) == state)

        var legacy = AirbyteState()
        try legacy.apply(["data": ["cursor": "2024"]])
        try legacy.apply(["type": "LEGACY", "data": ["cursor": "2025"]])
        #expect(legacy.checkpoint == ["cursor": "2025"])
        #expect(try AirbyteState(checkpoint: ["cursor": "2025"]) == legacy)
        // Moving to per-stream state drops the legacy one.
        try legacy.apply(stream("a", 1))
        #expect(legacy.legacy == nil)
        #expect(legacy.checkpoint.array?.count == 1)
    }

    @Test func malformedStatesSayWhat() {
        var state = AirbyteState()
        #expect(throws: AirbyteStateError.self) { try state.apply(["type": "STREAM", "stream": ["stream_state": 1]]) }
        #expect(throws: AirbyteStateError.self) { try state.apply(["type": "SOMETHING"]) }
        do {
            _ = try AirbyteState(checkpoint: [["type": "GLOBAL"]])
            Issue.record("accepted a GLOBAL without global")
        } catch {
            #expect(error.description == "checkpoint[0]: a GLOBAL state without global")
        }
        #expect(throws: AirbyteStateError.self) { _ = try AirbyteState(checkpoint: "text") }
    }
}

@Suite struct AirbyteOutputQueueTests {
    @Test func theProducerWaitsWhenFullAndTheConsumerWaitsUntilADeadline() async throws {
        let queue = AirbyteOutputQueue<Int>(capacity: 4)
        // Nothing queued: a wait ends at its deadline.
        let started = ContinuousClock.now
        #expect(await queue.wait(until: .now + .milliseconds(50)) == false)
        #expect(ContinuousClock.now - started >= .milliseconds(50))

        // A producer thread putting 100 items: at most `capacity` are ever queued.
        let producer = Thread { for value in 0..<100 { queue.put(value) } }
        producer.start()
        var received: [Int] = []
        while received.count < 100 {
            if await queue.wait(until: .now + .seconds(10)) {
                let taken = queue.takeAvailable(max: 1_000)
                #expect(taken.count <= 4)
                received += taken
            }
        }
        #expect(received == Array(0..<100))

        // A put wakes a waiting consumer before its deadline.
        let waiting = Task { await queue.wait(until: .now + .seconds(30)) }
        try await Task.sleep(nanoseconds: 20_000_000)
        queue.put(7)
        #expect(await waiting.value == true)
        #expect(queue.takeAvailable(max: 10) == [7])

        // Closing drops what is queued and refuses more.
        queue.put(8)
        queue.close()
        #expect(queue.takeAvailable(max: 10).isEmpty)
        #expect(queue.put(9) == false)
        #expect(await queue.wait(until: .now + .seconds(30)) == true)
    }
}
