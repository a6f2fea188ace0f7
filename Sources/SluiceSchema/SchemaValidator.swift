// SchemaValidator: validates documents against one compiled schema, reusing its buffers.
//
// Validation runs in two passes. The fast pass evaluates the document and stops at the first
// failure, building no strings; it logs `reduce` annotations as (tape index, annotation)
// pairs and drops those of subschemas that failed (2020-12 annotation semantics: a failed
// `anyOf` branch, `if`, `not` or `contains` item contributes nothing). Only a document the
// fast pass rejects is evaluated again, collecting every error (up to the schema's limit)
// with its message and locations. A valid document therefore costs one walk and, per
// document, one allocation: its `ReduceAnnotations`.
public import SluiceDocument

/// Validates documents against a `Schema`. Not Sendable: keep one per thread.
public struct SchemaValidator {
    let program: SchemaProgram
    let errorLimit: Int

    // Scratch, reused across documents.
    /// Annotations of the current evaluation: `tapeIndex << 16 | annotation`.
    var annotationLog: [UInt64] = []
    /// The slots of the last `ReduceAnnotations` returned (shared with it; reused once it is
    /// dropped).
    var annotationSlots: [UInt16] = []
    /// Zeros to start the slots from (a copy rather than a fill).
    var zeroSlots: [UInt16] = []
    /// The schema's annotations (`program.annotations`), copied so that validators on other
    /// threads do not count references on one shared array. Validators of one `Schema` have
    /// equal tables, so slots from one are meaningful over another's.
    package let annotationTable: [ReduceAnnotation]
    /// Whether annotations are being logged (not when only validity is asked).
    var annotating = true
    /// Bit sets of evaluated properties or items (`unevaluated*`), used as a stack.
    var evaluatedWords: [UInt64] = []
    var evaluatedTop = 0
    /// Schema resources entered, outermost first (`$dynamicRef`, `$recursiveRef`).
    var dynamicScope: [Int32] = []
    var regexScratch = RegexScratch()
    /// Element indices for `uniqueItems`.
    var uniqueItemsScratch: [Int] = []
    var depth = 0

    /// The document being validated, while collecting errors (to describe values).
    var collectingDocument: Document?

    // The collecting pass.
    var collecting = false
    var errors: [PendingError] = []
    var errorsTruncated = false
    /// Evaluation path segments (`properties/customer`, `$ref`), maintained only while collecting.
    var evaluationPath: [String] = []

    /// Deepest nesting of subschema evaluations (instance depth times in-place applicators):
    /// bounds the stack a cyclic `$dynamicRef` could take, well inside a thread's stack.
    static let evaluationDepthMax = 2_048

    public init(_ schema: Schema) {
        program = schema.program
        errorLimit = schema.errorLimit
        annotationTable = schema.program.annotations.map { $0 }
        precondition(annotationTable.count < Int(UInt16.max), "too many distinct annotations in one schema")
    }

    /// Validates `document`; returns the `reduce` annotation in force at each location, or
    /// throws the errors (at most the schema's error limit).
    public mutating func validate(_ document: Document) throws(ValidationFailure) -> ReduceAnnotations {
        reset(annotating: true)
        if evaluateDocument(document) {
            // The slots of the previous result are reused when its holder has dropped it (the
            // usual case: annotations live as long as one reduction), so a valid document
            // usually costs no allocation; a result still held keeps its own slots.
            annotationSlots.removeAll(keepingCapacity: true)
            if zeroSlots.count < document.entryCount {
                zeroSlots.append(contentsOf: repeatElement(0, count: document.entryCount - zeroSlots.count))
            }
            annotationSlots.append(contentsOf: zeroSlots[0..<document.entryCount])
            for entry in annotationLog {
                annotationSlots[Int(entry >> 16)] = UInt16(entry & 0xFFFF) + 1
            }
            return ReduceAnnotations(slots: annotationSlots, sharedTable: annotationTable)
        }
        throw failure(document)
    }

    /// True if `document` is valid (no annotations are gathered).
    public mutating func isValid(_ document: Document) -> Bool {
        reset(annotating: false)
        return evaluateDocument(document)
    }

    /// Evaluates the root schema against `document` through a view of its tape (the
    /// document's own memory: no copy).
    private mutating func evaluateDocument(_ document: Document) -> Bool {
        document.withUnsafeTapeBytes { entries, strings in
            evaluate(program.root, TapeView(entries: entries, strings: strings), 0, tracker: -1)
        }
    }

    /// The errors of `document` (empty if it is valid).
    public mutating func errors(_ document: Document) -> ValidationFailure? {
        isValid(document) ? nil : failure(document)
    }

    private mutating func reset(annotating: Bool) {
        self.annotating = annotating
        annotationLog.removeAll(keepingCapacity: true)
        evaluatedTop = 0
        dynamicScope.removeAll(keepingCapacity: true)
        depth = 0
        collecting = false
    }

    /// The collecting pass over a document the fast pass rejected.
    private mutating func failure(_ document: Document) -> ValidationFailure {
        reset(annotating: false)
        collecting = true
        errors.removeAll(keepingCapacity: true)
        errorsTruncated = false
        evaluationPath.removeAll(keepingCapacity: true)
        collectingDocument = document
        let valid = evaluateDocument(document)
        collectingDocument = nil
        collecting = false
        if errors.isEmpty {
            // The fast pass and the collecting pass must agree; say so rather than return nothing.
            assert(valid, "the collecting pass found no error in a document the fast pass rejected")
            errors.append(PendingError(tapeIndex: 0, keywordIndex: -1, path: "", message: "the document is invalid"))
        }
        let finder = InstanceLocator(document: document)
        let resolved = errors.map { pending in
            let site = pending.keywordIndex >= 0 ? program.keywordSites[pending.keywordIndex] : nil
            return ValidationError(
                instanceLocation: finder.pointer(toTapeIndex: pending.tapeIndex),
                keyword: site?.keyword ?? "false",
                keywordLocation: pending.path,
                absoluteKeywordLocation: site?.location.absolute ?? pending.schemaLocation
                    ?? program.locations[Int(program.nodes[Int(program.root)].location)].absolute,
                message: pending.message)
        }
        errors.removeAll(keepingCapacity: true)
        return ValidationFailure(errors: resolved, isTruncated: errorsTruncated)
    }

    // MARK: - Evaluated-location bit sets

    /// A zeroed bit set for `count` properties or items; returns its offset.
    @inline(__always)
    mutating func allocateTracker(_ count: Int) -> Int {
        let words = (count + 63) >> 6
        let offset = evaluatedTop
        evaluatedTop += max(words, 1)
        if evaluatedWords.count < evaluatedTop {
            evaluatedWords.append(contentsOf: repeatElement(0, count: evaluatedTop - evaluatedWords.count))
        }
        for index in offset..<evaluatedTop { evaluatedWords[index] = 0 }
        return offset
    }

    /// Frees the tracker at `offset` and everything allocated after it.
    @inline(__always)
    mutating func releaseTracker(_ offset: Int) { evaluatedTop = offset }

    @inline(__always)
    mutating func mark(_ tracker: Int, _ index: Int) {
        guard tracker >= 0 else { return }
        evaluatedWords[tracker + index >> 6] |= 1 << UInt64(index & 63)
    }

    @inline(__always)
    func isMarked(_ tracker: Int, _ index: Int) -> Bool {
        evaluatedWords[tracker + index >> 6] & (1 << UInt64(index & 63)) != 0
    }

    /// ORs the tracker `source` into `target` (both sized for `count`).
    @inline(__always)
    mutating func merge(_ source: Int, into target: Int, count: Int) {
        guard target >= 0 else { return }
        for word in 0..<max((count + 63) >> 6, 1) { evaluatedWords[target + word] |= evaluatedWords[source + word] }
    }
}

/// An error found by the collecting pass, before its locations are made readable.
struct PendingError {
    var tapeIndex: Int
    /// Index in `SchemaProgram.keywords`, or -1 for a `false` schema.
    var keywordIndex: Int
    var path: String
    var message: String
    /// For a `false` schema (no keyword): the schema's location.
    var schemaLocation: String?
}

/// Finds the JSON pointer, or the node, of a tape index by descending from the root (only for
/// errors).
struct InstanceLocator {
    let document: Document

    /// The node at tape index `target` (a property name's index gives the name's string node).
    func node(atTapeIndex target: Int) -> Node {
        var node = document.root
        while node.tapeIndex != target {
            var next: Node?
            switch node.kind {
            case .object:
                for property in node.properties {
                    if property.nameNode.tapeIndex == target { return property.nameNode }
                    let value = property.value
                    if target >= value.tapeIndex && target < value.tapeIndex + value.entrySpan {
                        next = value
                        break
                    }
                }
            case .array:
                for element in node.elements where target >= element.tapeIndex && target < element.tapeIndex + element.entrySpan {
                    next = element
                    break
                }
            default:
                break
            }
            guard let next else { return node }
            node = next
        }
        return node
    }

    func pointer(toTapeIndex target: Int) -> JSONPointer {
        var names: [String] = []
        var node = document.root
        while node.tapeIndex != target {
            var descended = false
            switch node.kind {
            case .object:
                for property in node.properties {
                    if property.nameNode.tapeIndex == target {
                        // A property name itself (propertyNames): the pointer to its property.
                        return JSONPointer(names: names + [property.name])
                    }
                    let value = property.value
                    if target >= value.tapeIndex && target < value.tapeIndex + value.entrySpan {
                        names.append(property.name)
                        node = value
                        descended = true
                        break
                    }
                }
            case .array:
                for (index, element) in node.elements.enumerated()
                where target >= element.tapeIndex && target < element.tapeIndex + element.entrySpan {
                    names.append(String(index))
                    node = element
                    descended = true
                    break
                }
            default:
                break
            }
            if !descended { break }
        }
        return JSONPointer(names: names)
    }
}
