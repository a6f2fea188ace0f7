import Foundation
import Testing
import SluiceSchema

/// The JSON-Schema-Test-Suite (../shared/conformance/json-schema/draft2020-12): every required
/// test passes (exceptions, justified in docs/schema.md, are listed here); the optional and
/// optional/format files run and report.
@Suite struct SchemaConformanceTests {
    static let suite = TestPaths.conformance("json-schema/draft2020-12")

    /// Required tests that fail by design (docs/schema.md, "Exceptions"): none.
    static let requiredExceptions: Set<String> = []

    @Test(.enabled(if: suite != nil, "../shared/conformance/json-schema is absent"))
    func draft2020_12() throws {
        let folder = try #require(Self.suite)
        let results = SchemaTestSuite.run(directory: folder.path)
        var required = (passed: 0, failed: 0)
        var optional = (passed: 0, failed: 0)
        for result in results {
            print("\(result.failed == 0 ? "pass" : "FAIL") \(result.path): \(result.passed) passed, \(result.failed) failed")
            let isOptional = result.path.hasPrefix("optional/")
            if isOptional {
                optional.passed += result.passed
                optional.failed += result.failed
                for failure in result.failures { print("    optional: \(failure)") }
            } else {
                required.passed += result.passed
                required.failed += result.failed
                for failure in result.failures where !Self.requiredExceptions.contains("\(result.path): \(failure)") {
                    Issue.record("\(result.path): \(failure)")
                }
            }
        }
        print("required: \(required.passed) passed, \(required.failed) failed; optional: \(optional.passed) passed, \(optional.failed) failed")
        print("\(required.passed + optional.passed) passed, \(required.failed + optional.failed) failed")
        #expect(required.passed > 500)
        #expect(optional.passed + optional.failed > 500)
    }
}
