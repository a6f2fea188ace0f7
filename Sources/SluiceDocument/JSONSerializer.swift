// JSONSerializer: canonical compact JSON (docs/document.md, "Serialization").
//
// No whitespace; object properties in name-byte order (a tape's order); strings escaped as
// serde_json does (`\"`, `\\`, `\b`, `\f`, `\n`, `\r`, `\t`, other controls as `\u00xx`
// lowercase, everything else, non-ASCII included, as its UTF-8); integers as integers;
// doubles as the shortest digits that round-trip, laid out like serde_json (ryu):
// `1.0`, `123.45`, `0.0001`, `1e-7`, `1e16`, `1.5e300`, `-0.0`. So the same value always
// serializes to the same bytes, which are what Flow's runtime would write.

/// Writes canonical compact JSON into a byte array.
public enum JSONSerializer {
    /// Appends `document` as JSON.
    public static func append(_ document: Document, to output: inout [UInt8]) {
        append(document.root, to: &output)
    }

    /// The JSON of `document` as new bytes.
    public static func serialize(_ document: Document) -> [UInt8] {
        var output: [UInt8] = []
        append(document.root, to: &output)
        return output
    }

    /// Appends `node` (and everything below it) as JSON.
    public static func append(_ node: Node, to output: inout [UInt8]) {
        node.storage.withTape { entries, strings in
            // Safety: walks [node.index, node.index + span) of a valid tape, and writes into
            // `bound` bytes appended to `output`, an upper bound of the output: per string 6
            // bytes per byte (`\u00xx`) plus quotes and a separator, per other entry 26 (the
            // longest number, 24, plus a separator; brackets are two entries' worth); the bytes
            // not written are removed again. (Writing in place costs a clear of the bound where
            // a temporary buffer of that size cost an allocation.)
            let start = node.index
            let end = start + entries[start].span
            var bound = 0
            for index in start..<end {
                let entry = entries[index]
                bound += entry.tag == .string ? 6 * entry.count + 3 : 26
            }
            let before = output.count
            if output.capacity < before + bound { output.reserveCapacity(max(before + bound, 2 * output.capacity)) }
            output.append(contentsOf: repeatElement(0, count: bound))
            let count = output.withUnsafeMutableBufferPointer { buffer in
                write(entries, strings, start, end, to: buffer.baseAddress! + before)
            }
            assert(count <= bound)
            output.removeLast(bound - count)
        }
    }

    /// Writes the values in [start, end) of a tape at `out`; returns the bytes written.
    private static func write(_ entries: UnsafePointer<TapeEntry>, _ strings: UnsafeRawPointer, _ start: Int, _ end: Int,
                              to out: UnsafeMutablePointer<UInt8>) -> Int {
        // Open containers: remaining children, and whether it is an object (low bit); at most
        // one per entry.
        withUnsafeTemporaryAllocation(of: Int.self, capacity: end - start) { stack in
            write(entries, strings, start, end, to: out, stack: stack.baseAddress!)
        }
    }

    private static func write(_ entries: UnsafePointer<TapeEntry>, _ strings: UnsafeRawPointer, _ start: Int, _ end: Int,
                              to out: UnsafeMutablePointer<UInt8>, stack: UnsafeMutablePointer<Int>) -> Int {
        var index = start
        var position = 0
        var depth = 0

        @inline(__always)
        func writeString(_ entry: TapeEntry) {
            position += writeEscaped(UnsafeRawBufferPointer(start: strings + Int(truncatingIfNeeded: entry.payload), count: entry.count),
                                     to: out + position)
        }

        while true {
            let entry = entries[index]
            index += 1
            switch entry.tag {
            case .null: position += writeASCII("null", to: out + position)
            case .false: position += writeASCII("false", to: out + position)
            case .true: position += writeASCII("true", to: out + position)
            case .int: position += writeInteger(Int64(bitPattern: entry.payload), to: out + position)
            case .uint: position += writeInteger(entry.payload, to: out + position)
            case .double: position += writeDouble(Double(bitPattern: entry.payload), to: out + position)
            case .string: writeString(entry)
            case .array, .object:
                let isObject = entry.tag == .object
                out[position] = isObject ? UInt8(ascii: "{") : UInt8(ascii: "[")
                position += 1
                if entry.count == 0 {
                    out[position] = isObject ? UInt8(ascii: "}") : UInt8(ascii: "]")
                    position += 1
                } else {
                    stack[depth] = entry.count << 1 | (isObject ? 1 : 0)
                    depth += 1
                    if isObject {
                        writeString(entries[index])
                        out[position] = UInt8(ascii: ":")
                        position += 1
                        index += 1
                    }
                    continue
                }
            }
            // After a value: close finished containers, then a separator.
            while depth > 0 {
                let top = stack[depth - 1]
                let isObject = top & 1 == 1
                if top >> 1 == 1 {
                    out[position] = isObject ? UInt8(ascii: "}") : UInt8(ascii: "]")
                    position += 1
                    depth -= 1
                    continue
                }
                stack[depth - 1] = top - 2
                out[position] = UInt8(ascii: ",")
                position += 1
                if isObject {
                    writeString(entries[index])
                    out[position] = UInt8(ascii: ":")
                    position += 1
                    index += 1
                }
                break
            }
            if depth == 0 {
                assert(index == end)
                return position
            }
        }
    }

    /// Appends a heap value as JSON (same bytes as its `Document` would give).
    /// Non-finite doubles, which no `Document` holds, print as `NaN` or `inf` (not JSON).
    public static func append(_ value: JSONValue, to output: inout [UInt8]) {
        switch value {
        case .null: appendASCII("null", to: &output)
        case .bool(let value): appendASCII(value ? "true" : "false", to: &output)
        case .int(let value): appendInteger(value, to: &output)
        case .uint(let value): appendInteger(value, to: &output)
        case .double(let value): appendDouble(value, to: &output)
        case .string(let value):
            var value = value
            value.withUTF8 { appendString(UnsafeRawBufferPointer($0), to: &output) }
        case .array(let elements):
            output.append(UInt8(ascii: "["))
            for (index, element) in elements.enumerated() {
                if index > 0 { output.append(UInt8(ascii: ",")) }
                append(element, to: &output)
            }
            output.append(UInt8(ascii: "]"))
        case .object(let object):
            output.append(UInt8(ascii: "{"))
            for (index, property) in object.enumerated() {
                if index > 0 { output.append(UInt8(ascii: ",")) }
                var name = property.name
                name.withUTF8 { appendString(UnsafeRawBufferPointer($0), to: &output) }
                output.append(UInt8(ascii: ":"))
                append(property.value, to: &output)
            }
            output.append(UInt8(ascii: "}"))
        }
    }

    public static func appendNumber(_ number: JSONNumber, to output: inout [UInt8]) {
        switch number {
        case .int(let value): appendInteger(value, to: &output)
        case .uint(let value): appendInteger(value, to: &output)
        case .double(let value): appendDouble(value, to: &output)
        }
    }

    @inline(__always)
    static func appendASCII(_ text: StaticString, to output: inout [UInt8]) {
        output.append(contentsOf: UnsafeBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount))
    }

    @inline(__always)
    static func writeASCII(_ text: StaticString, to out: UnsafeMutablePointer<UInt8>) -> Int {
        out.update(from: text.utf8Start, count: text.utf8CodeUnitCount)
        return text.utf8CodeUnitCount
    }

    /// Writes UTF-8 `bytes` as a quoted, escaped JSON string at `out` (room for
    /// 6 × count + 2 bytes); returns the bytes written.
    static func writeEscaped(_ bytes: UnsafeRawBufferPointer, to out: UnsafeMutablePointer<UInt8>) -> Int {
        out[0] = UInt8(ascii: "\"")
        var position = 1
        var runStart = 0
        let count = bytes.count
        guard let base = bytes.baseAddress?.assumingMemoryBound(to: UInt8.self) else {
            out[1] = UInt8(ascii: "\"")
            return 2
        }
        var index = 0
        while index < count {
            // Eight plain bytes at a time (no quote, backslash or control character).
            while index + 8 <= count {
                let word = UInt64(littleEndian: UnsafeRawPointer(base + index).loadUnaligned(as: UInt64.self))
                let mask = JSONParser.escapeMask(word)
                if mask != 0 {
                    index += mask.trailingZeroBitCount >> 3
                    break
                }
                index += 8
            }
            guard index < count else { break }
            let byte = base[index]
            if byte >= 0x20 && byte != 0x22 && byte != 0x5C {
                index += 1
                continue
            }
            if runStart < index {
                (out + position).update(from: base + runStart, count: index - runStart)
                position += index - runStart
            }
            out[position] = UInt8(ascii: "\\")
            let letter: UInt8
            switch byte {
            case 0x22: letter = UInt8(ascii: "\"")
            case 0x5C: letter = UInt8(ascii: "\\")
            case 0x08: letter = UInt8(ascii: "b")
            case 0x0C: letter = UInt8(ascii: "f")
            case 0x0A: letter = UInt8(ascii: "n")
            case 0x0D: letter = UInt8(ascii: "r")
            case 0x09: letter = UInt8(ascii: "t")
            default: letter = 0
            }
            if letter != 0 {
                out[position + 1] = letter
                position += 2
            } else {
                out[position + 1] = UInt8(ascii: "u")
                out[position + 2] = UInt8(ascii: "0")
                out[position + 3] = UInt8(ascii: "0")
                out[position + 4] = hexDigits.utf8Start[Int(byte >> 4)]
                out[position + 5] = hexDigits.utf8Start[Int(byte & 0xF)]
                position += 6
            }
            index += 1
            runStart = index
        }
        if runStart < count {
            (out + position).update(from: base + runStart, count: count - runStart)
            position += count - runStart
        }
        out[position] = UInt8(ascii: "\"")
        return position + 1
    }

    // MARK: - Strings

    private static let hexDigits: StaticString = "0123456789abcdef"

    /// Appends UTF-8 `bytes` as a quoted, escaped JSON string.
    public static func appendString(_ bytes: UnsafeRawBufferPointer, to output: inout [UInt8]) {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 6 * bytes.count + 2) { buffer in
            let count = writeEscaped(bytes, to: buffer.baseAddress!)
            output.append(contentsOf: UnsafeBufferPointer(start: buffer.baseAddress, count: count))
        }
    }

    // MARK: - Numbers

    static func appendInteger(_ value: Int64, to output: inout [UInt8]) {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 24) { buffer in
            output.append(contentsOf: UnsafeBufferPointer(start: buffer.baseAddress, count: writeInteger(value, to: buffer.baseAddress!)))
        }
    }

    static func appendInteger(_ value: UInt64, to output: inout [UInt8]) {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 24) { buffer in
            output.append(contentsOf: UnsafeBufferPointer(start: buffer.baseAddress, count: writeInteger(value, to: buffer.baseAddress!)))
        }
    }

    static func appendDouble(_ value: Double, to output: inout [UInt8]) {
        guard value.isFinite else {
            output.append(contentsOf: value.description.utf8)
            return
        }
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 32) { buffer in
            output.append(contentsOf: UnsafeBufferPointer(start: buffer.baseAddress, count: writeDouble(value, to: buffer.baseAddress!)))
        }
    }

    /// Writes a decimal integer (at most 20 digits and a sign); returns its length.
    @inline(__always)
    static func writeInteger(_ value: Int64, to out: UnsafeMutablePointer<UInt8>) -> Int {
        if value < 0 {
            out[0] = UInt8(ascii: "-")
            return 1 + writeInteger(value.magnitude, to: out + 1)
        }
        return writeInteger(UInt64(value), to: out)
    }

    static func writeInteger(_ value: UInt64, to out: UnsafeMutablePointer<UInt8>) -> Int {
        var length = 1
        var scale: UInt64 = 10
        while length < 20 && value >= scale {
            length += 1
            scale = scale &* 10
        }
        var rest = value
        var position = length
        repeat {
            position -= 1
            out[position] = UInt8(ascii: "0") + UInt8(truncatingIfNeeded: rest % 10)
            rest /= 10
        } while rest > 0
        return length
    }

    /// Writes a finite double in serde_json's (ryu's) layout of its shortest round-trip
    /// digits (at most 24 bytes); returns its length.
    static func writeDouble(_ value: Double, to out: UnsafeMutablePointer<UInt8>) -> Int {
        assert(value.isFinite)
        var position = 0
        if value.sign == .minus {
            out[0] = UInt8(ascii: "-")
            position = 1
        }
        if value == 0 {
            return position + writeASCII("0.0", to: out + position)
        }
        // Shortest digits and exponent from Swift's description (itself shortest round-trip):
        // forms like "123.45", "1e+16", "1.2345e-05", "5e-324".
        var digits: (UInt64, UInt64, UInt64) = (0, 0, 0)  // up to 17 significant digits
        return withUnsafeMutableBytes(of: &digits) { buffer in
            var count = 0
            var beforePoint = 0
            var seenPoint = false
            var exponent = 0
            var exponentNegative = false
            var inExponent = false
            for byte in value.magnitude.description.utf8 {
                switch byte {
                case UInt8(ascii: "0")...UInt8(ascii: "9"):
                    if inExponent {
                        exponent = exponent * 10 + Int(byte - UInt8(ascii: "0"))
                    } else if count == 0 && byte == UInt8(ascii: "0") {
                        if seenPoint { beforePoint -= 1 }  // leading zero after the point: 0.001
                    } else {
                        buffer[count] = byte
                        count += 1
                        if !seenPoint { beforePoint += 1 }
                    }
                case UInt8(ascii: "."): seenPoint = true
                case UInt8(ascii: "e"): inExponent = true
                case UInt8(ascii: "-"): exponentNegative = true
                default: break  // "+"
                }
            }
            while count > 1 && buffer[count - 1] == UInt8(ascii: "0") {
                count -= 1
            }
            // value = 0.d1d2...dk × 10^kk, i.e. 10^(kk-1) <= value < 10^kk.
            let kk = beforePoint + (exponentNegative ? -exponent : exponent)
            let digitBytes = buffer.baseAddress!.assumingMemoryBound(to: UInt8.self)
            if count <= kk && kk <= 16 {
                (out + position).update(from: digitBytes, count: count)
                position += count
                for _ in count..<kk {
                    out[position] = UInt8(ascii: "0")
                    position += 1
                }
                position += writeASCII(".0", to: out + position)
            } else if 0 < kk && kk <= 16 {
                (out + position).update(from: digitBytes, count: kk)
                position += kk
                out[position] = UInt8(ascii: ".")
                (out + position + 1).update(from: digitBytes + kk, count: count - kk)
                position += 1 + count - kk
            } else if -5 < kk && kk <= 0 {
                position += writeASCII("0.", to: out + position)
                for _ in 0..<(-kk) {
                    out[position] = UInt8(ascii: "0")
                    position += 1
                }
                (out + position).update(from: digitBytes, count: count)
                position += count
            } else {
                out[position] = digitBytes[0]
                position += 1
                if count > 1 {
                    out[position] = UInt8(ascii: ".")
                    (out + position + 1).update(from: digitBytes + 1, count: count - 1)
                    position += count
                }
                out[position] = UInt8(ascii: "e")
                position += 1 + writeInteger(Int64(kk - 1), to: out + position + 1)
            }
            return position
        }
    }
}

extension Document {
    /// Canonical compact JSON bytes.
    public var jsonBytes: [UInt8] { JSONSerializer.serialize(self) }
}

extension Node {
    /// Canonical compact JSON bytes of this value.
    public var jsonBytes: [UInt8] {
        var output: [UInt8] = []
        JSONSerializer.append(self, to: &output)
        return output
    }
}

extension JSONValue {
    /// Canonical compact JSON bytes.
    public var jsonBytes: [UInt8] {
        var output: [UInt8] = []
        JSONSerializer.append(self, to: &output)
        return output
    }
}
