// One server per suite: PostgreSQL and moto start in about a second, so a suite shares one and
// each test isolates itself (its own database or bucket). Tests read the suite's server from a
// task-local; a missing server binary fails the suite naming the package, never skips it.
import SluiceTestSupport
import Testing

enum SuiteServers {
    @TaskLocal static var postgres: PostgresServer?
    @TaskLocal static var moto: MotoS3Server?

    static func requirePostgres() throws -> PostgresServer { try #require(postgres, "this suite needs the .postgres trait") }
    static func requireMoto() throws -> MotoS3Server { try #require(moto, "this suite needs the .moto trait") }
}

struct SuiteServerTrait: SuiteTrait, TestScoping {
    enum Kind { case postgres, moto }
    let kind: Kind
    var isRecursive: Bool { false }

    func provideScope(for test: Test, testCase: Test.Case?, performing function: @Sendable () async throws -> Void) async throws {
        switch kind {
        case .postgres:
            let server = try PostgresServer(label: "materialize-pg")
            defer { server.stop() }
            try await SuiteServers.$postgres.withValue(server) { try await function() }
        case .moto:
            let server = try MotoS3Server()
            defer { server.stop() }
            try await SuiteServers.$moto.withValue(server) { try await function() }
        }
    }
}

extension Trait where Self == SuiteServerTrait {
    static var postgres: Self { SuiteServerTrait(kind: .postgres) }
    static var moto: Self { SuiteServerTrait(kind: .moto) }
}
