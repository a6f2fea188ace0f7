// AirbyteMessage: one line of an Airbyte connector's standard output (the Airbyte protocol,
// SEMANTICS.md §7). Connectors print one JSON object per line with a `type`: RECORD, STATE,
// LOG, TRACE, SPEC, CATALOG, CONNECTION_STATUS, CONTROL. Lines that are not JSON objects are
// tolerated (connectors print tracebacks and banners) and logged by the caller.
public import SluiceDocument

/// A parsed line of connector output.
public enum AirbyteMessage: Sendable {
    /// `{"type":"RECORD","record":{"stream","namespace"?,"data":{…},"emitted_at"}}`: `data`
    /// becomes the captured document.
    case record(stream: String, namespace: String?, data: Document)
    /// `{"type":"STATE","state":{…}}`: the `state` object (per-stream, global or legacy).
    case state(JSONValue)
    /// `{"type":"LOG","log":{"level","message"}}`.
    case log(level: String, message: String)
    /// `{"type":"TRACE","trace":{"type":"ERROR","error":{"message","internal_message"?,"failure_type"?}}}`.
    case traceError(message: String, internalMessage: String?, failureType: String?)
    /// Other traces (STREAM_STATUS, ESTIMATE, ANALYTICS): the trace's type.
    case trace(type: String)
    /// `{"type":"SPEC","spec":{…}}`.
    case spec(JSONValue)
    /// `{"type":"CATALOG","catalog":{"streams":[…]}}`.
    case catalog(JSONValue)
    /// `{"type":"CONNECTION_STATUS","connectionStatus":{"status","message"?}}`.
    case connectionStatus(succeeded: Bool, message: String?)
    /// A JSON object whose type this reader does not use (CONTROL, future types).
    case other(type: String)
    /// Not a JSON object: logged, not fatal.
    case notJSON(String)
    /// A known message type whose required fields are missing or malformed (a protocol
    /// violation: the task fails, naming the line).
    case invalid(String)
}

/// Parses connector output lines. Reuses its parser and builder across lines (one per reader
/// thread).
public struct AirbyteLineParser {
    private var parser = JSONParser()
    private var builder = DocumentBuilder()

    public init() {}

    /// Parses one line (without its newline).
    public mutating func parse(_ line: UnsafeRawBufferPointer) -> AirbyteMessage {
        let document: Document
        do {
            document = try parser.parse(line)
        } catch {
            return .notJSON(AirbyteLineParser.text(line))
        }
        guard document.kind == .object, let type = document["type"]?.string else {
            return .notJSON(AirbyteLineParser.text(line))
        }
        switch type {
        case "RECORD":
            guard let record = document["record"], record.kind == .object else { return .invalid("a RECORD without a record object") }
            guard let stream = record["stream"]?.string else { return .invalid("a RECORD without a stream name") }
            guard let data = record["data"], data.kind == .object else {
                return .invalid("RECORD of stream \(stream): data is not an object")
            }
            builder.copy(data)
            do {
                return .record(stream: stream, namespace: record["namespace"]?.string, data: try builder.finish())
            } catch {
                return .invalid("RECORD of stream \(stream): \(error)")
            }
        case "STATE":
            guard let state = document["state"], state.kind == .object else { return .invalid("a STATE without a state object") }
            return .state(state.jsonValue)
        case "LOG":
            let log = document["log"]
            return .log(level: log?["level"]?.string ?? "INFO", message: log?["message"]?.string ?? "")
        case "TRACE":
            guard let trace = document["trace"], let traceType = trace["type"]?.string else {
                return .invalid("a TRACE without a trace type")
            }
            guard traceType == "ERROR" else { return .trace(type: traceType) }
            let error = trace["error"]
            return .traceError(message: error?["message"]?.string ?? "(the connector gave no message)",
                               internalMessage: error?["internal_message"]?.string,
                               failureType: error?["failure_type"]?.string)
        case "SPEC":
            guard let spec = document["spec"], spec.kind == .object else { return .invalid("a SPEC without a spec object") }
            return .spec(spec.jsonValue)
        case "CATALOG":
            guard let catalog = document["catalog"], catalog.kind == .object else {
                return .invalid("a CATALOG without a catalog object")
            }
            return .catalog(catalog.jsonValue)
        case "CONNECTION_STATUS":
            guard let status = document["connectionStatus"]?["status"]?.string else {
                return .invalid("a CONNECTION_STATUS without a status")
            }
            return .connectionStatus(succeeded: status == "SUCCEEDED", message: document["connectionStatus"]?["message"]?.string)
        default:
            return .other(type: type)
        }
    }

    /// A line as text for logs: invalid UTF-8 repaired, at most `logLineCharactersMax`.
    static func text(_ line: UnsafeRawBufferPointer) -> String {
        let text = String(decoding: line, as: UTF8.self)
        return text.count > logLineCharactersMax ? String(text.prefix(logLineCharactersMax)) + "…" : text
    }

    /// Longest excerpt of a non-JSON line in a log (characters): enough for a traceback line,
    /// not a flood when a connector prints megabytes.
    static let logLineCharactersMax = 2_000
}

/// A line parser owned by one reader thread, handed to that thread's `@Sendable` callback.
final class AirbyteLineParserThreadBox: @unchecked Sendable {
    // Safety: only the stdout reader thread of one process calls `parse`, one line at a time.
    private var parser = AirbyteLineParser()

    func parse(_ line: UnsafeRawBufferPointer) -> AirbyteMessage { parser.parse(line) }
}
