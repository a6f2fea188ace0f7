// SchemaValidator: applicators whose branches may fail without failing the schema: `anyOf`,
// `oneOf` and `if`. Each branch is evaluated fast (no error strings) with its own evaluated-
// location tracker; a branch that fails has its annotations dropped. When the keyword fails
// in the collecting pass, the branches are evaluated again to say why each one failed.
import SluiceDocument

extension SchemaValidator {
    /// Evaluates branch `node` in place, keeping its annotations and evaluated locations only
    /// if it passes. Returns whether it passed.
    private mutating func evaluateBranch(_ node: Int32, _ tape: TapeView, _ instance: Int, tracker: Int, count: Int) -> Bool {
        let mark = annotationLog.count
        let wasCollecting = collecting
        collecting = false
        var branchTracker = -1
        if tracker >= 0 { branchTracker = allocateTracker(count) }
        let valid = evaluate(node, tape, instance, tracker: branchTracker)
        collecting = wasCollecting
        if branchTracker >= 0 {
            if valid { merge(branchTracker, into: tracker, count: count) }
            releaseTracker(branchTracker)
        }
        if !valid { annotationLog.removeSubrange(mark...) }
        return valid
    }

    private func trackedCount(_ tape: TapeView, _ instance: Int, _ tracker: Int) -> Int {
        tracker >= 0 ? tape.count(instance) : 0
    }

    mutating func evaluateAnyOf(_ keywordIndex: Int, _ tape: TapeView, _ instance: Int, start: Int, count: Int, tracker: Int) -> Bool {
        let elements = trackedCount(tape, instance, tracker)
        var matched = false
        // Every branch runs: annotations and evaluated locations come from all that pass.
        for position in 0..<count where evaluateBranch(program.nodeLists[start + position], tape, instance, tracker: tracker, count: elements) {
            matched = true
        }
        if !matched && collecting {
            record(keywordIndex, instance, "\(describe(instance).short) matches none of the \(count) subschemas of anyOf: " + branchReasons(keywordIndex, tape, instance, start: start, count: count))
        }
        return matched
    }

    mutating func evaluateOneOf(_ keywordIndex: Int, _ tape: TapeView, _ instance: Int, start: Int, count: Int, tracker: Int) -> Bool {
        let elements = trackedCount(tape, instance, tracker)
        var passing = 0
        var passingList = ""
        for position in 0..<count where evaluateBranch(program.nodeLists[start + position], tape, instance, tracker: tracker, count: elements) {
            passing += 1
            if collecting { passingList += (passingList.isEmpty ? "#" : ", #") + String(position) }
        }
        if passing == 1 { return true }
        if collecting {
            if passing == 0 {
                record(keywordIndex, instance, "\(describe(instance).short) matches none of the \(count) subschemas of oneOf: " + branchReasons(keywordIndex, tape, instance, start: start, count: count))
            } else {
                record(keywordIndex, instance, "\(describe(instance).short) matches \(passing) subschemas of oneOf (\(passingList)); it must match exactly one")
            }
        }
        return false
    }

    mutating func evaluateConditional(_ keywordIndex: Int, _ tape: TapeView, _ instance: Int, condition: Int32, then: Int32,
                                      otherwise: Int32, tracker: Int) -> Bool {
        let conditionHolds = evaluateBranch(condition, tape, instance, tracker: tracker, count: trackedCount(tape, instance, tracker))
        let branch = conditionHolds ? then : otherwise
        guard branch >= 0 else { return true }
        if collecting { evaluationPath.append(conditionHolds ? "/then" : "/else") }
        let valid = evaluate(branch, tape, instance, tracker: tracker)
        if collecting { evaluationPath.removeLast() }
        return valid
    }

    /// Why each branch failed: its first error, evaluated again in the collecting pass.
    private mutating func branchReasons(_ keywordIndex: Int, _ tape: TapeView, _ instance: Int, start: Int, count: Int) -> String {
        var reasons: [String] = []
        let savedErrors = errors
        let savedTruncated = errorsTruncated
        let locator = collectingDocument.map(InstanceLocator.init)
        for position in 0..<count {
            errors.removeAll()
            errorsTruncated = false
            pushPath(keywordIndex, "/\(position)")
            _ = evaluate(program.nodeLists[start + position], tape, instance, tracker: -1)
            popPath()
            if let first = errors.first {
                let place = locator?.pointer(toTapeIndex: first.tapeIndex).description ?? ""
                reasons.append("#\(position): " + (place.isEmpty ? "" : place + ": ") + first.message)
            } else {
                reasons.append("#\(position): does not match")
            }
        }
        errors = savedErrors
        errorsTruncated = savedTruncated
        annotationLog.removeAll(keepingCapacity: true)
        return reasons.joined(separator: "; ")
    }
}
