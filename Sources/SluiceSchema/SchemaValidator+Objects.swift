// SchemaValidator: the object keywords. Properties on the tape and names in the program are
// both sorted by UTF-8 bytes, so `properties` and `required` are merge-joins: one pass over
// the instance's properties, no lookups, no allocation. On the tape, an object's children are
// per property a name (a string entry) followed by the value's entries.
import SluiceDocument

extension SchemaValidator {
    mutating func evaluateRequired(_ keywordIndex: Int, _ tape: TapeView, _ instance: Int, start: Int, count: Int) -> Bool {
        guard tape.isObject(instance) else { return true }
        let end = start + count
        var next = start
        var valid = true
        var name = instance + 1
        for _ in 0..<tape.count(instance) {
            guard next < end else { break }
            let bytes = tape.stringBytes(name)
            var order = compareName(bytes, program.names[next])
            while order > 0 {
                // program.names[next] sorts before this property: it is missing.
                valid = false
                if !collecting { return false }
                recordMissing(keywordIndex, instance, program.names[next])
                next += 1
                guard next < end else { return valid }
                order = compareName(bytes, program.names[next])
            }
            if order == 0 { next += 1 }
            name = tape.next(name + 1)
        }
        while next < end {
            valid = false
            if !collecting { return false }
            recordMissing(keywordIndex, instance, program.names[next])
            next += 1
        }
        return valid
    }

    private mutating func recordMissing(_ keywordIndex: Int, _ instance: Int, _ entry: NameEntry) {
        record(keywordIndex, instance, "missing required property \(Messages.quoted(program.name(entry)))")
    }

    /// True if the object at `instance` has a property named by `entry`.
    func hasProperty(_ tape: TapeView, _ instance: Int, _ entry: NameEntry) -> Bool {
        var name = instance + 1
        for _ in 0..<tape.count(instance) {
            let order = compareName(tape.stringBytes(name), entry)
            if order == 0 { return true }
            if order > 0 { return false }
            name = tape.next(name + 1)
        }
        return false
    }

    mutating func evaluateDependentRequired(_ keywordIndex: Int, _ tape: TapeView, _ instance: Int, start: Int, count: Int) -> Bool {
        guard tape.isObject(instance) else { return true }
        var valid = true
        for dependent in program.dependents[start..<start + count] where hasProperty(tape, instance, dependent.name) {
            for required in Int(dependent.requiredStart)..<Int(dependent.requiredStart + dependent.requiredCount)
            where !hasProperty(tape, instance, program.names[required]) {
                valid = false
                if !collecting { return false }
                record(keywordIndex, instance,
                       "property \(Messages.quoted(program.name(dependent.name))) requires property \(Messages.quoted(program.name(program.names[required])))")
            }
        }
        return valid
    }

    mutating func evaluateProperties(_ keywordIndex: Int, _ tape: TapeView, _ instance: Int, start: Int, count: Int,
                                     tracker: Int) -> Bool {
        guard tape.isObject(instance) else { return true }
        let end = start + count
        var next = start
        var valid = true
        var name = instance + 1
        for ordinal in 0..<tape.count(instance) {
            guard next < end else { break }
            let value = name + 1
            defer { name = tape.next(value) }
            let bytes = tape.stringBytes(name)
            var order = compareName(bytes, program.names[next])
            while order > 0 {
                next += 1
                guard next < end else { return valid }
                order = compareName(bytes, program.names[next])
            }
            guard order == 0 else { continue }
            let entry = program.names[next]
            next += 1
            mark(tracker, ordinal)
            if collecting { pushPath(keywordIndex, "/" + Messages.escaped(program.name(entry))) }
            let propertyValid = evaluate(entry.node, tape, value, tracker: -1)
            if collecting { popPath() }
            if !propertyValid {
                valid = false
                if !collecting || errorsTruncated { return false }
            }
        }
        return valid
    }

    mutating func evaluatePatternProperties(_ keywordIndex: Int, _ tape: TapeView, _ instance: Int, start: Int, count: Int,
                                            tracker: Int) -> Bool {
        guard tape.isObject(instance) else { return true }
        var valid = true
        var name = instance + 1
        for ordinal in 0..<tape.count(instance) {
            let value = name + 1
            defer { name = tape.next(value) }
            for entry in program.patternEntries[start..<start + count]
            where searchPattern(Int(entry.regex), tape.stringBytes(name)) == .match {
                mark(tracker, ordinal)
                if collecting { pushPath(keywordIndex, "/" + Messages.escaped(program.regexes[Int(entry.regex)].pattern)) }
                let propertyValid = evaluate(entry.node, tape, value, tracker: -1)
                if collecting { popPath() }
                if !propertyValid {
                    valid = false
                    if !collecting || errorsTruncated { return false }
                }
            }
        }
        return valid
    }

    mutating func evaluateAdditionalProperties(_ keywordIndex: Int, _ tape: TapeView, _ instance: Int, node: Int32,
                                               properties: Int, propertyCount: Int, patterns: Int, patternCount: Int,
                                               tracker: Int) -> Bool {
        guard tape.isObject(instance) else { return true }
        let end = properties + propertyCount
        var next = properties
        var valid = true
        let forbidden = program.nodes[Int(node)].constant == .alwaysInvalid
        var name = instance + 1
        for ordinal in 0..<tape.count(instance) {
            let value = name + 1
            defer { name = tape.next(value) }
            let bytes = tape.stringBytes(name)
            // Listed in `properties`?
            var listed = false
            while next < end {
                let order = compareName(bytes, program.names[next])
                if order < 0 { break }
                next += 1
                if order == 0 {
                    listed = true
                    break
                }
            }
            if listed { continue }
            if patternCount > 0 {
                var matched = false
                for entry in program.patternEntries[patterns..<patterns + patternCount]
                where searchPattern(Int(entry.regex), bytes) == .match {
                    matched = true
                    break
                }
                if matched { continue }
            }
            mark(tracker, ordinal)
            if forbidden {
                valid = false
                if !collecting { return false }
                record(keywordIndex, value,
                       "property \(Messages.quoted(String(decoding: bytes, as: UTF8.self))) is not allowed (additionalProperties is false; the schema lists \(listedNames(properties, propertyCount)))")
                if errorsTruncated { return false }
                continue
            }
            if collecting { pushPath(keywordIndex, "") }
            let propertyValid = evaluate(node, tape, value, tracker: -1)
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

    mutating func evaluatePropertyNames(_ keywordIndex: Int, _ tape: TapeView, _ instance: Int, node: Int32) -> Bool {
        guard tape.isObject(instance) else { return true }
        var valid = true
        var name = instance + 1
        for _ in 0..<tape.count(instance) {
            defer { name = tape.next(name + 1) }
            let mark = annotationLog.count
            let wasCollecting = collecting
            collecting = false
            let nameValid = evaluate(node, tape, name, tracker: -1)
            collecting = wasCollecting
            annotationLog.removeSubrange(mark...)  // property names carry no reduce annotations
            if !nameValid {
                valid = false
                if !collecting { return false }
                record(keywordIndex, name,
                       "property name \(Messages.quoted(String(decoding: tape.stringBytes(name), as: UTF8.self))) does not match propertyNames")
                if errorsTruncated { return false }
            }
        }
        return valid
    }

    mutating func evaluateDependentSchemas(_ keywordIndex: Int, _ tape: TapeView, _ instance: Int, start: Int, count: Int,
                                           tracker: Int) -> Bool {
        guard tape.isObject(instance) else { return true }
        var valid = true
        for entry in program.names[start..<start + count] where hasProperty(tape, instance, entry) {
            if collecting { pushPath(keywordIndex, "/" + Messages.escaped(program.name(entry))) }
            let dependentValid = evaluate(entry.node, tape, instance, tracker: tracker)
            if collecting { popPath() }
            if !dependentValid {
                valid = false
                if !collecting || errorsTruncated { return false }
            }
        }
        return valid
    }

    mutating func evaluateUnevaluatedProperties(_ keywordIndex: Int, _ tape: TapeView, _ instance: Int, node: Int32,
                                                tracker: Int) -> Bool {
        guard tape.isObject(instance), tracker >= 0 else { return true }
        var valid = true
        let forbidden = program.nodes[Int(node)].constant == .alwaysInvalid
        var name = instance + 1
        for ordinal in 0..<tape.count(instance) {
            let value = name + 1
            defer { name = tape.next(value) }
            guard !isMarked(tracker, ordinal) else { continue }
            mark(tracker, ordinal)
            if forbidden {
                valid = false
                if !collecting { return false }
                record(keywordIndex, value,
                       "property \(Messages.quoted(String(decoding: tape.stringBytes(name), as: UTF8.self))) is not allowed (unevaluatedProperties is false and no subschema evaluates it)")
                if errorsTruncated { return false }
                continue
            }
            if collecting { pushPath(keywordIndex, "") }
            let propertyValid = evaluate(node, tape, value, tracker: -1)
            if collecting { popPath() }
            if !propertyValid {
                valid = false
                if !collecting || errorsTruncated { return false }
            }
        }
        return valid
    }
}
