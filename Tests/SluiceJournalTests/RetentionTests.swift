import Testing
@testable import SluiceJournal

@Suite struct RetentionTests {
    static func fragment(_ begin: Int64, _ end: Int64, sealedAtSecond: Int64) -> SealedFragment {
        SealedFragment(name: FragmentName(begin: begin, end: end, sha1: String(repeating: "0", count: 40), encoding: .raw),
                       storedSizeBytes: end - begin, modificationTimeNanoseconds: sealedAtSecond * 1_000_000_000)
    }

    static let fragments = [fragment(0, 100, sealedAtSecond: 10), fragment(100, 200, sealedAtSecond: 20),
                            fragment(200, 300, sealedAtSecond: 30)]

    @Test(arguments: [
        (Int64(0), Int64(0), Int64(1000), [Int64]()),  // no rule
        (150, 0, 1000, [0]),          // 300 - 100 >= 150, 300 - 200 < 150
        (100, 0, 1000, [0, 100]),     // the newest 100 bytes are the spool's and the last fragment's
        (1, 0, 1000, [0, 100]),       // never past what the head allows: 300 - 300 < 1
        (0, 985, 1000, [0]),          // sealed at 10 s, now 1000 s: older than 985 s; the next one is not
        (0, 970, 1000, [0, 100, 200]),
        (150, 985, 1000, [0]),        // both rules drop the oldest; neither the second
    ])
    func dropsAPrefixByBytesOrAge(_ bytes: Int64, _ ageSeconds: Int64, _ nowSeconds: Int64, _ expected: [Int64]) {
        let spec = JournalSpec(retentionAgeSeconds: ageSeconds, retentionBytes: bytes)
        let dropped = Retention.fragmentsToDrop(Self.fragments, head: 300, spec: spec, nowNanoseconds: nowSeconds * 1_000_000_000)
        #expect(dropped.map(\.begin) == expected)
    }

    @Test func stopsAtTheFirstFragmentToKeep() {
        // The middle fragment is old, but the oldest is not: nothing goes (prefixes only).
        let fragments = [Self.fragment(0, 100, sealedAtSecond: 900), Self.fragment(100, 200, sealedAtSecond: 10)]
        let spec = JournalSpec(retentionAgeSeconds: 500)
        #expect(Retention.fragmentsToDrop(fragments, head: 200, spec: spec, nowNanoseconds: 1000 * 1_000_000_000).isEmpty)
    }
}
