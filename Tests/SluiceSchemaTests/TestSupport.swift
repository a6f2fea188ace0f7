// Helpers for SluiceSchema's tests.
import Foundation
import SluiceDocument
import SluiceSchema

enum TestPaths {
    /// The package root, from this file's path (Tests/SluiceSchemaTests/TestSupport.swift).
    static let packageRoot: URL = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()

    /// `../shared/conformance/NAME` from the package root, or from an ancestor folder (a
    /// worktree nested deeper); `SLUICE_CONFORMANCE_DIR` overrides.
    static func conformance(_ name: String) -> URL? {
        if let override = ProcessInfo.processInfo.environment["SLUICE_CONFORMANCE_DIR"] {
            let url = URL(fileURLWithPath: override).appendingPathComponent(name)
            return FileManager.default.fileExists(atPath: url.path) ? url : nil
        }
        var folder = packageRoot.deletingLastPathComponent()
        for _ in 0..<4 {
            let url = folder.appendingPathComponent("shared/conformance").appendingPathComponent(name)
            if FileManager.default.fileExists(atPath: url.path) { return url }
            folder = folder.deletingLastPathComponent()
        }
        return nil
    }
}

/// Parses JSON text in tests (a bad literal is a test bug).
func json(_ text: String) -> JSONValue {
    do {
        return try JSONValue(parsing: text)
    } catch {
        preconditionFailure("bad JSON in a test: \(error): \(text)")
    }
}

func document(_ text: String) -> Document {
    do {
        return try Document(parsing: text)
    } catch {
        preconditionFailure("bad JSON in a test: \(error): \(text)")
    }
}

/// Compiles a schema written as JSON text.
func schema(_ text: String, options: SchemaOptions = SchemaOptions(), resolver: SchemaResolver = SchemaResolver()) throws -> Schema {
    try Schema(json(text), options: options, resolver: resolver)
}

/// The standard workload's schema (Benchmarks/workload-schema.json).
enum WorkloadSchemaText {
    static let json: String = {
        let url = TestPaths.packageRoot.appendingPathComponent("Benchmarks/workload-schema.json")
        guard let data = FileManager.default.contents(atPath: url.path) else {
            preconditionFailure("missing \(url.path)")
        }
        return String(decoding: data, as: UTF8.self)
    }()
}
