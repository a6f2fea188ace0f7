// KeyTable: the combiner's in-memory index, one entry per packed key.
import SluiceDocument

/// The documents held for one key, in the order they reduce.
struct CombinerEntry {
    /// The left-most document (from a store), if one was added.
    var front: Document?
    /// Earlier documents a partial reduction could not combine with what followed them
    /// (`associative: false`), in order. Empty (and not allocated) almost always.
    var heldBack: [Document] = []
    /// Every other document of the key, reduced together.
    var last: Document?
    /// `last` as tape bytes while flat merges accumulate into it (`Reducer.reduce(intoTapeBytes:)`);
    /// empty otherwise. At most one of `last` and `lastTapeBytes` holds the key's document.
    var lastTapeBytes: [UInt8] = []
    /// `documentBytes` when last computed (`recount()`), so accounting does not touch the
    /// documents' own (cold) memory.
    private(set) var heldBytes = 0

    /// Recomputes `heldBytes` after a change; returns the difference.
    mutating func recount() -> Int {
        let before = heldBytes
        heldBytes = documentBytes
        return heldBytes - before
    }

    /// Whether the entry holds a document besides its front and held-back ones.
    var hasLast: Bool { last != nil || !lastTapeBytes.isEmpty }

    /// The last document, decoding accumulated tape bytes. They were written in this process by
    /// the flat merge from parts of checked documents, so they are decoded unchecked (debug
    /// builds check every invariant); tape bytes read back from a spill file are checked.
    func lastDocument() -> Document? {
        if let last { return last }
        guard !lastTapeBytes.isEmpty else { return nil }
        return lastTapeBytes.withUnsafeBytes { Document(uncheckedTapeBytes: $0) }
    }

    /// `lastDocument()`, decoded into one of `decoder`'s recycled storages.
    func lastDocument(decoder: inout JSONParser) -> Document? {
        if let last { return last }
        guard !lastTapeBytes.isEmpty else { return nil }
        return lastTapeBytes.withUnsafeBytes { decoder.document(uncheckedTapeBytes: $0) }
    }

    /// Bytes of the documents this entry holds (and its held-back array).
    var documentBytes: Int {
        var bytes = (front?.memoryBytes ?? 0) + (last?.memoryBytes ?? 0)
        if lastTapeBytes.capacity > 0 { bytes += KeyTable.arrayHeaderBytes + lastTapeBytes.capacity }
        if !heldBack.isEmpty {
            bytes += KeyTable.arrayHeaderBytes + heldBack.capacity * MemoryLayout<Document>.stride
            for document in heldBack { bytes += document.memoryBytes }
        }
        return bytes
    }
}

/// Where an entry's key is, and its hash: kept apart from the documents so a lookup touches
/// neither their references nor their cache lines. The key's first 16 bytes are kept here too
/// (zero-padded), so a lookup of a short key (most are) compares without reading the arena.
struct KeyLocation {
    var hash: UInt64
    var offset: Int32
    var length: Int32
    var prefix0: UInt64
    var prefix1: UInt64

    var range: Range<Int> { Int(offset)..<(Int(offset) + Int(length)) }

    /// Bytes of a key kept inline.
    static let inlineBytes = 16

    /// The first 16 bytes of `key`, zero-padded, as two words.
    @inline(__always)
    static func prefix(_ key: UnsafeRawBufferPointer) -> (UInt64, UInt64) {
        if key.count >= 16 {
            return (key.loadUnaligned(fromByteOffset: 0, as: UInt64.self), key.loadUnaligned(fromByteOffset: 8, as: UInt64.self))
        }
        var words: (UInt64, UInt64) = (0, 0)
        withUnsafeMutableBytes(of: &words) { buffer in
            // Safety: at most 15 bytes into a 16-byte buffer.
            buffer.copyMemory(from: key)
        }
        return words
    }
}

/// An open-addressing hash table from packed keys to entries. Keys live in one byte arena;
/// slots hold entry indices (Int32, -1 for empty) and are kept at most half full, so lookups
/// probe about one slot. Never shrinks: `removeAll` keeps capacities for the next fill.
struct KeyTable {
    private(set) var entries: [CombinerEntry] = []
    private(set) var locations: [KeyLocation] = []
    private var slots: [Int32]
    private var slotMask: Int
    private(set) var keyArena: [UInt8] = []

    /// 1,024 slots to start (4 KiB): grows by doubling.
    static let initialSlotCount = 1024
    /// Estimated bytes of an array's heap header (refcount, count, capacity) and malloc's
    /// rounding, counted for every array the combiner holds.
    static let arrayHeaderBytes = 48

    init() {
        slots = [Int32](repeating: -1, count: Self.initialSlotCount)
        slotMask = Self.initialSlotCount - 1
    }

    var count: Int { entries.count }

    /// Bytes of the index itself (entries, slots, key arena), by capacity: what is allocated,
    /// not what is used.
    var indexBytes: Int {
        4 * Self.arrayHeaderBytes
            + entries.capacity * MemoryLayout<CombinerEntry>.stride
            + locations.capacity * MemoryLayout<KeyLocation>.stride
            + slots.capacity * MemoryLayout<Int32>.stride
            + keyArena.capacity
    }

    /// The entry index of `key`, inserting an empty entry if it is new.
    mutating func findOrInsert(_ key: UnsafeRawBufferPointer) -> (index: Int, inserted: Bool) {
        let hash = Self.hash(key)
        let prefix = KeyLocation.prefix(key)
        var slot = Int(truncatingIfNeeded: hash) & slotMask
        while true {
            let index = Int(slots[slot])
            if index < 0 { break }
            let location = locations[index]
            if location.hash == hash && Int(location.length) == key.count && location.prefix0 == prefix.0 && location.prefix1 == prefix.1
                && (key.count <= KeyLocation.inlineBytes || keyEquals(location, key)) {
                return (index, false)
            }
            slot = (slot + 1) & slotMask
        }
        let index = entries.count
        precondition(index < Int(Int32.max), "more than 2^31 keys in one combiner")
        precondition(keyArena.count + key.count <= Int(Int32.max), "more than 2 GiB of keys in one combiner")
        let offset = keyArena.count
        keyArena.append(contentsOf: key)
        entries.append(CombinerEntry())
        locations.append(KeyLocation(hash: hash, offset: Int32(offset), length: Int32(key.count), prefix0: prefix.0, prefix1: prefix.1))
        slots[slot] = Int32(index)
        if entries.count * 2 > slots.count { grow() }
        return (index, true)
    }

    /// Reads, for a batch of keys (`keys`, back to back, ending at `ends`), what
    /// `findOrInsert` and their reductions will read: slots, locations, entries and every
    /// cache line of each accumulated tape. In stages over the whole batch, each a short loop
    /// whose reads do not depend on one another, so the processor has the whole batch's
    /// reads of a stage in flight at once rather than one key's chain of cache misses after
    /// another's. Inserts nothing. `found` is scratch. The result means nothing; it only
    /// keeps the reads from being optimized away.
    func touch(keys: UnsafeRawBufferPointer, ends: [Int], found: inout [Int32]) -> UInt64 {
        var sum: UInt64 = 0
        found.removeAll(keepingCapacity: true)
        // Each key's first slot.
        var start = 0
        for end in ends {
            let hash = Self.hash(UnsafeRawBufferPointer(rebasing: keys[start..<end]))
            found.append(slots[Int(truncatingIfNeeded: hash) & slotMask])
            start = end
        }
        // The lookup proper: slots are cached now, locations are fetched together.
        start = 0
        for (position, end) in ends.enumerated() {
            if found[position] >= 0 { found[position] = Int32(find(UnsafeRawBufferPointer(rebasing: keys[start..<end])) ?? -1) }
            start = end
        }
        // The entries, and the first cache line of each accumulated tape (its array's header).
        for position in found.indices where found[position] >= 0 {
            let count = entries[Int(found[position])].lastTapeBytes.count
            sum &+= UInt64(count)
            if count == 0 { found[position] = -1 }
        }
        // The tapes' other cache lines.
        for index in found where index >= 0 {
            sum &+= entries[Int(index)].lastTapeBytes.withUnsafeBytes { bytes -> UInt64 in
                var sum: UInt64 = 0
                var offset = 64
                while offset < bytes.count {
                    sum &+= UInt64(bytes[offset])
                    offset += 64
                }
                return sum
            }
        }
        return sum
    }

    /// The entry index of `key`, or nil.
    func find(_ key: UnsafeRawBufferPointer) -> Int? {
        let hash = Self.hash(key)
        let prefix = KeyLocation.prefix(key)
        var slot = Int(truncatingIfNeeded: hash) & slotMask
        while true {
            let index = Int(slots[slot])
            if index < 0 { return nil }
            let location = locations[index]
            if location.hash == hash && Int(location.length) == key.count && location.prefix0 == prefix.0 && location.prefix1 == prefix.1
                && (key.count <= KeyLocation.inlineBytes || keyEquals(location, key)) {
                return index
            }
            slot = (slot + 1) & slotMask
        }
    }

    private func keyEquals(_ location: KeyLocation, _ key: UnsafeRawBufferPointer) -> Bool {
        keyArena.withUnsafeBytes { arena in
            // Safety: the location's range lies inside the arena.
            compareBytes(UnsafeRawBufferPointer(rebasing: arena[location.range]), key) == 0
        }
    }

    private mutating func grow() {
        let count = slots.count * 2
        slots = [Int32](repeating: -1, count: count)
        slotMask = count - 1
        for (index, location) in locations.enumerated() {
            var slot = Int(truncatingIfNeeded: location.hash) & slotMask
            while slots[slot] >= 0 { slot = (slot + 1) & slotMask }
            slots[slot] = Int32(index)
        }
    }

    /// Calls `body` with the packed key of entry `index`.
    func withKey<R>(_ index: Int, _ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        let range = locations[index].range
        return try keyArena.withUnsafeBytes { arena in try body(UnsafeRawBufferPointer(rebasing: arena[range])) }
    }

    subscript(index: Int) -> CombinerEntry {
        get { entries[index] }
        _modify { yield &entries[index] }
    }

    /// Entry indices in packed-key order.
    func sortedIndices() -> [Int] {
        var order = Array(entries.indices)
        keyArena.withUnsafeBytes { arena in
            locations.withUnsafeBufferPointer { locations in
                // Safety: every key range lies inside the arena.
                order.sort { a, b in
                    compareBytes(UnsafeRawBufferPointer(rebasing: arena[locations[a].range]),
                                 UnsafeRawBufferPointer(rebasing: arena[locations[b].range])) < 0
                }
            }
        }
        return order
    }

    /// Empties the table, keeping its capacities.
    mutating func removeAll() {
        entries.removeAll(keepingCapacity: true)
        locations.removeAll(keepingCapacity: true)
        keyArena.removeAll(keepingCapacity: true)
        for index in slots.indices { slots[index] = -1 }
    }

    /// A 64-bit hash of key bytes: eight bytes at a time, multiply and xor-shift, then the
    /// murmur3 finalizer. Keys come from documents, not adversaries of this process; a
    /// collision costs a probe, never a wrong answer.
    static func hash(_ bytes: UnsafeRawBufferPointer) -> UInt64 {
        var hash: UInt64 = 0x9E37_79B9_7F4A_7C15 ^ UInt64(bytes.count)
        var index = 0
        // Safety: loads stay inside `bytes`.
        while index + 8 <= bytes.count {
            hash = (hash ^ bytes.loadUnaligned(fromByteOffset: index, as: UInt64.self)) &* 0xBF58_476D_1CE4_E5B9
            hash ^= hash >> 29
            index += 8
        }
        var tail: UInt64 = 0
        var shift: UInt64 = 0
        while index < bytes.count {
            tail |= UInt64(bytes[index]) << shift
            shift += 8
            index += 1
        }
        hash = (hash ^ tail) &* 0x94D0_49BB_1331_11EB
        hash ^= hash >> 33
        hash &*= 0xFF51_AFD7_ED55_8CCD
        hash ^= hash >> 33
        hash &*= 0xC4CE_B9FE_1A85_EC53
        hash ^= hash >> 33
        return hash
    }
}

/// Compares two byte strings: unsigned bytes, then the shorter first. -1, 0 or 1.
@inline(__always)
func compareBytes(_ left: UnsafeRawBufferPointer, _ right: UnsafeRawBufferPointer) -> Int {
    let common = Swift.min(left.count, right.count)
    var index = 0
    // Safety: reads stay below `common` bytes of both.
    while index + 8 <= common {
        let x = UInt64(bigEndian: left.loadUnaligned(fromByteOffset: index, as: UInt64.self))
        let y = UInt64(bigEndian: right.loadUnaligned(fromByteOffset: index, as: UInt64.self))
        if x != y { return x < y ? -1 : 1 }
        index += 8
    }
    while index < common {
        let x = left[index], y = right[index]
        if x != y { return x < y ? -1 : 1 }
        index += 1
    }
    return left.count < right.count ? -1 : (left.count > right.count ? 1 : 0)
}
