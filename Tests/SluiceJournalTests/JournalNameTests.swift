import Testing
@testable import SluiceJournal

@Suite struct JournalNameTests {
    @Test(arguments: [
        "acme/orders", "acme/orders/region=eu/pivot=00", "a_b-c+d.e=f%20", "données/été", "abcd",
        String(repeating: "x", count: 512),
    ])
    func acceptsValidNames(_ text: String) throws {
        #expect(try JournalName(text).rawValue == text)
    }

    @Test(arguments: [
        ("abc", "must be 4 to 512 bytes long, not 3"),
        (String(repeating: "x", count: 513), "must be 4 to 512 bytes long, not 513"),
        ("/acme/orders", "must not begin with \"/\""),
        ("acme/orders/", "must not end with \"/\""),
        ("acme//orders", "must not contain \"//\""),
        ("acme/./orders", "must not contain a \".\" segment"),
        ("acme/../orders", "must not contain a \"..\" segment"),
        ("acme orders", "character 4 \" \" (U+20) is not a letter, digit or one of - _ + / . = %"),
        ("acme/@journal", "character 5 \"@\" (U+40) is not a letter, digit or one of - _ + / . = %"),
        ("acme\norders", "character 4 \"\n\" (U+A) is not a letter, digit or one of - _ + / . = %"),
    ])
    func rejectsInvalidNamesSayingWhy(_ text: String, _ reason: String) {
        #expect(throws: JournalError.invalidName(text, reason: reason)) { try JournalName(text) }
    }

    @Test func lengthCountsUTF8Bytes() {
        // "ééé" is 3 characters but 6 bytes: long enough.
        #expect((try? JournalName("ééé")) != nil)
        #expect((try? JournalName("éa")) == nil)  // 3 bytes
    }

    @Test func segments() throws {
        #expect(try JournalName("a/bb/ccc").segments == ["a", "bb", "ccc"])
    }
}
