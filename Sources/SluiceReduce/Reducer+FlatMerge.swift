// The flat merge: a fast path for the most common reduction, over tape bytes.
//
// Most collections reduce with `merge` at the root and single-value strategies (sum, minimize,
// maximize, firstWriteWins, lastWriteWins) on top-level properties: a sales total, a last
// seen time. For those, walking nodes and calling the builder per value costs more than the
// work (reference counting, calls across modules). This path reads both documents' tapes in
// place (docs/document.md, "Tape bytes": a stable, documented layout; the right document
// through `Document.withUnsafeTapeBytes`), merge-joins the root properties and writes the
// result's tape bytes directly. Anything else (nested merges, append, set, keyed or container
// minimize/maximize, delete, associative: false, a non-number to sum) returns false before
// anything is kept, and the general path does the work, so errors are always the general
// path's. `FlatMergeTests` checks that both paths agree.
//
// What each annotation asks of the flat merge is worked out once per annotation table
// (`FlatMergePlan`): the validator returns the same table for every document.
public import SluiceDocument
public import SluiceSchema

/// Reusable buffers of the flat merge.
struct FlatMergeScratch {
    /// The result's tape bytes, before they are copied to the caller's buffer (the string
    /// area is first written further on, then moved down).
    var output: [UInt8] = []
    /// The left document's tape bytes (`flatMerge(_:_:)` only).
    var left: [UInt8] = []
    /// What each annotation of the last table asks.
    var plan = FlatMergePlan()
}

/// What a root property's annotation asks of the flat merge.
enum FlatMergeKind: UInt8 {
    case takeRight, takeLeft, sum, minimize, maximize
    /// The general path must do it.
    case general
}

/// What each annotation of one `ReduceAnnotations.table` asks of the flat merge, by slot
/// (slot 0, no annotation, is `takeRight`). Kept while the table is the same array: the
/// plan holds the table, so an equal base address is the same, unchanged, buffer.
struct FlatMergePlan {
    private var table: [ReduceAnnotation] = []
    /// By slot: the kind, for a root property's value.
    private(set) var kinds: [FlatMergeKind] = [.takeRight]
    /// By slot: whether the annotation, at the root, allows the flat merge (a plain merge).
    private(set) var rootAllows: [Bool] = [false]

    /// Makes the plan match `table` (recomputed only when it is another array).
    mutating func update(_ table: [ReduceAnnotation]) {
        let same = table.count == self.table.count && table.withUnsafeBufferPointer { a in
            self.table.withUnsafeBufferPointer { b in a.baseAddress == b.baseAddress }
        }
        if same { return }
        self.table = table
        kinds.removeAll(keepingCapacity: true)
        rootAllows.removeAll(keepingCapacity: true)
        kinds.append(.takeRight)
        rootAllows.append(false)
        for annotation in table {
            kinds.append(Self.kind(annotation))
            rootAllows.append(annotation.strategy == .merge && !annotation.delete && annotation.associative)
        }
    }

    /// The kind of a root property's annotation (before looking at its value).
    static func kind(_ annotation: ReduceAnnotation) -> FlatMergeKind {
        guard annotation.associative, !annotation.delete else { return .general }
        switch annotation.strategy {
        case .lastWriteWins: return .takeRight
        case .firstWriteWins: return .takeLeft
        case .sum: return .sum
        case .minimize: return annotation.key.isEmpty ? .minimize : .general
        case .maximize: return annotation.key.isEmpty ? .maximize : .general
        default: return .general
        }
    }
}

/// A read-only view of a tape: 16-byte entries (head, then payload, UInt64 little-endian) and
/// the string area, as tape bytes lay them out (docs/document.md).
struct TapeBytesView {
    let entries: UnsafeRawPointer
    let strings: UnsafeRawPointer
    let entryCount: Int
    let stringCount: Int

    /// A view of tape bytes with their 16-byte header (as `Document.appendTapeBytes` wrote them).
    init(_ bytes: UnsafeRawBufferPointer) {
        entryCount = Int(UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: 4, as: UInt32.self)))
        stringCount = Int(UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: 8, as: UInt32.self)))
        entries = bytes.baseAddress! + 16
        strings = entries + 16 * entryCount
    }

    /// A view of a document's tape (`Document.withUnsafeTapeBytes`).
    init(entries: UnsafeRawBufferPointer, strings: UnsafeRawBufferPointer) {
        self.entries = entries.baseAddress!
        self.strings = strings.baseAddress ?? entries.baseAddress!
        entryCount = entries.count / 16
        stringCount = strings.count
    }

    @inline(__always) func head(_ index: Int) -> UInt64 {
        UInt64(littleEndian: entries.loadUnaligned(fromByteOffset: 16 &* index, as: UInt64.self))
    }

    @inline(__always) func payload(_ index: Int) -> UInt64 {
        UInt64(littleEndian: entries.loadUnaligned(fromByteOffset: 16 &* index &+ 8, as: UInt64.self))
    }

    @inline(__always) func tag(_ index: Int) -> UInt8 { UInt8(truncatingIfNeeded: head(index)) }

    @inline(__always) func span(_ index: Int) -> Int {
        tag(index) >= TapeBytesView.arrayTag ? Int(truncatingIfNeeded: payload(index)) : 1
    }

    /// The bytes of the string entry `index`.
    @inline(__always) func string(_ index: Int) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(start: strings + Int(truncatingIfNeeded: payload(index)), count: Int(truncatingIfNeeded: head(index) >> 8))
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

/// Writes a tape's entries and strings through pointers into buffers sized beforehand.
struct TapeBytesWriter {
    /// Where entry 0 goes, and how many are written.
    let entries: UnsafeMutableRawPointer
    var entryCount = 0
    /// Where the string area goes, and how many bytes are written.
    let strings: UnsafeMutableRawPointer
    var stringCount = 0

    @inline(__always)
    mutating func append(head: UInt64, payload: UInt64) {
        entries.storeBytes(of: head.littleEndian, toByteOffset: 16 &* entryCount, as: UInt64.self)
        entries.storeBytes(of: payload.littleEndian, toByteOffset: 16 &* entryCount &+ 8, as: UInt64.self)
        entryCount &+= 1
    }

    /// Appends entries [start, start + span) of `source`, moving their strings.
    @inline(__always)
    mutating func copy(_ source: TapeBytesView, _ start: Int, _ span: Int) {
        for index in start..<(start &+ span) {
            let head = source.head(index)
            var payload = source.payload(index)
            if UInt8(truncatingIfNeeded: head) == TapeBytesView.stringTag {
                let bytes = source.string(index)
                payload = UInt64(stringCount)
                if bytes.count > 0 {
                    (strings + stringCount).copyMemory(from: bytes.baseAddress!, byteCount: bytes.count)
                    stringCount &+= bytes.count
                }
            }
            append(head: head, payload: payload)
        }
    }

    /// A number entry in the tape's canonical form (Int64 when it fits, UInt64 only above).
    @inline(__always)
    mutating func append(_ number: JSONNumber) {
        switch number {
        case .int(let value):
            append(head: UInt64(TapeBytesView.intTag), payload: UInt64(bitPattern: value))
        case .uint(let value):
            append(head: UInt64(value <= UInt64(Int64.max) ? TapeBytesView.intTag : TapeBytesView.uintTag), payload: value)
        case .double(let value):
            append(head: UInt64(TapeBytesView.doubleTag), payload: value.bitPattern)
        }
    }
}

extension Reducer {
    /// The flat merge of `right` into `left` with `self.annotations`, or nil where it does not
    /// apply (see the file comment). Never throws: a case that could fail is left to the
    /// general path. The result is decoded with `Document(tapeBytes:)`, which checks it.
    mutating func flatMerge(_ left: Document, _ right: Document) -> Document? {
        var bytes: [UInt8] = []
        swap(&bytes, &flatMergeScratch.left)
        defer { swap(&bytes, &flatMergeScratch.left) }
        bytes.removeAll(keepingCapacity: true)
        left.appendTapeBytes(to: &bytes)
        let annotations = self.annotations
        guard reduce(intoTapeBytes: &bytes, right, annotations: annotations) else { return nil }
        let decoded = bytes.withUnsafeBytes { bytes in
            Result { () throws(TapeDecodingError) -> Document in try Document(tapeBytes: bytes, depthMax: JSONParser.depthMaxLimit) }
        }
        switch decoded {
        case .success(let document): return document
        case .failure(let error):
            assertionFailure("the flat merge wrote an invalid tape: \(error)")
            return nil
        }
    }

    /// Whether a flat merge of a document with these annotations could apply (its root's
    /// annotation allows it; its properties' are checked when it is tried), so that a caller
    /// holding the left side may keep it as tape bytes.
    package mutating func mayFlatMerge(_ annotations: ReduceAnnotations) -> Bool {
        guard usesFlatMerge, annotations.entryCount > 0 else { return false }
        flatMergeScratch.plan.update(annotations.table)
        return flatMergeScratch.plan.rootAllows[annotations.slot(0)]
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
        flatMergeScratch.plan.update(annotations.table)
        guard flatMergeScratch.plan.rootAllows[annotations.slot(0)] else { return false }
        var output: [UInt8] = []
        swap(&output, &flatMergeScratch.output)
        defer { swap(&output, &flatMergeScratch.output) }
        let kinds = flatMergeScratch.plan.kinds
        let length = left.withUnsafeBytes { leftBytes in
            right.withUnsafeTapeBytes { rightEntries, rightStrings in
                Self.flatMerge(TapeBytesView(leftBytes), TapeBytesView(entries: rightEntries, strings: rightStrings), annotations, kinds,
                               &output)
            }
        }
        guard let length else { return false }
        // Into `left`'s own buffer (grown to the exact size when it must grow), so that a
        // combiner's accumulated tapes hold no slack and stay where they are.
        left.removeAll(keepingCapacity: true)
        if left.capacity < length { left.reserveCapacity(length + length / 8) }
        output.withUnsafeBytes { left.append(contentsOf: UnsafeRawBufferPointer(rebasing: $0[0..<length])) }
        return true
    }

    /// The flat merge of the tape `l` and the right document's `r` into the first bytes of
    /// `output` (tape bytes, header included); their length, or nil if it does not apply.
    /// `output` only grows (its bytes past the result are scratch), so it is not cleared for
    /// each merge.
    private static func flatMerge(_ l: TapeBytesView, _ r: TapeBytesView, _ annotations: ReduceAnnotations, _ kinds: [FlatMergeKind],
                                  _ output: inout [UInt8]) -> Int? {
        guard l.tag(0) == TapeBytesView.objectTag, r.tag(0) == TapeBytesView.objectTag else { return nil }
        // Every right root property's kind must be one the flat merge does, for its value.
        var index = 1
        for _ in 0..<Int(truncatingIfNeeded: r.head(0) >> 8) {
            let value = index + 1
            switch kinds[annotations.slot(value)] {
            case .general: return nil
            case .sum: guard r.number(value) != nil else { return nil }
            case .minimize, .maximize: guard r.tag(value) < TapeBytesView.arrayTag else { return nil }
            case .takeLeft, .takeRight: break
            }
            index = value + r.span(value)
        }
        // The result has at most both sides' entries and string bytes: entries are written
        // after the header, strings after room for every entry, then moved down.
        let header = 16
        let stringsStart = header + 16 * (l.entryCount + r.entryCount)
        let stringsMax = l.stringCount + r.stringCount
        if output.count < stringsStart + stringsMax {
            output.append(contentsOf: repeatElement(0, count: stringsStart + stringsMax - output.count))
        }
        return output.withUnsafeMutableBytes { bytes -> Int? in
            // Safety: at most `l.entryCount + r.entryCount` entries are written from `header`
            // and `stringsMax` string bytes from `stringsStart`, inside `bytes`; the strings
            // then move down to right after the entries (an overlapping move).
            let base = bytes.baseAddress!
            var writer = TapeBytesWriter(entries: base + header, strings: base + stringsStart)
            guard writeFlatMerge(l, r, annotations, kinds, &writer) else { return nil }
            assert(writer.entryCount <= l.entryCount + r.entryCount && writer.stringCount <= stringsMax)
            let stringsOffset = header + 16 * writer.entryCount
            if writer.stringCount > 0 {
                (base + stringsOffset).copyMemory(from: base + stringsStart, byteCount: writer.stringCount)
            }
            base.storeBytes(of: UInt32(0x3154_4C53).littleEndian, toByteOffset: 0, as: UInt32.self)  // "SLT1"
            base.storeBytes(of: UInt32(writer.entryCount).littleEndian, toByteOffset: 4, as: UInt32.self)
            base.storeBytes(of: UInt32(writer.stringCount).littleEndian, toByteOffset: 8, as: UInt32.self)
            base.storeBytes(of: UInt32(0), toByteOffset: 12, as: UInt32.self)
            return stringsOffset + writer.stringCount
        }
    }

    /// Writes the merged root object's entries and strings. False if a property needs the
    /// general path after all (a left value that is not a number to sum, or a container to
    /// compare).
    private static func writeFlatMerge(_ l: TapeBytesView, _ r: TapeBytesView, _ annotations: ReduceAnnotations,
                                       _ kinds: [FlatMergeKind], _ writer: inout TapeBytesWriter) -> Bool {
        writer.append(head: 0, payload: 0)  // the root, written last
        var count = 0
        var leftRemaining = Int(truncatingIfNeeded: l.head(0) >> 8)
        var rightRemaining = Int(truncatingIfNeeded: r.head(0) >> 8)
        var li = 1
        var ri = 1
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
                let span = 1 + l.span(li + 1)
                writer.copy(l, li, span)
                li += span
                leftRemaining -= 1
            } else {
                let rightValue = ri + 1
                let kind = kinds[annotations.slot(rightValue)]
                let leftValue = order == 0 ? li + 1 : nil
                writer.copy(r, ri, 1)  // the name
                switch (kind, leftValue) {
                case (.takeRight, _), (_, nil):
                    writer.copy(r, rightValue, r.span(rightValue))
                case (.takeLeft, let leftValue?):
                    writer.copy(l, leftValue, l.span(leftValue))
                case (.sum, let leftValue?):
                    guard let a = l.number(leftValue), let b = r.number(rightValue), let total = a.adding(b) else { return false }
                    writer.append(total)
                case (.minimize, let leftValue?), (.maximize, let leftValue?):
                    guard let order = compareScalars(l, leftValue, r, rightValue) else { return false }
                    let keepsLeft = kind == .maximize ? order > 0 : order < 0
                    if keepsLeft {
                        writer.copy(l, leftValue, 1)
                    } else {
                        writer.copy(r, rightValue, 1)
                    }
                case (.general, _):
                    return false
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
        // The root: an object of `count` properties spanning every entry.
        writer.entries.storeBytes(of: (UInt64(TapeBytesView.objectTag) | UInt64(count) << 8).littleEndian, toByteOffset: 0, as: UInt64.self)
        writer.entries.storeBytes(of: UInt64(writer.entryCount).littleEndian, toByteOffset: 8, as: UInt64.self)
        return true
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
}
