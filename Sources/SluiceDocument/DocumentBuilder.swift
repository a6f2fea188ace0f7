// DocumentBuilder: writes a new tape incrementally, so reductions can merge documents into a
// new one without building a heap tree.
//
//     var builder = DocumentBuilder()
//     builder.beginObject()
//     builder.property("id"); builder.string("a")
//     builder.property("total"); builder.int(5)
//     builder.property("customer"); builder.copy(other["customer"]!)
//     builder.endObject()
//     let document = try builder.finish()
//
// Properties may come in any order: `endObject` sorts them (cheaply when they already are).
// Misuse of the structure (a value where a property name is due, an unbalanced end, two root
// values) is a programming error and traps. Faults in the data (a non-finite double, a
// duplicate property, nesting too deep, bytes that are not UTF-8) are remembered and thrown
// by `finish`, with the JSON pointer of the first one, so builders need no `try` per value.

/// Builds a `Document` value by value. Reusable: `finish` resets it and keeps its buffers.
public struct DocumentBuilder {
    /// Containers may nest this deep; deeper ones make `finish` throw.
    public let depthMax: Int

    private var scratch: TapeScratch
    /// True after `property` until the property's value arrives.
    private var awaitingValue = false
    /// True once the root value has begun.
    private var hasRoot = false
    private var firstError: DocumentBuilderError? = nil

    public init(depthMax: Int = JSONParser.depthMaxDefault) {
        precondition(depthMax >= 1 && depthMax <= JSONParser.depthMaxLimit, "depthMax must be in 1...\(JSONParser.depthMaxLimit)")
        self.depthMax = depthMax
        self.scratch = TapeScratch()
    }

    private mutating func writer() -> TapeScratch {
        if !isKnownUniquelyReferenced(&scratch) {
            // A copied builder: give this copy its own tape, with the content so far.
            let old = scratch.writer
            let fresh = TapeScratch()
            fresh.writer.copyState(from: old)
            scratch = fresh
        }
        return scratch
    }

    /// Depth of open containers.
    public var depth: Int { scratch.writer.depth }

    // MARK: - Values

    private mutating func beforeValue() {
        let writer = scratch.writer
        if writer.depth == 0 {
            precondition(!hasRoot, "DocumentBuilder: a second root value")
            hasRoot = true
        } else if writer.frames[writer.depth - 1].isObject {
            precondition(awaitingValue, "DocumentBuilder: a value inside an object needs a property name first")
        }
        awaitingValue = false
        _ = self.writer()
        scratch.writer.countElement()
    }

    public mutating func null() {
        beforeValue()
        scratch.writer.append(.null)
    }

    public mutating func bool(_ value: Bool) {
        beforeValue()
        scratch.writer.append(value ? .true : .false)
    }

    public mutating func int(_ value: Int64) {
        beforeValue()
        scratch.writer.append(TapeEntry(tag: .int, count: 0, payload: UInt64(bitPattern: value)))
    }

    /// An unsigned integer (stored as Int64 when it fits).
    public mutating func uint(_ value: UInt64) {
        number(JSONNumber(value))
    }

    /// A finite double. A NaN or infinity makes `finish` throw (it is written as null).
    public mutating func double(_ value: Double) {
        guard value.isFinite else {
            null()
            remember(.nonFiniteNumber(value))
            return
        }
        beforeValue()
        scratch.writer.append(TapeEntry(tag: .double, count: 0, payload: value.bitPattern))
    }

    public mutating func number(_ value: JSONNumber) {
        switch value {
        case .int(let value): int(value)
        case .uint(let value):
            if value <= UInt64(Int64.max) {
                int(Int64(value))
            } else {
                beforeValue()
                scratch.writer.append(TapeEntry(tag: .uint, count: 0, payload: value))
            }
        case .double(let value): double(value)
        }
    }

    public mutating func string(_ value: String) {
        beforeValue()
        var value = value
        value.withUTF8 { scratch.writer.appendString(UnsafeRawBufferPointer($0)) }
    }

    /// A string from UTF-8 bytes (validated; invalid bytes make `finish` throw).
    public mutating func string(utf8 bytes: UnsafeRawBufferPointer) {
        if !isValidUTF8(bytes) { remember(.invalidUTF8) }
        beforeValue()
        scratch.writer.appendString(bytes)
    }

    // MARK: - Containers

    public mutating func beginArray() {
        beforeValue()
        if scratch.writer.depth >= depthMax { remember(.depthExceeded(limit: depthMax)) }
        scratch.writer.open(isObject: false)
    }

    public mutating func endArray() {
        let writer = scratch.writer
        precondition(writer.depth > 0 && !writer.frames[writer.depth - 1].isObject, "DocumentBuilder: endArray without beginArray")
        _ = scratch.writer.close()
    }

    public mutating func beginObject() {
        beforeValue()
        if scratch.writer.depth >= depthMax { remember(.depthExceeded(limit: depthMax)) }
        scratch.writer.open(isObject: true)
        awaitingValue = false
    }

    public mutating func endObject() {
        let writer = scratch.writer
        precondition(writer.depth > 0 && writer.frames[writer.depth - 1].isObject, "DocumentBuilder: endObject without beginObject")
        precondition(!awaitingValue, "DocumentBuilder: endObject after a property name without a value")
        if let duplicate = scratch.writer.close() {
            let entry = scratch.writer.entries[duplicate.entryIndex]
            let name = String(decoding: UnsafeRawBufferPointer(start: scratch.writer.strings + Int(entry.payload), count: entry.count), as: UTF8.self)
            remember(.duplicateProperty(name))
        }
    }

    /// The name of the next property of the innermost open object; its value follows.
    public mutating func property(_ name: String) {
        var name = name
        name.withUTF8 { property(utf8: UnsafeRawBufferPointer($0), validated: true) }
    }

    /// A property name from UTF-8 bytes (validated).
    public mutating func property(utf8 name: UnsafeRawBufferPointer) {
        property(utf8: name, validated: false)
    }

    private mutating func property(utf8 name: UnsafeRawBufferPointer, validated: Bool) {
        let writer = scratch.writer
        precondition(writer.depth > 0 && writer.frames[writer.depth - 1].isObject, "DocumentBuilder: property outside an object")
        precondition(!awaitingValue, "DocumentBuilder: two property names in a row")
        if !validated && !isValidUTF8(name) { remember(.invalidUTF8) }
        _ = self.writer()
        let entryIndex = scratch.writer.entryCount
        scratch.writer.appendString(name)
        if !scratch.writer.recordProperty(entryIndex: entryIndex, inputOffset: 0) {
            remember(.duplicateProperty(String(decoding: name, as: UTF8.self)))
        }
        awaitingValue = true
    }

    /// The name and value of a property node of another document, e.g. from `node.properties`.
    public mutating func property(_ property: Node.Property) {
        property.nameNode.withUTF8 { self.property(utf8: $0, validated: true) }
        copy(property.value)
    }

    // MARK: - Copies

    /// Appends a copy of `node` (and everything below it) as the next value.
    public mutating func copy(_ node: Node) {
        beforeValue()
        let storage = node.storage
        let start = node.index
        let span = storage.entry(start).span
        var subtreeDepth = 0
        storage.withTape { entries, strings in
            // Safety: reads stay inside [start, start + span) of a valid tape and the string
            // ranges its entries name.
            let writer = scratch.writer
            if writer.entryCount + span > writer.entryCapacity { scratch.writer.growEntries(minimum: writer.entryCount + span) }
            // Track nesting with the end indices of open containers.
            var ends: [Int] = []
            for index in start..<(start + span) {
                while let last = ends.last, last <= index { ends.removeLast() }
                var entry = entries[index]
                switch entry.tag {
                case .string:
                    scratch.writer.reserveStringBytes(entry.count)
                    let offset = scratch.writer.stringCount
                    if entry.count > 0 {
                        (scratch.writer.strings + offset).update(
                            from: (strings + Int(truncatingIfNeeded: entry.payload)).assumingMemoryBound(to: UInt8.self),
                            count: entry.count)
                    }
                    scratch.writer.stringCount += entry.count
                    entry.payload = UInt64(offset)
                case .array, .object:
                    ends.append(index + entry.span)
                    subtreeDepth = Swift.max(subtreeDepth, ends.count)
                default:
                    break
                }
                scratch.writer.entries[scratch.writer.entryCount] = entry
                scratch.writer.entryCount += 1
            }
        }
        if scratch.writer.depth + subtreeDepth > depthMax { remember(.depthExceeded(limit: depthMax)) }
    }

    /// Appends a heap value as the next value.
    public mutating func append(_ value: JSONValue) {
        switch value {
        case .null: null()
        case .bool(let value): bool(value)
        case .int(let value): int(value)
        case .uint(let value): uint(value)
        case .double(let value): double(value)
        case .string(let value): string(value)
        case .array(let elements):
            beginArray()
            for element in elements { append(element) }
            endArray()
        case .object(let object):
            beginObject()
            for (name, value) in object {
                property(name)
                append(value)
            }
            endObject()
        }
    }

    // MARK: - Finishing

    /// The document built, or the first fault in its data. Resets the builder either way.
    public mutating func finish() throws(DocumentBuilderError) -> Document {
        defer { reset() }
        precondition(hasRoot, "DocumentBuilder: finish without a value")
        precondition(scratch.writer.depth == 0, "DocumentBuilder: finish with open arrays or objects")
        if let firstError { throw firstError }
        return scratch.makeDocument()
    }

    /// Drops what was built so far.
    public mutating func reset() {
        _ = writer()
        scratch.writer.reset()
        awaitingValue = false
        hasRoot = false
        firstError = nil
    }

    // MARK: - Errors

    private mutating func remember(_ reason: DocumentBuilderError.Reason) {
        guard firstError == nil else { return }
        firstError = DocumentBuilderError(reason: reason, pointer: currentPointer())
    }

    /// The pointer of the value being written, from the open containers.
    private func currentPointer() -> JSONPointer {
        let writer = scratch.writer
        var names: [String] = []
        for level in 0..<writer.depth {
            let frame = writer.frames[level]
            if frame.isObject {
                let nextBase = level + 1 < writer.depth ? writer.frames[level + 1].propertyBase : writer.propertyCount
                guard nextBase > frame.propertyBase else { break }
                let entry = writer.entries[writer.properties[nextBase - 1].entryIndex]
                names.append(String(decoding: UnsafeRawBufferPointer(start: writer.strings + Int(entry.payload), count: entry.count), as: UTF8.self))
            } else {
                guard frame.count > 0 else { break }
                names.append(String(frame.count - 1))
            }
        }
        return JSONPointer(names: names)
    }
}

extension Document {
    /// A new document holding a copy of `node`'s value (and only what it needs of the string
    /// area), for example a nested object kept after its document is dropped.
    public init(copying node: Node) {
        var builder = DocumentBuilder(depthMax: JSONParser.depthMaxLimit)
        builder.copy(node)
        do {
            self = try builder.finish()
        } catch {
            // A node of a valid tape is valid, and no tape is deeper than depthMaxLimit.
            preconditionFailure("copying a valid node failed: \(error)")
        }
    }
}

/// A fault in the data given to a `DocumentBuilder`, at the JSON pointer of the first one.
public struct DocumentBuilderError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Reason: Sendable, Equatable {
        case nonFiniteNumber(Double)
        case duplicateProperty(String)
        case depthExceeded(limit: Int)
        case invalidUTF8

        public static func == (left: Reason, right: Reason) -> Bool {
            switch (left, right) {
            case (.nonFiniteNumber(let a), .nonFiniteNumber(let b)): a.bitPattern == b.bitPattern
            case (.duplicateProperty(let a), .duplicateProperty(let b)): a == b
            case (.depthExceeded(let a), .depthExceeded(let b)): a == b
            case (.invalidUTF8, .invalidUTF8): true
            default: false
            }
        }
    }

    public let reason: Reason
    public let pointer: JSONPointer

    public var description: String {
        let location = pointer.tokens.isEmpty ? "the root" : pointer.description
        switch reason {
        case .nonFiniteNumber(let value): return "at \(location): \(value) is not a JSON number"
        case .duplicateProperty(let name): return "at \(location): duplicate property \"\(name)\""
        case .depthExceeded(let limit): return "at \(location): nesting deeper than \(limit) arrays and objects"
        case .invalidUTF8: return "at \(location): a string is not valid UTF-8"
        }
    }
}

/// True if `bytes` is valid UTF-8 (RFC 3629).
func isValidUTF8(_ bytes: UnsafeRawBufferPointer) -> Bool {
    guard let raw = bytes.baseAddress else { return true }
    let base = raw.assumingMemoryBound(to: UInt8.self)
    var p = 0
    while p < bytes.count {
        // Eight ASCII bytes at a time.
        if p + 8 <= bytes.count && UnsafeRawPointer(base + p).loadUnaligned(as: UInt64.self) & 0x8080_8080_8080_8080 == 0 {
            p += 8
            continue
        }
        if base[p] < 0x80 {
            p += 1
            continue
        }
        let length = JSONParser.utf8SequenceLength(base, bytes.count, p)
        if length == 0 { return false }
        p += length
    }
    return true
}
