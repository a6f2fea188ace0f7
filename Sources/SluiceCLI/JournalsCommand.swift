import ArgumentParser
import Foundation
import SluiceJournal

/// `sluice journals list | append | read | fragments | prune`: journals under a data directory.
struct JournalsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "journals",
        abstract: "Append to, read and inspect journals under a data directory.",
        subcommands: [List.self, Append.self, Read.self, Fragments.self, Prune.self, Compact.self])


    // MARK: list

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List journals: name, first offset, head, sealed fragments, codec, fsync policy (tab-separated).")

        @OptionGroup var data: DataDirectoryOption

        func run() async throws {
            try await runReportingJournalFailures {
                let directory = data.directory
                let output = StandardOutput()
                output.write("name\tfirst\thead\tfragments\tcodec\tfsync\n")
                for name in try directory.journalNames() {
                    let journal = try directory.open(name, readOnly: true)
                    output.write("\(name)\t\(journal.firstOffset)\t\(journal.head)\t\(journal.fragments.count)\t"
                                 + "\(journal.spec.codec)\t\(journal.spec.fsyncPolicy.rawValue)\n")
                }
                output.flush()
            }
        }
    }

    // MARK: append

    struct Append: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Append standard input to a journal, creating it when missing.",
            discussion: """
                With --framing lines (the default), input is appended in batches of whole lines, each batch one \
                atomic append of at most --batch-bytes (a longer line is an append of its own). With --framing \
                none, all of standard input is one atomic append (at most 64 MiB). Prints a JSON summary line. \
                The spec options apply when the journal is created; for an existing journal they must match \
                its stored spec.
                """)

        @OptionGroup var data: DataDirectoryOption

        @Argument(help: "The journal's name, such as acme/orders.")
        var name: String

        @Option(help: "How input is split into appends: lines or none.")
        var framing: Framing = .lines

        @Option(help: "Largest append for --framing lines (bytes; suffixes KiB, MiB).", transform: ByteCount.parse)
        var batchBytes: Int64 = 1 << 20

        @Option(help: "Fail unless the first append begins at this offset.")
        var expectedOffset: Int64?

        @Option(help: "Appends written but not yet committed, at most (pipelining).")
        var inFlight: Int = 32

        @Flag(help: "Seal the spool after the last append.")
        var seal = false

        @Option(help: "Codec of sealed fragments: none, lz4, zstd or zstd:LEVEL (at creation).")
        var codec: String?

        @Option(help: "fsync policy: always, group or none (at creation).", transform: FsyncPolicy.parse)
        var fsync: FsyncPolicy?

        @Option(help: "Fragment length target (bytes; suffixes KiB, MiB, GiB) (at creation).", transform: ByteCount.parse)
        var fragmentBytes: Int64?

        @Option(help: "Seal at UTC-aligned multiples of this many seconds, 0 for never (at creation).")
        var flushInterval: Int64?

        @Option(help: "Drop sealed fragments older than this many seconds, 0 for never (at creation).")
        var retentionAge: Int64?

        @Option(help: "Keep at least this many newest bytes when pruning, 0 for no limit (at creation).",
                transform: ByteCount.parse)
        var retentionBytes: Int64?

        enum Framing: String, ExpressibleByArgument, CaseIterable { case lines, none }

        func validate() throws {
            guard (1...Int64(Journal.appendBytesMax)).contains(batchBytes) else {
                throw ValidationError("--batch-bytes must be between 1 and \(Journal.appendBytesMax)")
            }
            guard (1...1024).contains(inFlight) else { throw ValidationError("--in-flight must be between 1 and 1024") }
        }

        /// The spec to create the journal with, and whether any spec option was given.
        func requestedSpec() throws -> (JournalSpec, Bool) {
            var spec = JournalSpec()
            if let codec { spec.codec = try FragmentCodec(parsing: codec) }
            if let fsync { spec.fsyncPolicy = fsync }
            if let fragmentBytes { spec.fragmentLengthBytes = fragmentBytes }
            if let flushInterval { spec.flushIntervalSeconds = flushInterval }
            if let retentionAge { spec.retentionAgeSeconds = retentionAge }
            if let retentionBytes { spec.retentionBytes = retentionBytes }
            let given = [codec != nil, fsync != nil, fragmentBytes != nil, flushInterval != nil, retentionAge != nil,
                         retentionBytes != nil].contains(true)
            return (spec, given)
        }

        func run() async throws {
            try await runReportingJournalFailures {
                let journalName = try JournalName(name)
                let (requested, given) = try requestedSpec()
                try requested.validate()
                let journal = try data.directory.open(journalName, createWith: requested)
                printRecovery(journal)
                if given, journal.spec != requested {
                    await journal.close()
                    throw CLIFailure.user("journal \(journalName) exists with spec \(describe(journal.spec)); "
                                          + "the options given ask for \(describe(requested))")
                }
                let summary = try await appendStandardInput(to: journal)
                if seal { try await journal.seal() }
                await journal.close()
                print(#"{"journal":"\#(journalName)","appends":\#(summary.appends),"bytes":\#(summary.bytes),"#
                      + #""begin":\#(summary.begin),"end":\#(summary.end)}"#)
            }
        }

        private func describe(_ spec: JournalSpec) -> String {
            "codec \(spec.codec), fsync \(spec.fsyncPolicy.rawValue), fragment \(spec.fragmentLengthBytes) bytes, "
                + "flush interval \(spec.flushIntervalSeconds) s, retention \(spec.retentionAgeSeconds) s / "
                + "\(spec.retentionBytes) bytes"
        }

        private func appendStandardInput(to journal: Journal) async throws -> (appends: Int, bytes: Int64, begin: Int64, end: Int64) {
            var pending: [PendingAppend] = []
            var appends = 0
            var bytes: Int64 = 0
            let begin = journal.head
            var expected = expectedOffset
            func submit(_ batch: ArraySlice<UInt8>) async throws {
                guard !batch.isEmpty else { return }
                let append = try await journal.write(batch, expectedOffset: expected)
                expected = nil
                pending.append(append)
                appends += 1
                bytes += Int64(batch.count)
                if pending.count >= inFlight { try await pending.removeFirst().committed() }
            }
            var input = StandardInputReader()
            switch framing {
            case .none:
                let all = try input.readAll(limit: Journal.appendBytesMax)
                try await submit(all[...])
            case .lines:
                let limit = Int(batchBytes)
                var buffer: [UInt8] = []
                buffer.reserveCapacity(limit * 2)
                var consumed: Int64 = 0
                while true {
                    let more = try input.read(into: &buffer, upTo: max(limit, 64 << 10))
                    // Cut whole lines, at most `limit` bytes per batch.
                    while buffer.count >= limit || (more == 0 && !buffer.isEmpty) {
                        let window = buffer.prefix(limit)
                        var cut: Int
                        if let lastNewline = window.lastIndex(of: 0x0A) {
                            cut = lastNewline + 1
                        } else if let newline = buffer.firstIndex(of: 0x0A) {
                            cut = newline + 1  // one line longer than a batch: an append of its own
                        } else if more == 0 {
                            cut = buffer.count  // the last line, without a newline
                        } else if buffer.count > Journal.appendBytesMax {
                            throw CLIFailure.user("standard input: the line at byte \(consumed) is longer than "
                                                  + "\(Journal.appendBytesMax) bytes, the largest append")
                        } else {
                            break  // read more of this long line
                        }
                        if more == 0 && buffer.count <= limit { cut = buffer.count }
                        guard cut <= Journal.appendBytesMax else {
                            throw CLIFailure.user("standard input: the line at byte \(consumed) is longer than "
                                                  + "\(Journal.appendBytesMax) bytes, the largest append")
                        }
                        try await submit(buffer[0..<cut])
                        buffer.removeFirst(cut)
                        consumed += Int64(cut)
                    }
                    if more == 0 { break }
                }
            }
            for append in pending { try await append.committed() }
            return (appends, bytes, begin, begin + bytes)
        }
    }

    // MARK: read

    struct Read: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write a journal's bytes to standard output.",
            discussion: """
                Reads from --offset (-1: the head) up to --end or the head. With --block, waits at the head \
                for new appends (this needs the journal's lock: no other process may be appending). Offsets \
                that were pruned are reported on standard error, never skipped silently.
                """)

        @OptionGroup var data: DataDirectoryOption

        @Argument(help: "The journal's name.")
        var name: String

        @Option(help: "The first offset to read; -1 for the head.")
        var offset: Int64 = 0

        @Option(help: "Stop before this offset.")
        var end: Int64?

        @Flag(help: "Wait at the head for new appends.")
        var block = false

        func run() async throws {
            try await runReportingJournalFailures {
                let journalName = try JournalName(name)
                let journal = try data.directory.open(journalName, readOnly: !block)
                if block { printRecovery(journal) }
                let output = StandardOutput()
                for try await item in try journal.read(from: offset, to: end, blocking: block) {
                    switch item {
                    case .chunk(let chunk):
                        output.write(chunk.bytes)
                        if block { output.flush() }
                    case .jump(let from, let to):
                        output.flush()
                        printError("notice: offsets \(from)..<\(to) of \(journalName) are no longer available "
                                   + "(pruned); continuing at \(to)")
                    }
                }
                output.flush()
                await journal.close()
            }
        }
    }

    // MARK: fragments

    struct Fragments: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List a journal's sealed fragments and spools (tab-separated).")

        @OptionGroup var data: DataDirectoryOption

        @Argument(help: "The journal's name.")
        var name: String

        func run() async throws {
            try await runReportingJournalFailures {
                let journal = try data.directory.open(JournalName(name), readOnly: true)
                let output = StandardOutput()
                output.write("begin\tend\tbytes\tstored_bytes\tkind\tfile\n")
                for fragment in journal.fragments {
                    output.write("\(fragment.begin)\t\(fragment.end)\t\(fragment.end - fragment.begin)\t"
                                 + "\(fragment.storedSizeBytes)\t\(fragment.name.encoding.rawValue)\tfragments/\(fragment.name.fileName)\n")
                }
                for spool in journal.spools {
                    let file = spool.path.split(separator: "/").last.map(String.init) ?? spool.path
                    let stored = (try? FileManager.default.attributesOfItem(atPath: spool.path)[.size] as? NSNumber)?.int64Value ?? 0
                    output.write("\(spool.begin)\t\(spool.end)\t\(spool.end - spool.begin)\t\(stored)\tspool\t\(file)\n")
                }
                output.flush()
            }
        }
    }

    // MARK: prune

    struct Prune: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Drop the sealed fragments the journal's retention (or the options) selects; never the spool.")

        @OptionGroup var data: DataDirectoryOption

        @Argument(help: "The journal's name.")
        var name: String

        @Option(help: "Keep at least this many newest bytes (overrides the spec; suffixes KiB, MiB, GiB).",
                transform: ByteCount.parse)
        var retentionBytes: Int64?

        @Option(help: "Drop fragments sealed more than this many seconds ago (overrides the spec).")
        var retentionAge: Int64?

        func run() async throws {
            try await runReportingJournalFailures {
                let journal = try data.directory.open(JournalName(name))
                printRecovery(journal)
                let dropped = try journal.prune(retentionBytes: retentionBytes, retentionAgeSeconds: retentionAge)
                await journal.close()
                let output = StandardOutput()
                for fragment in dropped { output.write("pruned\tfragments/\(fragment.name.fileName)\n") }
                output.flush()
            }
        }
    }
}

/// Prints what opening a journal repaired, to standard error.
private func printRecovery(_ journal: Journal) {
    for line in journal.recoveryReport.lines { printError("\(journal.name): \(line)") }
}

/// Runs a journals command body, classifying journal errors: bad input exits 1, stored data or
/// the environment exits 2.
func runReportingJournalFailures(_ body: () async throws -> Void) async throws {
    try await runReportingFailures {
        do {
            try await body()
        } catch let error as JournalError {
            throw error.isUserError ? CLIFailure.user(error.description) : CLIFailure.internal(error.description)
        }
    }
}

/// A byte count with an optional binary suffix: `4096`, `64KiB`, `16MiB`, `1GiB` (also K, M, G).
enum ByteCount {
    static func parse(_ text: String) throws -> Int64 {
        let units: [(String, Int64)] = [("KiB", 1 << 10), ("MiB", 1 << 20), ("GiB", 1 << 30),
                                        ("K", 1 << 10), ("M", 1 << 20), ("G", 1 << 30)]
        for (suffix, factor) in units where text.hasSuffix(suffix) {
            guard let value = Int64(text.dropLast(suffix.count)), value >= 0, value <= Int64.max / factor else {
                throw ValidationError("\"\(text)\" is not a byte count such as 4096, 64KiB or 16MiB")
            }
            return value * factor
        }
        guard let value = Int64(text), value >= 0 else {
            throw ValidationError("\"\(text)\" is not a byte count such as 4096, 64KiB or 16MiB")
        }
        return value
    }
}

extension FsyncPolicy {
    /// Parses `always`, `group` or `none` for an option.
    static func parse(_ text: String) throws -> FsyncPolicy {
        guard let policy = FsyncPolicy(rawValue: text) else {
            throw ValidationError("\"\(text)\" is not an fsync policy: always, group or none")
        }
        return policy
    }
}

/// Reads standard input with read(2) into growing buffers.
struct StandardInputReader {
    /// Appends up to `count` bytes to `buffer`; returns how many (0 at the end of input).
    mutating func read(into buffer: inout [UInt8], upTo count: Int) throws -> Int {
        let start = buffer.count
        buffer.append(contentsOf: repeatElement(0, count: count))
        var got = 0
        while true {
            // Safety: the destination is the `count` bytes just appended to `buffer`.
            got = buffer.withUnsafeMutableBytes { Foundation.read(0, $0.baseAddress! + start, count) }
            if got < 0 && errno == EINTR { continue }
            break
        }
        buffer.removeLast(count - max(got, 0))
        if got < 0 { throw CLIFailure.internal("reading standard input: \(String(cString: strerror(errno)))") }
        return got
    }

    /// All of standard input; fails when it exceeds `limit` bytes.
    mutating func readAll(limit: Int) throws -> [UInt8] {
        var buffer: [UInt8] = []
        while try read(into: &buffer, upTo: 1 << 20) > 0 {
            if buffer.count > limit {
                throw CLIFailure.user("standard input holds more than \(limit) bytes, the largest append "
                                      + "(use --framing lines to split it)")
            }
        }
        return buffer
    }
}
