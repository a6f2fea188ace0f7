import Testing
@testable import SluiceDocument

@Suite struct DocumentBuilderTests {
    @Test func buildsSortedDocuments() throws {
        var builder = DocumentBuilder()
        builder.beginObject()
        builder.property("z"); builder.int(1)
        builder.property("a"); builder.beginArray(); builder.string("x"); builder.double(2.5); builder.null(); builder.endArray()
        builder.property("m"); builder.uint(UInt64.max)
        builder.property("b"); builder.bool(true)
        builder.endObject()
        let document = try builder.finish()
        #expect(document.description == #"{"a":["x",2.5,null],"b":true,"m":18446744073709551615,"z":1}"#)
        // Reusable after finish.
        builder.int(7)
        #expect(try builder.finish().description == "7")
    }

    @Test func copiesNodesFromOtherDocuments() throws {
        let left = try Document(parsing: #"{"customer":{"name":"Ann","tags":["a","b"]},"total":5}"#)
        let right = try Document(parsing: #"{"note":"hi","total":2}"#)
        var builder = DocumentBuilder()
        builder.beginObject()
        for property in right.root.properties where property.name != "total" { builder.property(property) }
        builder.property("customer"); builder.copy(left["customer"]!)
        builder.property("total"); builder.int(left["total"]!.int64! + right["total"]!.int64!)
        builder.endObject()
        let merged = try builder.finish()
        #expect(merged.description == #"{"customer":{"name":"Ann","tags":["a","b"]},"note":"hi","total":7}"#)
        #expect(merged["customer"] == left["customer"])
        let customer = Document(copying: left["customer"]!)
        #expect(customer.description == #"{"name":"Ann","tags":["a","b"]}"#)
        #expect(customer.stringByteCount == "nametagsAnnab".utf8.count)
        // Copying the whole root.
        var copier = DocumentBuilder()
        copier.copy(left.root)
        #expect(try copier.finish() == left)
    }

    @Test func dataFaultsThrowWithTheirPointer() {
        var builder = DocumentBuilder()
        builder.beginObject()
        builder.property("a"); builder.beginArray(); builder.int(1); builder.double(.infinity); builder.endArray()
        builder.endObject()
        #expect(throws: DocumentBuilderError(reason: .nonFiniteNumber(.infinity), pointer: "/a/1")) { try builder.finish() }

        builder.beginObject()
        builder.property("x"); builder.beginObject()
        builder.property("k"); builder.int(1)
        builder.property("k"); builder.int(2)
        builder.endObject()
        builder.endObject()
        #expect(throws: DocumentBuilderError(reason: .duplicateProperty("k"), pointer: "/x/k")) { try builder.finish() }

        builder.beginObject()
        builder.property("b"); builder.int(1)
        builder.property("a"); builder.int(1)
        builder.property("b"); builder.int(1)
        builder.endObject()
        #expect(throws: DocumentBuilderError(reason: .duplicateProperty("b"), pointer: "")) { try builder.finish() }

        var shallow = DocumentBuilder(depthMax: 2)
        shallow.beginArray(); shallow.beginArray(); shallow.beginArray(); shallow.endArray(); shallow.endArray(); shallow.endArray()
        #expect(throws: DocumentBuilderError(reason: .depthExceeded(limit: 2), pointer: "/0/0")) { try shallow.finish() }

        var utf8 = DocumentBuilder()
        [UInt8]([0xC0, 0x80]).withUnsafeBytes { utf8.string(utf8: $0) }
        #expect(throws: DocumentBuilderError(reason: .invalidUTF8, pointer: "")) { try utf8.finish() }
    }

    @Test func jsonValueConvertsBothWays() throws {
        let value: JSONValue = ["id": "a", "n": [1, 2.5, .uint(1 << 63)], "o": ["x": .null, "y": false]]
        let document = try Document(value)
        #expect(document.jsonValue == value)
        #expect(document.description == value.description)
        #expect(throws: DocumentBuilderError.self) { try Document(JSONValue.double(.nan)) }
        var deep: JSONValue = 1
        for _ in 0..<300 { deep = [deep] }
        #expect(throws: DocumentBuilderError.self) { try Document(deep) }
    }

    @Test func copiedBuildersAreIndependent() throws {
        var builder = DocumentBuilder()
        builder.beginArray()
        builder.int(1)
        var copy = builder
        copy.int(2)
        copy.endArray()
        builder.string("x")
        builder.endArray()
        #expect(try copy.finish().description == "[1,2]")
        #expect(try builder.finish().description == #"[1,"x"]"#)
    }
}
