import Foundation
import Testing
import SluiceDocument
@testable import SluiceSchema

/// References resolve within the schema, to local files and to given documents; URIs by RFC 3986.
@Suite struct SchemaResolverTests {
    /// RFC 3986 §5.4.1 "normal examples" against `http://a/b/c/d;p?q` (`//g` gives `http://g/`:
    /// an empty path with an authority is normalized to `/`, §6.2.3).
    @Test(arguments: [
        ("g:h", "g:h"), ("g", "http://a/b/c/g"), ("./g", "http://a/b/c/g"), ("g/", "http://a/b/c/g/"),
        ("/g", "http://a/g"), ("//g", "http://g/"), ("?y", "http://a/b/c/d;p?y"), ("g?y", "http://a/b/c/g?y"),
        ("#s", "http://a/b/c/d;p?q#s"), ("g#s", "http://a/b/c/g#s"), ("g?y#s", "http://a/b/c/g?y#s"),
        (";x", "http://a/b/c/;x"), ("g;x", "http://a/b/c/g;x"), ("", "http://a/b/c/d;p?q"), (".", "http://a/b/c/"),
        ("./", "http://a/b/c/"), ("..", "http://a/b/"), ("../", "http://a/b/"), ("../g", "http://a/b/g"),
        ("../..", "http://a/"), ("../../", "http://a/"), ("../../g", "http://a/g"),
        ("../../../g", "http://a/g"), ("/./g", "http://a/g"), ("/../g", "http://a/g"), ("g.", "http://a/b/c/g."),
        ("g..", "http://a/b/c/g.."), ("./../g", "http://a/b/g"), ("g/./h", "http://a/b/c/g/h"), ("g/../h", "http://a/b/c/h"),
    ])
    func rfc3986Resolution(reference: String, expected: String) {
        #expect(SchemaURI(parsing: "http://a/b/c/d;p?q").resolving(reference).description == expected)
    }

    @Test func uriDetails() {
        #expect(SchemaURI(parsing: "HTTP://Example.COM/a#").description == "http://example.com/a")
        #expect(SchemaURI(parsing: "urn:uuid:deadbeef").resolving("#/$defs/a").description == "urn:uuid:deadbeef#/$defs/a")
        #expect(SchemaURI(parsing: "http://x/a#/$defs/percent%25field").decodedFragment == "/$defs/percent%field")
        #expect(SchemaResolver.fileURI(path: "/tmp/a b/s.json") == "file:///tmp/a%20b/s.json")
    }

    static func temporaryFolder() throws -> URL {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("sluice-schema-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
        try FileManager.default.createDirectory(at: folder.appendingPathComponent("defs"), withIntermediateDirectories: true)
        return folder
    }

    @Test func relativeReferencesResolveToFilesBesideTheSchema() throws {
        let folder = try Self.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        try Data(##"{"type": "object", "properties": {"customer": {"$ref": "defs/customer.json#/$defs/id"}}}"##.utf8)
            .write(to: folder.appendingPathComponent("order.json"))
        try Data(##"{"$defs": {"id": {"type": "string", "minLength": 3, "reduce": {"strategy": "maximize"}}}}"##.utf8)
            .write(to: folder.appendingPathComponent("defs/customer.json"))
        let compiled = try Schema(contentsOfFile: folder.appendingPathComponent("order.json").path)
        let instance = document(##"{"customer": "abc"}"##)
        #expect(try compiled.validate(instance)[instance["customer"]!] == ReduceAnnotation(strategy: .maximize))
        var validator = compiled.validator()
        let found = validator.errors(document(##"{"customer": "a"}"##))
        let failure = try #require(found)
        #expect(failure.errors[0].absoluteKeywordLocation.hasSuffix("/defs/customer.json#/$defs/id/minLength"))
        #expect(failure.errors[0].keywordLocation == "/properties/customer/$ref/minLength")
        // Without file access, the same reference is an error that says why.
        do {
            _ = try Schema(contentsOfFile: folder.appendingPathComponent("order.json").path, resolver: SchemaResolver(readsFiles: false))
            Issue.record("expected a compile error")
        } catch {
            #expect(error.message.contains("cannot resolve file://"))
        }
    }

    @Test func documentsAndFoldersServeURIs() throws {
        let resolver = SchemaResolver(documents: ["https://example.com/money.json": json(##"{"type": "number", "minimum": 0}"##)])
        let compiled = try schema(##"{"properties": {"price": {"$ref": "https://example.com/money.json"}}}"##, resolver: resolver)
        var validator = compiled.validator()
        let valid = validator.isValid(document(##"{"price": 3}"##))
        let invalid = validator.isValid(document(##"{"price": -3}"##))
        #expect(valid && !invalid)

        let folder = try Self.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        try Data(##"{"$anchor": "count", "type": "integer"}"##.utf8).write(to: folder.appendingPathComponent("defs/count.json"))
        let served = SchemaResolver(folders: [("http://localhost:1234/", folder.path)], readsFiles: false)
        let fromFolder = try schema(##"{"$ref": "http://localhost:1234/defs/count.json#count"}"##, resolver: served)
        var folderValidator = fromFolder.validator()
        let one = folderValidator.isValid(document("1"))
        let text = folderValidator.isValid(document(##""1""##))
        #expect(one && !text)
    }

    @Test func schemasCanBeValidatedAgainstTheBuiltInMetaschemas() throws {
        for metaschema in ["https://json-schema.org/draft/2020-12/schema", "https://json-schema.org/draft/2019-09/schema",
                           "http://json-schema.org/draft-07/schema#"] {
            let compiled = try schema(##"{"$ref": "\##(metaschema)"}"##)
            var validator = compiled.validator()
            let good = validator.isValid(document(WorkloadSchemaText.json))
            let bad = validator.isValid(document(##"{"type": "strng", "minLength": -1}"##))
            #expect(good, "\(metaschema)")
            #expect(!bad, "\(metaschema)")
        }
    }
}
