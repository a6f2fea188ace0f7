import SluiceDocument

/// How far a file has been captured. Committed with the documents read up to it, so a restart
/// resumes exactly after them.
struct FilePosition: Sendable, Equatable {
    /// Bytes of the file's content (decoded, for a compressed file) through the last line read.
    var offset: Int64 = 0
    /// Lines (CSV: physical lines) through `offset`, so errors name lines after a restart too.
    var line: Int = 0
    /// The fingerprint: FNV-1a 64 of the first `prefixBytes` bytes of the file's content
    /// (decoded, for a compressed file). A file whose content's first bytes changed, or that
    /// became shorter than them, was replaced: read from its start.
    var prefixBytes: Int = 0
    var prefixHash: UInt64 = FilePosition.fingerprintSeed
    /// Compressed files: the raw size when they were last read to their end (a decoder cannot
    /// seek, so a file that grew is decoded again from its start and skipped to `offset`).
    var sourceBytes: Int64?

    /// Hash the first 1 KiB: enough to tell files apart (timestamps, ids and headers differ
    /// early), one small read per file per scan.
    static let fingerprintBytesMax = 1024
    static let fingerprintSeed: UInt64 = 0xcbf2_9ce4_8422_2325

    static func fingerprint(_ bytes: [UInt8]) -> UInt64 {
        var hash = fingerprintSeed
        for byte in bytes {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01B3
        }
        return hash
    }

    var jsonValue: JSONValue {
        var object: JSONObject = ["offset": .int(offset), "line": .int(Int64(line)), "prefixBytes": .int(Int64(prefixBytes)),
                                  "prefixHash": .string(Self.hex(prefixHash))]
        if let sourceBytes { object["sourceBytes"] = .int(sourceBytes) }
        return .object(object)
    }

    init() {}

    init?(_ value: JSONValue) {
        guard let object = value.object, case .int(let offset)? = object["offset"], case .int(let line)? = object["line"],
              case .int(let prefixBytes)? = object["prefixBytes"], let hashText = object["prefixHash"]?.string,
              let hash = UInt64(hashText, radix: 16)
        else { return nil }
        self.offset = offset
        self.line = Int(line)
        self.prefixBytes = Int(prefixBytes)
        self.prefixHash = hash
        if case .int(let sourceBytes)? = object["sourceBytes"] { self.sourceBytes = sourceBytes }
    }

    private static func hex(_ value: UInt64) -> String {
        let digits = String(value, radix: 16)
        return String(repeating: "0", count: 16 - digits.count) + digits
    }
}

/// The files capture's checkpoint: per binding (named by its target and glob, so reordering
/// bindings keeps positions), the position of every file it has read.
///
///     {"bindings":[{"target":"acme/orders","path":"data/*.jsonl",
///                   "files":{"/srv/data/a.jsonl":{"offset":4096,"line":37,"prefixBytes":1024,
///                                                 "prefixHash":"8c0f3c6a1d2e4b57"}}}]}
struct FilesCheckpoint: Sendable, Equatable {
    struct BindingKey: Hashable, Sendable {
        let target: String
        let path: String
    }

    var files: [BindingKey: [String: FilePosition]] = [:]

    init() {}

    /// Reads a committed state; nil or an unknown shape starts from nothing (with the error for
    /// the log when the shape is wrong).
    init(_ state: JSONValue?) throws {
        guard let state else { return }
        guard let bindings = state.object?["bindings"]?.array else {
            throw FilesCheckpointError(reason: "expected {\"bindings\": [...]}, found \(state)")
        }
        for binding in bindings {
            guard let target = binding.object?["target"]?.string, let path = binding.object?["path"]?.string,
                  let files = binding.object?["files"]?.object
            else { throw FilesCheckpointError(reason: "a binding entry lacks target, path or files: \(binding)") }
            var positions: [String: FilePosition] = [:]
            for (file, value) in files {
                guard let position = FilePosition(value) else {
                    throw FilesCheckpointError(reason: "the position of \(file) is not readable: \(value)")
                }
                positions[file] = position
            }
            self.files[BindingKey(target: target, path: path)] = positions
        }
    }

    var jsonValue: JSONValue {
        let bindings = files.keys.sorted { ($0.target, $0.path) < ($1.target, $1.path) }.map { key -> JSONValue in
            let positions = files[key]!
            let entries = positions.keys.sorted().map { (name: $0, value: positions[$0]!.jsonValue) }
            return ["target": .string(key.target), "path": .string(key.path), "files": .object(JSONObject(entries))]
        }
        return ["bindings": .array(bindings)]
    }
}

struct FilesCheckpointError: Error, CustomStringConvertible {
    let reason: String
    var description: String { "the files capture's checkpoint cannot be read: \(reason)" }
}
