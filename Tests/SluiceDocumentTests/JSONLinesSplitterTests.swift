import Testing
@testable import SluiceDocument

@Suite struct JSONLinesSplitterTests {
    static func split(_ text: String, chunkBytes: Int, lineBytesMax: Int = 1 << 20) throws -> [(String, Int)] {
        var splitter = JSONLinesSplitter(lineBytesMax: lineBytesMax)
        var lines: [(String, Int)] = []
        let bytes = Array(text.utf8)
        var start = 0
        let collect: (UnsafeRawBufferPointer, Int) throws -> Void = { line, number in
            lines.append((String(decoding: line, as: UTF8.self), number))
        }
        while start < bytes.count {
            let end = min(bytes.count, start + chunkBytes)
            try splitter.feed(Array(bytes[start..<end]), collect)
            start = end
        }
        try splitter.finish(collect)
        return lines
    }

    @Test func splitsAcrossBuffersWithCRLFAndBlankLines() throws {
        let text = "{\"a\":1}\r\n\n  \r\n{\"b\":[1,2]}\n{\"c\":\"x\"}"
        for chunk in [1, 2, 3, 5, 7, 100] {
            let lines = try Self.split(text, chunkBytes: chunk)
            #expect(lines.map(\.0) == [#"{"a":1}"#, #"{"b":[1,2]}"#, #"{"c":"x"}"#], "chunk \(chunk)")
            #expect(lines.map(\.1) == [1, 4, 5], "chunk \(chunk)")
        }
    }

    @Test func longLinesAreAnErrorNamingTheLine() throws {
        let text = "[1]\n[" + String(repeating: "1,", count: 20) + "1]\n"
        for chunk in [3, 1000] {
            #expect(throws: JSONLinesError.lineTooLong(line: 2, limitBytes: 16)) { try Self.split(text, chunkBytes: chunk, lineBytesMax: 16) }
        }
        // At the limit exactly, with or without a CR.
        #expect(try Self.split("1234567890123456\r\n", chunkBytes: 5, lineBytesMax: 16).map(\.0) == ["1234567890123456"])
        #expect(try Self.split("1234567890123456", chunkBytes: 5, lineBytesMax: 16).map(\.0) == ["1234567890123456"])
        // Regression: a buffer ending right after the CR of a line at the limit.
        #expect(try Self.split("1234567890123456\r\n[1]\n", chunkBytes: 17, lineBytesMax: 16).map(\.0) == ["1234567890123456", "[1]"])
        #expect(throws: JSONLinesError.lineTooLong(line: 1, limitBytes: 16)) {
            try Self.split("12345678901234567\n", chunkBytes: 17, lineBytesMax: 16)
        }
        #expect(throws: JSONLinesError.self) { try Self.split("12345678901234567", chunkBytes: 100, lineBytesMax: 16) }
    }

    @Test func parseLinesReportsTheBadLine() throws {
        var parser = JSONParser()
        var seen: [Int] = []
        let good = Array("{\"a\":1}\n\n[2]\r\n".utf8)
        try good.withUnsafeBytes { try parser.parseLines($0) { _, line in seen.append(line) } }
        #expect(seen == [1, 3])
        let bad = Array("{\"a\":1}\n{\"a\":}\n".utf8)
        #expect {
            try bad.withUnsafeBytes { try parser.parseLines($0) { _, _ in } }
        } throws: { error in
            guard case JSONLinesError.invalidDocument(let line, let parseError) = error else { return false }
            return line == 2 && parseError.column == 6 && "\(error)" == "line 2, column 6: expected a JSON value, found '}'"
        }
    }
}
