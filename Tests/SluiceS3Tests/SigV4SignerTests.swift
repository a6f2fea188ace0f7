import Testing
@testable import SluiceS3

/// AWS's published signing examples (Amazon S3 API reference, "Signature calculations for the
/// Authorization header: transferring payload in a single chunk": GET Object, PUT Object, GET
/// Bucket lifecycle, GET Bucket (list objects); IAM user guide, "deriving a signing key").
/// Credentials AKIAIOSFODNN7EXAMPLE / wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY, us-east-1,
/// 2013-05-24T00:00:00Z.
@Suite("SigV4: AWS's published test vectors")
struct SigV4SignerTests {
    static let signer = SigV4Signer(
        credentials: S3Credentials(accessKeyId: "AKIAIOSFODNN7EXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"),
        region: "us-east-1")
    static let may24 = SigV4Timestamp(secondsSinceEpoch: 1_369_353_600)
    static let host = ("host", "examplebucket.s3.amazonaws.com")

    @Test("timestamps in SigV4's basic ISO 8601 form")
    func timestamps() {
        #expect(Self.may24.amzDate == "20130524T000000Z")
        #expect(Self.may24.dateStamp == "20130524")
        #expect(SigV4Timestamp(secondsSinceEpoch: 0).amzDate == "19700101T000000Z")
        #expect(SigV4Timestamp(secondsSinceEpoch: 951_782_399).amzDate == "20000228T235959Z")
        #expect(SigV4Timestamp(secondsSinceEpoch: 951_868_800).amzDate == "20000301T000000Z")  // after Feb 29, 2000
        #expect(SigV4Timestamp(secondsSinceEpoch: 4_107_542_400).amzDate == "21000301T000000Z")  // 2100 is no leap year
        #expect(SigV4Timestamp(secondsSinceEpoch: 1_795_309_199).amzDate == "20261122T005959Z")
        #expect(SigV4Timestamp(secondsSinceEpoch: -1).amzDate == "19691231T235959Z")
    }

    @Test("the signing key of the IAM example (20120215, us-east-1, iam)")
    func signingKey() {
        let signer = SigV4Signer(
            credentials: S3Credentials(accessKeyId: "AKIDEXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"),
            region: "us-east-1", service: "iam")
        #expect(Digest.hex(signer.signingKey(dateStamp: "20120215")) == "f4780e2d9f65fa895f9c67b32ce1baf0b0d8a43505a000a1a9e090d414db404d")
    }

    @Test("SHA-256 and HMAC-SHA256 known answers")
    func digests() {
        #expect(Digest.hex(Digest.sha256([])) == Digest.emptySHA256Hex)
        #expect(Digest.hex(Digest.sha256("Welcome to Amazon S3.")) == "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072")
        // RFC 4231 test case 2.
        #expect(Digest.hex(Digest.hmacSHA256(key: Array("Jefe".utf8), "what do ya want for nothing?"))
                == "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")
    }

    @Test("GET Object with a Range header")
    func getObject() {
        let signature = Self.signer.sign(method: "GET", path: "/test.txt", query: [],
                                         headers: [Self.host, ("Range", "bytes=0-9")],
                                         payloadSHA256: Digest.emptySHA256Hex, timestamp: Self.may24)
        #expect(signature.canonicalRequest == """
            GET
            /test.txt

            host:examplebucket.s3.amazonaws.com
            range:bytes=0-9
            x-amz-content-sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855
            x-amz-date:20130524T000000Z

            host;range;x-amz-content-sha256;x-amz-date
            e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855
            """)
        #expect(signature.signature == "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41")
        #expect(signature.authorization == "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,"
                + "SignedHeaders=host;range;x-amz-content-sha256;x-amz-date,"
                + "Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41")
        #expect(signature.headers.map(\.name) == ["Range", "x-amz-date", "x-amz-content-sha256", "Authorization"])
    }

    @Test("PUT Object: a key with $ encoded once, a body hash, extra signed headers")
    func putObject() {
        let payload = Digest.hex(Digest.sha256("Welcome to Amazon S3."))
        let signature = Self.signer.sign(
            method: "PUT", path: "/" + S3URIEncoding.encode("test$file.text", encodeSlash: false), query: [],
            headers: [Self.host, ("Date", "Fri, 24 May 2013 00:00:00 GMT"), ("x-amz-storage-class", "REDUCED_REDUNDANCY")],
            payloadSHA256: payload, timestamp: Self.may24)
        #expect(signature.canonicalRequest.hasPrefix("PUT\n/test%24file.text\n\ndate:Fri, 24 May 2013 00:00:00 GMT\n"))
        #expect(signature.stringToSign == """
            AWS4-HMAC-SHA256
            20130524T000000Z
            20130524/us-east-1/s3/aws4_request
            9e0e90d9c76de8fa5b200d8c849cd5b8dc7a3be3951ddb7f6a76b4158342019d
            """)
        #expect(signature.signedHeaders == "date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class")
        #expect(signature.signature == "98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd")
    }

    @Test("GET Bucket lifecycle: a query parameter without a value")
    func getBucketLifecycle() {
        let signature = Self.signer.sign(method: "GET", path: "/", query: [("lifecycle", "")], headers: [Self.host],
                                         payloadSHA256: Digest.emptySHA256Hex, timestamp: Self.may24)
        #expect(signature.canonicalRequest.hasPrefix("GET\n/\nlifecycle=\n"))
        #expect(Digest.hex(Digest.sha256(signature.canonicalRequest)) == "9766c798316ff2757b517bc739a67f6213b4ab36dd5da2f94eaebf79c77395ca")
        #expect(signature.signature == "fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543")
    }

    @Test("GET Bucket (list objects): query parameters sorted")
    func listObjects() {
        let signature = Self.signer.sign(method: "GET", path: "/", query: [("prefix", "J"), ("max-keys", "2")], headers: [Self.host],
                                         payloadSHA256: Digest.emptySHA256Hex, timestamp: Self.may24)
        #expect(signature.canonicalRequest.hasPrefix("GET\n/\nmax-keys=2&prefix=J\n"))
        #expect(signature.signature == "34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7")
    }

    @Test("a session token is sent and signed")
    func sessionToken() {
        var credentials = Self.signer.credentials
        credentials.sessionToken = "token/with+chars"
        let signer = SigV4Signer(credentials: credentials, region: "us-east-1")
        let signature = signer.sign(method: "GET", path: "/k", query: [], headers: [Self.host],
                                    payloadSHA256: Digest.emptySHA256Hex, timestamp: Self.may24)
        #expect(signature.signedHeaders == "host;x-amz-content-sha256;x-amz-date;x-amz-security-token")
        #expect(signature.headers.contains { $0.name == "x-amz-security-token" && $0.value == "token/with+chars" })
        #expect(!credentials.description.contains(credentials.secretAccessKey))
    }

    @Test("URI encoding: unreserved kept, slash kept in paths only, UTF-8 percent-encoded")
    func uriEncoding() {
        #expect(S3URIEncoding.encode("a b+c/d~e_f.g-h", encodeSlash: false) == "a%20b%2Bc/d~e_f.g-h")
        #expect(S3URIEncoding.encode("a/b=c&d", encodeSlash: true) == "a%2Fb%3Dc%26d")
        #expect(S3URIEncoding.encode("ключ*", encodeSlash: true) == "%D0%BA%D0%BB%D1%8E%D1%87%2A")
        #expect(S3URIEncoding.canonicalQuery([("b", "2"), ("a", "x y"), ("a", "+"), ("c", "")]) == "a=%2B&a=x%20y&b=2&c=")
        #expect(SigV4Signer.normalizedValue("  a   b \t c  ") == "a b c")
    }
}
