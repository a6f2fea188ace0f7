// The tape: how a document is laid out in memory (docs/document.md, "Tape").
//
// A document is a sequence of 16-byte entries in document order (pre-order: a container's
// entry comes before its children), followed by a string area holding every string and
// property name, unescaped, as UTF-8. An object's children are, per property, a string entry
// (the name) and the value's entries; properties are sorted by name bytes and unique.
//
//     head    (UInt64): bits 0–7 the tag; bits 8–63 a string's byte length or a container's
//                       element (array) or property (object) count.
//     payload (UInt64): Int64 / UInt64 / Double bits; a string's offset in the string area;
//                       a container's span (its own entry plus all entries below it).
//
// Spans are relative, so a subtree can be moved or copied as a block (the parser sorts
// properties that way, and `DocumentBuilder.copy` appends one with a single copy).

/// The tag of a tape entry.
@usableFromInline
enum TapeTag: UInt8, Sendable {
    case null = 0
    case `false` = 1
    case `true` = 2
    case int = 3  // Int64
    case uint = 4  // UInt64 above Int64.max
    case double = 5  // finite Double
    case string = 6
    case array = 7
    case object = 8

    static let maxRawValue: UInt8 = 8
}

/// One 16-byte tape entry.
@usableFromInline
struct TapeEntry: Equatable, Sendable {
    @usableFromInline var head: UInt64
    @usableFromInline var payload: UInt64

    @inlinable @inline(__always)
    init(head: UInt64, payload: UInt64) {
        self.head = head
        self.payload = payload
    }

    @inlinable @inline(__always)
    init(tag: TapeTag, count: Int, payload: UInt64) {
        self.head = UInt64(tag.rawValue) | UInt64(truncatingIfNeeded: count) << 8
        self.payload = payload
    }

    @inlinable @inline(__always)
    var tag: TapeTag { TapeTag(rawValue: UInt8(truncatingIfNeeded: head)).unsafelyUnwrapped }

    /// A string's byte length, or a container's element or property count.
    @inlinable @inline(__always)
    var count: Int { Int(truncatingIfNeeded: head >> 8) }

    /// A container's span in entries (1 for scalars).
    @inlinable @inline(__always)
    var span: Int {
        let tag = UInt8(truncatingIfNeeded: head)
        return tag >= TapeTag.array.rawValue ? Int(truncatingIfNeeded: payload) : 1
    }

    static let null = TapeEntry(tag: .null, count: 0, payload: 0)
    static let `false` = TapeEntry(tag: .false, count: 0, payload: 0)
    static let `true` = TapeEntry(tag: .true, count: 0, payload: 0)
}

/// The sizes of a tape, and of its allocation (16 bytes: tapes are limited to UInt32 sizes, as
/// tape bytes are).
@usableFromInline
struct TapeHeader {
    @usableFromInline var storedEntryCount: UInt32
    @usableFromInline var storedStringByteCount: UInt32
    /// The allocation's capacity in entries (`ManagedBuffer.capacity`, asked once when it is
    /// made: asking again reads the allocator's bookkeeping, a cache miss on a cold tape).
    @usableFromInline var storedCapacity: UInt32 = 0
    var reserved: UInt32 = 0

    init(entryCount: Int, stringByteCount: Int) {
        precondition(entryCount <= Int(UInt32.max) && stringByteCount <= Int(UInt32.max), "a tape larger than 4 GiB")
        storedEntryCount = UInt32(entryCount)
        storedStringByteCount = UInt32(stringByteCount)
    }

    @inlinable var entryCount: Int { Int(storedEntryCount) }
    @inlinable var stringByteCount: Int { Int(storedStringByteCount) }
}

/// One immutable tape in one allocation: the header, `entryCount` entries, then the string
/// area (`stringByteCount` bytes, padded to whole entries).
///
/// Never mutated after `make` returns (the only writer), so the structs holding it are
/// (unchecked) Sendable.
@usableFromInline
final class TapeStorage: ManagedBuffer<TapeHeader, TapeEntry> {
    /// Elements (entries) a tape of this size takes: its entries, then its strings rounded up
    /// to whole entries.
    static func capacityNeeded(entryCount: Int, stringByteCount: Int) -> Int {
        let stride = MemoryLayout<TapeEntry>.stride
        return entryCount + (stringByteCount + stride - 1) / stride
    }

    /// Makes a tape from entries and string bytes, copying both.
    static func make(entries: UnsafeBufferPointer<TapeEntry>, strings: UnsafeRawBufferPointer, slackPercent: Int = 0) -> TapeStorage {
        let needed = capacityNeeded(entryCount: entries.count, stringByteCount: strings.count)
        let buffer = TapeStorage.create(minimumCapacity: needed + needed * slackPercent / 100) { _ in
            TapeHeader(entryCount: entries.count, stringByteCount: strings.count)
        }
        let storage = unsafeDowncast(buffer, to: TapeStorage.self)
        storage.header.storedCapacity = UInt32(clamping: buffer.capacity)
        storage.copy(entries: entries, strings: strings)
        return storage
    }

    /// Replaces the tape of a storage nobody else holds (so no `Document` sees it change) with
    /// a copy of `entries` and `strings`, which must fit its capacity.
    func overwrite(entries: UnsafeBufferPointer<TapeEntry>, strings: UnsafeRawBufferPointer) {
        precondition(entryCapacity >= Self.capacityNeeded(entryCount: entries.count, stringByteCount: strings.count))
        header.storedEntryCount = UInt32(entries.count)
        header.storedStringByteCount = UInt32(strings.count)
        copy(entries: entries, strings: strings)
    }

    /// `overwrite` from tape bytes' entries (little-endian words) and string area.
    func overwrite(tapeEntryBytes: UnsafeRawBufferPointer, entryCount: Int, strings: UnsafeRawBufferPointer) {
        precondition(tapeEntryBytes.count == entryCount * MemoryLayout<TapeEntry>.stride)
        precondition(entryCapacity >= Self.capacityNeeded(entryCount: entryCount, stringByteCount: strings.count))
        header.storedEntryCount = UInt32(entryCount)
        header.storedStringByteCount = UInt32(strings.count)
        copy(tapeEntryBytes: tapeEntryBytes, entryCount: entryCount, strings: strings)
    }

    private func copy(entries: UnsafeBufferPointer<TapeEntry>, strings: UnsafeRawBufferPointer) {
        withUnsafeMutablePointerToElements { elements in
            // Safety: capacity is at least entries.count plus the strings in whole entries, so
            // both copies stay inside the allocation; the sources do not overlap it.
            if let base = entries.baseAddress {
                elements.update(from: base, count: entries.count)
            }
            if let base = strings.baseAddress, strings.count > 0 {
                UnsafeMutableRawPointer(elements + entries.count).copyMemory(from: base, byteCount: strings.count)
            }
        }
    }

    /// Makes a tape from tape bytes (DocumentTapeCoding.swift): entries as little-endian
    /// words, then the string area; one copy. The caller validates the result before use.
    static func make(tapeEntryBytes: UnsafeRawBufferPointer, entryCount: Int, strings: UnsafeRawBufferPointer,
                     slackPercent: Int = 0) -> TapeStorage {
        precondition(tapeEntryBytes.count == entryCount * MemoryLayout<TapeEntry>.stride)
        let needed = capacityNeeded(entryCount: entryCount, stringByteCount: strings.count)
        let buffer = TapeStorage.create(minimumCapacity: needed + needed * slackPercent / 100) { _ in
            TapeHeader(entryCount: entryCount, stringByteCount: strings.count)
        }
        let storage = unsafeDowncast(buffer, to: TapeStorage.self)
        storage.header.storedCapacity = UInt32(clamping: buffer.capacity)
        storage.copy(tapeEntryBytes: tapeEntryBytes, entryCount: entryCount, strings: strings)
        return storage
    }

    private func copy(tapeEntryBytes: UnsafeRawBufferPointer, entryCount: Int, strings: UnsafeRawBufferPointer) {
        withUnsafeMutablePointerToElements { elements in
            // Safety: capacity is at least entryCount entries plus the strings in whole entries.
            #if _endian(little)
            if entryCount > 0 {
                UnsafeMutableRawPointer(elements).copyMemory(from: tapeEntryBytes.baseAddress!, byteCount: tapeEntryBytes.count)
            }
            #else
            for index in 0..<entryCount {
                elements[index] = TapeEntry(
                    head: UInt64(littleEndian: tapeEntryBytes.loadUnaligned(fromByteOffset: 16 * index, as: UInt64.self)),
                    payload: UInt64(littleEndian: tapeEntryBytes.loadUnaligned(fromByteOffset: 16 * index + 8, as: UInt64.self)))
            }
            #endif
            if let base = strings.baseAddress, strings.count > 0 {
                UnsafeMutableRawPointer(elements + entryCount).copyMemory(from: base, byteCount: strings.count)
            }
        }
    }

    /// The allocation's capacity in entries (the header's record of it).
    var entryCapacity: Int { Int(header.storedCapacity) }

    @inlinable
    var entryCount: Int { header.entryCount }

    @inlinable
    var stringByteCount: Int { header.stringByteCount }

    /// Calls `body` with the entries and the string area.
    @inlinable @inline(__always)
    func withTape<R>(_ body: (UnsafePointer<TapeEntry>, UnsafeRawPointer) throws -> R) rethrows -> R {
        let count = header.entryCount
        return try withUnsafeMutablePointerToElements { elements in
            // Safety: the pointers do not escape `body`; the tape is immutable.
            try body(UnsafePointer(elements), UnsafeRawPointer(elements + count))
        }
    }

    /// The entry at `index`.
    @inlinable @inline(__always)
    func entry(_ index: Int) -> TapeEntry {
        assert(index >= 0 && index < header.entryCount)
        return withUnsafeMutablePointerToElements { $0[index] }
    }

    /// The bytes of the string entry `entry`, for the duration of `body`.
    @inlinable @inline(__always)
    func withStringBytes<R>(_ entry: TapeEntry, _ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try withTape { _, strings in
            // Safety: the tape's invariants keep offset + count inside the string area.
            try body(UnsafeRawBufferPointer(start: strings + Int(truncatingIfNeeded: entry.payload), count: entry.count))
        }
    }
}
