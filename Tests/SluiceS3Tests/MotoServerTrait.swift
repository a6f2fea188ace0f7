import Testing
import SluiceTestSupport

/// One moto S3 server for a whole suite (Python starts in seconds, not milliseconds): started
/// before the suite's first test, stopped by PID after its last. Tests reach it through
/// `SharedMotoServer.current` and use their own buckets, so they can run in parallel.
struct MotoServerTrait: SuiteTrait, TestScoping {
    var environment: [String: String] = [:]
    var isRecursive: Bool { false }

    func provideScope(for test: Test, testCase: Test.Case?,
                      performing function: @Sendable () async throws -> Void) async throws {
        let server = try MotoS3Server(environment: environment)
        defer { server.stop() }
        try await SharedMotoServer.$current.withValue(server) { try await function() }
    }
}

extension Trait where Self == MotoServerTrait {
    static var motoServer: Self { MotoServerTrait() }

    /// A server that checks SigV4 signatures from its fourth request on (the first three create
    /// an IAM user, its access key and its policy).
    static var motoServerCheckingSignatures: Self { MotoServerTrait(environment: ["INITIAL_NO_AUTH_ACTION_COUNT": "3"]) }
}

enum SharedMotoServer {
    @TaskLocal static var current: MotoS3Server?

    static func require() throws -> MotoS3Server {
        guard let current else { throw TestSupportError("no moto server: the suite needs the .motoServer trait") }
        return current
    }
}
