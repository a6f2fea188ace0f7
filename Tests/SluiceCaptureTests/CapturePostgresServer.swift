// One PostgreSQL server per suite (Debian's, started by SluiceTestSupport on a loopback port
// with wal_level=logical): the `.capturePostgresServer` trait starts it before the suite's tests
// and stops it after them. Each test makes its own database.
import Foundation
import SluicePostgres
import SluiceTestSupport
import Testing

enum CapturePostgres {
    @TaskLocal static var current: PostgresServer?

    static func server() throws -> PostgresServer {
        try #require(current, "this suite needs the .capturePostgresServer trait")
    }

    /// Creates database `name` and returns its DSN.
    static func database(_ name: String) throws -> String {
        let server = try server()
        let admin = try PostgresConnection(try PostgresConfiguration(dsn: server.dsn()))
        defer { admin.close() }
        _ = try admin.execute("CREATE DATABASE \(name)")
        return server.dsn(database: name)
    }

    static func connect(_ dsn: String) throws -> PostgresConnection {
        var configuration = try PostgresConfiguration(dsn: dsn)
        configuration.connectTimeout = .seconds(5)
        configuration.statementTimeout = .seconds(30)
        return try PostgresConnection(configuration)
    }
}

struct CapturePostgresServerTrait: SuiteTrait, TestScoping {
    let label: String
    var isRecursive: Bool { false }

    func provideScope(for test: Test, testCase: Test.Case?, performing function: @Sendable () async throws -> Void) async throws {
        // Missing server binaries fail here, loudly, naming the package to install.
        let server = try PostgresServer(label: label)
        defer { server.stop() }
        try await CapturePostgres.$current.withValue(server) { try await function() }
    }
}

extension Trait where Self == CapturePostgresServerTrait {
    static func capturePostgresServer(_ label: String) -> Self { CapturePostgresServerTrait(label: label) }
}
