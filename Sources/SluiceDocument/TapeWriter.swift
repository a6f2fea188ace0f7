// TapeWriter: a growable tape under construction, shared by `JSONParser` and
// `DocumentBuilder`. It owns nothing: `TapeScratch` owns its memory, so a parser can reuse the
// same buffers for every document it parses.
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An open container while a tape is written.
@usableFromInline
struct TapeFrame {
    /// Index of the container's own entry.
    var start: Int
    /// Elements (array) or properties (object) so far.
    var count: Int
    /// Index in the property stack of this object's first property.
    var propertyBase: Int
    var isObject: Bool
    /// True once a property name arrived out of order: properties are sorted on close.
    var needsSort: Bool
}

/// A property of an open object: where its name entry is and where its name was in the input.
@usableFromInline
struct TapeProperty {
    /// Entry index of the property name (absolute while the object is open).
    var entryIndex: Int
    /// Byte offset of the name in the parsed input (0 for the builder).
    var inputOffset: Int
    /// The name's first eight bytes, big-endian, zero-padded: most names differ there, so
    /// sorting compares these integers and only reads names on a tie.
    var prefix: UInt64
}

/// Growable buffers; all memory is owned by the enclosing `TapeScratch`.
@usableFromInline
struct TapeWriter {
    var entries: UnsafeMutablePointer<TapeEntry>
    var entryCount = 0
    var entryCapacity: Int

    var strings: UnsafeMutablePointer<UInt8>
    var stringCount = 0
    var stringCapacity: Int

    var frames: UnsafeMutablePointer<TapeFrame>
    var depth = 0
    var frameCapacity: Int

    var properties: UnsafeMutablePointer<TapeProperty>
    var propertyCount = 0
    var propertyCapacity: Int

    /// Scratch for sorting an object's properties.
    var sortEntries: UnsafeMutablePointer<TapeEntry>
    var sortEntryCapacity: Int
    var sortOrder: UnsafeMutablePointer<Int>
    var sortOrderCapacity: Int

    /// Padding after the string area so 8-byte stores near its end stay in bounds.
    static let stringSlackBytes = 16

    init() {
        entryCapacity = 256
        entries = .allocate(capacity: entryCapacity)
        stringCapacity = 4096
        strings = .allocate(capacity: stringCapacity + Self.stringSlackBytes)
        strings.initialize(repeating: 0, count: stringCapacity + Self.stringSlackBytes)
        frameCapacity = 64
        frames = .allocate(capacity: frameCapacity)
        propertyCapacity = 256
        properties = .allocate(capacity: propertyCapacity)
        sortEntryCapacity = 256
        sortEntries = .allocate(capacity: sortEntryCapacity)
        sortOrderCapacity = 64
        sortOrder = .allocate(capacity: sortOrderCapacity)
    }

    func deallocate() {
        entries.deallocate()
        strings.deallocate()
        frames.deallocate()
        properties.deallocate()
        sortEntries.deallocate()
        sortOrder.deallocate()
    }

    /// Makes this (fresh) writer hold a copy of everything `other` holds.
    mutating func copyState(from other: TapeWriter) {
        if other.entryCount > entryCapacity { growEntries(minimum: other.entryCount) }
        entries.update(from: other.entries, count: other.entryCount)
        entryCount = other.entryCount
        reserveStringBytes(other.stringCount)
        strings.update(from: other.strings, count: other.stringCount)
        stringCount = other.stringCount
        while frameCapacity < other.depth { growFrames() }
        frames.update(from: other.frames, count: other.depth)
        depth = other.depth
        while propertyCapacity < other.propertyCount { growProperties() }
        properties.update(from: other.properties, count: other.propertyCount)
        propertyCount = other.propertyCount
    }

    mutating func reset() {
        entryCount = 0
        stringCount = 0
        depth = 0
        propertyCount = 0
    }

    // MARK: - Entries and strings

    @inline(__always)
    mutating func append(_ entry: TapeEntry) {
        if entryCount == entryCapacity { growEntries(minimum: entryCount + 1) }
        entries[entryCount] = entry
        entryCount += 1
    }

    @inline(never)
    mutating func growEntries(minimum: Int) {
        let capacity = Swift.max(minimum, entryCapacity * 2)
        let grown = UnsafeMutablePointer<TapeEntry>.allocate(capacity: capacity)
        grown.moveInitialize(from: entries, count: entryCount)
        entries.deallocate()
        entries = grown
        entryCapacity = capacity
    }

    /// Makes room for `count` more string bytes (plus the slack).
    @inline(__always)
    mutating func reserveStringBytes(_ count: Int) {
        if stringCount + count > stringCapacity { growStrings(minimum: stringCount + count) }
    }

    @inline(never)
    mutating func growStrings(minimum: Int) {
        let capacity = Swift.max(minimum, stringCapacity * 2)
        let grown = UnsafeMutablePointer<UInt8>.allocate(capacity: capacity + Self.stringSlackBytes)
        grown.moveInitialize(from: strings, count: stringCount)
        (grown + stringCount).initialize(repeating: 0, count: capacity + Self.stringSlackBytes - stringCount)
        strings.deallocate()
        strings = grown
        stringCapacity = capacity
    }

    /// Appends a string entry for `bytes` (already valid UTF-8, unescaped).
    mutating func appendString(_ bytes: UnsafeRawBufferPointer) {
        reserveStringBytes(bytes.count)
        if let base = bytes.baseAddress, bytes.count > 0 {
            UnsafeMutableRawPointer(strings + stringCount).copyMemory(from: base, byteCount: bytes.count)
        }
        append(TapeEntry(tag: .string, count: bytes.count, payload: UInt64(stringCount)))
        stringCount += bytes.count
    }

    // MARK: - Containers

    /// Opens a container. The caller checks the depth limit first.
    @inline(__always)
    mutating func open(isObject: Bool) {
        if depth == frameCapacity { growFrames() }
        frames[depth] = TapeFrame(start: entryCount, count: 0, propertyBase: propertyCount,
                                  isObject: isObject, needsSort: false)
        depth += 1
        append(TapeEntry(tag: isObject ? .object : .array, count: 0, payload: 0))
    }

    @inline(never)
    mutating func growFrames() {
        let capacity = frameCapacity * 2
        let grown = UnsafeMutablePointer<TapeFrame>.allocate(capacity: capacity)
        grown.moveInitialize(from: frames, count: depth)
        frames.deallocate()
        frames = grown
        frameCapacity = capacity
    }

    /// Counts one more element in the innermost open array (or value in the open object).
    @inline(__always)
    mutating func countElement() {
        if depth > 0 { frames[depth - 1].count += 1 }
    }

    /// Records a property name in the innermost open object, after its string entry was
    /// appended at `entryIndex`. Returns false if the name equals the previous one (a duplicate
    /// found without sorting); marks the object for sorting if the name is out of order.
    @inline(__always)
    mutating func recordProperty(entryIndex: Int, inputOffset: Int) -> Bool {
        assert(depth > 0 && frames[depth - 1].isObject)
        if propertyCount == propertyCapacity { growProperties() }
        let frame = depth - 1
        let property = TapeProperty(entryIndex: entryIndex, inputOffset: inputOffset, prefix: namePrefix(entryIndex))
        if !frames[frame].needsSort && propertyCount > frames[frame].propertyBase {
            let order = compareProperties(properties[propertyCount - 1], property)
            if order == 0 { return false }
            if order > 0 { frames[frame].needsSort = true }
        }
        properties[propertyCount] = property
        propertyCount += 1
        return true
    }

    /// The first eight bytes of the name at `entryIndex`, big-endian, zero-padded.
    @inline(__always)
    func namePrefix(_ entryIndex: Int) -> UInt64 {
        let entry = entries[entryIndex]
        let count = entry.count
        if count == 0 { return 0 }
        // Safety: the string area is allocated (and initialized) `stringSlackBytes` past its
        // capacity, so eight bytes from any name's start are readable.
        let word = UInt64(bigEndian: UnsafeRawPointer(strings + Int(truncatingIfNeeded: entry.payload)).loadUnaligned(as: UInt64.self))
        return count >= 8 ? word : word & ~(UInt64.max >> (8 * UInt64(count)))
    }

    /// Compares two properties' names by their bytes.
    @inline(__always)
    func compareProperties(_ left: TapeProperty, _ right: TapeProperty) -> Int {
        if left.prefix != right.prefix { return left.prefix < right.prefix ? -1 : 1 }
        return compareNames(left.entryIndex, right.entryIndex)
    }

    @inline(never)
    mutating func growProperties() {
        let capacity = propertyCapacity * 2
        let grown = UnsafeMutablePointer<TapeProperty>.allocate(capacity: capacity)
        grown.moveInitialize(from: properties, count: propertyCount)
        properties.deallocate()
        properties = grown
        propertyCapacity = capacity
    }

    /// Compares the names held by two string entries by their UTF-8 bytes.
    @inline(__always)
    func compareNames(_ left: Int, _ right: Int) -> Int {
        let a = entries[left]
        let b = entries[right]
        return compareBytes(strings + Int(truncatingIfNeeded: a.payload), a.count,
                            strings + Int(truncatingIfNeeded: b.payload), b.count)
    }

    /// Closes the innermost container, writing its count and span. For an object whose
    /// properties arrived out of order, sorts them; returns the property (as an index into the
    /// property that duplicates an earlier one, if any (the tape is then not sorted).
    @inline(__always)
    mutating func close() -> TapeProperty? {
        assert(depth > 0)
        depth -= 1
        let frame = frames[depth]
        var duplicate: TapeProperty? = nil
        if frame.isObject {
            if frame.needsSort, let index = sortProperties(frame) { duplicate = properties[index] }
            propertyCount = frame.propertyBase
        }
        entries[frame.start] = TapeEntry(tag: frame.isObject ? .object : .array, count: frame.count,
                                         payload: UInt64(entryCount - frame.start))
        return duplicate
    }

    /// Sorts the properties of the object `frame` by name, moving each property's entries as a
    /// block. Returns the index (in the property stack) of a duplicate name, if any.
    @inline(never)
    mutating func sortProperties(_ frame: TapeFrame) -> Int? {
        let count = propertyCount - frame.propertyBase
        if count > sortOrderCapacity {
            sortOrder.deallocate()
            sortOrderCapacity = Swift.max(count, sortOrderCapacity * 2)
            sortOrder = .allocate(capacity: sortOrderCapacity)
        }
        let base = frame.propertyBase
        for index in 0..<count { sortOrder[index] = base + index }
        // Insertion sort: objects are small, and names often nearly sorted.
        if count <= 32 {
            for index in 1..<Swift.max(count, 1) {
                let moving = sortOrder[index]
                var position = index
                while position > 0, compareProperties(properties[sortOrder[position - 1]], properties[moving]) > 0 {
                    sortOrder[position] = sortOrder[position - 1]
                    position -= 1
                }
                sortOrder[position] = moving
            }
        } else {
            var buffer = UnsafeMutableBufferPointer(start: sortOrder, count: count)
            let writer = self
            buffer.sort { writer.compareProperties(writer.properties[$0], writer.properties[$1]) < 0 }
        }
        for index in 1..<Swift.max(count, 1) {
            let previous = sortOrder[index - 1]
            let current = sortOrder[index]
            if compareProperties(properties[previous], properties[current]) == 0 {
                return Swift.max(previous, current)  // the later one in document order
            }
        }
        // Move the properties' entries through the scratch in sorted order.
        let regionStart = frame.start + 1
        let regionCount = entryCount - regionStart
        if regionCount > sortEntryCapacity {
            sortEntries.deallocate()
            sortEntryCapacity = Swift.max(regionCount, sortEntryCapacity * 2)
            sortEntries = .allocate(capacity: sortEntryCapacity)
        }
        sortEntries.update(from: entries + regionStart, count: regionCount)
        var write = regionStart
        for index in 0..<count {
            let property = sortOrder[index]
            let begin = properties[property].entryIndex
            let end = property + 1 < propertyCount ? properties[property + 1].entryIndex : entryCount
            (entries + write).update(from: sortEntries + (begin - regionStart), count: end - begin)
            write += end - begin
        }
        assert(write == entryCount)
        return nil
    }
}

/// Compares two byte strings (unsigned bytes, then the shorter first): negative, 0 or
/// positive. Inline eight bytes at a time: property names are short, and a call to memcmp
/// cost more than the comparison.
@inline(__always)
func compareBytes(_ a: UnsafeRawPointer, _ aCount: Int, _ b: UnsafeRawPointer, _ bCount: Int) -> Int {
    let common = Swift.min(aCount, bCount)
    var index = 0
    // Safety: reads stay below `common` bytes of both.
    while index + 8 <= common {
        let x = UInt64(bigEndian: a.loadUnaligned(fromByteOffset: index, as: UInt64.self))
        let y = UInt64(bigEndian: b.loadUnaligned(fromByteOffset: index, as: UInt64.self))
        if x != y { return x < y ? -1 : 1 }
        index += 8
    }
    while index < common {
        let x = a.load(fromByteOffset: index, as: UInt8.self)
        let y = b.load(fromByteOffset: index, as: UInt8.self)
        if x != y { return x < y ? -1 : 1 }
        index += 1
    }
    return aCount < bCount ? -1 : (aCount > bCount ? 1 : 0)
}

/// Owns the memory of a `TapeWriter`, so a parser or builder can be reused without
/// reallocating. Not Sendable: one owner at a time.
@usableFromInline
final class TapeScratch {
    var writer = TapeWriter()
    /// The storages of the last documents made (a ring), each kept to be reused for a later
    /// one once nobody else holds it (parsing documents, using them and dropping them, alone
    /// or in small batches, then costs no allocation).
    /// (Not checked for exclusive access at run time: only this class's methods touch it,
    /// and the class has one owner at a time.)
    @exclusivity(unchecked) var recycled: [TapeStorage?] = Array(repeating: nil, count: TapeScratch.recycledMax)
    @exclusivity(unchecked) var recycledNext = 0
    /// Storages kept for reuse: batches of documents held at once (a combiner's, a chunk's)
    /// still reuse them. About 1 MiB for documents of 1 KiB.
    static let recycledMax = 64
    /// Room a new storage gets beyond its tape (25%), so that later documents up to that much
    /// larger reuse it (documents of a collection vary in size; `memoryBytes` counts it).
    static let recycledSlackPercent = 25

    deinit { writer.deallocate() }

    /// A document from tape bytes this process wrote (see `Document(uncheckedTapeBytes:)`), in
    /// a recycled storage when one is free.
    func makeDocument(uncheckedTapeBytes bytes: UnsafeRawBufferPointer) -> Document {
        let header = Document.checkedTapeHeader(bytes)
        let entryBytes = UnsafeRawBufferPointer(rebasing: bytes[Document.tapeHeaderBytes..<(Document.tapeHeaderBytes + 16 * header.entryCount)])
        let strings = UnsafeRawBufferPointer(rebasing: bytes[(Document.tapeHeaderBytes + 16 * header.entryCount)...])
        let needed = TapeStorage.capacityNeeded(entryCount: header.entryCount, stringByteCount: header.stringByteCount)
        let slot = recycledNext
        recycledNext = slot + 1 == Self.recycledMax ? 0 : slot + 1
        let storage: TapeStorage
        if isKnownUniquelyReferenced(&recycled[slot]), let reused = recycled[slot], reused.entryCapacity >= needed,
           reused.entryCapacity <= 2 * needed + 16 {
            reused.overwrite(tapeEntryBytes: entryBytes, entryCount: header.entryCount, strings: strings)
            storage = reused
        } else {
            storage = TapeStorage.make(tapeEntryBytes: entryBytes, entryCount: header.entryCount, strings: strings,
                                       slackPercent: Self.recycledSlackPercent)
            recycled[slot] = storage
        }
        Document.assertValid(storage)
        return Document(storage: storage)
    }

    /// The finished tape as an owned `Document`: in the oldest recycled storage when that is
    /// no longer held anywhere else and fits (no larger than twice what is needed, so a kept
    /// document never holds much slack), else in a new allocation (with some slack).
    func makeDocument() -> Document {
        assert(writer.depth == 0)
        let entries = UnsafeBufferPointer(start: writer.entries, count: writer.entryCount)
        let strings = UnsafeRawBufferPointer(start: writer.strings, count: writer.stringCount)
        // Debug builds check every tape the parser and builder make against the invariants the
        // tape decoder enforces (sorted unique names, spans, UTF-8, canonical numbers).
        assert(Result { () throws(TapeDecodingError) in
            try validateTape(entries, strings, depthMax: JSONParser.depthMaxLimit)
        }.mapError { error in
            assertionFailure("invalid tape: \(error)")
            return error
        }.isSuccess)
        let needed = TapeStorage.capacityNeeded(entryCount: entries.count, stringByteCount: strings.count)
        // The oldest storage of the ring is the one most likely dropped by now.
        let slot = recycledNext
        recycledNext = slot + 1 == Self.recycledMax ? 0 : slot + 1
        if isKnownUniquelyReferenced(&recycled[slot]), let storage = recycled[slot], storage.entryCapacity >= needed,
           storage.entryCapacity <= 2 * needed + 16 {
            storage.overwrite(entries: entries, strings: strings)
            return Document(storage: storage)
        }
        let storage = TapeStorage.make(entries: entries, strings: strings, slackPercent: Self.recycledSlackPercent)
        recycled[slot] = storage
        return Document(storage: storage)
    }
}

extension Result {
    var isSuccess: Bool {
        if case .success = self { return true }
        return false
    }
}
