import Foundation
public import SluiceCollection
public import SluiceDocument
import SluiceJournal
import SluiceSchema

/// Per-transaction statistics of every task, as documents of the reserved collection
/// `ops/stats` (docs/observability.md): one document per task and hour, its counters summed by
/// the collection's reductions, so `sluice stats` is a reduced read like any other.
public enum OpsStats {
    public static let collectionName = "ops/stats"

    /// The schema: key [/task, /hour]; counters summed; the last time maximized.
    public static let schemaJSON = #"""
    {"type": "object", "reduce": {"strategy": "merge"},
     "required": ["task", "kind", "hour"],
     "properties": {
       "task": {"type": "string"}, "kind": {"type": "string"},
       "hour": {"type": "string", "description": "UTC hour, 2024-01-01T13"},
       "transactions": {"type": "integer", "reduce": {"strategy": "sum"}},
       "docsRead": {"type": "integer", "reduce": {"strategy": "sum"}},
       "docsWritten": {"type": "integer", "reduce": {"strategy": "sum"}},
       "transactionSeconds": {"type": "number", "reduce": {"strategy": "sum"}},
       "last": {"type": "string", "reduce": {"strategy": "maximize"}}
     }}
    """#

    public static func collection() throws -> CollectionSpec {
        CollectionSpec(name: collectionName, key: ["/task", "/hour"], writeSchema: try Schema(JSONValue(parsing: schemaJSON)),
                       journalSpec: JournalSpec(fragmentLengthBytes: 4 << 20))
    }

    /// One stats document.
    static func document(task: String, kind: String, delta: TaskStatus.StatsDelta, nowNanoseconds: UInt64) throws -> Document {
        let date = Date(timeIntervalSince1970: Double(nowNanoseconds) / 1e9)
        let formatter = ISO8601DateFormatter()
        formatter.timeZone = TimeZone(identifier: "UTC")
        let timestamp = formatter.string(from: date)
        return try Document([
            "task": .string(task), "kind": .string(kind), "hour": .string(String(timestamp.prefix(13))),
            "transactions": .int(Int64(delta.transactions)), "docsRead": .int(Int64(delta.documentsRead)),
            "docsWritten": .int(Int64(delta.documentsWritten)), "transactionSeconds": .double(delta.seconds),
            "last": .string(timestamp),
        ])
    }
}
