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
        let storage = node.storage
        // Rough size: strings plus a few bytes per entry; grow geometrically.
        let estimate = storage.stringByteCount + 8 * storage.entryCount
        if output.capacity < output.count + estimate {
            output.reserveCapacity(Swift.max(output.count + estimate, output.capacity * 2))
        }
        storage.withTape { entries, strings in
            // Safety: walks [node.index, node.index + span) of a valid tape.
            var index = node.index
            var stack: [(isObject: Bool, remaining: Int)] = []

            @inline(__always)
            func writeName(_ output: inout [UInt8]) {
                let name = entries[index]
                appendString(UnsafeRawBufferPointer(start: strings + Int(truncatingIfNeeded: name.payload), count: name.count), to: &output)
                output.append(UInt8(ascii: ":"))
                index += 1
            }

            while true {
                let entry = entries[index]
                switch entry.tag {
                case .null: appendASCII("null", to: &output)
                case .false: appendASCII("false", to: &output)
                case .true: appendASCII("true", to: &output)
                case .int: appendInteger(Int64(bitPattern: entry.payload), to: &output)
                case .uint: appendInteger(entry.payload, to: &output)
                case .double: appendDouble(Double(bitPattern: entry.payload), to: &output)
                case .string:
                    appendString(UnsafeRawBufferPointer(start: strings + Int(truncatingIfNeeded: entry.payload), count: entry.count), to: &output)
                case .array:
                    output.append(UInt8(ascii: "["))
                    index += 1
                    if entry.count == 0 {
                        output.append(UInt8(ascii: "]"))
                    } else {
                        stack.append((false, entry.count))
                        continue
                    }
                    index -= 1
                case .object:
                    output.append(UInt8(ascii: "{"))
                    index += 1
                    if entry.count == 0 {
                        output.append(UInt8(ascii: "}"))
                    } else {
                        stack.append((true, entry.count))
                        writeName(&output)
                        continue
                    }
                    index -= 1
                }
                index += 1
                // After a value: close finished containers, then a separator.
                while let top = stack.last {
                    let remaining = top.remaining - 1
                    if remaining == 0 {
                        output.append(top.isObject ? UInt8(ascii: "}") : UInt8(ascii: "]"))
                        stack.removeLast()
                        continue
                    }
                    stack[stack.count - 1].remaining = remaining
                    output.append(UInt8(ascii: ","))
                    if top.isObject { writeName(&output) }
                    break
                }
                if stack.isEmpty { return }
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

    // MARK: - Strings

    /// `escapes[byte]`: 0 to copy the byte, 1 for `\u00xx`, else the letter after the backslash.
    private static let escapes: [UInt8] = (0..<256).map { byte -> UInt8 in
        switch byte {
        case 0x22: return UInt8(ascii: "\"")
        case 0x5C: return UInt8(ascii: "\\")
        case 0x08: return UInt8(ascii: "b")
        case 0x0C: return UInt8(ascii: "f")
        case 0x0A: return UInt8(ascii: "n")
        case 0x0D: return UInt8(ascii: "r")
        case 0x09: return UInt8(ascii: "t")
        case 0..<0x20: return 1
        default: return 0
        }
    }

    private static let hexDigits: StaticString = "0123456789abcdef"

    /// Appends UTF-8 `bytes` as a quoted, escaped JSON string.
    public static func appendString(_ bytes: UnsafeRawBufferPointer, to output: inout [UInt8]) {
        output.append(UInt8(ascii: "\""))
        escapes.withUnsafeBufferPointer { escapes in
            var runStart = 0
            for index in 0..<bytes.count {
                let escape = escapes[Int(bytes[index])]
                if escape == 0 { continue }
                if runStart < index { output.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[runStart..<index])) }
                output.append(UInt8(ascii: "\\"))
                if escape == 1 {
                    let byte = bytes[index]
                    output.append(UInt8(ascii: "u"))
                    output.append(UInt8(ascii: "0"))
                    output.append(UInt8(ascii: "0"))
                    output.append(hexDigits.utf8Start[Int(byte >> 4)])
                    output.append(hexDigits.utf8Start[Int(byte & 0xF)])
                } else {
                    output.append(escape)
                }
                runStart = index + 1
            }
            if runStart < bytes.count { output.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[runStart...])) }
        }
        output.append(UInt8(ascii: "\""))
    }

    // MARK: - Numbers

    static func appendInteger(_ value: Int64, to output: inout [UInt8]) {
        if value < 0 {
            output.append(UInt8(ascii: "-"))
            appendInteger(value.magnitude, to: &output)
        } else {
            appendInteger(UInt64(value), to: &output)
        }
    }

    static func appendInteger(_ value: UInt64, to output: inout [UInt8]) {
        var digits: (UInt64, UInt64, UInt64) = (0, 0, 0)  // 24 bytes of room for 20 digits
        withUnsafeMutableBytes(of: &digits) { buffer in
            var position = buffer.count
            var rest = value
            repeat {
                position -= 1
                buffer[position] = UInt8(ascii: "0") + UInt8(rest % 10)
                rest /= 10
            } while rest > 0
            output.append(contentsOf: UnsafeRawBufferPointer(rebasing: buffer[position...]))
        }
    }

    /// Appends a finite double in serde_json's (ryu's) layout of its shortest round-trip digits.
    static func appendDouble(_ value: Double, to output: inout [UInt8]) {
        guard value.isFinite else {
            output.append(contentsOf: value.description.utf8)
            return
        }
        if value.sign == .minus { output.append(UInt8(ascii: "-")) }
        if value == 0 {
            appendASCII("0.0", to: &output)
            return
        }
        // Shortest digits and exponent from Swift's description (itself shortest round-trip):
        // forms like "123.45", "1e+16", "1.2345e-05", "5e-324".
        var digits: (UInt64, UInt64, UInt64) = (0, 0, 0)  // up to 17 significant digits
        let (count, pointPosition): (Int, Int) = withUnsafeMutableBytes(of: &digits) { buffer in
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
            return (count, beforePoint + (exponentNegative ? -exponent : exponent))
        }
        // value = 0.d1d2...dk × 10^kk, i.e. 10^(kk-1) <= value < 10^kk.
        let kk = pointPosition
        withUnsafeBytes(of: &digits) { buffer in
            let digitBytes = UnsafeRawBufferPointer(rebasing: buffer[0..<count])
            if count <= kk && kk <= 16 {
                output.append(contentsOf: digitBytes)
                for _ in count..<kk { output.append(UInt8(ascii: "0")) }
                appendASCII(".0", to: &output)
            } else if 0 < kk && kk <= 16 {
                output.append(contentsOf: UnsafeRawBufferPointer(rebasing: digitBytes[0..<kk]))
                output.append(UInt8(ascii: "."))
                output.append(contentsOf: UnsafeRawBufferPointer(rebasing: digitBytes[kk...]))
            } else if -5 < kk && kk <= 0 {
                appendASCII("0.", to: &output)
                for _ in 0..<(-kk) { output.append(UInt8(ascii: "0")) }
                output.append(contentsOf: digitBytes)
            } else {
                output.append(digitBytes[0])
                if count > 1 {
                    output.append(UInt8(ascii: "."))
                    output.append(contentsOf: UnsafeRawBufferPointer(rebasing: digitBytes[1...]))
                }
                output.append(UInt8(ascii: "e"))
                appendInteger(Int64(kk - 1), to: &output)
            }
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
