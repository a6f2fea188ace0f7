import Foundation
import Testing
import SluiceTestSupport
@testable import SluiceS3

/// moto with authentication on recomputes every request's signature (with botocore's signer)
/// and refuses a mismatch, so these tests check SigV4 end to end: URL encoding of odd keys,
/// query strings, multipart parameters, bodies and the headers URLSession adds.
@Suite("SigV4 verified by moto (authentication enforced)", .motoServerCheckingSignatures)
struct S3SignatureVerificationTests {
    /// Creates an IAM user with an access key allowed everything; returns the key (the three
    /// unauthenticated actions moto allows).
    static func credentials(endpoint: String) async throws -> S3Credentials {
        let transport = URLSessionTransport()
        func action(_ parameters: [(String, String)]) async throws -> S3XMLNode {
            let body = Array((parameters + [("Version", "2010-05-08")])
                .map { S3URIEncoding.encode($0.0, encodeSlash: true) + "=" + S3URIEncoding.encode($0.1, encodeSlash: true) }
                .joined(separator: "&").utf8)
            let signer = SigV4Signer(credentials: S3Credentials(accessKeyId: "bootstrap", secretAccessKey: "bootstrap"),
                                     region: "us-east-1", service: "iam")
            let host = String(endpoint.dropFirst("http://".count))
            let signature = signer.sign(method: "POST", path: "/", query: [],
                                        headers: [("host", host), ("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")],
                                        payloadSHA256: Digest.hex(Digest.sha256(body)),
                                        timestamp: SigV4Timestamp(secondsSinceEpoch: Int64(Date().timeIntervalSince1970)))
            let response = try await transport.send(S3HTTPRequest(method: "POST", url: endpoint + "/", headers: signature.headers, body: body),
                                                     timeout: .seconds(30))
            guard response.status == 200, let root = S3XMLNode.parse(response.body) else {
                throw TestSupportError("IAM \(parameters.first?.1 ?? ""): HTTP \(response.status) \(String(decoding: response.body, as: UTF8.self))")
            }
            return root
        }
        _ = try await action([("Action", "CreateUser"), ("UserName", "sluice")])
        let key = try await action([("Action", "CreateAccessKey"), ("UserName", "sluice")])
        let policy = #"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#
        _ = try await action([("Action", "PutUserPolicy"), ("UserName", "sluice"), ("PolicyName", "all"), ("PolicyDocument", policy)])
        guard let result = key.child("CreateAccessKeyResult")?.child("AccessKey"),
              let id = result.text("AccessKeyId"), let secret = result.text("SecretAccessKey") else {
            throw TestSupportError("no access key in CreateAccessKey's response")
        }
        return S3Credentials(accessKeyId: id, secretAccessKey: secret)
    }

    @Test("every operation passes moto's signature check; a wrong secret fails with SignatureDoesNotMatch")
    func signaturesAccepted() async throws {
        let server = try SharedMotoServer.require()
        let credentials = try await Self.credentials(endpoint: server.endpoint)
        let client = try S3Client(configuration: S3Configuration(region: "us-east-1", endpoint: server.endpoint, credentials: credentials,
                                                                 retry: .none))
        try await client.createBucket("signed")
        let keys = ["plain", "dir/a b+c$d=e&f;g,h:i@j.json", "ключ/é~*'()!", "percent%25sign"]
        for key in keys {
            try await client.putObject(bucket: "signed", key: key, body: Array(key.utf8), contentType: "text/plain; charset=utf-8")
            #expect(try await client.getObject(bucket: "signed", key: key).body == Array(key.utf8))
            #expect(try await client.headObject(bucket: "signed", key: key)?.contentLength == Int64(key.utf8.count))
        }
        let page = try await client.listObjectsV2(bucket: "signed", prefix: "dir/a b+", maxKeys: 1)
        #expect(page.objects.map(\.key) == [keys[1]])
        let everything = try await client.listAllObjects(bucket: "signed", pageKeys: 1)
        #expect(everything.count == keys.count)

        var writer = S3ObjectWriter(client: client, bucket: "signed", key: "multi part/object", partBytes: S3Client.partBytesMin)
        try await writer.write([UInt8](repeating: 42, count: S3Client.partBytesMin + 10))
        _ = try await writer.finish()
        #expect(try await client.headObject(bucket: "signed", key: "multi part/object")?.contentLength == Int64(S3Client.partBytesMin + 10))
        try await client.deleteObject(bucket: "signed", key: keys[1])

        var wrong = credentials
        wrong.secretAccessKey = "not-the-secret"
        let forged = try S3Client(configuration: S3Configuration(region: "us-east-1", endpoint: server.endpoint, credentials: wrong, retry: .none))
        do {
            try await forged.putObject(bucket: "signed", key: "k", body: [1])
            Issue.record("a wrong secret was accepted")
        } catch let error as S3Error {
            #expect(error.code == "SignatureDoesNotMatch")
            #expect(error.httpStatus == 403)
            #expect(!error.isRetryable)
        }
    }
}
