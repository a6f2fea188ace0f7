// SchemaTestSuite: runs files in the format of the JSON-Schema-Test-Suite (a list of groups
// `{description, schema, tests: [{description, data, valid}]}`), with its remote documents
// (`http://localhost:1234/…`) served from a local folder. Used by the conformance tests and by
// `sluice schema test-suite`.
import Foundation
import SluiceDocument

public enum SchemaTestSuite {
    /// The outcome of one suite file.
    public struct FileResult: Sendable {
        /// The file's path relative to the directory run.
        public var path: String
        public var passed: Int
        public var failed: Int
        /// Each failed test: `group / test: what happened`.
        public var failures: [String]
    }

    /// The URI prefix the suite's remote documents are named by.
    public static let remotesPrefix = "http://localhost:1234/"

    /// The dialect a suite folder holds (by its name: `draft2020-12`, `draft2019-09`, `draft7`,
    /// `draft6`), used for schemas without `$schema`.
    public static func dialect(forDirectory path: String) -> SchemaDialect {
        let components = path.split(separator: "/").map(String.init)
        for component in components.reversed() {
            switch component {
            case "draft2020-12": return .draft2020_12
            case "draft2019-09": return .draft2019_09
            case "draft7": return .draft07
            case "draft6": return .draft06
            default: continue
            }
        }
        return .draft2020_12
    }

    /// Every `.json` file under `directory` (recursively, in path order).
    public static func files(in directory: String) -> [String] {
        guard let enumerator = FileManager.default.enumerator(atPath: directory) else { return [] }
        var files: [String] = []
        while let path = enumerator.nextObject() as? String {
            if path.hasSuffix(".json") { files.append(path) }
        }
        return files.sorted()
    }

    /// Runs every file under `directory`. `remotes` defaults to `directory/../remotes`.
    public static func run(directory: String, remotes: String? = nil) -> [FileResult] {
        let remotesFolder = remotes ?? (directory as NSString).appendingPathComponent("../remotes")
        let dialect = dialect(forDirectory: directory)
        return files(in: directory).map { path in
            runFile((directory as NSString).appendingPathComponent(path), named: path, remotes: remotesFolder, dialect: dialect)
        }
    }

    /// Runs one suite file.
    public static func runFile(_ path: String, named name: String, remotes: String, dialect: SchemaDialect) -> FileResult {
        var result = FileResult(path: name, passed: 0, failed: 0, failures: [])
        guard let data = FileManager.default.contents(atPath: path) else {
            result.failed = 1
            result.failures = ["cannot read \(path)"]
            return result
        }
        let groups: [JSONValue]
        do {
            guard case .array(let list) = try Document(parsing: [UInt8](data)).jsonValue else {
                throw SchemaCompileError(location: path, message: "a suite file must hold an array of groups")
            }
            groups = list
        } catch {
            result.failed = 1
            result.failures = ["\(path): \(error)"]
            return result
        }
        let resolver = SchemaResolver(folders: [(remotesPrefix, remotes)], readsFiles: false)
        // The suite's convention: `format` is an annotation (as the specifications have it by
        // default), except in `optional/format/`, whose tests assume the assertion.
        let formatAssertion = name.contains("optional/format/") || name.hasPrefix("format/")
        let options = SchemaOptions(defaultDialect: dialect, formatAssertion: formatAssertion)
        for group in groups {
            let groupName = group["description"]?.string ?? "?"
            let tests = group["tests"]?.array ?? []
            let schema: Schema
            do {
                schema = try Schema(group["schema"] ?? .bool(true), options: options, resolver: resolver)
            } catch {
                result.failed += tests.count
                result.failures.append("\(groupName): the schema does not compile: \(error)")
                continue
            }
            var validator = schema.validator()
            for test in tests {
                let testName = test["description"]?.string ?? "?"
                let expected = test["valid"]?.bool ?? true
                let document: Document
                do {
                    document = try Document(test["data"] ?? .null, depthMax: JSONParser.depthMaxLimit)
                } catch {
                    result.failed += 1
                    result.failures.append("\(groupName) / \(testName): the data cannot be represented: \(error)")
                    continue
                }
                let actual: Bool
                var detail = ""
                do {
                    _ = try validator.validate(document)
                    actual = true
                } catch {
                    actual = false
                    detail = error.errors.first.map { ": \($0)" } ?? ""
                }
                if actual == expected {
                    result.passed += 1
                } else {
                    result.failed += 1
                    result.failures.append("\(groupName) / \(testName): expected \(expected ? "valid" : "invalid"), got \(actual ? "valid" : "invalid")\(detail)")
                }
            }
        }
        return result
    }
}
