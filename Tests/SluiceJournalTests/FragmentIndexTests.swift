import Testing
@testable import SluiceJournal

@Suite struct FragmentIndexTests {
    static func fragment(_ begin: Int64, _ end: Int64, _ tag: Character = "a") -> SealedFragment {
        SealedFragment(name: FragmentName(begin: begin, end: end, sha1: String(repeating: tag, count: 40), encoding: .raw),
                       storedSizeBytes: end - begin, modificationTimeNanoseconds: 0)
    }

    @Test func coveredFragmentsAreLeftOut() {
        let listing = [Self.fragment(0, 100), Self.fragment(10, 50), Self.fragment(100, 200), Self.fragment(0, 100, "b"),
                       Self.fragment(150, 300)]
        let (index, covered) = FragmentIndex.build(from: listing)
        #expect(index.fragments.map { [$0.begin, $0.end] } == [[0, 100], [100, 200], [150, 300]])
        #expect(Set(covered.map { [$0.begin, $0.end] }) == [[10, 50], [0, 100]])
        #expect(covered.count == 2)
        #expect(index.checkInvariants())
    }

    @Test func insertReplacesWhatItCovers() {
        var index = FragmentIndex.build(from: [Self.fragment(0, 10), Self.fragment(10, 20)]).index
        #expect(index.insert(Self.fragment(0, 20, "c")).map(\.end) == [10, 20])
        #expect(index.fragments.map(\.end) == [20])
        #expect(index.insert(Self.fragment(5, 15)).map(\.end) == [15])  // covered: not inserted
        #expect(index.fragments.count == 1)
    }

    @Test func locate() {
        let index = FragmentIndex.build(from: [Self.fragment(10, 20), Self.fragment(15, 30), Self.fragment(40, 50)]).index
        #expect(index.locate(5) == .gap(next: 10))
        #expect(index.locate(10) == .fragment(Self.fragment(10, 20)))
        #expect(index.locate(19) == .fragment(Self.fragment(15, 30)))  // the later one reaches further
        #expect(index.locate(29) == .fragment(Self.fragment(15, 30)))
        #expect(index.locate(30) == .gap(next: 40))
        #expect(index.locate(49) == .fragment(Self.fragment(40, 50)))
        #expect(index.locate(50) == .beyond)
        #expect(index.begin == 10 && index.end == 50)
    }
}
