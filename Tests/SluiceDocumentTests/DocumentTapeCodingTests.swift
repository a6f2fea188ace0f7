import Testing
@testable import SluiceDocument

@Suite struct DocumentTapeCodingTests {
    /// The exact bytes of a small tape (docs/document.md, "Tape bytes").
    @Test func tapeBytesVector() throws {
        let document = try Document(parsing: #"{"b":[true],"a":-1}"#)
        let expected: [UInt8] = Array("SLT1".utf8) + [6, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0]
            // object, 2 properties, span 6
            + [8, 2, 0, 0, 0, 0, 0, 0, 6, 0, 0, 0, 0, 0, 0, 0]
            // "a": string of 1 byte at offset 1 (names keep their parse order in the string area)
            + [6, 1, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0]
            // -1
            + [3, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF]
            // "b" at offset 0
            + [6, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]
            // array, 1 element, span 2; true
            + [7, 1, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0]
            + [2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]
            + Array("ba".utf8)
        #expect(document.tapeBytes == expected)
        #expect(try Document(tapeBytes: expected).description == #"{"a":-1,"b":[true]}"#)
    }

    @Test(arguments: [UInt64(41), 42])
    func roundTripsRandomDocuments(seed: UInt64) throws {
        var random = RandomJSON(seed: seed)
        for _ in 0..<300 {
            let document = try Document(random.value())
            let back = try Document(tapeBytes: document.tapeBytes)
            #expect(back.tapeBytes == document.tapeBytes)
            #expect(back == document)
        }
    }

    /// Every single-byte corruption of a tape is either rejected or still a valid tape (never a
    /// crash or an out-of-bounds read).
    @Test func corruptTapesAreRejectedOrValid() throws {
        let document = try Document(parsing: #"{"a":[1,"xy",{"c":null}],"b":2.5,"d":"é"}"#)
        let bytes = document.tapeBytes
        var rejected = 0
        for index in bytes.indices {
            for value: UInt8 in [0, 1, 7, 8, 0x80, 0xFF] where bytes[index] != value {
                var corrupt = bytes
                corrupt[index] = value
                do {
                    let decoded = try Document(tapeBytes: corrupt)
                    _ = decoded.description  // walks it all
                    _ = decoded.hashValue
                } catch {
                    rejected += 1
                }
            }
        }
        #expect(rejected > bytes.count)
        #expect(throws: TapeDecodingError.self) { try Document(tapeBytes: Array(bytes.dropLast())) }
        #expect(throws: TapeDecodingError.self) { try Document(tapeBytes: [UInt8]()) }
    }

    /// `withUnsafeTapeBytes` shows exactly the tape bytes after their header, and
    /// `Document(uncheckedTapeBytes:)` reads back what `appendTapeBytes` wrote, byte for byte.
    @Test(arguments: [UInt64(43), 44])
    func unsafeTapeViewAndUncheckedDecodingAgreeWithTapeBytes(seed: UInt64) throws {
        var random = RandomJSON(seed: seed)
        for _ in 0..<300 {
            let document = try Document(random.value())
            let bytes = document.tapeBytes
            let viewed: [UInt8] = document.withUnsafeTapeBytes { entries, strings in Array(entries) + Array(strings) }
            #expect(viewed == Array(bytes.dropFirst(16)), "seed \(seed): \(document)")
            let back = bytes.withUnsafeBytes { Document(uncheckedTapeBytes: $0) }
            #expect(back.tapeBytes == bytes)
            #expect(back == document)
        }
    }

    @Test func uncheckedDecodingOfTheVector() throws {
        let document = try Document(parsing: #"{"b":[true],"a":-1}"#)
        let back = document.tapeBytes.withUnsafeBytes { Document(uncheckedTapeBytes: $0) }
        #expect(back.description == #"{"a":-1,"b":[true]}"#)
        #expect(back.entryCount == 6 && back.stringByteCount == 2)
    }
}
