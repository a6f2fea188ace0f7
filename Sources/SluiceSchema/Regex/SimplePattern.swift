// SimplePattern: a fast path for the patterns schemas mostly use — a sequence of characters,
// classes and `.` with quantifiers, optionally anchored (`^key-[0-9]{6,8}$`, `^[a-z_]+$`,
// `^\d{4}-\d{2}$`) — matched in one forward pass without the backtracking machine.
//
// One pass is exact when every variable-length run is followed by an element that cannot
// match what the run matches: then a greedy run can never take a character the next element
// needs, so there is nothing to backtrack into. Patterns that do not meet that condition
// (and anything with groups, alternation, lookaround or back references) use the machine.

struct SimplePattern: Sendable {
    enum Atom: Sendable {
        case scalar(UInt32)
        case dot
        case characterClass(RegexCharacterClass)

        func matches(_ scalar: UInt32) -> Bool {
            switch self {
            case .scalar(let expected): scalar == expected
            case .dot: !RegexMachine.isLineTerminator(scalar)
            case .characterClass(let set): set.contains(scalar)
            }
        }

        /// The code points the atom matches as ranges, when known without property tests.
        var ranges: [ClosedRange<UInt32>]? {
            switch self {
            case .scalar(let value): return [value...value]
            case .dot: return RegexCharacterClass.complement([0x0A...0x0A, 0x0D...0x0D, 0x2028...0x2029])
            case .characterClass(let set):
                guard set.properties.isEmpty else { return nil }
                return set.negated ? RegexCharacterClass.complement(set.ranges) : set.ranges
            }
        }
    }

    struct Element: Sendable {
        var atom: Atom
        var minimum: Int
        var maximum: Int  // Int.max when unbounded
    }

    /// What matching reads for each element: which ASCII characters its atom matches (a
    /// 128-bit set) and its bounds. Plain values, so the matching loop counts no references;
    /// only a non-ASCII character consults the element's atom.
    struct Step: Sendable {
        var asciiLow: UInt64  // characters 0–63
        var asciiHigh: UInt64  // characters 64–127
        var minimum: Int
        var maximum: Int

        init(_ element: Element) {
            asciiLow = 0
            asciiHigh = 0
            for scalar in UInt32(0)..<128 where element.atom.matches(scalar) {
                if scalar < 64 { asciiLow |= 1 << UInt64(scalar) } else { asciiHigh |= 1 << UInt64(scalar - 64) }
            }
            minimum = element.minimum
            maximum = element.maximum
        }

        @inline(__always)
        func matchesASCII(_ byte: UInt8) -> Bool {
            byte < 64 ? asciiLow & (1 << UInt64(byte)) != 0 : asciiHigh & (1 << UInt64(byte &- 64)) != 0
        }
    }

    let elements: [Element]
    let steps: [Step]
    let anchoredStart: Bool
    let anchoredEnd: Bool

    /// The fast form of `node`, or nil when the pattern needs the backtracking machine.
    init?(_ node: RegexNode) {
        var terms: [RegexNode]
        switch node {
        case .sequence(let nodes): terms = nodes
        default: terms = [node]
        }
        var anchoredStart = false
        var anchoredEnd = false
        if case .inputStart? = terms.first {
            anchoredStart = true
            terms.removeFirst()
        }
        if case .inputEnd? = terms.last {
            anchoredEnd = true
            terms.removeLast()
        }
        var elements: [Element] = []
        for term in terms {
            switch term {
            case .scalar(let value): elements.append(Element(atom: .scalar(value), minimum: 1, maximum: 1))
            case .dot: elements.append(Element(atom: .dot, minimum: 1, maximum: 1))
            case .characterClass(let set): elements.append(Element(atom: .characterClass(set), minimum: 1, maximum: 1))
            case .repetition(let body, let minimum, let maximum, _):
                let atom: Atom
                switch body {
                case .scalar(let value): atom = .scalar(value)
                case .dot: atom = .dot
                case .characterClass(let set): atom = .characterClass(set)
                default: return nil
                }
                elements.append(Element(atom: atom, minimum: minimum, maximum: maximum ?? Int.max))
            default:
                return nil
            }
        }
        // Every variable run must be followed by a mandatory element it cannot match.
        for (index, element) in elements.enumerated() where element.minimum != element.maximum {
            guard index + 1 < elements.count else { continue }
            let next = elements[index + 1]
            guard next.minimum >= 1, let mine = element.atom.ranges, let theirs = next.atom.ranges,
                  SimplePattern.disjoint(mine, theirs) else { return nil }
        }
        // Without an end anchor, a variable run before the end is fine (any length matches);
        // without a start anchor, each start position is tried.
        self.elements = elements
        self.steps = elements.map(Step.init)
        self.anchoredStart = anchoredStart
        self.anchoredEnd = anchoredEnd
    }

    static func disjoint(_ left: [ClosedRange<UInt32>], _ right: [ClosedRange<UInt32>]) -> Bool {
        var i = 0
        var j = 0
        while i < left.count && j < right.count {
            if left[i].overlaps(right[j]) { return false }
            if left[i].upperBound < right[j].upperBound { i += 1 } else { j += 1 }
        }
        return true
    }

    /// `search` over `steps` (a pattern's, as `SchemaProgram.simpleSteps` keeps them) for input
    /// that is all ASCII, the usual case; nil as soon as a non-ASCII byte is met (the caller
    /// then searches with the pattern itself). Plain values only: nothing is reference
    /// counted.
    static func searchASCII(_ steps: UnsafeBufferPointer<Step>, anchoredStart: Bool, anchoredEnd: Bool,
                            _ input: UnsafeRawBufferPointer) -> Bool? {
        var start = 0
        let end = input.count
        while true {
            var position = start
            var failed = false
            for step in steps {
                var matched = 0
                while matched < step.maximum && position < end {
                    let byte = input[position]
                    if byte >= 0x80 { return nil }
                    guard step.matchesASCII(byte) else { break }
                    position += 1
                    matched += 1
                }
                if matched < step.minimum {
                    failed = true
                    break
                }
            }
            if !failed && (!anchoredEnd || position == end) { return true }
            if anchoredStart || start >= end { return false }
            if input[start] >= 0x80 { return nil }
            start += 1
        }
    }

    /// True if the pattern matches somewhere in valid UTF-8 `input`.
    func search(_ input: UnsafeRawBufferPointer) -> Bool {
        var start = 0
        while true {
            if match(input, from: start) { return true }
            if anchoredStart || start >= input.count { return false }
            start += RegexMachine.scalarLength(input[start])
        }
    }

    private func match(_ input: UnsafeRawBufferPointer, from start: Int) -> Bool {
        steps.withUnsafeBufferPointer { steps in
            elements.withUnsafeBufferPointer { elements in
                var position = start
                let end = input.count
                for index in 0..<steps.count {
                    let step = steps[index]
                    var matched = 0
                    while matched < step.maximum && position < end {
                        let lead = input[position]
                        if lead < 0x80 {
                            guard step.matchesASCII(lead) else { break }
                            position += 1
                        } else {
                            let (scalar, length) = SimplePattern.decode(input, position)
                            guard elements[index].atom.matches(scalar) else { break }
                            position += length
                        }
                        matched += 1
                    }
                    if matched < step.minimum { return false }
                }
                return !anchoredEnd || position == end
            }
        }
    }

    @inline(__always)
    static func decode(_ input: UnsafeRawBufferPointer, _ position: Int) -> (UInt32, Int) {
        let lead = input[position]
        if lead < 0xE0 {
            return (UInt32(lead & 0x1F) << 6 | UInt32(input[position + 1] & 0x3F), 2)
        }
        if lead < 0xF0 {
            return (UInt32(lead & 0x0F) << 12 | UInt32(input[position + 1] & 0x3F) << 6 | UInt32(input[position + 2] & 0x3F), 3)
        }
        return (UInt32(lead & 0x07) << 18 | UInt32(input[position + 1] & 0x3F) << 12
                | UInt32(input[position + 2] & 0x3F) << 6 | UInt32(input[position + 3] & 0x3F), 4)
    }
}
