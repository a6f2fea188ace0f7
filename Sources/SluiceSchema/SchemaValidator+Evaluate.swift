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
        var keywordIndex = Int(node.keywordStart)
        let end = Int(node.keywordEnd)
        while keywordIndex < end {
            if !evaluateKeyword(keywordIndex, tape, instance, tracker: keywordTracker) {
                valid = false
                if !collecting || errorsTruncated { break }
            }
            keywordIndex += 1
        }
        if ownTracker >= 0 {
            if valid { merge(ownTracker, into: tracker, count: count) }
            releaseTracker(ownTracker)
        }
        if enteredResource { dynamicScope.removeLast() }
        return valid
    }

    /// Evaluates one keyword.
    mutating func evaluateKeyword(_ keywordIndex: Int, _ tape: TapeView, _ instance: Int, tracker: Int) -> Bool {
        switch program.keywords[keywordIndex] {
        case .type(let mask):
            let valid: Bool
            switch tape.tag(instance) {
            case TapeTag.null: valid = mask.contains(.null)
            case TapeTag.false, TapeTag.true: valid = mask.contains(.boolean)
            case TapeTag.int, TapeTag.uint, TapeTag.double:
                valid = mask.contains(.number) || (mask.contains(.integer) && tape.isInteger(instance))
            case TapeTag.string: valid = mask.contains(.string)
            case TapeTag.array: valid = mask.contains(.array)
            default: valid = mask.contains(.object)
            }
            if !valid && collecting { record(keywordIndex, instance, Messages.type(mask, describe(instance))) }
            return valid

        case .constant(let constant):
            let valid = TapeOrder.compare(tape, instance, program.constantTapes[Int(constant)], 0) == 0
            if !valid && collecting {
                record(keywordIndex, instance, "\(describe(instance).short) is not the required value \(Messages.clip(program.constants[Int(constant)].description))")
            }
            return valid

        case .enumeration(let start, let count):
            for constant in Int(start)..<Int(start + count)
            where TapeOrder.compare(tape, instance, program.constantTapes[constant], 0) == 0 {
                return true
            }
            if collecting {
                record(keywordIndex, instance, Messages.enumeration(program.constants[Int(start)..<Int(start + count)].map(\.description), describe(instance)))
            }
            return false

        case .enumerationOfStrings(let start, let count):
            let found = tape.isString(instance) && findName(tape.stringBytes(instance), start: Int(start), count: Int(count)) >= 0
            if !found && collecting {
                let names = program.names[Int(start)..<Int(start + count)].map { Messages.quoted(program.name($0)) }
                record(keywordIndex, instance, Messages.enumeration(names, describe(instance)))
            }
            return found

        case .minimum(let bound):
            guard let number = tape.number(instance) else { return true }
            let valid = JSONNumber.compare(number, bound) >= 0
            if !valid && collecting { record(keywordIndex, instance, "\(number) is less than the minimum \(bound)") }
            return valid
        case .maximum(let bound):
            guard let number = tape.number(instance) else { return true }
            let valid = JSONNumber.compare(number, bound) <= 0
            if !valid && collecting { record(keywordIndex, instance, "\(number) is greater than the maximum \(bound)") }
            return valid
        case .exclusiveMinimum(let bound):
            guard let number = tape.number(instance) else { return true }
            let valid = JSONNumber.compare(number, bound) > 0
            if !valid && collecting { record(keywordIndex, instance, "\(number) must be greater than \(bound)") }
            return valid
        case .exclusiveMaximum(let bound):
            guard let number = tape.number(instance) else { return true }
            let valid = JSONNumber.compare(number, bound) < 0
            if !valid && collecting { record(keywordIndex, instance, "\(number) must be less than \(bound)") }
            return valid
        case .multipleOf(let divisor):
            guard let number = tape.number(instance) else { return true }
            let valid = NumberChecks.isMultiple(number, of: program.divisors[Int(divisor)])
            if !valid && collecting { record(keywordIndex, instance, "\(number) is not a multiple of \(program.divisors[Int(divisor)].value)") }
            return valid

        case .minLength(let minimum):
            guard tape.isString(instance) else { return true }
            // At most 4 bytes per code point: enough bytes settle it without counting.
            if (tape.count(instance) + 3) / 4 >= minimum { return true }
            let length = tape.unicodeScalarCount(instance)
            let valid = length >= minimum
            if !valid && collecting { record(keywordIndex, instance, "the string has \(length) characters, fewer than the minimum \(minimum)") }
            return valid
        case .maxLength(let maximum):
            guard tape.isString(instance) else { return true }
            if tape.count(instance) <= maximum { return true }
            let length = tape.unicodeScalarCount(instance)
            let valid = length <= maximum
            if !valid && collecting { record(keywordIndex, instance, "the string has \(length) characters, more than the maximum \(maximum)") }
            return valid
        case .pattern(let regex):
            guard tape.isString(instance) else { return true }
            let outcome = searchPattern(Int(regex), tape.stringBytes(instance))
            if outcome != .match && collecting {
                let pattern = program.regexes[Int(regex)].pattern
                record(keywordIndex, instance, outcome == .budgetExceeded
                       ? "matching the pattern \(Messages.quoted(pattern)) took too long (its back references exceeded \(ECMARegex.stepsMax) steps)"
                       : "\(describe(instance).short) does not match the pattern \(Messages.quoted(pattern))")
            }
            return outcome == .match
        case .format(let format):
            guard tape.isString(instance) else { return true }
            let valid = format.check(tape.stringBytes(instance))
            if !valid && collecting { record(keywordIndex, instance, "\(describe(instance).short) is not a valid \(format.name): expected \(format.example)") }
            return valid

        case .minItems(let minimum):
            guard tape.isArray(instance) else { return true }
            let valid = tape.count(instance) >= minimum
            if !valid && collecting { record(keywordIndex, instance, "the array has \(tape.count(instance)) items, fewer than the minimum \(minimum)") }
            return valid
        case .maxItems(let maximum):
            guard tape.isArray(instance) else { return true }
            let valid = tape.count(instance) <= maximum
            if !valid && collecting { record(keywordIndex, instance, "the array has \(tape.count(instance)) items, more than the maximum \(maximum)") }
            return valid
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
            guard tape.isObject(instance) else { return true }
            let valid = tape.count(instance) >= minimum
            if !valid && collecting { record(keywordIndex, instance, "the object has \(tape.count(instance)) properties, fewer than the minimum \(minimum)") }
            return valid
        case .maxProperties(let maximum):
            guard tape.isObject(instance) else { return true }
            let valid = tape.count(instance) <= maximum
            if !valid && collecting { record(keywordIndex, instance, "the object has \(tape.count(instance)) properties, more than the maximum \(maximum)") }
            return valid
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
        case .anyOf(let start, let count):
            return evaluateAnyOf(keywordIndex, tape, instance, start: Int(start), count: Int(count), tracker: tracker)
        case .oneOf(let start, let count):
            return evaluateOneOf(keywordIndex, tape, instance, start: Int(start), count: Int(count), tracker: tracker)
        case .not(let node):
            let mark = annotationLog.count
            let wasCollecting = collecting
            collecting = false
            let matched = evaluate(node, tape, instance, tracker: -1)
            collecting = wasCollecting
            annotationLog.removeSubrange(mark...)
            if matched && collecting { record(keywordIndex, instance, "\(describe(instance).short) must not match the schema in not") }
            return !matched
        case .conditional(let condition, let then, let otherwise):
            return evaluateConditional(keywordIndex, tape, instance, condition: condition, then: then, otherwise: otherwise, tracker: tracker)
        case .reference(let node):
            pushPath(keywordIndex, "")
            let valid = evaluate(node, tape, instance, tracker: tracker)
            popPath()
            return valid
        case .dynamicReference(let node, let anchor):
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
        case .recursiveReference(let node, let dynamic):
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

        case .reduce(let annotation):
            if annotating { annotationLog.append(UInt64(instance) << 16 | UInt64(annotation)) }
            return true
        }
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
        let compiled = program.regexes[regex]
        if let simple = compiled.simple { return simple.search(bytes) ? .match : .noMatch }
        var scratch = RegexScratch()
        swap(&scratch, &regexScratch)
        let outcome = compiled.searchWithMachine(bytes, scratch: &scratch)
        swap(&scratch, &regexScratch)
        return outcome
    }
}
