// The flat merge: a fast path for the most common reduction, over tape bytes.
//
// Most collections reduce with `merge` at the root and single-value strategies (sum, minimize,
// maximize, firstWriteWins, lastWriteWins) on top-level properties: a sales total, a last
// seen time. For those, walking nodes and calling the builder per value costs more than the
// work (reference counting, calls across modules). This path reads both documents' tape bytes
// (docs/document.md, "Tape bytes": a stable, documented layout), merge-joins the root
// properties, writes the result's tape bytes directly and decodes them with
// `Document(tapeBytes:)`, which checks every invariant of the result. Anything else (nested
// merges, append, set, keyed or container minimize/maximize, delete, associative: false, a
// non-number to sum) returns nil before writing, and the general path does the work, so
// errors are always the general path's. `FlatMergeTests` checks that both paths agree.
public import SluiceDocument
public import SluiceSchema

/// Reusable buffers of the flat merge.
struct FlatMergeScratch {
    var left: [UInt8] = []
    var right: [UInt8] = []
    /// Output entries as (head, payload) words, and the output string area.
    var entries: [UInt64] = []
    var strings: [UInt8] = []
    var output: [UInt8] = []
    /// The annotation of each right root property, by position.
    var kinds: [FlatMergeKind] = []
}

/// What a root property's annotation asks of the flat merge.
enum FlatMergeKind: UInt8 {
    case takeRight, takeLeft, sum, minimize, maximize
}

/// A read-only view of tape bytes (docs/document.md): entries after a 16-byte header, then the
/// string area.
struct TapeBytesView {
    let bytes: UnsafeRawBufferPointer
    let entryCount: Int
    let stringsStart: Int

    init(_ bytes: UnsafeRawBufferPointer) {
        self.bytes = bytes
        entryCount = Int(UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: 4, as: UInt32.self)))
        stringsStart = 16 + 16 * entryCount
    }

    @inline(__always) func head(_ index: Int) -> UInt64 {
        UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: 16 + 16 * index, as: UInt64.self))
    }

    @inline(__always) func payload(_ index: Int) -> UInt64 {
        UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: 24 + 16 * index, as: UInt64.self))
    }

    @inline(__always) func tag(_ index: Int) -> UInt8 { UInt8(truncatingIfNeeded: head(index)) }

    @inline(__always) func span(_ index: Int) -> Int {
        tag(index) >= TapeBytesView.arrayTag ? Int(truncatingIfNeeded: payload(index)) : 1
    }

    /// The bytes of the string entry `index`.
    @inline(__always) func string(_ index: Int) -> UnsafeRawBufferPointer {
        let start = stringsStart + Int(truncatingIfNeeded: payload(index))
        return UnsafeRawBufferPointer(rebasing: bytes[start..<(start + Int(truncatingIfNeeded: head(index) >> 8))])
    }

    /// The number of a number entry.
    @inline(__always) func number(_ index: Int) -> JSONNumber? {
        switch tag(index) {
        case TapeBytesView.intTag: .int(Int64(bitPattern: payload(index)))
        case TapeBytesView.uintTag: .uint(payload(index))
        case TapeBytesView.doubleTag: .double(Double(bitPattern: payload(index)))
        default: nil
        }
    }

    // Tags (docs/document.md, "Tape").
    static let nullTag: UInt8 = 0, falseTag: UInt8 = 1, trueTag: UInt8 = 2, intTag: UInt8 = 3, uintTag: UInt8 = 4
    static let doubleTag: UInt8 = 5, stringTag: UInt8 = 6, arrayTag: UInt8 = 7, objectTag: UInt8 = 8

    /// Semantic rank of a scalar tag: null < false < true < numbers < strings.
    @inline(__always) static func rank(_ tag: UInt8) -> Int {
        switch tag {
        case nullTag: 0
        case falseTag: 1
        case trueTag: 2
        case intTag, uintTag, doubleTag: 3
        default: 4
        }
    }
}

extension Reducer {
    /// The flat merge of `right` into `left`, or nil where it does not apply (see the file
    /// comment). Never throws: a case that could fail is left to the general path.
    mutating func flatMerge(_ left: Document, _ right: Document) -> Document? {
        var scratch = flatMergeScratch
        flatMergeScratch = FlatMergeScratch()
        defer { flatMergeScratch = scratch }
        scratch.left.removeAll(keepingCapacity: true)
        left.appendTapeBytes(to: &scratch.left)
        let merged = scratch.left.withUnsafeBytes { leftBytes in
            Self.flatMerge(leftBytes, right, annotations, &scratch)
        }
        guard merged else { return nil }
        let decoded = scratch.output.withUnsafeBytes { bytes in
            Result { () throws(TapeDecodingError) -> Document in try Document(tapeBytes: bytes, depthMax: JSONParser.depthMaxLimit) }
        }
        switch decoded {
        case .success(let document): return document
        case .failure(let error):
            assertionFailure("the flat merge wrote an invalid tape: \(error)")
            return nil
        }
    }

    /// Reduces `right` into `left`, tape bytes of an earlier document (`Document.tapeBytes`, or
    /// what this method left there), replacing them with the result's, when the flat merge
    /// applies (docs/reduce.md, "The flat merge"); false, leaving `left` as it was, when it
    /// does not, and the general `reduce` must be used. The mode does not matter: flat merges
    /// hold no deletions or set terms.
    ///
    /// The result is not checked here (it is made of checked parts by a path tests compare
    /// with the general one); `Document(tapeBytes:)` checks it when it becomes a document.
    /// Lets a combiner accumulate a key's reductions without decoding each result.
    public mutating func reduce(intoTapeBytes left: inout [UInt8], _ right: Document, annotations: ReduceAnnotations) -> Bool {
        precondition(annotations.entryCount == right.entryCount,
                     "annotations of a document of \(annotations.entryCount) entries given for one of \(right.entryCount)")
        guard left.count >= 32 else { return false }
        var scratch = flatMergeScratch
        flatMergeScratch = FlatMergeScratch()
        defer { flatMergeScratch = scratch }
        let merged = left.withUnsafeBytes { leftBytes in Self.flatMerge(leftBytes, right, annotations, &scratch) }
        guard merged else { return false }
        swap(&left, &scratch.output)
        return true
    }

    /// The flat merge of `right` into the tape bytes `leftBytes`, written to `scratch.output`.
    private static func flatMerge(_ leftBytes: UnsafeRawBufferPointer, _ right: Document, _ annotations: ReduceAnnotations,
                                  _ scratch: inout FlatMergeScratch) -> Bool {
        guard let rootAnnotation = annotations[0], rootAnnotation.strategy == .merge, !rootAnnotation.delete,
              rootAnnotation.associative, right.kind == .object else { return false }
        let l = TapeBytesView(leftBytes)
        guard l.tag(0) == TapeBytesView.objectTag else { return false }
        scratch.right.removeAll(keepingCapacity: true)
        right.appendTapeBytes(to: &scratch.right)
        // What each right root property asks for; false if any needs the general path.
        scratch.kinds.removeAll(keepingCapacity: true)
        let applies: Bool = scratch.right.withUnsafeBytes { rightBytes in
            let r = TapeBytesView(rightBytes)
            var index = 1
            for _ in 0..<Int(truncatingIfNeeded: r.head(0) >> 8) {
                let value = index + 1
                guard let kind = flatMergeKind(annotations[value], r, value) else { return false }
                scratch.kinds.append(kind)
                index = value + r.span(value)
            }
            return true
        }
        guard applies else { return false }
        scratch.entries.removeAll(keepingCapacity: true)
        scratch.strings.removeAll(keepingCapacity: true)
        let merged: Bool = scratch.right.withUnsafeBytes { rightBytes in
            writeFlatMerge(l, TapeBytesView(rightBytes), scratch.kinds, &scratch.entries, &scratch.strings)
        }
        guard merged else { return false }
        scratch.output.removeAll(keepingCapacity: true)
        appendTapeBytes(entries: scratch.entries, strings: scratch.strings, to: &scratch.output)
        return true
    }

    /// The kind of a right root property's annotation, or nil if the flat merge cannot do it.
    private static func flatMergeKind(_ annotation: ReduceAnnotation?, _ right: TapeBytesView, _ value: Int) -> FlatMergeKind? {
        guard let annotation else { return .takeRight }
        guard annotation.associative, !annotation.delete else { return nil }
        switch annotation.strategy {
        case .lastWriteWins: return .takeRight
        case .firstWriteWins: return .takeLeft
        case .sum: return right.number(value) != nil ? .sum : nil
        case .minimize, .maximize:
            guard annotation.key.isEmpty, right.tag(value) < TapeBytesView.arrayTag else { return nil }
            return annotation.strategy == .minimize ? .minimize : .maximize
        default: return nil
        }
    }

    /// Writes the merged root object's entries and strings. False if a property needs the
    /// general path after all (a left value that is not a number to sum, or a container to
    /// compare).
    private static func writeFlatMerge(_ l: TapeBytesView, _ r: TapeBytesView, _ kinds: [FlatMergeKind],
                                       _ entries: inout [UInt64], _ strings: inout [UInt8]) -> Bool {
        entries.append(0)  // the root, written last
        entries.append(0)
        var count = 0
        var leftRemaining = Int(truncatingIfNeeded: l.head(0) >> 8)
        var rightRemaining = Int(truncatingIfNeeded: r.head(0) >> 8)
        var li = 1
        var ri = 1
        var kindIndex = 0
        while leftRemaining > 0 || rightRemaining > 0 {
            let order: Int
            if leftRemaining == 0 {
                order = 1
            } else if rightRemaining == 0 {
                order = -1
            } else {
                order = compareBytes(l.string(li), r.string(ri))
            }
            if order < 0 {
                copy(l, li, 1 + l.span(li + 1), &entries, &strings)
                li += 1 + l.span(li + 1)
                leftRemaining -= 1
            } else {
                let kind = kinds[kindIndex]
                kindIndex += 1
                let rightValue = ri + 1
                let leftValue = order == 0 ? li + 1 : nil
                copy(r, ri, 1, &entries, &strings)  // the name
                switch (kind, leftValue) {
                case (.takeRight, _), (_, nil):
                    copy(r, rightValue, r.span(rightValue), &entries, &strings)
                case (.takeLeft, let leftValue?):
                    copy(l, leftValue, l.span(leftValue), &entries, &strings)
                case (.sum, let leftValue?):
                    guard let a = l.number(leftValue), let b = r.number(rightValue), let total = a.adding(b) else { return false }
                    appendNumber(total, &entries)
                case (.minimize, let leftValue?), (.maximize, let leftValue?):
                    guard let order = compareScalars(l, leftValue, r, rightValue) else { return false }
                    let keepsLeft = kind == .maximize ? order > 0 : order < 0
                    if keepsLeft {
                        copy(l, leftValue, 1, &entries, &strings)
                    } else {
                        copy(r, rightValue, 1, &entries, &strings)
                    }
                }
                if order == 0 {
                    li += 1 + l.span(li + 1)
                    leftRemaining -= 1
                }
                ri = rightValue + r.span(rightValue)
                rightRemaining -= 1
            }
            count += 1
        }
        entries[0] = UInt64(TapeBytesView.objectTag) | UInt64(count) << 8
        entries[1] = UInt64(entries.count / 2)
        return true
    }

    /// Appends entries [start, start + span) of `source`, moving their strings.
    @inline(__always)
    private static func copy(_ source: TapeBytesView, _ start: Int, _ span: Int, _ entries: inout [UInt64], _ strings: inout [UInt8]) {
        for index in start..<(start + span) {
            let head = source.head(index)
            var payload = source.payload(index)
            if UInt8(truncatingIfNeeded: head) == TapeBytesView.stringTag {
                let bytes = source.string(index)
                payload = UInt64(strings.count)
                strings.append(contentsOf: bytes)
            }
            entries.append(head)
            entries.append(payload)
        }
    }

    /// A number entry in the tape's canonical form (Int64 when it fits, UInt64 only above).
    @inline(__always)
    private static func appendNumber(_ number: JSONNumber, _ entries: inout [UInt64]) {
        switch number {
        case .int(let value):
            entries.append(UInt64(TapeBytesView.intTag))
            entries.append(UInt64(bitPattern: value))
        case .uint(let value):
            if value <= UInt64(Int64.max) {
                entries.append(UInt64(TapeBytesView.intTag))
            } else {
                entries.append(UInt64(TapeBytesView.uintTag))
            }
            entries.append(value)
        case .double(let value):
            entries.append(UInt64(TapeBytesView.doubleTag))
            entries.append(value.bitPattern)
        }
    }

    /// Semantic order of two scalars (nil if either is a container).
    @inline(__always)
    private static func compareScalars(_ l: TapeBytesView, _ i: Int, _ r: TapeBytesView, _ j: Int) -> Int? {
        let a = l.tag(i)
        let b = r.tag(j)
        guard a < TapeBytesView.arrayTag, b < TapeBytesView.arrayTag else { return nil }
        let rankA = TapeBytesView.rank(a)
        let rankB = TapeBytesView.rank(b)
        if rankA != rankB { return rankA < rankB ? -1 : 1 }
        switch rankA {
        case 3: return JSONNumber.compare(l.number(i)!, r.number(j)!)
        case 4: return compareBytes(l.string(i), r.string(j))
        default: return 0
        }
    }

    /// Tape bytes (docs/document.md) from entry words and a string area.
    private static func appendTapeBytes(entries: [UInt64], strings: [UInt8], to output: inout [UInt8]) {
        output.reserveCapacity(16 + 8 * entries.count + strings.count)
        output.append(contentsOf: [0x53, 0x4C, 0x54, 0x31])  // "SLT1"
        appendLittleEndian(UInt32(entries.count / 2), &output)
        appendLittleEndian(UInt32(strings.count), &output)
        appendLittleEndian(UInt32(0), &output)
        entries.withUnsafeBytes { words in
            #if _endian(little)
            output.append(contentsOf: words)
            #else
            for word in entries { withUnsafeBytes(of: word.littleEndian) { output.append(contentsOf: $0) } }
            #endif
        }
        output.append(contentsOf: strings)
    }

    private static func appendLittleEndian(_ value: UInt32, _ output: inout [UInt8]) {
        withUnsafeBytes(of: value.littleEndian) { output.append(contentsOf: $0) }
    }
}
