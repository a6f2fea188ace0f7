// SluiceRuntime: runs the tasks of a catalog in one process (docs/runtime.md): captures,
// derivations and materializations as transaction loops whose checkpoints commit atomically
// with their effects; recovery, restarts with backoff, a clean stop, `--until-idle`.
import Foundation
public import SluiceDocument
public import SluiceMessage
import SluiceSQLite

/// A capture's checkpoint: the connector's state and the ACK intents of the transaction that
/// committed with it.
public struct CaptureCheckpoint: Codable, Sendable, Equatable {
    public var state: JSONValue?
    public var ackIntents: [AckIntent]

    public init(state: JSONValue? = nil, ackIntents: [AckIntent] = []) {
        self.state = state
        self.ackIntents = ackIntents
    }
}

/// The engine's own durable state (`<data-dir>/engine.db`, SQLite, WAL, synchronous=FULL):
/// capture checkpoints and the catalog last run.
public final class StateStore: @unchecked Sendable {
    // Safety: the connection is in serialized mode (SluiceSQLite), and each method is one
    // statement or one transaction.
    let database: SQLiteDatabase
    public let path: String

    public init(dataDirectory: String) throws {
        try FileManager.default.createDirectory(atPath: dataDirectory, withIntermediateDirectories: true)
        path = dataDirectory + "/engine.db"
        database = try SQLiteDatabase(path: path, synchronous: .full)
        try SQLiteMigrations.apply([
            "CREATE TABLE task_checkpoints (task TEXT PRIMARY KEY, checkpoint TEXT NOT NULL, updated_at TEXT NOT NULL)",
            "CREATE TABLE catalog_snapshot (id INTEGER PRIMARY KEY CHECK (id = 1), collections TEXT NOT NULL, updated_at TEXT NOT NULL)",
        ], to: database)
    }

    /// The last committed checkpoint of a capture (empty when it never committed).
    public func captureCheckpoint(_ task: String) throws -> CaptureCheckpoint {
        let rows = try database.rows("SELECT checkpoint FROM task_checkpoints WHERE task = ?", [.text(task)])
        guard case .text(let json)? = rows.first?.first else { return CaptureCheckpoint() }
        do {
            return try JSONDecoder().decode(CaptureCheckpoint.self, from: Data(json.utf8))
        } catch {
            throw StateStoreError.corrupt(path: path, task: task, reason: "\(error)")
        }
    }

    /// Commits a capture's checkpoint (durable when this returns: synchronous=FULL).
    public func saveCaptureCheckpoint(_ task: String, _ checkpoint: CaptureCheckpoint) throws {
        let json = String(decoding: try JSONEncoder().encode(checkpoint), as: UTF8.self)
        try database.prepare("""
            INSERT INTO task_checkpoints (task, checkpoint, updated_at) VALUES (?, ?, ?)
            ON CONFLICT (task) DO UPDATE SET checkpoint = excluded.checkpoint, updated_at = excluded.updated_at
            """).run([.text(task), .text(json), .text(ISO8601DateFormatter().string(from: Date()))])
    }

    /// Collections of the catalog last run: name → "key|partitions" fingerprint.
    public func catalogSnapshot() throws -> [String: String] {
        let rows = try database.rows("SELECT collections FROM catalog_snapshot WHERE id = 1")
        guard case .text(let json)? = rows.first?.first else { return [:] }
        return (try? JSONDecoder().decode([String: String].self, from: Data(json.utf8))) ?? [:]
    }

    public func saveCatalogSnapshot(_ collections: [String: String]) throws {
        let json = String(decoding: try JSONEncoder().encode(collections), as: UTF8.self)
        try database.prepare("""
            INSERT INTO catalog_snapshot (id, collections, updated_at) VALUES (1, ?, ?)
            ON CONFLICT (id) DO UPDATE SET collections = excluded.collections, updated_at = excluded.updated_at
            """).run([.text(json), .text(ISO8601DateFormatter().string(from: Date()))])
    }
}

public enum StateStoreError: Error, CustomStringConvertible {
    case corrupt(path: String, task: String, reason: String)

    public var description: String {
        switch self {
        case .corrupt(let path, let task, let reason): return "\(path): the checkpoint of \(task) cannot be read: \(reason)"
        }
    }
}
