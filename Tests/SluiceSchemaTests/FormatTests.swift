import Testing
@testable import SluiceSchema

/// Formats, beyond the JSON-Schema-Test-Suite's optional/format files (which the conformance
/// test runs): the cases that matter for Sluice's workloads.
@Suite struct FormatTests {
    static func check(_ format: SchemaFormat, _ text: String) -> Bool {
        var copy = text
        return copy.withUTF8 { format.check(UnsafeRawBufferPointer($0)) }
    }

    @Test(arguments: [
        ("2024-01-01T00:00:00.229Z", true), ("2024-01-01t00:00:00z", true), ("2024-02-29T23:59:59+01:00", true),
        ("2023-02-29T00:00:00Z", false), ("2024-13-01T00:00:00Z", false), ("2024-01-01 00:00:00Z", false),
        ("2024-01-01T24:00:00Z", false), ("2024-01-01T00:00:00", false), ("1998-12-31T23:59:60Z", true),
        ("1998-12-31T23:58:60Z", false), ("2024-01-01T00:00:00.Z", false), ("2024-01-01T00:00:00+0100", false),
    ])
    func dateTime(text: String, valid: Bool) {
        #expect(Self.check(.dateTime, text) == valid, "\(text)")
    }

    @Test func others() {
        #expect(Self.check(.date, "2000-02-29") && !Self.check(.date, "1900-02-29"))
        #expect(Self.check(.time, "08:30:06.283185Z") && !Self.check(.time, "08:30:06"))
        #expect(Self.check(.duration, "P1Y2M3DT4H5M6S") && !Self.check(.duration, "P1Y2D") && Self.check(.duration, "P2W"))
        #expect(Self.check(.email, "joe.bloggs@example.com") && !Self.check(.email, "joe..bloggs@example.com"))
        #expect(Self.check(.hostname, "www.example.com") && !Self.check(.hostname, "-bad.example.com"))
        #expect(Self.check(.ipv4, "192.168.0.1") && !Self.check(.ipv4, "192.168.0.01"))
        #expect(Self.check(.ipv6, "::ffff:192.168.0.1") && !Self.check(.ipv6, "1::2::3"))
        #expect(Self.check(.uri, "https://example.com/a?b#c") && !Self.check(.uri, "/relative"))
        #expect(Self.check(.uriReference, "/relative") && !Self.check(.uriReference, "\\\\bad"))
        #expect(Self.check(.uuid, "2eb8aa08-aa98-11ea-b4aa-73b441d16380") && !Self.check(.uuid, "2eb8aa08aa9811eab4aa73b441d16380"))
        #expect(Self.check(.regex, "^[a-z]+$") && !Self.check(.regex, "^(a"))
        #expect(Self.check(.idnHostname, "实例.测试") && !Self.check(.idnHostname, "a\u{05D0}"))
        #expect(Self.check(.jsonPointer, "/a~1b/0") && !Self.check(.jsonPointer, "a"))
        #expect(Self.check(.relativeJSONPointer, "1/a") && Self.check(.relativeJSONPointer, "0#") && !Self.check(.relativeJSONPointer, "01"))
        #expect(Self.check(.uriTemplate, "/users/{id}{?q,page}") && !Self.check(.uriTemplate, "{a,,b}"))
    }

    @Test func punycodeRoundTrips() {
        for label in ["bücher", "例え", "ü", "a-b", "🐲"] {
            let scalars = Array(label.unicodeScalars)
            let encoded = IDNA.punycodeEncode(scalars)
            #expect(encoded.flatMap(IDNA.punycodeDecode) == scalars, "\(label)")
        }
        #expect(IDNA.punycodeEncode(Array("bücher".unicodeScalars)) == "bcher-kva")
    }
}
