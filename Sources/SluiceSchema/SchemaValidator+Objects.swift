// SchemaValidator: the object keywords. Properties on the tape and names in the program are
// both sorted by UTF-8 bytes, so `properties` and `required` are merge-joins: one pass over
// the instance's properties, no lookups, no allocation.
import SluiceDocument

extension SchemaValidator {
    mutating func evaluateRequired(_ keywordIndex: Int, _ instance: Node, start: Int, count: Int) -> Bool {
        guard instance.kind == .object else { return true }
        let end = start + count
        var next = start
        var valid = true
        for property in instance.properties {
            guard next < end else { break }
            var order = compareName(property.nameNode, program.names[next])
            while order > 0 {
                // program.names[next] sorts before this property: it is missing.
                valid = false
                if !collecting { return false }
                recordMissing(keywordIndex, instance, program.names[next])
                next += 1
                guard next < end else { return valid }
                order = compareName(property.nameNode, program.names[next])
            }
            if order == 0 { next += 1 }
        }
        while next < end {
            valid = false
            if !collecting { return false }
            recordMissing(keywordIndex, instance, program.names[next])
            next += 1
        }
        return valid
    }

    private mutating func recordMissing(_ keywordIndex: Int, _ instance: Node, _ entry: NameEntry) {
        record(keywordIndex, instance, "missing required property \(Messages.quoted(program.name(entry)))")
    }

    /// True if the object `instance` has a property named by `entry`.
    func hasProperty(_ instance: Node, _ entry: NameEntry) -> Bool {
        for property in instance.properties {
            let order = compareName(property.nameNode, entry)
            if order == 0 { return true }
            if order > 0 { return false }
        }
        return false
    }

    mutating func evaluateDependentRequired(_ keywordIndex: Int, _ instance: Node, start: Int, count: Int) -> Bool {
        guard instance.kind == .object else { return true }
        var valid = true
        for dependent in program.dependents[start..<start + count] where hasProperty(instance, dependent.name) {
            for required in Int(dependent.requiredStart)..<Int(dependent.requiredStart + dependent.requiredCount)
            where !hasProperty(instance, program.names[required]) {
                valid = false
                if !collecting { return false }
                record(keywordIndex, instance,
                       "property \(Messages.quoted(program.name(dependent.name))) requires property \(Messages.quoted(program.name(program.names[required])))")
            }
        }
        return valid
    }

    mutating func evaluateProperties(_ keywordIndex: Int, _ instance: Node, start: Int, count: Int, tracker: Int) -> Bool {
        guard instance.kind == .object else { return true }
        let end = start + count
        var next = start
        var valid = true
        var ordinal = 0
        for property in instance.properties {
            defer { ordinal += 1 }
            guard next < end else { break }
            var order = compareName(property.nameNode, program.names[next])
            while order > 0 {
                next += 1
                guard next < end else { return valid }
                order = compareName(property.nameNode, program.names[next])
            }
            guard order == 0 else { continue }
            let entry = program.names[next]
            next += 1
            mark(tracker, ordinal)
            if collecting { pushPath(keywordIndex, "/" + Messages.escaped(program.name(entry))) }
            let propertyValid = evaluate(entry.node, property.value, tracker: -1)
            if collecting { popPath() }
            if !propertyValid {
                valid = false
                if !collecting || errorsTruncated { return false }
            }
        }
        return valid
    }

    mutating func evaluatePatternProperties(_ keywordIndex: Int, _ instance: Node, start: Int, count: Int, tracker: Int) -> Bool {
        guard instance.kind == .object else { return true }
        var valid = true
        var ordinal = 0
        for property in instance.properties {
            defer { ordinal += 1 }
            for entry in program.patternEntries[start..<start + count] where searchPattern(Int(entry.regex), property.nameNode) == .match {
                mark(tracker, ordinal)
                if collecting { pushPath(keywordIndex, "/" + Messages.escaped(program.regexes[Int(entry.regex)].pattern)) }
                let propertyValid = evaluate(entry.node, property.value, tracker: -1)
                if collecting { popPath() }
                if !propertyValid {
                    valid = false
                    if !collecting || errorsTruncated { return false }
                }
            }
        }
        return valid
    }

    mutating func evaluateAdditionalProperties(_ keywordIndex: Int, _ instance: Node, node: Int32, properties: Int,
                                               propertyCount: Int, patterns: Int, patternCount: Int, tracker: Int) -> Bool {
        guard instance.kind == .object else { return true }
        let end = properties + propertyCount
        var next = properties
        var valid = true
        var ordinal = 0
        let forbidden = program.nodes[Int(node)].constant == .alwaysInvalid
        for property in instance.properties {
            defer { ordinal += 1 }
            // Listed in `properties`?
            var listed = false
            while next < end {
                let order = compareName(property.nameNode, program.names[next])
                if order < 0 { break }
                next += 1
                if order == 0 {
                    listed = true
                    break
                }
            }
            if listed { continue }
            if patternCount > 0,
               program.patternEntries[patterns..<patterns + patternCount].contains(where: { searchPattern(Int($0.regex), property.nameNode) == .match }) {
                continue
            }
            mark(tracker, ordinal)
            if forbidden {
                valid = false
                if !collecting { return false }
                record(keywordIndex, property.value,
                       "property \(Messages.quoted(property.name)) is not allowed (additionalProperties is false; the schema lists \(listedNames(properties, propertyCount)))")
                if errorsTruncated { return false }
                continue
            }
            if collecting { pushPath(keywordIndex, "") }
            let propertyValid = evaluate(node, property.value, tracker: -1)
            if collecting { popPath() }
            if !propertyValid {
                valid = false
                if !collecting || errorsTruncated { return false }
            }
        }
        return valid
    }

    /// "a", "b" and "c" (or "no properties"), for messages.
    private func listedNames(_ start: Int, _ count: Int) -> String {
        guard count > 0 else { return "no properties" }
        let names = program.names[start..<start + count].map { Messages.quoted(program.name($0)) }
        return names.count <= 12 ? names.joined(separator: ", ") : names.prefix(12).joined(separator: ", ") + ", …"
    }

    mutating func evaluatePropertyNames(_ keywordIndex: Int, _ instance: Node, node: Int32) -> Bool {
        guard instance.kind == .object else { return true }
        var valid = true
        for property in instance.properties {
            let mark = annotationLog.count
            let wasCollecting = collecting
            collecting = false
            let nameValid = evaluate(node, property.nameNode, tracker: -1)
            collecting = wasCollecting
            annotationLog.removeSubrange(mark...)  // property names carry no reduce annotations
            if !nameValid {
                valid = false
                if !collecting { return false }
                record(keywordIndex, property.nameNode, "property name \(Messages.quoted(property.name)) does not match propertyNames")
                if errorsTruncated { return false }
            }
        }
        return valid
    }

    mutating func evaluateDependentSchemas(_ keywordIndex: Int, _ instance: Node, start: Int, count: Int, tracker: Int) -> Bool {
        guard instance.kind == .object else { return true }
        var valid = true
        for entry in program.names[start..<start + count] where hasProperty(instance, entry) {
            if collecting { pushPath(keywordIndex, "/" + Messages.escaped(program.name(entry))) }
            let dependentValid = evaluate(entry.node, instance, tracker: tracker)
            if collecting { popPath() }
            if !dependentValid {
                valid = false
                if !collecting || errorsTruncated { return false }
            }
        }
        return valid
    }

    mutating func evaluateUnevaluatedProperties(_ keywordIndex: Int, _ instance: Node, node: Int32, tracker: Int) -> Bool {
        guard instance.kind == .object, tracker >= 0 else { return true }
        var valid = true
        var ordinal = 0
        let forbidden = program.nodes[Int(node)].constant == .alwaysInvalid
        for property in instance.properties {
            defer { ordinal += 1 }
            guard !isMarked(tracker, ordinal) else { continue }
            mark(tracker, ordinal)
            if forbidden {
                valid = false
                if !collecting { return false }
                record(keywordIndex, property.value,
                       "property \(Messages.quoted(property.name)) is not allowed (unevaluatedProperties is false and no subschema evaluates it)")
                if errorsTruncated { return false }
                continue
            }
            if collecting { pushPath(keywordIndex, "") }
            let propertyValid = evaluate(node, property.value, tracker: -1)
            if collecting { popPath() }
            if !propertyValid {
                valid = false
                if !collecting || errorsTruncated { return false }
            }
        }
        return valid
    }
}
