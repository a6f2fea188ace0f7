// SluiceWorkload: the standard benchmark workload.
//
// Sales/CRM events of about 430 bytes each (see ../shared/design/BENCHMARKS.md and
// docs/workload.md), generated deterministically from a seed so that every run, every peer
// and every test can regenerate exactly the same bytes:
//
//     {"id":"key-004711","seq":12,"ts":"2024-01-01T00:00:00.229Z",
//      "customer":{"cid":"c-0815","name":"…","tier":"gold","region":"eu","city":"…"},
//      "amount":123.45,"qty":3,"tags":["a","b"],"note":"…"}
//
// The first `keys` documents use every key once, in order; after that each document picks a
// key uniformly at random. `seq` counts the occurrences of a key (0 for its first document).
// The generator never allocates per document once its output buffer has grown.

/// What to generate.
public struct WorkloadSpec: Sendable, Hashable, CustomStringConvertible {
    /// Number of documents.
    public var documents: Int
    /// Number of distinct `id` keys.
    public var keys: Int
    /// Seed of the pseudo-random generator.
    public var seed: UInt64

    public init(documents: Int, keys: Int, seed: UInt64 = WorkloadSpec.defaultSeed) {
        precondition(documents >= 0, "documents must not be negative")
        precondition(keys >= 1, "keys must be at least 1")
        precondition(keys <= 99_999_999, "keys must fit in eight decimal digits")
        self.documents = documents
        self.keys = keys
        self.seed = seed
    }

    /// The seed every published figure uses.
    public static let defaultSeed: UInt64 = 0x51_1C_E5_EE_D0_00_00_01

    /// 1,000,000 documents over 100,000 keys: the standard workload.
    public static let standard = WorkloadSpec(documents: 1_000_000, keys: 100_000)
    /// 100,000 documents over 10,000 keys.
    public static let medium = WorkloadSpec(documents: 100_000, keys: 10_000)
    /// 10,000 documents over 1,000 keys: quick runs and tests.
    public static let small = WorkloadSpec(documents: 10_000, keys: 1_000)

    public var description: String { "\(documents) documents over \(keys) keys (seed \(seed))" }
}

/// SplitMix64: a tiny, fast, well-distributed generator whose output is fixed by its seed.
/// Written out here (rather than using `SystemRandomNumberGenerator`) because the workload's
/// bytes must never change between Swift versions or machines.
public struct SplitMix64: RandomNumberGenerator, Sendable {
    @usableFromInline var state: UInt64

    public init(seed: UInt64) { state = seed }

    @inlinable
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A value in `0..<bound`, by multiply-shift (Lemire); bias is below 2^-32 for our bounds.
    @inlinable
    public mutating func below(_ bound: Int) -> Int {
        precondition(bound > 0)
        return Int((UInt128(next()) * UInt128(bound)) >> 64)
    }
}

/// Generates the documents of a `WorkloadSpec`, one at a time, into a caller's byte buffer.
public struct WorkloadGenerator: Sendable {
    public let spec: WorkloadSpec
    private var random: SplitMix64
    private var occurrences: [UInt32]
    /// Index of the next document.
    public private(set) var index: Int = 0

    public init(_ spec: WorkloadSpec) {
        self.spec = spec
        self.random = SplitMix64(seed: spec.seed)
        self.occurrences = [UInt32](repeating: 0, count: spec.keys)
    }

    /// True when every document was generated.
    public var isExhausted: Bool { index >= spec.documents }

    /// Appends the next document (without a newline) to `output`.
    /// Returns false, appending nothing, when the workload is exhausted.
    @discardableResult
    public mutating func appendNext(to output: inout [UInt8]) -> Bool {
        guard index < spec.documents else { return false }
        let key = index < spec.keys ? index : random.below(spec.keys)
        let seq = occurrences[key]
        occurrences[key] = seq &+ 1
        writeDocument(key: key, seq: seq, to: &output)
        index += 1
        return true
    }

    /// Appends up to `count` documents, each followed by `\n`. Returns how many were written.
    @discardableResult
    public mutating func appendLines(_ count: Int, to output: inout [UInt8]) -> Int {
        var written = 0
        while written < count, appendNext(to: &output) {
            output.append(0x0A)
            written += 1
        }
        return written
    }

    /// The whole workload as JSON lines (each document followed by `\n`).
    public static func jsonLines(_ spec: WorkloadSpec) -> [UInt8] {
        var generator = WorkloadGenerator(spec)
        var output: [UInt8] = []
        output.reserveCapacity(spec.documents * 440)
        generator.appendLines(spec.documents, to: &output)
        return output
    }

    // MARK: - Document layout

    private mutating func writeDocument(key: Int, seq: UInt32, to out: inout [UInt8]) {
        // The customer is a function of the key, so the same key always has the same customer.
        var customerRandom = SplitMix64(seed: spec.seed ^ (UInt64(key) &* 0x2545_F491_4F6C_DD1D))
        let customerNumber = customerRandom.below(10_000)
        let firstName = Vocabulary.firstNames[customerRandom.below(Vocabulary.firstNames.count)]
        let lastName = Vocabulary.lastNames[customerRandom.below(Vocabulary.lastNames.count)]
        let tier = Vocabulary.tiers[customerRandom.below(Vocabulary.tiers.count)]
        let regionIndex = customerRandom.below(Vocabulary.regions.count)
        let cities = Vocabulary.cities[regionIndex]
        let city = cities[customerRandom.below(cities.count)]

        out.append(contentsOf: #"{"id":"key-"#.utf8)
        appendDecimal(UInt64(key), width: 6, to: &out)
        out.append(contentsOf: #"","seq":"#.utf8)
        appendDecimal(UInt64(seq), width: 1, to: &out)
        out.append(contentsOf: #","ts":""#.utf8)
        // One document every 37 ms from 2024-01-01T00:00:00Z, plus up to 36 ms of jitter.
        appendTimestamp(milliseconds: UInt64(index) * 37 + UInt64(random.below(37)), to: &out)
        out.append(contentsOf: #"","customer":{"cid":"c-"#.utf8)
        appendDecimal(UInt64(customerNumber), width: 4, to: &out)
        out.append(contentsOf: #"","name":""#.utf8)
        out.append(contentsOf: firstName.utf8)
        out.append(0x20)
        out.append(contentsOf: lastName.utf8)
        out.append(contentsOf: #"","tier":""#.utf8)
        out.append(contentsOf: tier.utf8)
        out.append(contentsOf: #"","region":""#.utf8)
        out.append(contentsOf: Vocabulary.regions[regionIndex].utf8)
        out.append(contentsOf: #"","city":""#.utf8)
        out.append(contentsOf: city.utf8)
        out.append(contentsOf: #""},"amount":"#.utf8)
        let cents = 1 + random.below(99_999)
        appendDecimal(UInt64(cents / 100), width: 1, to: &out)
        out.append(0x2E)
        appendDecimal(UInt64(cents % 100), width: 2, to: &out)
        out.append(contentsOf: #","qty":"#.utf8)
        appendDecimal(UInt64(1 + random.below(20)), width: 1, to: &out)
        out.append(contentsOf: #","tags":["#.utf8)
        let tagCount = random.below(4)
        for tagIndex in 0..<tagCount {
            if tagIndex > 0 { out.append(0x2C) }
            out.append(0x22)
            out.append(contentsOf: Vocabulary.tags[random.below(Vocabulary.tags.count)].utf8)
            out.append(0x22)
        }
        out.append(contentsOf: #"],"note":""#.utf8)
        appendNote(to: &out)
        out.append(contentsOf: #""}"#.utf8)
    }

    /// 100–300 bytes of words; some are non-ASCII and some carry JSON escapes.
    private mutating func appendNote(to out: inout [UInt8]) {
        let target = 100 + random.below(201)
        let start = out.count
        var first = true
        while out.count - start < target {
            if !first { out.append(0x20) }
            first = false
            let word = Vocabulary.noteWords[random.below(Vocabulary.noteWords.count)]
            out.append(contentsOf: word.utf8)
        }
    }

    private func appendDecimal(_ value: UInt64, width: Int, to out: inout [UInt8]) {
        var digits: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8,
                     UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8,
                     UInt8, UInt8, UInt8, UInt8) = (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        var count = 0
        var remaining = value
        withUnsafeMutableBytes(of: &digits) { buffer in
            repeat {
                buffer[count] = 0x30 + UInt8(remaining % 10)
                remaining /= 10
                count += 1
            } while remaining > 0
            while count < width {
                buffer[count] = 0x30
                count += 1
            }
            for position in stride(from: count - 1, through: 0, by: -1) {
                out.append(buffer[position])
            }
        }
    }

    /// `2024-01-01T00:00:00.000Z` plus `milliseconds`, as RFC 3339 UTC.
    private func appendTimestamp(milliseconds: UInt64, to out: inout [UInt8]) {
        let millisecond = milliseconds % 1000
        var seconds = milliseconds / 1000
        let second = seconds % 60
        seconds /= 60
        let minute = seconds % 60
        seconds /= 60
        let hour = seconds % 24
        var day = Int(seconds / 24)  // days since 2024-01-01
        var year = 2024
        var month = 1
        while true {
            let yearDays = Calendar.isLeap(year) ? 366 : 365
            if day < yearDays { break }
            day -= yearDays
            year += 1
        }
        while true {
            let monthDays = Calendar.days(inMonth: month, year: year)
            if day < monthDays { break }
            day -= monthDays
            month += 1
        }
        appendDecimal(UInt64(year), width: 4, to: &out)
        out.append(0x2D)
        appendDecimal(UInt64(month), width: 2, to: &out)
        out.append(0x2D)
        appendDecimal(UInt64(day + 1), width: 2, to: &out)
        out.append(0x54)
        appendDecimal(hour, width: 2, to: &out)
        out.append(0x3A)
        appendDecimal(minute, width: 2, to: &out)
        out.append(0x3A)
        appendDecimal(second, width: 2, to: &out)
        out.append(0x2E)
        appendDecimal(millisecond, width: 3, to: &out)
        out.append(0x5A)
    }
}

private enum Calendar {
    static func isLeap(_ year: Int) -> Bool { (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 }

    static func days(inMonth month: Int, year: Int) -> Int {
        switch month {
        case 2: return isLeap(year) ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }
}
