import Testing
import SluiceDerive
import SluiceDocument
import SluiceSQLite

/// SEMANTICS.md §5: binding, row mapping, several statements, errors with positions.
@Suite struct SQLiteLambdaTests {
    static let fields = LambdaFields(schema: try! JSONValue(parsing: """
        {"type":"object","properties":{"id":{},"case":{},"in":{},"amount":{},"customer":{"type":"object",
         "properties":{"name":{},"tier":{}}},"tags":{},"with space":{}}}
        """))

    func lambda(_ sql: String, database: SQLiteDatabase? = nil) throws -> SQLiteLambda {
        try SQLiteLambda(derivation: "acme/out", transform: "fromIn", sql: sql, database: database ?? SQLiteDatabase.inMemory(),
                         fields: Self.fields)
    }

    func outputs(_ lambda: SQLiteLambda, _ json: String) throws -> [String] {
        var outputs: [String] = []
        try lambda.invoke(try Document(parsing: json)) { outputs.append($0.description) }
        return outputs
    }

    @Test func valuesBindByType() throws {
        let lambda = try lambda("SELECT $case, typeof($in) AS type, $in AS output;")
        let cases: [(String, String)] = [
            (#"{"case":"true","in":true}"#, #"{"case":"true","output":1,"type":"integer"}"#),
            (#"{"case":"false","in":false}"#, #"{"case":"false","output":0,"type":"integer"}"#),
            (#"{"case":"string","in":"hello"}"#, #"{"case":"string","output":"hello","type":"text"}"#),
            (#"{"case":"int","in":-456}"#, #"{"case":"int","output":-456,"type":"integer"}"#),
            (#"{"case":"big","in":18446744073709551615}"#, #"{"case":"big","output":1.8446744073709552e19,"type":"real"}"#),
            (#"{"case":"real","in":1.5}"#, #"{"case":"real","output":1.5,"type":"real"}"#),
            (#"{"case":"null","in":null}"#, #"{"case":"null","output":null,"type":"null"}"#),
            (#"{"case":"missing"}"#, #"{"case":"missing","output":null,"type":"null"}"#),
            (#"{"case":"array","in":[1,"two",{"b":1,"a":2}]}"#, #"{"case":"array","output":[1,"two",{"a":2,"b":1}],"type":"text"}"#),
            (#"{"case":"object","in":{"z":[],"a":null}}"#, #"{"case":"object","output":{"a":null,"z":[]},"type":"text"}"#),
            (#"{"case":"json-looking string","in":"[1,2]"}"#, #"{"case":"json-looking string","output":[1,2],"type":"text"}"#),
            (#"{"case":"invalid-array","in":"[1 2]"}"#, #"{"case":"invalid-array","output":"[1 2]","type":"text"}"#),
            (#"{"case":"invalid-obj","in":"{four 4}"}"#, #"{"case":"invalid-obj","output":"{four 4}","type":"text"}"#),
        ]
        for (input, expected) in cases {
            #expect(try outputs(lambda, input) == [expected], "\(input)")
        }
    }

    @Test func columnsNamedByParametersTakeTheirFieldNames() throws {
        let lambda = try lambda(#"SELECT $id, $customer$name, $with_space, $amount * 2 AS double, 'x' AS "quoted name";"#)
        #expect(try outputs(lambda, #"{"id":7,"customer":{"name":"Ann"},"with space":true,"amount":2.5}"#)
                == [#"{"customer/name":"Ann","double":5.0,"id":7,"quoted name":"x","with space":1}"#])
    }

    @Test func aSingleJSONColumnIsTheWholeDocument() throws {
        let lambda = try lambda("SELECT json_object('id', $id, 'tags', json($tags), 'n', 1);")
        #expect(try outputs(lambda, #"{"id":"a","tags":["x","y"]}"#) == [#"{"id":"a","n":1,"tags":["x","y"]}"#])
        let document = try self.lambda("SELECT JSON($flow_document);")
        #expect(try outputs(document, #"{"id":1,"_meta":{"uuid":"u"}}"#) == [#"{"_meta":{"uuid":"u"},"id":1}"#])
        let notAnObject = try self.lambda("SELECT json_array($id);")
        let error = try #require(throws: DerivationError.self) { try outputs(notAnObject, #"{"id":1}"#) }
        #expect(error.description == "derivation acme/out, transform fromIn, statement 1 (lambda line 1, column 1): "
                + "its json_array($id) column is [1], not a JSON object: a single json… column is published as the whole document")
    }

    @Test func otherSQLiteValuesMapToJSON() throws {
        let lambda = try lambda("SELECT $id, x'00ff' AS blob, 1e999 AS big, -1e999 AS small, 9223372036854775807 AS max;")
        #expect(try outputs(lambda, #"{"id":1}"#) == [#"{"big":"inf","blob":"AP8=","id":1,"max":9223372036854775807,"small":"-inf"}"#])
    }

    @Test func statementsRunInOrderAndKeepStateInTheDatabase() throws {
        let database = try SQLiteDatabase.inMemory()
        try database.execute("CREATE TABLE totals (customer TEXT PRIMARY KEY, total REAL NOT NULL)")
        let lambda = try lambda("""
            INSERT INTO totals VALUES ($customer$name, $amount) ON CONFLICT DO UPDATE SET total = total + excluded.total;
            SELECT $customer$name AS customer, total FROM totals WHERE customer = $customer$name;
            SELECT 'big' AS flag, $id WHERE $amount > 10;
            """, database: database)
        #expect(!lambda.isReadOnly)
        #expect(lambda.boundPointers == ["/customer/name", "/amount", "/id"])
        #expect(try outputs(lambda, #"{"id":1,"customer":{"name":"a"},"amount":4}"#) == [#"{"customer":"a","total":4.0}"#])
        #expect(try outputs(lambda, #"{"id":2,"customer":{"name":"a"},"amount":20}"#)
                == [#"{"customer":"a","total":24.0}"#, #"{"flag":"big","id":2}"#])
        #expect(try outputs(lambda, #"{"id":3,"customer":{"name":"b"},"amount":1}"#) == [#"{"customer":"b","total":1.0}"#])
    }

    @Test func fanOutPublishesEveryRow() throws {
        let lambda = try lambda("SELECT $id, value AS tag FROM json_each($tags);")
        #expect(try outputs(lambda, #"{"id":1,"tags":["a","b","c"]}"#) == [#"{"id":1,"tag":"a"}"#, #"{"id":1,"tag":"b"}"#, #"{"id":1,"tag":"c"}"#])
        #expect(try outputs(lambda, #"{"id":2,"tags":[]}"#) == [])
    }

    @Test func errorsNameTheTransformAndThePlace() throws {
        let syntax = try #require(throws: DerivationError.self) { try lambda("SELECT $id;\nSELEC 2;") }
        #expect(syntax.description == #"derivation acme/out, transform fromIn, lambda line 2, column 1: near "SELEC": syntax error"#)

        let unknown = try #require(throws: DerivationError.self) { try lambda("SELECT $id,\n  $amout AS total;") }
        #expect(unknown.description == "derivation acme/out, transform fromIn, lambda line 2, column 3: "
                + "parameter $amout is not a field of the source (did you mean $amount?)")

        let anonymous = try #require(throws: DerivationError.self) { try lambda("SELECT ?;") }
        #expect(anonymous.message.hasPrefix("an anonymous parameter (?) binds nothing"))
        #expect(anonymous.place == "lambda line 1, column 8")
        let colon = try #require(throws: DerivationError.self) { try lambda("SELECT :id;") }
        #expect(colon.message == "parameter :id: parameters are written $field (for example $id or $customer$name)")

        let table = try #require(throws: DerivationError.self) { try lambda("SELECT * FROM nowhere;") }
        #expect(table.message == "no such table: nowhere")

        let database = try SQLiteDatabase.inMemory()
        try database.execute("CREATE TABLE seen (id INTEGER PRIMARY KEY)")
        let constraint = try lambda("SELECT 1 AS one;\n  INSERT INTO seen VALUES ($id);", database: database)
        _ = try outputs(constraint, #"{"id":1}"#)
        let failure = try #require(throws: DerivationError.self) { try outputs(constraint, #"{"id":1}"#) }
        #expect(failure.description == "derivation acme/out, transform fromIn, statement 2 (lambda line 2, column 3): UNIQUE constraint failed: seen.id")
        // The statement is usable again after a failure.
        #expect(try outputs(constraint, #"{"id":2}"#) == [#"{"one":1}"#])
    }

    @Test func lambdasFromFilesNameTheFile() throws {
        let error = try #require(throws: DerivationError.self) {
            try SQLiteLambda(derivation: "acme/out", transform: "fromIn", sql: "-- totals\nSELECT $nope;", file: "/x/lambdas/totals.sql",
                             database: SQLiteDatabase.inMemory(), fields: Self.fields)
        }
        #expect(error.place == "totals.sql:2:8")
    }

    @Test func commentOnlyLambdasPublishNothing() throws {
        let lambda = try lambda("-- nothing to do\n/* at all */")
        #expect(try outputs(lambda, #"{"id":1}"#) == [])
    }
}
