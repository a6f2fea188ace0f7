// SchemaValidator: the array keywords.
import SluiceDocument

extension SchemaValidator {
    mutating func evaluatePrefixItems(_ keywordIndex: Int, _ instance: Node, start: Int, count: Int, tracker: Int) -> Bool {
        guard instance.kind == .array else { return true }
        var valid = true
        for (position, element) in instance.elements.enumerated() {
            guard position < count else { break }
            mark(tracker, position)
            if collecting { pushPath(keywordIndex, "/\(position)") }
            let elementValid = evaluate(program.nodeLists[start + position], element, tracker: -1)
            if collecting { popPath() }
            if !elementValid {
                valid = false
                if !collecting || errorsTruncated { return false }
            }
        }
        return valid
    }

    mutating func evaluateItems(_ keywordIndex: Int, _ instance: Node, node: Int32, from: Int, tracker: Int) -> Bool {
        guard instance.kind == .array else { return true }
        var valid = true
        let forbidden = program.nodes[Int(node)].constant == .alwaysInvalid
        for (position, element) in instance.elements.enumerated() where position >= from {
            mark(tracker, position)
            if forbidden {
                if !collecting { return false }
                record(keywordIndex, element, "the array may have at most \(from) items; item \(position) is not allowed")
                return false
            }
            if collecting { pushPath(keywordIndex, "") }
            let elementValid = evaluate(node, element, tracker: -1)
            if collecting { popPath() }
            if !elementValid {
                valid = false
                if !collecting || errorsTruncated { return false }
            }
        }
        return valid
    }

    mutating func evaluateContains(_ keywordIndex: Int, _ instance: Node, node: Int32, minimum: Int, maximum: Int, tracker: Int) -> Bool {
        guard instance.kind == .array else { return true }
        var matches = 0
        let wasCollecting = collecting
        collecting = false
        for (position, element) in instance.elements.enumerated() {
            let mark = annotationLog.count
            if evaluate(node, element, tracker: -1) {
                matches += 1
                self.mark(tracker, position)
            } else {
                annotationLog.removeSubrange(mark...)
            }
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

    mutating func evaluateUnevaluatedItems(_ keywordIndex: Int, _ instance: Node, node: Int32, tracker: Int) -> Bool {
        guard instance.kind == .array, tracker >= 0 else { return true }
        var valid = true
        let forbidden = program.nodes[Int(node)].constant == .alwaysInvalid
        for (position, element) in instance.elements.enumerated() where !isMarked(tracker, position) {
            mark(tracker, position)
            if forbidden {
                if !collecting { return false }
                record(keywordIndex, element, "item \(position) is not allowed (unevaluatedItems is false and no subschema evaluates it)")
                valid = false
                if errorsTruncated { return false }
                continue
            }
            if collecting { pushPath(keywordIndex, "") }
            let elementValid = evaluate(node, element, tracker: -1)
            if collecting { popPath() }
            if !elementValid {
                valid = false
                if !collecting || errorsTruncated { return false }
            }
        }
        return valid
    }

    /// `uniqueItems`: pairwise for short arrays, by sorting element nodes for long ones.
    mutating func evaluateUniqueItems(_ keywordIndex: Int, _ instance: Node) -> Bool {
        guard instance.kind == .array, instance.count > 1 else { return true }
        var duplicate: (Int, Int)?
        if instance.count <= SchemaValidator.uniqueItemsPairwiseMax {
            let elements = Array(instance.elements)
            search: for first in 0..<elements.count {
                for second in (first + 1)..<elements.count where Node.compare(elements[first], elements[second]) == 0 {
                    duplicate = (first, second)
                    break search
                }
            }
        } else {
            let sorted = instance.elements.enumerated().sorted { Node.compare($0.element, $1.element) < 0 }
            for index in 1..<sorted.count where Node.compare(sorted[index - 1].element, sorted[index].element) == 0 {
                duplicate = (min(sorted[index - 1].offset, sorted[index].offset), max(sorted[index - 1].offset, sorted[index].offset))
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
