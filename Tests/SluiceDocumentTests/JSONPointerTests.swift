import Testing
@testable import SluiceDocument

@Suite struct JSONPointerTests {
    @Test func parsesRFC6901() throws {
        #expect(try JSONPointer(parsing: "").tokens.isEmpty)
        #expect(try JSONPointer(parsing: "/a~1b/m~0n/0/-/").tokens.map(\.name) == ["a/b", "m~n", "0", "-", ""])
        #expect(try JSONPointer(parsing: "/0/01/12/-").tokens.map(\.index) == [0, nil, 12, nil])
        #expect(try JSONPointer(parsing: "/a~1b/m~0n").description == "/a~1b/m~0n")
        #expect(throws: JSONPointerError.self) { try JSONPointer(parsing: "a") }
        #expect(throws: JSONPointerError.self) { try JSONPointer(parsing: "/a~2") }
        #expect(throws: JSONPointerError.self) { try JSONPointer(parsing: "/a~") }
    }

    /// The examples of RFC 6901 §5.
    @Test func resolvesTheRFCExamples() throws {
        let document = try Document(parsing: #"{"foo":["bar","baz"],"":0,"a/b":1,"c%d":2,"e^f":3,"g|h":4,"i\\j":5,"k\"l":6," ":7,"m~n":8}"#)
        #expect(document[pointer: ""]?.kind == .object)
        #expect(document[pointer: "/foo"]?.count == 2)
        #expect(document[pointer: "/foo/0"]?.string == "bar")
        #expect(document[pointer: "/"]?.int64 == 0)
        #expect(document[pointer: "/a~1b"]?.int64 == 1)
        #expect(document[pointer: "/c%d"]?.int64 == 2)
        #expect(document[pointer: "/e^f"]?.int64 == 3)
        #expect(document[pointer: "/g|h"]?.int64 == 4)
        #expect(document[pointer: "/i\\j"]?.int64 == 5)
        #expect(document[pointer: "/k\"l"]?.int64 == 6)
        #expect(document[pointer: "/ "]?.int64 == 7)
        #expect(document[pointer: "/m~0n"]?.int64 == 8)
        #expect(document[pointer: "/foo/2"] == nil)
        #expect(document[pointer: "/foo/-"] == nil)
        #expect(document[pointer: "/foo/00"] == nil)
        #expect(document[pointer: "/nope/x"] == nil)
        let value = document.jsonValue
        #expect(value[pointer: "/foo/1"] == "baz")
        #expect(value[pointer: "/m~0n"] == 8)
    }

    @Test func createsOnWrite() throws {
        var value: JSONValue = ["a": 1]
        value[pointer: "/b/c"] = "x"
        value[pointer: "/list/2"] = true
        value[pointer: "/list/-"] = 9
        value[pointer: "/a"] = .null
        value[pointer: "/n/-/k"] = 1
        #expect(value.description == #"{"a":null,"b":{"c":"x"},"list":[null,null,true,9],"n":[{"k":1}]}"#)
        #expect(throws: JSONPointerError.self) { try value.set(1, at: "/b/c/d") }
        #expect(throws: JSONPointerError.self) { try value.set(1, at: "/list/x") }
        #expect(throws: JSONPointerError.self) { try value.set(1, at: "/list/1000000") }
        var root: JSONValue = 1
        root[pointer: ""] = "replaced"
        #expect(root == "replaced")
    }
}
