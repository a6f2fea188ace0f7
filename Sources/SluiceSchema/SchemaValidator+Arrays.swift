// SchemaValidator: the array keywords. On the tape, an array's elements follow it in order,
// each spanning its own entries.
import SluiceDocument

extension SchemaValidator {
    mutating func evaluatePrefixItems(_ keywordIndex: Int, _ tape: TapeView, _ instance: Int, start: Int, count: Int,
                                      tracker: Int) -> Bool {
        guard tape.isArray(instance) else { return true }
        var valid = true
        var element = instance + 1
        for position in 0..<min(count, tape.count(instance)) {
            defer { element = tape.next(element) }
            mark(tracker, position)
            if collecting { pushPath(keywordIndex, "/\(position)") }
            let elementValid = evaluate(program.nodeLists[start + position], tape, element, tracker: -1)
            if collecting { popPath() }
            if !elementValid {
                valid = false
                if !collecting || errorsTruncated { return false }
            }
        }
        return valid
    }

    mutating func evaluateItems(_ keywordIndex: Int, _ tape: TapeView, _ instance: Int, node: Int32, from: Int, tracker: Int) -> Bool {
        guard tape.isArray(instance) else { return true }
        var valid = true
        let forbidden = program.nodes[Int(node)].constant == .alwaysInvalid
        var element = instance + 1
        for position in 0..<tape.count(instance) {
            defer { element = tape.next(element) }
            guard position >= from else { continue }
            mark(tracker, position)
            if forbidden {
                if !collecting { return false }
                record(keywordIndex, element, "the array may have at most \(from) items; item \(position) is not allowed")
                return false
            }
            if collecting { pushPath(keywordIndex, "") }
            let elementValid = evaluate(node, tape, element, tracker: -1)
            if collecting { popPath() }
            if !elementValid {
                valid = false
                if !collecting || errorsTruncated { return false }
            }
        }
        return valid
    }

    mutating func evaluateContains(_ keywordIndex: Int, _ tape: TapeView, _ instance: Int, node: Int32, minimum: Int,
                                   maximum: Int, tracker: Int) -> Bool {
        guard tape.isArray(instance) else { return true }
        var matches = 0
        let wasCollecting = collecting
        collecting = false
        var element = instance + 1
        for position in 0..<tape.count(instance) {
            let mark = annotationLog.count
            if evaluate(node, tape, element, tracker: -1) {
                matches += 1
                self.mark(tracker, position)
            } else {
                annotationLog.removeSubrange(mark...)
            }
            element = tape.next(element)
        }
        collecting = wasCollecting
        let valid = matches >= minimum && matches <= maximum
        if !valid && collecting {
            if matches < minimum {
                record(keywordIndex, instance, minimum == 1
                       ? "no item matches the schema in contains"
                       : "\(matches) items match the schema in contains, fewer than minContains \(minimum)")
            } else {
                record(keywordIndex, instance, "\(matches) items match the schema in contains, more than maxContains \(maximum)")
            }
        }
        return valid
    }

    mutating func evaluateUnevaluatedItems(_ keywordIndex: Int, _ tape: TapeView, _ instance: Int, node: Int32, tracker: Int) -> Bool {
        guard tape.isArray(instance), tracker >= 0 else { return true }
        var valid = true
        let forbidden = program.nodes[Int(node)].constant == .alwaysInvalid
        var element = instance + 1
        for position in 0..<tape.count(instance) {
            defer { element = tape.next(element) }
            guard !isMarked(tracker, position) else { continue }
            mark(tracker, position)
            if forbidden {
                if !collecting { return false }
                record(keywordIndex, element, "item \(position) is not allowed (unevaluatedItems is false and no subschema evaluates it)")
                valid = false
                if errorsTruncated { return false }
                continue
            }
            if collecting { pushPath(keywordIndex, "") }
            let elementValid = evaluate(node, tape, element, tracker: -1)
            if collecting { popPath() }
            if !elementValid {
                valid = false
                if !collecting || errorsTruncated { return false }
            }
        }
        return valid
    }

    /// `uniqueItems`: pairwise for short arrays, by sorting element indices for long ones.
    mutating func evaluateUniqueItems(_ keywordIndex: Int, _ tape: TapeView, _ instance: Int) -> Bool {
        guard tape.isArray(instance), tape.count(instance) > 1 else { return true }
        // The elements' tape indices, in a buffer the validator keeps (no allocation once grown).
        var elements: [Int] = []
        swap(&elements, &uniqueItemsScratch)
        defer {
            elements.removeAll(keepingCapacity: true)
            swap(&elements, &uniqueItemsScratch)
        }
        var element = instance + 1
        for _ in 0..<tape.count(instance) {
            elements.append(element)
            element = tape.next(element)
        }
        var duplicate: (Int, Int)?
        if elements.count <= SchemaValidator.uniqueItemsPairwiseMax {
            search: for first in 0..<elements.count {
                for second in (first + 1)..<elements.count where TapeOrder.compare(tape, elements[first], tape, elements[second]) == 0 {
                    duplicate = (first, second)
                    break search
                }
            }
        } else {
            let sorted = elements.indices.sorted { TapeOrder.compare(tape, elements[$0], tape, elements[$1]) < 0 }
            for index in 1..<sorted.count where TapeOrder.compare(tape, elements[sorted[index - 1]], tape, elements[sorted[index]]) == 0 {
                duplicate = (min(sorted[index - 1], sorted[index]), max(sorted[index - 1], sorted[index]))
                break
            }
        }
        guard let duplicate else { return true }
        if collecting {
            record(keywordIndex, instance, "items \(duplicate.0) and \(duplicate.1) are equal; uniqueItems requires distinct items")
        }
        return false
    }

    /// Arrays up to this length are checked pair by pair (cheaper than sorting for short ones).
    static let uniqueItemsPairwiseMax = 16
}
