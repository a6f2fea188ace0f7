import Testing
@testable import SluiceDocument

@Suite struct SmokeTests {
    @Test func smoke() throws {
        let inputs = [#"{"id":"key-1","seq":12,"ts":"x","customer":{"cid":"c","name":"A B","tier":"gold","region":"eu","city":"Z"},"amount":123.45,"qty":3,"tags":["a","b"],"note":"h\"i\nü"}"#,
                      "[1,-2,3.5,1e20,1e-7,0.0001,18446744073709551615,9223372036854775808,-9223372036854775808,-0,1.5e300,100,[],{}]",
                      #"{"b":1,"a":{"z":[1,{"y":2,"x":3}],"c":null},"aa":true}"#]
        for input in inputs {
            let document = try Document(parsing: input)
            print(document.description)
            let again = try Document(parsing: document.description)
            #expect(again == document)
            #expect(again.description == document.description)
            print(document.jsonValue)
        }
    }
}
