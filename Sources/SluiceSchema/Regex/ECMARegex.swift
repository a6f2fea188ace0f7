// ECMARegex: a compiled regular expression and its matcher.
//
// A pattern compiles to instructions for a backtracking machine that reads UTF-8 bytes and
// decodes code points as it goes (strings on the tape are valid UTF-8, so nothing is copied or
// converted). JSON Schema patterns are unanchored searches.
//
// Matching time is linear in the input for patterns without back references: the machine
// remembers each (instruction, position) state it has tried and failed from, in a bit set, and
// never tries one twice (a failed state fails again: without back references nothing else
// decides the outcome). So `(a+)+$` cannot blow up. Patterns with back references keep
// capture positions instead and are bounded by a step budget (`stepsMax`); one that runs out
// is reported as a failure to match, with its own message.

/// One instruction of the matching machine.
enum RegexInstruction: Sendable {
    case scalar(UInt32)
    /// `.`: any code point but a line terminator.
    case dot
    case characterClass(Int32)
    /// Try `first`, and on failure `second`.
    case split(first: Int32, second: Int32)
    case jump(Int32)
    /// Records the position in capture slot `slot` (back-reference programs only).
    case save(Int32)
    case inputStart
    case inputEnd
    case wordBoundary(negated: Bool)
    /// Runs sub-program `program` at the current position without consuming input.
    case lookaround(program: Int32, ahead: Bool, negated: Bool)
    case backReference(Int32)
    /// Records the position in progress register `register` (back-reference programs only).
    case markProgress(Int32)
    /// Fails when the position equals progress register `register`: an empty iteration of a
    /// loop ends it (back-reference programs only; the visited set does this otherwise).
    case checkProgress(Int32)
    case match
}

/// A compiled ECMA-262 regular expression (Unicode mode, no flags). A class, so that the
/// validator holds each pattern by one reference (immutable after `init`).
public final class ECMARegex: Sendable {
    /// The source text.
    public let pattern: String
    /// Program 0 is the pattern; others are lookaround bodies.
    let programs: [[RegexInstruction]]
    let classes: [RegexCharacterClass]
    let captureCount: Int
    let usesBackReferences: Bool
    let progressRegisterCount: Int
    /// Every alternative starts with `^`: only position 0 can match.
    let anchoredAtStart: Bool
    /// The one-pass form, when the pattern has one (SimplePattern.swift).
    let simple: SimplePattern?
    /// Per program, the instructions of the programs before it (its offset in the visited set
    /// is this times the input length plus one).
    let programOffsets: [Int]
    let instructionCount: Int

    /// Instructions a pattern may compile to (counted repetitions are expanded).
    static let instructionsMax = 20_000
    /// Work bound for patterns with back references, in machine steps per match.
    static let stepsMax = 1_000_000

    /// Compiles `pattern`; a syntax error names the offending character.
    public init(_ pattern: String) throws(RegexSyntaxError) {
        let (node, captureCount) = try ECMARegexParser.parse(pattern)
        var compiler = ECMARegexCompiler(usesBackReferences: node.hasBackReference, captureCount: captureCount)
        let main = try compiler.compileProgram(node)
        self.pattern = pattern
        var programs = compiler.programs
        programs[0] = main
        self.programs = programs
        self.classes = compiler.classes
        self.captureCount = captureCount
        self.usesBackReferences = compiler.usesBackReferences
        self.progressRegisterCount = compiler.progressRegisterCount
        self.anchoredAtStart = ECMARegex.startsWithInputStart(node)
        self.simple = SimplePattern(node)
        var offsets: [Int] = []
        var total = 0
        for program in programs {
            offsets.append(total)
            total += program.count
        }
        self.programOffsets = offsets
        self.instructionCount = total
    }

    private static func startsWithInputStart(_ node: RegexNode) -> Bool {
        switch node {
        case .inputStart: true
        case .sequence(let nodes): nodes.first.map(startsWithInputStart) ?? false
        case .alternation(let nodes): nodes.allSatisfy(startsWithInputStart)
        case .group(let node, _): startsWithInputStart(node)
        default: false
        }
    }

    /// True if the pattern matches somewhere in `text`.
    public func matches(_ text: String) -> Bool {
        var scratch = RegexScratch()
        var text = text
        return text.withUTF8 { search(UnsafeRawBufferPointer($0), scratch: &scratch) } == .match
    }

    /// The outcome of a search.
    enum Outcome: Equatable {
        case match
        case noMatch
        /// A back-reference pattern ran out of its step budget.
        case budgetExceeded
    }

    /// Searches valid UTF-8 `input` for a match anywhere.
    func search(_ input: UnsafeRawBufferPointer, scratch: inout RegexScratch) -> Outcome {
        if let simple { return simple.search(input) ? .match : .noMatch }
        return searchWithMachine(input, scratch: &scratch)
    }

    /// Searches with the backtracking machine (also used by tests to check the fast path).
    func searchWithMachine(_ input: UnsafeRawBufferPointer, scratch: inout RegexScratch) -> Outcome {
        var machine = RegexMachine(regex: self, input: input)
        swap(&machine.scratch, &scratch)  // lend the buffers without copying them
        let outcome = machine.search()
        swap(&machine.scratch, &scratch)
        return outcome
    }
}

/// Buffers a matcher reuses between matches (visited bits, backtrack stack, captures).
struct RegexScratch {
    var visited: [UInt64] = []
    var stack: [RegexMachine.Frame] = []
    var captures: [Int] = []
    var registers: [Int] = []
    /// Lookaround outcomes by (program, position) within one search.
    var lookaroundResults: [Int: Bool] = [:]
}

/// Compiles a `RegexNode` tree into instructions.
struct ECMARegexCompiler {
    var programs: [[RegexInstruction]] = [[]]
    var classes: [RegexCharacterClass] = []
    let usesBackReferences: Bool
    let captureCount: Int
    var progressRegisterCount = 0
    private var instructionCount = 0

    init(usesBackReferences: Bool, captureCount: Int) {
        self.usesBackReferences = usesBackReferences
        self.captureCount = captureCount
    }

    mutating func compileProgram(_ node: RegexNode) throws(RegexSyntaxError) -> [RegexInstruction] {
        var code: [RegexInstruction] = []
        try emit(node, into: &code)
        code.append(.match)
        return code
    }

    private mutating func append(_ instruction: RegexInstruction, to code: inout [RegexInstruction]) throws(RegexSyntaxError) {
        instructionCount += 1
        if instructionCount > ECMARegex.instructionsMax {
            throw RegexSyntaxError(message: "pattern too large once its repetitions are expanded (above \(ECMARegex.instructionsMax) instructions)", offset: 0)
        }
        code.append(instruction)
    }

    private mutating func emit(_ node: RegexNode, into code: inout [RegexInstruction]) throws(RegexSyntaxError) {
        switch node {
        case .empty:
            break
        case .scalar(let value):
            try append(.scalar(value), to: &code)
        case .dot:
            try append(.dot, to: &code)
        case .characterClass(let set):
            classes.append(set)
            try append(.characterClass(Int32(classes.count - 1)), to: &code)
        case .sequence(let nodes):
            for node in nodes { try emit(node, into: &code) }
        case .alternation(let nodes):
            // split L1, next; L1: a; jump end; next: split L2, next2; … last
            var jumps: [Int] = []
            for (index, alternative) in nodes.enumerated() {
                if index < nodes.count - 1 {
                    let split = code.count
                    try append(.split(first: Int32(split + 1), second: -1), to: &code)
                    try emit(alternative, into: &code)
                    jumps.append(code.count)
                    try append(.jump(-1), to: &code)
                    code[split] = .split(first: Int32(split + 1), second: Int32(code.count))
                } else {
                    try emit(alternative, into: &code)
                }
            }
            for jump in jumps { code[jump] = .jump(Int32(code.count)) }
        case .group(let body, let capture):
            if usesBackReferences, let capture {
                try append(.save(Int32(2 * capture)), to: &code)
                try emit(body, into: &code)
                try append(.save(Int32(2 * capture + 1)), to: &code)
            } else {
                try emit(body, into: &code)
            }
        case .repetition(let body, let minimum, let maximum, let greedy):
            for _ in 0..<minimum { try emit(body, into: &code) }
            if let maximum {
                // (body (body …)?)? : each optional copy may be skipped to the end.
                var splits: [Int] = []
                for _ in minimum..<maximum {
                    splits.append(code.count)
                    try append(.split(first: -1, second: -1), to: &code)
                    try emit(body, into: &code)
                }
                let end = Int32(code.count)
                for split in splits {
                    code[split] = greedy ? .split(first: Int32(split + 1), second: end) : .split(first: end, second: Int32(split + 1))
                }
            } else {
                // loop: split body, out; body; jump loop; out:
                let guardEmpty = usesBackReferences && body.canMatchEmpty
                let register = progressRegisterCount
                if guardEmpty { progressRegisterCount += 1 }
                let loop = code.count
                try append(.split(first: -1, second: -1), to: &code)
                if guardEmpty { try append(.markProgress(Int32(register)), to: &code) }
                try emit(body, into: &code)
                if guardEmpty { try append(.checkProgress(Int32(register)), to: &code) }
                try append(.jump(Int32(loop)), to: &code)
                let out = Int32(code.count)
                code[loop] = greedy ? .split(first: Int32(loop + 1), second: out) : .split(first: out, second: Int32(loop + 1))
            }
        case .inputStart:
            try append(.inputStart, to: &code)
        case .inputEnd:
            try append(.inputEnd, to: &code)
        case .wordBoundary(let negated):
            try append(.wordBoundary(negated: negated), to: &code)
        case .lookaround(let body, let ahead, let negated):
            let index = programs.count
            programs.append([])
            let program = try compileProgram(body)
            programs[index] = program
            try append(.lookaround(program: Int32(index), ahead: ahead, negated: negated), to: &code)
        case .backReference(let number):
            try append(.backReference(Int32(number)), to: &code)
        }
    }
}

/// One search: the machine state over one input.
struct RegexMachine {
    struct Frame {
        enum Kind: UInt8 {
            /// Resume at (pc, position).
            case resume
            /// Restore capture slot `pc` to `position`.
            case restoreCapture
            /// Restore progress register `pc` to `position`.
            case restoreRegister
        }
        var kind: Kind
        var pc: Int32
        var position: Int
    }

    let regex: ECMARegex
    let input: UnsafeRawBufferPointer
    var scratch = RegexScratch()
    var steps = 0
    var exceeded = false
    /// Whether the visited set is in use (no back references, and its size is bounded).
    let memoize: Bool

    /// The largest visited set, in bits (2^26: 8 MiB): beyond it (a long input and a large
    /// pattern), matching falls back to the step budget rather than allocate more.
    static let visitedBitsMax = 1 << 26

    init(regex: ECMARegex, input: UnsafeRawBufferPointer) {
        self.regex = regex
        self.input = input
        let total = regex.instructionCount * (input.count + 1)
        memoize = !regex.usesBackReferences && total <= RegexMachine.visitedBitsMax
        visitedBitCount = total
    }

    /// Where program `program`'s bits start in the visited set.
    @inline(__always)
    func visitedOffset(_ program: Int) -> Int { regex.programOffsets[program] * (input.count + 1) }

    /// Bits of the visited set in use.
    let visitedBitCount: Int

    /// Sizes and clears the scratch buffers for this input.
    private mutating func prepare() {
        if memoize {
            let words = (visitedBitCount + 63) / 64
            if scratch.visited.count < words {
                scratch.visited = [UInt64](repeating: 0, count: words)
            } else {
                for index in 0..<words { scratch.visited[index] = 0 }
            }
        }
        if regex.usesBackReferences {
            scratch.captures = [Int](repeating: -1, count: 2 * (regex.captureCount + 1))
            scratch.registers = [Int](repeating: -1, count: regex.progressRegisterCount)
        }
        if regex.programs.count > 1 && !scratch.lookaroundResults.isEmpty {
            scratch.lookaroundResults.removeAll(keepingCapacity: true)
        }
    }

    /// Forgets which states of `program` were tried (before a lookaround body runs again:
    /// states on a successful path are marked too, and a lookbehind's outcome depends on where
    /// it must end).
    private mutating func clearVisited(program: Int) {
        guard memoize else { return }
        let start = visitedOffset(program)
        let end = start + regex.programs[program].count * (input.count + 1)
        var bit = start
        while bit < end {
            if bit & 63 == 0 && end - bit >= 64 {
                scratch.visited[bit >> 6] = 0
                bit += 64
            } else {
                scratch.visited[bit >> 6] &= ~(UInt64(1) << UInt64(bit & 63))
                bit += 1
            }
        }
    }

    mutating func search() -> ECMARegex.Outcome {
        prepare()
        var start = 0
        while true {
            if run(program: 0, from: start, requiredEnd: -1) { return .match }
            if exceeded { return .budgetExceeded }
            if regex.anchoredAtStart || start >= input.count { return .noMatch }
            start += RegexMachine.scalarLength(input[start])
        }
    }

    // MARK: - Decoding

    @inline(__always)
    static func scalarLength(_ lead: UInt8) -> Int {
        lead < 0x80 ? 1 : lead < 0xE0 ? 2 : lead < 0xF0 ? 3 : 4
    }

    /// The code point at `position` (a code point boundary) and its length in bytes.
    @inline(__always)
    func decode(_ position: Int) -> (scalar: UInt32, length: Int) {
        let lead = input[position]
        if lead < 0x80 { return (UInt32(lead), 1) }
        if lead < 0xE0 {
            return (UInt32(lead & 0x1F) << 6 | UInt32(input[position + 1] & 0x3F), 2)
        }
        if lead < 0xF0 {
            return (UInt32(lead & 0x0F) << 12 | UInt32(input[position + 1] & 0x3F) << 6 | UInt32(input[position + 2] & 0x3F), 3)
        }
        return (UInt32(lead & 0x07) << 18 | UInt32(input[position + 1] & 0x3F) << 12
                | UInt32(input[position + 2] & 0x3F) << 6 | UInt32(input[position + 3] & 0x3F), 4)
    }

    /// The code point before `position`, or nil at the start.
    func decodeBefore(_ position: Int) -> UInt32? {
        guard position > 0 else { return nil }
        var start = position - 1
        while start > 0, input[start] & 0xC0 == 0x80 { start -= 1 }
        return decode(start).scalar
    }

    static func isWordCharacter(_ scalar: UInt32?) -> Bool {
        guard let scalar else { return false }
        return (scalar >= 0x30 && scalar <= 0x39) || (scalar >= 0x41 && scalar <= 0x5A) || scalar == 0x5F
            || (scalar >= 0x61 && scalar <= 0x7A)
    }

    static func isLineTerminator(_ scalar: UInt32) -> Bool {
        scalar == 0x0A || scalar == 0x0D || scalar == 0x2028 || scalar == 0x2029
    }

    // MARK: - Running

    /// Runs `program` from `from`; true when it reaches `match` (at `requiredEnd`, when that is
    /// not -1: lookbehind bodies must end where the lookbehind stands).
    mutating func run(program: Int, from: Int, requiredEnd: Int) -> Bool {
        let code = regex.programs[program]
        let base = scratch.stack.count
        defer { unwindTo(base) }
        var pc = 0
        var position = from
        let stride = input.count + 1
        let visitedBase = memoize ? visitedOffset(program) : 0
        while true {
            if memoize {
                let bit = visitedBase + pc * stride + position
                let word = bit >> 6
                let mask = UInt64(1) << UInt64(bit & 63)
                if scratch.visited[word] & mask != 0 {
                    guard backtrack(base, &pc, &position) else { return false }
                    continue
                }
                scratch.visited[word] |= mask
            } else {
                steps += 1
                if steps > ECMARegex.stepsMax {
                    exceeded = true
                    return false
                }
            }
            var failed = false
            switch code[pc] {
            case .scalar(let expected):
                if position < input.count {
                    let (scalar, length) = decode(position)
                    if scalar == expected {
                        position += length
                        pc += 1
                    } else {
                        failed = true
                    }
                } else {
                    failed = true
                }
            case .dot:
                if position < input.count {
                    let (scalar, length) = decode(position)
                    if RegexMachine.isLineTerminator(scalar) {
                        failed = true
                    } else {
                        position += length
                        pc += 1
                    }
                } else {
                    failed = true
                }
            case .characterClass(let index):
                if position < input.count {
                    let (scalar, length) = decode(position)
                    if regex.classes[Int(index)].contains(scalar) {
                        position += length
                        pc += 1
                    } else {
                        failed = true
                    }
                } else {
                    failed = true
                }
            case .split(let first, let second):
                scratch.stack.append(Frame(kind: .resume, pc: second, position: position))
                pc = Int(first)
            case .jump(let target):
                pc = Int(target)
            case .save(let slot):
                scratch.stack.append(Frame(kind: .restoreCapture, pc: slot, position: scratch.captures[Int(slot)]))
                scratch.captures[Int(slot)] = position
                pc += 1
            case .markProgress(let register):
                scratch.stack.append(Frame(kind: .restoreRegister, pc: register, position: scratch.registers[Int(register)]))
                scratch.registers[Int(register)] = position
                pc += 1
            case .checkProgress(let register):
                if scratch.registers[Int(register)] == position { failed = true } else { pc += 1 }
            case .inputStart:
                if position == 0 { pc += 1 } else { failed = true }
            case .inputEnd:
                if position == input.count { pc += 1 } else { failed = true }
            case .wordBoundary(let negated):
                let before = RegexMachine.isWordCharacter(decodeBefore(position))
                let after = position < input.count && RegexMachine.isWordCharacter(decode(position).scalar)
                if (before != after) != negated { pc += 1 } else { failed = true }
            case .lookaround(let sub, let ahead, let negated):
                let key = Int(sub) * (input.count + 1) + position
                let found: Bool
                if memoize, let known = scratch.lookaroundResults[key] {
                    found = known
                } else {
                    clearVisited(program: Int(sub))
                    found = ahead ? run(program: Int(sub), from: position, requiredEnd: -1)
                                  : lookbehind(program: Int(sub), at: position)
                    if exceeded { return false }
                    if memoize { scratch.lookaroundResults[key] = found }
                }
                if found != negated { pc += 1 } else { failed = true }
            case .backReference(let number):
                let start = scratch.captures[Int(2 * number)]
                let end = scratch.captures[Int(2 * number + 1)]
                if start < 0 || end < start {
                    pc += 1  // an unset group matches the empty string
                } else {
                    let length = end - start
                    if position + length <= input.count,
                       (0..<length).allSatisfy({ input[start + $0] == input[position + $0] }) {
                        position += length
                        pc += 1
                    } else {
                        failed = true
                    }
                }
            case .match:
                if requiredEnd < 0 || position == requiredEnd { return true }
                failed = true
            }
            if failed {
                guard backtrack(base, &pc, &position) else { return false }
            }
        }
    }

    /// A lookbehind at `position`: some start at or before it from which the body matches up
    /// to exactly `position`.
    private mutating func lookbehind(program: Int, at position: Int) -> Bool {
        var start = position
        while true {
            if run(program: program, from: start, requiredEnd: position) { return true }
            if exceeded || start == 0 { return false }
            start -= 1
            while start > 0, input[start] & 0xC0 == 0x80 { start -= 1 }
        }
    }

    /// Pops frames down to the next resume point above `base`, restoring captures on the way.
    private mutating func backtrack(_ base: Int, _ pc: inout Int, _ position: inout Int) -> Bool {
        while scratch.stack.count > base {
            let frame = scratch.stack.removeLast()
            switch frame.kind {
            case .resume:
                pc = Int(frame.pc)
                position = frame.position
                return true
            case .restoreCapture:
                scratch.captures[Int(frame.pc)] = frame.position
            case .restoreRegister:
                scratch.registers[Int(frame.pc)] = frame.position
            }
        }
        return false
    }

    private mutating func unwindTo(_ base: Int) {
        while scratch.stack.count > base {
            let frame = scratch.stack.removeLast()
            switch frame.kind {
            case .resume: break
            case .restoreCapture: scratch.captures[Int(frame.pc)] = frame.position
            case .restoreRegister: scratch.registers[Int(frame.pc)] = frame.position
            }
        }
    }
}
