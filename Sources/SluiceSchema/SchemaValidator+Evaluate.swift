// SchemaValidator: evaluating a subschema against an instance (a tape index).
//
// `evaluate` runs a node's keywords in order. `tracker` is the bit set where the caller wants
// the properties or items this node evaluates marked (-1: nobody asks); a node with
// `unevaluated*` keeps its own. In-place applicators (`$ref`, `allOf`, …) pass the tracker
// on; branches that may fail (`anyOf`, `oneOf`, `if`) get a fresh one merged only when they
// pass, and their annotations are dropped when they fail, by truncating the log.
import SluiceDocument

extension SchemaValidator {
    /// True if the value at `instance` is valid against node `index`.
    mutating func evaluate(_ index: Int32, _ tape: TapeView, _ instance: Int, tracker: Int) -> Bool {
        let node = program.nodes[Int(index)]
        switch node.constant {
        case .alwaysValid:
            return true
        case .alwaysInvalid:
            if collecting { recordFalseSchema(index, instance) }
            return false
        case .none:
            break
        }
        depth += 1
        defer { depth -= 1 }
        if depth > SchemaValidator.evaluationDepthMax {
            if collecting {
                record(Int(node.keywordStart), instance, "schema evaluation nested deeper than \(SchemaValidator.evaluationDepthMax) (a reference cycle that consumes no input?)")
            }
            return false
        }
        let enteredResource = dynamicScope.last != node.resource
        if enteredResource { dynamicScope.append(node.resource) }
        var keywordTracker = tracker
        var ownTracker = -1
        var count = 0
        if node.tracksEvaluation {
            let tag = tape.tag(instance)
            if tag == TapeTag.object || tag == TapeTag.array {
                count = tape.count(instance)
                ownTracker = allocateTracker(count)
                keywordTracker = ownTracker
            }
        }
        var valid = true
        if collecting {
            var keywordIndex = Int(node.keywordStart)
            let end = Int(node.keywordEnd)
            while keywordIndex < end {
                if !evaluateKeyword(keywordIndex, tape, instance, tracker: keywordTracker) {
                    valid = false
                    if errorsTruncated { break }
                }
                keywordIndex += 1
            }
        } else {
            // The fast pass: the leading `type` and the trailing `reduce` without a dispatch
            // each (CompiledNode); the same outcome and annotations, in the same order.
            if node.hasTypeMask && !Self.matches(node.typeMask, tape, instance) {
                valid = false
            } else {
                var keywordIndex = Int(node.fastKeywordStart)
                let end = Int(node.fastKeywordEnd)
                while keywordIndex < end {
                    if !evaluateKeyword(keywordIndex, tape, instance, tracker: keywordTracker) {
                        valid = false
                        break
                    }
                    keywordIndex += 1
                }
                if valid && node.trailingReduce >= 0 && annotating {
                    annotationLog.append(UInt64(instance) << 16 | UInt64(node.trailingReduce))
                }
            }
        }
        if ownTracker >= 0 {
            if valid { merge(ownTracker, into: tracker, count: count) }
            releaseTracker(ownTracker)
        }
        if enteredResource { dynamicScope.removeLast() }
        return valid
    }

    /// Evaluates one keyword. Each case is its own function, so that this frame, which every
    /// level of recursion holds, stays small (an unoptimized build gives all of a switch's
    /// cases' locals one frame).
    mutating func evaluateKeyword(_ keywordIndex: Int, _ tape: TapeView, _ instance: Int, tracker: Int) -> Bool {
        switch program.keywords[keywordIndex] {
        case .type(let mask):
            return keywordType(keywordIndex, tape, instance, mask: mask, tracker: tracker)
        case .constant(let constant):
            return keywordConstant(keywordIndex, tape, instance, constant: constant, tracker: tracker)
        case .enumeration(let start, let count):
            return keywordEnumeration(keywordIndex, tape, instance, start: start, count: count, tracker: tracker)
        case .enumerationOfStrings(let start, let count):
            return keywordEnumerationOfStrings(keywordIndex, tape, instance, start: start, count: count, tracker: tracker)
        case .minimum(let bound):
            return keywordMinimum(keywordIndex, tape, instance, bound: bound, tracker: tracker)
        case .maximum(let bound):
            return keywordMaximum(keywordIndex, tape, instance, bound: bound, tracker: tracker)
        case .exclusiveMinimum(let bound):
            return keywordExclusiveMinimum(keywordIndex, tape, instance, bound: bound, tracker: tracker)
        case .exclusiveMaximum(let bound):
            return keywordExclusiveMaximum(keywordIndex, tape, instance, bound: bound, tracker: tracker)
        case .multipleOf(let divisor):
            return keywordMultipleOf(keywordIndex, tape, instance, divisor: divisor, tracker: tracker)
        case .minLength(let minimum):
            return keywordMinLength(keywordIndex, tape, instance, minimum: minimum, tracker: tracker)
        case .maxLength(let maximum):
            return keywordMaxLength(keywordIndex, tape, instance, maximum: maximum, tracker: tracker)
        case .pattern(let regex):
            return keywordPattern(keywordIndex, tape, instance, regex: regex, tracker: tracker)
        case .format(let format):
            return keywordFormat(keywordIndex, tape, instance, format: format, tracker: tracker)
        case .minItems(let minimum):
            return keywordMinItems(keywordIndex, tape, instance, minimum: minimum, tracker: tracker)
        case .maxItems(let maximum):
            return keywordMaxItems(keywordIndex, tape, instance, maximum: maximum, tracker: tracker)
        case .uniqueItems:
            return evaluateUniqueItems(keywordIndex, tape, instance)
        case .prefixItems(let start, let count):
            return evaluatePrefixItems(keywordIndex, tape, instance, start: Int(start), count: Int(count), tracker: tracker)
        case .items(let node, let from):
            return evaluateItems(keywordIndex, tape, instance, node: node, from: Int(from), tracker: tracker)
        case .contains(let node, let minimum, let maximum):
            return evaluateContains(keywordIndex, tape, instance, node: node, minimum: minimum, maximum: maximum, tracker: tracker)
        case .unevaluatedItems(let node):
            return evaluateUnevaluatedItems(keywordIndex, tape, instance, node: node, tracker: tracker)
        case .minProperties(let minimum):
            return keywordMinProperties(keywordIndex, tape, instance, minimum: minimum, tracker: tracker)
        case .maxProperties(let maximum):
            return keywordMaxProperties(keywordIndex, tape, instance, maximum: maximum, tracker: tracker)
        case .required(let start, let count):
            return evaluateRequired(keywordIndex, tape, instance, start: Int(start), count: Int(count))
        case .dependentRequired(let start, let count):
            return evaluateDependentRequired(keywordIndex, tape, instance, start: Int(start), count: Int(count))
        case .properties(let start, let count):
            return evaluateProperties(keywordIndex, tape, instance, start: Int(start), count: Int(count), tracker: tracker)
        case .patternProperties(let start, let count):
            return evaluatePatternProperties(keywordIndex, tape, instance, start: Int(start), count: Int(count), tracker: tracker)
        case .additionalProperties(let node, let properties, let propertyCount, let patterns, let patternCount):
            return evaluateAdditionalProperties(keywordIndex, tape, instance, node: node, properties: Int(properties),
                                                propertyCount: Int(propertyCount), patterns: Int(patterns),
                                                patternCount: Int(patternCount), tracker: tracker)
        case .propertyNames(let node):
            return evaluatePropertyNames(keywordIndex, tape, instance, node: node)
        case .dependentSchemas(let start, let count):
            return evaluateDependentSchemas(keywordIndex, tape, instance, start: Int(start), count: Int(count), tracker: tracker)
        case .unevaluatedProperties(let node):
            return evaluateUnevaluatedProperties(keywordIndex, tape, instance, node: node, tracker: tracker)
        case .allOf(let start, let count):
            return keywordAllOf(keywordIndex, tape, instance, start: start, count: count, tracker: tracker)
        case .anyOf(let start, let count):
            return evaluateAnyOf(keywordIndex, tape, instance, start: Int(start), count: Int(count), tracker: tracker)
        case .oneOf(let start, let count):
            return evaluateOneOf(keywordIndex, tape, instance, start: Int(start), count: Int(count), tracker: tracker)
        case .not(let node):
            return keywordNot(keywordIndex, tape, instance, node: node, tracker: tracker)
        case .conditional(let condition, let then, let otherwise):
            return evaluateConditional(keywordIndex, tape, instance, condition: condition, then: then, otherwise: otherwise, tracker: tracker)
        case .reference(let node):
            return keywordReference(keywordIndex, tape, instance, node: node, tracker: tracker)
        case .dynamicReference(let node, let anchor):
            return keywordDynamicReference(keywordIndex, tape, instance, node: node, anchor: anchor, tracker: tracker)
        case .recursiveReference(let node, let dynamic):
            return keywordRecursiveReference(keywordIndex, tape, instance, node: node, dynamic: dynamic, tracker: tracker)
        case .reduce(let annotation):
            return keywordReduce(keywordIndex, tape, instance, annotation: annotation, tracker: tracker)
        }
    }

    mutating func keywordType(_ keywordIndex: Int, _ tape: TapeView, _ instance: Int, mask: TypeMask, tracker: Int) -> Bool {
        let valid = Self.matches(mask, tape, instance)
        if !valid && collecting { record(keywordIndex, instance, Messages.type(mask, describe(instance))) }
        return valid
    }

    /// Whether the value at `instance` has one of the types in `mask`.
    @inline(__always)
    static func matches(_ mask: TypeMask, _ tape: TapeView, _ instance: Int) -> Bool {
        switch tape.tag(instance) {
        case TapeTag.null: mask.contains(.null)
        case TapeTag.false, TapeTag.true: mask.contains(.boolean)
        case TapeTag.int, TapeTag.uint, TapeTag.double:
            mask.contains(.number) || (mask.contains(.integer) && tape.isInteger(instance))
        case TapeTag.string: mask.contains(.string)
        case TapeTag.array: mask.contains(.array)
        default: mask.contains(.object)
        }
    }

    mutating func keywordConstant(_ keywordIndex: Int, _ tape: TapeView, _ instance: Int, constant: Int32, tracker: Int) -> Bool {
        let valid = TapeOrder.compare(tape, instance, program.constantTapes[Int(constant)], 0) == 0
        if !valid && collecting {
            record(keywordIndex, instance, "\(describe(instance).short) is not the required value \(Messages.clip(program.constants[Int(constant)].description))")
        }
        return valid
    }

    mutating func keywordEnumeration(_ keywordIndex: Int, _ tape: TapeView, _ instance: Int, start: Int32, count: Int32, tracker: Int) -> Bool {
        for constant in Int(start)..<Int(start + count)
        where TapeOrder.compare(tape, instance, program.constantTapes[constant], 0) == 0 {
            return true
        }
        if collecting {
            record(keywordIndex, instance, Messages.enumeration(program.constants[Int(start)..<Int(start + count)].map(\.description), describe(instance)))
        }
        return false
    }

    mutating func keywordEnumerationOfStrings(_ keywordIndex: Int, _ tape: TapeView, _ instance: Int, start: Int32, count: Int32, tracker: Int) -> Bool {
        let found = tape.isString(instance) && findName(tape.stringBytes(instance), start: Int(start), count: Int(count)) >= 0
        if !found && collecting {
            let names = program.names[Int(start)..<Int(start + count)].map { Messages.quoted(program.name($0)) }
            record(keywordIndex, instance, Messages.enumeration(names, describe(instance)))
        }
        return found
    }

    mutating func keywordMinimum(_ keywordIndex: Int, _ tape: TapeView, _ instance: Int, bound: JSONNumber, tracker: Int) -> Bool {
        guard let number = tape.number(instance) else { return true }
        let valid = JSONNumber.compare(number, bound) >= 0
        if !valid && collecting { record(keywordIndex, instance, "\(number) is less than the minimum \(bound)") }
        return valid
    }

    mutating func keywordMaximum(_ keywordIndex: Int, _ tape: TapeView, _ instance: Int, bound: JSONNumber, tracker: Int) -> Bool {
        guard let number = tape.number(instance) else { return true }
        let valid = JSONNumber.compare(number, bound) <= 0
        if !valid && collecting { record(keywordIndex, instance, "\(number) is greater than the maximum \(bound)") }
        return valid
    }

    mutating func keywordExclusiveMinimum(_ keywordIndex: Int, _ tape: TapeView, _ instance: Int, bound: JSONNumber, tracker: Int) -> Bool {
        guard let number = tape.number(instance) else { return true }
        let valid = JSONNumber.compare(number, bound) > 0
        if !valid && collecting { record(keywordIndex, instance, "\(number) must be greater than \(bound)") }
        return valid
    }

    mutating func keywordExclusiveMaximum(_ keywordIndex: Int, _ tape: TapeView, _ instance: Int, bound: JSONNumber, tracker: Int) -> Bool {
        guard let number = tape.number(instance) else { return true }
        let valid = JSONNumber.compare(number, bound) < 0
        if !valid && collecting { record(keywordIndex, instance, "\(number) must be less than \(bound)") }
        return valid
    }

    mutating func keywordMultipleOf(_ keywordIndex: Int, _ tape: TapeView, _ instance: Int, divisor: Int32, tracker: Int) -> Bool {
        guard let number = tape.number(instance) else { return true }
        let valid = NumberChecks.isMultiple(number, of: program.divisors[Int(divisor)])
        if !valid && collecting { record(keywordIndex, instance, "\(number) is not a multiple of \(program.divisors[Int(divisor)].value)") }
        return valid
    }

    mutating func keywordMinLength(_ keywordIndex: Int, _ tape: TapeView, _ instance: Int, minimum: Int, tracker: Int) -> Bool {
        guard tape.isString(instance) else { return true }
        // At most 4 bytes per code point: enough bytes settle it without counting.
        if (tape.count(instance) + 3) / 4 >= minimum { return true }
        let length = tape.unicodeScalarCount(instance)
        let valid = length >= minimum
        if !valid && collecting { record(keywordIndex, instance, "the string has \(length) characters, fewer than the minimum \(minimum)") }
        return valid
    }

    mutating func keywordMaxLength(_ keywordIndex: Int, _ tape: TapeView, _ instance: Int, maximum: Int, tracker: Int) -> Bool {
        guard tape.isString(instance) else { return true }
        if tape.count(instance) <= maximum { return true }
        let length = tape.unicodeScalarCount(instance)
        let valid = length <= maximum
        if !valid && collecting { record(keywordIndex, instance, "the string has \(length) characters, more than the maximum \(maximum)") }
        return valid
    }

    mutating func keywordPattern(_ keywordIndex: Int, _ tape: TapeView, _ instance: Int, regex: Int32, tracker: Int) -> Bool {
        guard tape.isString(instance) else { return true }
        let outcome = searchPattern(Int(regex), tape.stringBytes(instance))
        if outcome != .match && collecting {
            let pattern = program.regexes[Int(regex)].pattern
            record(keywordIndex, instance, outcome == .budgetExceeded
                   ? "matching the pattern \(Messages.quoted(pattern)) took too long (its back references exceeded \(ECMARegex.stepsMax) steps)"
                   : "\(describe(instance).short) does not match the pattern \(Messages.quoted(pattern))")
        }
        return outcome == .match
    }

    mutating func keywordFormat(_ keywordIndex: Int, _ tape: TapeView, _ instance: Int, format: SchemaFormat, tracker: Int) -> Bool {
        guard tape.isString(instance) else { return true }
        let valid = format.check(tape.stringBytes(instance))
        if !valid && collecting { record(keywordIndex, instance, "\(describe(instance).short) is not a valid \(format.name): expected \(format.example)") }
        return valid
    }

    mutating func keywordMinItems(_ keywordIndex: Int, _ tape: TapeView, _ instance: Int, minimum: Int, tracker: Int) -> Bool {
        guard tape.isArray(instance) else { return true }
        let valid = tape.count(instance) >= minimum
        if !valid && collecting { record(keywordIndex, instance, "the array has \(tape.count(instance)) items, fewer than the minimum \(minimum)") }
        return valid
    }

    mutating func keywordMaxItems(_ keywordIndex: Int, _ tape: TapeView, _ instance: Int, maximum: Int, tracker: Int) -> Bool {
        guard tape.isArray(instance) else { return true }
        let valid = tape.count(instance) <= maximum
        if !valid && collecting { record(keywordIndex, instance, "the array has \(tape.count(instance)) items, more than the maximum \(maximum)") }
        return valid
    }

    mutating func keywordMinProperties(_ keywordIndex: Int, _ tape: TapeView, _ instance: Int, minimum: Int, tracker: Int) -> Bool {
        guard tape.isObject(instance) else { return true }
        let valid = tape.count(instance) >= minimum
        if !valid && collecting { record(keywordIndex, instance, "the object has \(tape.count(instance)) properties, fewer than the minimum \(minimum)") }
        return valid
    }

    mutating func keywordMaxProperties(_ keywordIndex: Int, _ tape: TapeView, _ instance: Int, maximum: Int, tracker: Int) -> Bool {
        guard tape.isObject(instance) else { return true }
        let valid = tape.count(instance) <= maximum
        if !valid && collecting { record(keywordIndex, instance, "the object has \(tape.count(instance)) properties, more than the maximum \(maximum)") }
        return valid
    }

    mutating func keywordAllOf(_ keywordIndex: Int, _ tape: TapeView, _ instance: Int, start: Int32, count: Int32, tracker: Int) -> Bool {
        var valid = true
        for position in 0..<Int(count) {
            pushPath(keywordIndex, "/\(position)")
            let branchValid = evaluate(program.nodeLists[Int(start) + position], tape, instance, tracker: tracker)
            popPath()
            if !branchValid {
                valid = false
                if !collecting || errorsTruncated { break }
            }
        }
        return valid
    }

    mutating func keywordNot(_ keywordIndex: Int, _ tape: TapeView, _ instance: Int, node: Int32, tracker: Int) -> Bool {
        let mark = annotationLog.count
        let wasCollecting = collecting
        collecting = false
        let matched = evaluate(node, tape, instance, tracker: -1)
        collecting = wasCollecting
        annotationLog.removeSubrange(mark...)
        if matched && collecting { record(keywordIndex, instance, "\(describe(instance).short) must not match the schema in not") }
        return !matched
    }

    mutating func keywordReference(_ keywordIndex: Int, _ tape: TapeView, _ instance: Int, node: Int32, tracker: Int) -> Bool {
        pushPath(keywordIndex, "")
        let valid = evaluate(node, tape, instance, tracker: tracker)
        popPath()
        return valid
    }

    mutating func keywordDynamicReference(_ keywordIndex: Int, _ tape: TapeView, _ instance: Int, node: Int32, anchor: Int32, tracker: Int) -> Bool {
        var target = node
        if anchor >= 0 {
            for resource in dynamicScope {
                if let anchored = program.resources[Int(resource)].dynamicAnchors[anchor] {
                    target = anchored
                    break
                }
            }
        }
        pushPath(keywordIndex, "")
        let valid = evaluate(target, tape, instance, tracker: tracker)
        popPath()
        return valid
    }

    mutating func keywordRecursiveReference(_ keywordIndex: Int, _ tape: TapeView, _ instance: Int, node: Int32, dynamic: Bool, tracker: Int) -> Bool {
        var target = node
        if dynamic {
            for resource in dynamicScope where program.resources[Int(resource)].recursiveAnchor {
                target = program.resources[Int(resource)].root
                break
            }
        }
        pushPath(keywordIndex, "")
        let valid = evaluate(target, tape, instance, tracker: tracker)
        popPath()
        return valid
    }

    mutating func keywordReduce(_ keywordIndex: Int, _ tape: TapeView, _ instance: Int, annotation: UInt16, tracker: Int) -> Bool {
        if annotating { annotationLog.append(UInt64(instance) << 16 | UInt64(annotation)) }
        return true
    }

    /// The index of the name equal to `bytes` among sorted names `start..<start+count`, or -1.
    func findName(_ bytes: UnsafeRawBufferPointer, start: Int, count: Int) -> Int {
        var low = start
        var high = start + count
        while low < high {
            let middle = (low + high) >> 1
            let order = compareName(bytes, program.names[middle])
            if order == 0 { return middle }
            if order < 0 { high = middle } else { low = middle + 1 }
        }
        return -1
    }

    /// Compares `bytes` with a name entry by bytes: negative, zero or positive.
    @inline(__always)
    func compareName(_ bytes: UnsafeRawBufferPointer, _ entry: NameEntry) -> Int {
        TapeOrder.compareBytes(bytes, program.nameBuffer(entry))
    }

    /// Searches `bytes` (a string's UTF-8) with pattern `regex`.
    mutating func searchPattern(_ regex: Int, _ bytes: UnsafeRawBufferPointer) -> ECMARegex.Outcome {
        // One-pass patterns over ASCII input: from the program's plain tables.
        let fast = program.simplePatternSteps[regex]
        if fast.isSimple {
            let found = program.simpleSteps.withUnsafeBufferPointer { steps in
                SimplePattern.searchASCII(UnsafeBufferPointer(rebasing: steps[Int(fast.start)..<Int(fast.start + fast.count)]),
                                          anchoredStart: fast.anchoredStart, anchoredEnd: fast.anchoredEnd, bytes)
            }
            if let found { return found ? .match : .noMatch }
        }
        let compiled = program.regexes[regex]
        if let simple = compiled.simple { return simple.search(bytes) ? .match : .noMatch }
        var scratch = RegexScratch()
        swap(&scratch, &regexScratch)
        let outcome = compiled.searchWithMachine(bytes, scratch: &scratch)
        swap(&scratch, &regexScratch)
        return outcome
    }
}
