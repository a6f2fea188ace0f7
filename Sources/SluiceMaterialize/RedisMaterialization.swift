// RedisMaterialization: `redis: {url, ttl?}` with bindings `{keyPrefix, format?: json|hash}`.
// Each document is one key, `keyPrefix` + the collection key's values; its value is the whole
// document as JSON (`SET`), or a hash of the projected fields plus `flow_document` (`HSET`),
// with an optional time to live. Exactly-once: SluiceRedis's RedisCheckpointStore (a fence
// counter WATCHed, then MULTI, the writes, the checkpoint HSET, EXEC).
public import SluiceCatalog
import SluiceDocument
import SluiceRedis
public import SluiceTask

/// The `redis` materialization connector.
public struct RedisMaterialization: MaterializationConnector {
    /// Where the fence, checkpoint and binding records live (`sluice:fence:<task>:…`).
    public static let recordPrefix = "sluice:"

    public init() {}

    /// One binding's keys and values.
    struct Target: Sendable {
        let keyPrefix: String
        let format: MaterializationResource.RedisFormat
        let plan: FieldPlan
    }

    public func open(endpoint: MaterializationEndpoint, bindings: [MaterializationBindingSpec],
                     context: TaskContext) async throws -> any MaterializationSession {
        let task = context.taskName
        guard case .redis(let url, let ttlSeconds) = endpoint else {
            throw TaskError.configuration(task: task, message: "the redis connector needs a redis endpoint")
        }
        var targets: [Int: Target] = [:]
        for binding in bindings {
            guard case .redis(let keyPrefix, let format) = binding.resource else {
                throw TaskError.configuration(task: task, message: "binding \(binding.index): expected a {keyPrefix} resource")
            }
            targets[binding.index] = Target(keyPrefix: keyPrefix, format: format, plan: try FieldPlan(binding: binding, task: task))
        }
        let redisEndpoint: RedisEndpoint
        do {
            redisEndpoint = try RedisEndpoint(url: url.value)
        } catch {
            throw TaskError.configuration(task: task, message: "\(error)")
        }
        let client = RedisClient(endpoint: redisEndpoint)
        do {
            try await client.connect()
            try await rebuildBackfilled(bindings: bindings, targets: targets, client: client, context: context)
            let store = RedisCheckpointStore(client: client, materialization: task, keyPrefix: Self.recordPrefix)
            let session = try await store.open()
            return RedisMaterializationSession(client: client, checkpoints: session, targets: targets,
                                               timeToLive: ttlSeconds.map { Duration.milliseconds(Int64(($0 * 1000).rounded(.up))) },
                                               context: context)
        } catch {
            await client.close()
            throw Self.failure(error, task: task, doing: "opening the materialization")
        }
    }

    /// Deletes the keys of bindings whose backfill counter changed (SCAN for the key prefix,
    /// DEL in batches), then records the new counters in `sluice:bindings:<task>`.
    func rebuildBackfilled(bindings: [MaterializationBindingSpec], targets: [Int: Target], client: RedisClient,
                           context: TaskContext) async throws {
        let record = Self.recordPrefix + "bindings:" + context.taskName
        for binding in bindings {
            guard let target = targets[binding.index] else { continue }
            let recorded = try await client.execute(RedisCommand("HGET", record, target.keyPrefix))
            let builtFor = recorded.string.flatMap { Int($0) } ?? 0
            guard builtFor != binding.backfill else { continue }
            context.logger.notice("backfill: deleting the binding's keys", metadata: [
                "keyPrefix": "\(target.keyPrefix)", "backfill": "\(builtFor) → \(binding.backfill)",
            ])
            var cursor = "0"
            repeat {
                let reply = try await client.execute(RedisCommand("SCAN", cursor, "MATCH", RedisKeys.globEscaped(target.keyPrefix) + "*",
                                                                  "COUNT", 1000))
                guard let parts = reply.array, parts.count == 2, let next = parts[0].string, let keys = parts[1].array else {
                    throw RedisError(.protocolViolation, server: client.endpoint.address, command: "SCAN", message: "unexpected reply \(reply)")
                }
                let names = keys.compactMap(\.bytes).filter { !$0.starts(with: Array(Self.recordPrefix.utf8)) }
                if !names.isEmpty { try await client.execute(RedisCommand("DEL", arguments: names)) }
                cursor = next
            } while cursor != "0"
            try await client.execute(RedisCommand("HSET", record, target.keyPrefix, binding.backfill))
        }
    }

    /// Maps an error to the runtime's: a refused configuration (an eviction policy that may
    /// evict the fence) is permanent; connections, timeouts and replies are retried.
    static func failure(_ error: any Error, task: String, doing: String) -> TaskError {
        if let error = error as? TaskError { return error }
        if let error = error as? RedisError, error.kind == .unsafeConfiguration {
            return .configuration(task: task, message: "\(doing): \(error)")
        }
        return .connector(task: task, message: "\(doing): \(error)")
    }
}

/// How documents become Redis keys and values.
enum RedisKeys {
    /// `keyPrefix` + the key's values joined by `:`: strings as they are (with `\` and `:`
    /// escaped as `\\` and `\:` so that different keys never meet), integers in decimal,
    /// booleans as `true`/`false`, anything else as its JSON text. `deals:` + `["a:b", 7]` →
    /// `deals:a\:b:7`.
    static func key(prefix: String, values: [JSONValue]) -> [UInt8] {
        var bytes = Array(prefix.utf8)
        for (position, value) in values.enumerated() {
            if position > 0 { bytes.append(UInt8(ascii: ":")) }
            switch value {
            case .string(let text):
                for byte in text.utf8 {
                    if byte == UInt8(ascii: ":") || byte == UInt8(ascii: "\\") { bytes.append(UInt8(ascii: "\\")) }
                    bytes.append(byte)
                }
            case .int(let number): bytes += Array(String(number).utf8)
            case .uint(let number): bytes += Array(String(number).utf8)
            case .bool(let flag): bytes += Array((flag ? "true" : "false").utf8)
            default: JSONSerializer.append(value, to: &bytes)
            }
        }
        return bytes
    }

    /// `*`, `?`, `[`, `]` and `\` escaped for SCAN's MATCH pattern.
    static func globEscaped(_ text: String) -> String {
        var escaped = ""
        for character in text {
            if "*?[]\\".contains(character) { escaped.append("\\") }
            escaped.append(character)
        }
        return escaped
    }

    /// A hash field's value: strings as they are, other values as JSON text.
    static func fieldValue(_ node: Node) -> [UInt8] {
        if node.kind == .string, let bytes = node.withUTF8({ Array($0) }) { return bytes }
        var bytes: [UInt8] = []
        JSONSerializer.append(node, to: &bytes)
        return bytes
    }
}

/// An open Redis materialization.
///
/// Unchecked Sendable: immutable after init (the client is Sendable and serializes its calls).
final class RedisMaterializationSession: MaterializationSession, @unchecked Sendable {
    let client: RedisClient
    let checkpoints: RedisCheckpointSession
    let targets: [Int: RedisMaterialization.Target]
    let timeToLive: Duration?
    let context: TaskContext

    init(client: RedisClient, checkpoints: RedisCheckpointSession, targets: [Int: RedisMaterialization.Target], timeToLive: Duration?,
         context: TaskContext) {
        self.client = client
        self.checkpoints = checkpoints
        self.targets = targets
        self.timeToLive = timeToLive
        self.context = context
    }

    var checkpoint: [UInt8]? { checkpoints.checkpoint }

    func load(binding: Int, keys: [LoadKey]) async throws -> [Document] {
        guard let target = targets[binding], !keys.isEmpty else { return [] }
        let names = keys.map { RedisKeys.key(prefix: target.keyPrefix, values: $0.values) }
        do {
            var values: [[UInt8]?]
            switch target.format {
            case .json:
                values = try await client.values(forKeys: names)
            case .hash:
                let replies = try await client.pipeline(names.map { RedisCommand("HGET", $0, FieldPlan.documentField) })
                values = []
                for (name, reply) in zip(names, replies) {
                    if let message = reply.errorMessage {
                        throw RedisError(.reply, server: client.endpoint.address, command: "HGET \(String(decoding: name, as: UTF8.self))",
                                         message: message)
                    }
                    values.append(reply.bytes)
                }
            }
            var parser = JSONParser()
            var documents: [Document] = []
            documents.reserveCapacity(values.count)
            for (name, value) in zip(names, values) {
                guard let value else { continue }
                do {
                    documents.append(try parser.parse(value))
                } catch {
                    throw TaskError.configuration(task: context.taskName,
                                                  message: "redis \(client.endpoint.address): key \(String(decoding: name, as: UTF8.self)) "
                                                      + "does not hold a JSON document: \(error)")
                }
            }
            return documents
        } catch {
            throw RedisMaterialization.failure(error, task: context.taskName, doing: "loading \(keys.count) keys")
        }
    }

    func store(_ entries: [Int: [StoreEntry]], checkpoint: [UInt8]) async throws {
        var writes: [RedisWrite] = []
        writes.reserveCapacity(entries.values.reduce(0) { $0 + $1.count })
        for (binding, rows) in entries.sorted(by: { $0.key < $1.key }) {
            guard let target = targets[binding] else { continue }
            for entry in rows {
                let key = RedisKeys.key(prefix: target.keyPrefix, values: entry.key.values)
                if entry.isDeleted {
                    writes.append(.delete(key: key))
                    continue
                }
                switch target.format {
                case .json:
                    writes.append(.set(key: key, value: JSONSerializer.serialize(entry.document), timeToLive: timeToLive))
                case .hash:
                    let root = entry.document.root
                    var fields: [RedisHashField] = []
                    for field in target.plan.fields {
                        guard let node = root[field.pointer], !node.isNull else { continue }
                        fields.append(RedisHashField(name: Array(field.name.utf8), value: RedisKeys.fieldValue(node)))
                    }
                    fields.append(RedisHashField(name: Array(FieldPlan.documentField.utf8), value: JSONSerializer.serialize(entry.document)))
                    writes.append(.hash(key: key, fields: fields, timeToLive: timeToLive))
                }
            }
        }
        let outcome: RedisCommitOutcome
        do {
            outcome = try await checkpoints.commit(writes, checkpoint: checkpoint)
        } catch {
            throw RedisMaterialization.failure(error, task: context.taskName, doing: "storing a transaction")
        }
        if case .fencedOff(let current) = outcome {
            throw TaskError.fencedOff(task: context.taskName, detail: "redis \(client.endpoint.address): fence \(checkpoints.fence) "
                                      + "was superseded by \(current.map(String.init) ?? "a newer one")")
        }
    }

    func close() async { await client.close() }
}
