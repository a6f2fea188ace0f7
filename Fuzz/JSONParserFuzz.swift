// libFuzzer target for SluiceDocument's parser, built by `make fuzz-json` (outside SwiftPM:
// swiftc compiles this file with Sources/SluiceDocument/*.swift as one module, with
// -sanitize=fuzzer,address). Every input must parse or fail with an error inside the input;
// whatever parses must serialize, re-parse to an equal document, and survive its tape bytes.

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzJSONParser(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let input = UnsafeRawBufferPointer(start: data, count: size)
    var parser = JSONParser(depthMax: 64)
    do {
        let document = try parser.parse(input)
        let bytes = document.jsonBytes
        let again = try parser.parse(bytes)
        precondition(again == document && again.jsonBytes == bytes, "round trip differs")
        let tape = try Document(tapeBytes: document.tapeBytes)
        precondition(tape == document, "tape bytes round trip differs")
        var packed: [UInt8] = []
        PackedKey.append(document.root, to: &packed)
        _ = try PackedKey.unpack(packed)
    } catch let error as JSONParseError {
        precondition(error.offset >= 0 && error.offset <= size, "error offset outside the input")
    } catch {
        preconditionFailure("unexpected error \(error)")
    }
    // Tape decoding of arbitrary bytes must never crash either.
    _ = try? Document(tapeBytes: input)
    return 0
}
