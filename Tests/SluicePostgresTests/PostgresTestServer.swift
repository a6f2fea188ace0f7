// One PostgreSQL server per suite: the `.postgresServer` trait starts it before the suite's
// tests and stops it after them; tests read it from `PostgresTestServer.current`.
import SluicePostgres
import SluiceTestSupport
import Testing

enum PostgresTestServer {
    @TaskLocal static var current: PostgresServer?

    /// The suite's server (a test outside a `.postgresServer` suite is a mistake).
    static func server() throws -> PostgresServer {
        try #require(current, "this suite needs the .postgresServer trait")
    }

    /// A configuration for the suite's server (superuser, `database`).
    static func configuration(database: String = "postgres") throws -> PostgresConfiguration {
        var configuration = try PostgresConfiguration(dsn: try server().dsn(database: database))
        configuration.connectTimeout = .seconds(5)
        configuration.statementTimeout = .seconds(30)
        return configuration
    }

    static func connect(database: String = "postgres") throws -> PostgresConnection {
        try PostgresConnection(configuration(database: database))
    }
}

struct PostgresServerTrait: SuiteTrait, TestScoping {
    let label: String
    var isRecursive: Bool { false }

    func provideScope(for test: Test, testCase: Test.Case?,
                      performing function: @Sendable () async throws -> Void) async throws {
        // Missing server binaries fail here, loudly, naming the package to install.
        let server = try PostgresServer(label: label)
        defer { server.stop() }
        try await PostgresTestServer.$current.withValue(server) { try await function() }
    }
}

extension Trait where Self == PostgresServerTrait {
    /// Starts one PostgreSQL server for the whole suite.
    static func postgresServer(_ label: String) -> Self { PostgresServerTrait(label: label) }
}
