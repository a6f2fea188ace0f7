// KeyOrder: how reductions order values by `key` pointers (merge of arrays, minimize,
// maximize, set members).
public import SluiceDocument

/// Ordering of values by a list of JSON pointers into them, component by component in
/// semantic order. A location missing from one value orders before any present value (so
/// before `null`); missing from both, the component is equal. The empty pointer `""` is the
/// whole value. This is Flow's rule for reduction keys; a collection key, which has defaults,
/// is ordered by `KeyExtractor` instead.
public enum KeyOrder {
    /// -1, 0 or 1.
    public static func compare(_ key: [JSONPointer], _ left: Node, _ right: Node) -> Int {
        for pointer in key {
            switch (left[pointer], right[pointer]) {
            case (let a?, let b?):
                let order = Node.compare(a, b)
                if order != 0 { return order }
            case (nil, _?): return -1
            case (_?, nil): return 1
            case (nil, nil): continue
            }
        }
        return 0
    }

    /// The pointers a set of array members is ordered by: its `key`, or the whole value.
    static func membersKey(_ key: [JSONPointer]) -> [JSONPointer] {
        key.isEmpty ? [JSONPointer.root] : key
    }
}

/// Compares two byte strings: unsigned bytes, then the shorter first. -1, 0 or 1. Eight bytes
/// at a time inline: names and keys are short, and a call to memcmp costs more than they do.
@inline(__always)
func compareBytes(_ left: UnsafeRawBufferPointer, _ right: UnsafeRawBufferPointer) -> Int {
    let common = min(left.count, right.count)
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

/// Compares the names held by two string nodes by their UTF-8 bytes.
@inline(__always)
func compareNames(_ left: Node, _ right: Node) -> Int {
    left.withUTF8 { a in right.withUTF8 { b in compareBytes(a, b) } ?? 0 } ?? 0
}
