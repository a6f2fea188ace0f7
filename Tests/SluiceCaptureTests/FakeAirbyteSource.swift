import Foundation
import SluiceTestSupport

/// A scripted Airbyte source for tests (Python 3, written into a test folder): it speaks the
/// protocol like a real connector, honours its state (each stream resumes after its offset), and
/// can misbehave on request. Config:
///
/// - `streams`: `{name: recordCount}`; records are `{"id": i, "stream": name, "n": 1, "pad": …}`.
/// - `statesEvery`: a per-stream STATE `{"offset": next}` every this many records (and at the end).
/// - `legacyState`: send legacy states (`{"data": {stream: offset, …}}`) instead.
/// - `noise`: print non-JSON lines, LOGs and TRACE status messages between records.
/// - `failAfter` + `failMarker`: once (while the marker file does not exist; it is created),
///   after that many records of this run, print a TRACE error and exit 1.
/// - `exitStatus` + `stderr`: after everything, print `stderr` on standard error and exit with
///   `exitStatus` (no TRACE).
/// - `sleepSeconds`: a pause before every record (for tests that stop a slow source).
/// - `pidFile`: `read` writes its process id there at start.
enum FakeAirbyteSource {
    static let script = #"""
import json, os, sys, time

def emit(message):
    sys.stdout.write(json.dumps(message) + "\n")

def arg(name):
    args = sys.argv[1:]
    return args[args.index(name) + 1] if name in args else None

command = sys.argv[1]
if command == "spec":
    emit({"type": "LOG", "log": {"level": "INFO", "message": "spec asked"}})
    emit({"type": "SPEC", "spec": {"connectionSpecification": {"type": "object", "properties": {"streams": {"type": "object"}}}}})
    sys.exit(0)
config = json.load(open(arg("--config")))
streams = config.get("streams", {})
if command == "check":
    if streams:
        emit({"type": "CONNECTION_STATUS", "connectionStatus": {"status": "SUCCEEDED"}})
    else:
        emit({"type": "CONNECTION_STATUS", "connectionStatus": {"status": "FAILED", "message": "no streams configured"}})
    sys.exit(0)
if command == "discover":
    print("discovering (not JSON)")
    catalog = {"streams": []}
    for name in sorted(streams):
        catalog["streams"].append({
            "name": name,
            "json_schema": {"$schema": "http://json-schema.org/draft-07/schema#", "type": "object",
                            "properties": {"id": {"type": "integer"}, "stream": {"type": "string"},
                                           "n": {"type": ["null", "integer"]}, "pad": {"type": "string"}}},
            "supported_sync_modes": ["full_refresh", "incremental"],
            "source_defined_cursor": True, "default_cursor_field": ["id"],
            "source_defined_primary_key": [["id"]]})
    catalog["streams"].append({"name": "keyless", "json_schema": {"type": "object", "properties": {"x": {"type": "string"}}},
                               "supported_sync_modes": ["full_refresh"]})
    emit({"type": "CATALOG", "catalog": catalog})
    sys.exit(0)
assert command == "read", command
if config.get("pidFile"):
    open(config["pidFile"], "w").write(str(os.getpid()))
catalog = json.load(open(arg("--catalog")))
state_path = arg("--state")
offsets = {}
if state_path:
    state = json.load(open(state_path))
    if isinstance(state, list):
        for message in state:
            descriptor = message["stream"]["stream_descriptor"]
            offsets[descriptor["name"]] = message["stream"]["stream_state"]["offset"]
    else:
        offsets = dict(state)
    emit({"type": "LOG", "log": {"level": "INFO", "message": "resuming from " + json.dumps(offsets, sort_keys=True)}})
every = config.get("statesEvery", 10)
fail_after = config.get("failAfter")
marker = config.get("failMarker")
emitted = 0

def state_message(name, offset):
    if config.get("legacyState"):
        offsets[name] = offset
        return {"type": "STATE", "state": {"data": dict(offsets)}}
    return {"type": "STATE", "state": {"type": "STREAM", "stream": {"stream_descriptor": {"name": name},
            "stream_state": {"offset": offset}}, "sourceStats": {"recordCount": 1.0}}}

for configured in catalog["streams"]:
    name = configured["stream"]["name"]
    count = streams.get(name, 0)
    start = offsets.get(name, 0)
    for i in range(start, count):
        if config.get("sleepSeconds"):
            time.sleep(config["sleepSeconds"])
        if fail_after is not None and marker and emitted >= fail_after and not os.path.exists(marker):
            open(marker, "w").write("failed once")
            emit({"type": "TRACE", "trace": {"type": "ERROR", "emitted_at": 0,
                  "error": {"message": "the fake source failed on purpose", "internal_message": "after %d records" % emitted,
                            "failure_type": "system_error"}}})
            sys.stdout.flush()
            sys.exit(1)
        if config.get("noise") and i % 7 == 3:
            print("a line that is not JSON {")
            emit({"type": "LOG", "log": {"level": "WARN", "message": "noise at %d" % i}})
            emit({"type": "TRACE", "trace": {"type": "STREAM_STATUS", "emitted_at": 0, "stream_status": {}}})
        emit({"type": "RECORD", "record": {"stream": name, "data": {"id": i, "stream": name, "n": 1, "pad": "x" * (i % 13)},
              "emitted_at": 0}})
        emitted += 1
        if (i + 1) % every == 0:
            emit(state_message(name, i + 1))
    emit(state_message(name, count))
sys.stdout.flush()
if config.get("stderr"):
    sys.stderr.write(config["stderr"] + "\n")
sys.exit(config.get("exitStatus", 0))
"""#

    /// Writes the script into `directory` and returns the command that runs it.
    static func install(in directory: TestDirectory) throws -> [String] {
        let path = try directory.write("fake-source.py", script)
        guard let python = ChildProcess.findExecutable("python3") else {
            throw TestSupportError("python3 is not on PATH: the Airbyte tests run a Python fake source (Debian: python3)")
        }
        return [python, path]
    }
}
