import Testing
@testable import SluiceCLI

@Suite struct CLIParsingTests {
    @Test func workloadGenerateParsesItsOptions() throws {
        let command = try SluiceCommand.parseAsRoot(["workload", "generate", "--documents", "10", "--keys", "3"])
        let generate = try #require(command as? WorkloadCommand.Generate)
        #expect(generate.documents == 10)
        #expect(generate.keys == 3)
    }

    @Test func workloadGenerateRejectsZeroKeys() {
        #expect(throws: (any Error).self) {
            _ = try SluiceCommand.parseAsRoot(["workload", "generate", "--keys", "0"])
        }
    }
}
