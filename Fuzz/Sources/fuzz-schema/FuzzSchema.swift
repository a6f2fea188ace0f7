// The schema compiler and validator: any input that parses as JSON is compiled as a schema;
// compiling may fail with an error but never crash; a compiled schema validates a few
// documents (and the input itself) without crashing.
import FuzzDriver
import SluiceDocument
import SluiceSchema

let samples: [Document] = [
    #"{"id":1,"a":[1,"x",null,true],"b":{"c":2.5}}"#, "[]", "\"key-000001\"", "18446744073709551615", "{}",
].map { try! Document(parsing: $0) }

@main
enum FuzzSchema {
    static func main() {
        FuzzDriver.run { data, size in
            guard let data else { return 0 }
            var parser = JSONParser(depthMax: 64)
            guard let document = try? parser.parse(UnsafeRawBufferPointer(start: data, count: size)) else { return 0 }
            var options = SchemaOptions()
            options.errorLimit = 10
            guard let schema = try? Schema(document, options: options, resolver: SchemaResolver(readsFiles: false)) else { return 0 }
            var validator = schema.validator()
            for sample in samples + [document] {
                _ = try? validator.validate(sample)
            }
            return 0
        }
    }
}
