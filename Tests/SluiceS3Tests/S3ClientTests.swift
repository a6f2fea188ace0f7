import Testing
import SluiceTestSupport
import SluiceWorkload
@testable import SluiceS3

/// Against moto's S3 server (in memory, one per suite, path-style addressing).
@Suite("S3 client against moto's server", .motoServer)
struct S3ClientTests {
    static func client(retry: S3RetryPolicy = S3RetryPolicy(attemptsMax: 2, backoffInitial: .milliseconds(10))) throws -> S3Client {
        let server = try SharedMotoServer.require()
        return try S3Client(configuration: S3Configuration(
            region: "us-east-1", endpoint: server.endpoint,
            credentials: S3Credentials(accessKeyId: "testing", secretAccessKey: "testing"), retry: retry))
    }

    static func bytes(count: Int, seed: UInt64) -> [UInt8] {
        var random = SplitMix64(seed: seed)
        var output = [UInt8](repeating: 0, count: count)
        var index = 0
        while index < count {
            var word = random.next()
            for _ in 0..<8 where index < count {
                output[index] = UInt8(truncatingIfNeeded: word)
                word >>= 8
                index += 1
            }
        }
        return output
    }

    @Test("put, head, get, range, delete; keys with spaces, plus, dollar and UTF-8")
    func objects() async throws {
        let client = try Self.client()
        try await client.createBucket("objects")
        let keys = ["plain.json", "dir/sub dir/a b+c$d=e&f.json", "ключ/é~*'()!.txt"]
        for (index, key) in keys.enumerated() {
            let body = Array("{\"n\":\(index)}\n".utf8)
            let put = try await client.putObject(bucket: "objects", key: key, body: body, contentType: "application/x-ndjson")
            #expect(put.etag.hasPrefix("\"") && put.etag.count == 34)
            let object = try await client.getObject(bucket: "objects", key: key)
            #expect(object.body == body, "\(key)")
            #expect(object.contentType == "application/x-ndjson")
            let head = try #require(try await client.headObject(bucket: "objects", key: key))
            #expect(head.contentLength == Int64(body.count))
            #expect(head.etag == put.etag)
        }
        let ranged = try await client.getObject(bucket: "objects", key: "plain.json", range: 1...4)
        #expect(ranged.body == Array("\"n\":".utf8))
        let empty = try await client.putObject(bucket: "objects", key: "empty", body: [])
        #expect(!empty.etag.isEmpty)
        #expect(try await client.getObject(bucket: "objects", key: "empty").body == [])

        try await client.deleteObject(bucket: "objects", key: keys[1])
        #expect(try await client.headObject(bucket: "objects", key: keys[1]) == nil)
        try await client.deleteObject(bucket: "objects", key: "never-existed")
        let listed = try await client.listAllObjects(bucket: "objects").map(\.key)
        #expect(listed == ["empty", "plain.json", "ключ/é~*'()!.txt"])
    }

    @Test("ListObjectsV2: prefix, pages of 10 with continuation tokens, delimiter")
    func listing() async throws {
        let client = try Self.client()
        try await client.createBucket("listing")
        for index in 0..<25 {
            try await client.putObject(bucket: "listing", key: "deals/part-\(String(index).leftPadded(3)).jsonl", body: [UInt8(index)])
        }
        try await client.putObject(bucket: "listing", key: "other/x", body: [1])
        try await client.putObject(bucket: "listing", key: "deals/nested/y", body: [1])

        var token: String?
        var pages: [[String]] = []
        repeat {
            let page = try await client.listObjectsV2(bucket: "listing", prefix: "deals/part-", continuationToken: token, maxKeys: 10)
            pages.append(page.objects.map(\.key))
            token = page.nextContinuationToken
            #expect(page.isTruncated == (token != nil))
        } while token != nil
        #expect(pages.map(\.count) == [10, 10, 5])
        let expected = (0..<25).map { "deals/part-\(String($0).leftPadded(3)).jsonl" }
        #expect(pages.flatMap { $0 } == expected)
        let all = try await client.listAllObjects(bucket: "listing", prefix: "deals/part-", pageKeys: 7)
        #expect(all.map(\.key) == expected)
        #expect(all.allSatisfy { $0.size == 1 })

        let grouped = try await client.listObjectsV2(bucket: "listing", prefix: "deals/", delimiter: "/")
        #expect(grouped.commonPrefixes == ["deals/nested/"])
        #expect(grouped.objects.count == 25)
        #expect(try await client.listAllObjects(bucket: "listing", prefix: "nothing/") == [])
    }

    @Test("multipart upload: two 5 MiB parts and a tail, read back whole")
    func multipart() async throws {
        let client = try Self.client()
        try await client.createBucket("multipart")
        let partBytes = S3Client.partBytesMin
        let body = Self.bytes(count: 2 * partBytes + 12_345, seed: 11)
        let uploadId = try await client.createMultipartUpload(bucket: "multipart", key: "big.bin", contentType: "application/octet-stream")
        var parts: [S3CompletedPart] = []
        for (index, start) in stride(from: 0, to: body.count, by: partBytes).enumerated() {
            let end = min(start + partBytes, body.count)
            parts.append(try await client.uploadPart(bucket: "multipart", key: "big.bin", uploadId: uploadId,
                                                     partNumber: index + 1, body: Array(body[start..<end])))
        }
        #expect(parts.count == 3)
        // Not visible before completion.
        #expect(try await client.headObject(bucket: "multipart", key: "big.bin") == nil)
        let result = try await client.completeMultipartUpload(bucket: "multipart", key: "big.bin", uploadId: uploadId, parts: parts.reversed())
        #expect(result.etag.hasSuffix("-3\""))
        let read = try await client.getObject(bucket: "multipart", key: "big.bin")
        #expect(read.body.count == body.count)
        #expect(Digest.sha256(read.body) == Digest.sha256(body))
    }

    @Test("parts under 5 MiB (except the last) are rejected at completion: EntityTooSmall naming the key")
    func partTooSmall() async throws {
        let client = try Self.client()
        try await client.createBucket("small-parts")
        let uploadId = try await client.createMultipartUpload(bucket: "small-parts", key: "k")
        let first = try await client.uploadPart(bucket: "small-parts", key: "k", uploadId: uploadId, partNumber: 1, body: Self.bytes(count: 1 << 20, seed: 1))
        let second = try await client.uploadPart(bucket: "small-parts", key: "k", uploadId: uploadId, partNumber: 2, body: [1, 2, 3])
        do {
            try await client.completeMultipartUpload(bucket: "small-parts", key: "k", uploadId: uploadId, parts: [first, second])
            Issue.record("a 1 MiB first part was accepted")
        } catch let error as S3Error {
            #expect(error.code == "EntityTooSmall")
            #expect(error.httpStatus == 400)
            #expect(error.description.hasPrefix("s3 CompleteMultipartUpload s3://small-parts/k: EntityTooSmall"))
            #expect(!error.isRetryable)
        }
        try await client.abortMultipartUpload(bucket: "small-parts", key: "k", uploadId: uploadId)
        #expect(try await client.headObject(bucket: "small-parts", key: "k") == nil)
    }

    @Test("S3ObjectWriter: small objects in one PutObject, large ones in 5 MiB parts, abort leaves nothing")
    func writer() async throws {
        let client = try Self.client()
        try await client.createBucket("writer")
        var small = S3ObjectWriter(client: client, bucket: "writer", key: "small.jsonl", contentType: "application/x-ndjson",
                                   partBytes: S3Client.partBytesMin)
        try await small.write(Array("{\"a\":1}\n".utf8))
        try await small.write(Array("{\"a\":2}\n".utf8))
        #expect(!small.isMultipart)
        _ = try await small.finish()
        #expect(small.state == .finished)
        #expect(try await client.getObject(bucket: "writer", key: "small.jsonl").body == Array("{\"a\":1}\n{\"a\":2}\n".utf8))

        let body = Self.bytes(count: 11 << 20, seed: 12)
        var large = S3ObjectWriter(client: client, bucket: "writer", key: "large.bin", partBytes: S3Client.partBytesMin)
        var offset = 0
        var random = SplitMix64(seed: 13)
        while offset < body.count {
            let end = min(body.count, offset + 1 + random.below(3 << 20))
            try await large.write(Array(body[offset..<end]))
            offset = end
        }
        #expect(large.isMultipart)
        #expect(large.writtenBytes == Int64(body.count))
        let result = try await large.finish()
        #expect(result.etag.hasSuffix("-3\""))
        #expect(Digest.sha256(try await client.getObject(bucket: "writer", key: "large.bin").body) == Digest.sha256(body))

        var abandoned = S3ObjectWriter(client: client, bucket: "writer", key: "abandoned.bin", partBytes: S3Client.partBytesMin)
        try await abandoned.write(Self.bytes(count: S3Client.partBytesMin + 1, seed: 14))
        #expect(abandoned.isMultipart)
        await abandoned.abort()
        #expect(abandoned.state == .aborted)
        #expect(try await client.headObject(bucket: "writer", key: "abandoned.bin") == nil)
    }

    @Test("a missing bucket: NoSuchBucket naming the bucket; a missing key: NoSuchKey")
    func missing() async throws {
        let client = try Self.client()
        do {
            try await client.putObject(bucket: "no-such-bucket", key: "deals/1.jsonl", body: [1])
            Issue.record("PutObject into a missing bucket succeeded")
        } catch let error as S3Error {
            #expect(error.kind == .service)
            #expect(error.code == "NoSuchBucket")
            #expect(error.httpStatus == 404)
            #expect(error.bucket == "no-such-bucket")
            #expect(error.description.hasPrefix("s3 PutObject s3://no-such-bucket/deals/1.jsonl: NoSuchBucket: "))
            #expect(error.attempts == 1)
        }
        do {
            _ = try await client.listObjectsV2(bucket: "no-such-bucket")
            Issue.record("listing a missing bucket succeeded")
        } catch let error as S3Error {
            #expect(error.code == "NoSuchBucket")
            #expect(error.location == "s3://no-such-bucket")
        }
        try await client.createBucket("missing-keys")
        do {
            _ = try await client.getObject(bucket: "missing-keys", key: "nope")
            Issue.record("GetObject of a missing key succeeded")
        } catch let error as S3Error {
            #expect(error.code == "NoSuchKey")
            #expect(error.description.contains("s3://missing-keys/nope"))
        }
        #expect(try await client.headObject(bucket: "missing-keys", key: "nope") == nil)
    }

    @Test("an endpoint nobody listens on: a transport error after every attempt")
    func serverDown() async throws {
        let port = try FreePort.find()
        let client = try S3Client(configuration: S3Configuration(
            region: "us-east-1", endpoint: "http://127.0.0.1:\(port)",
            credentials: S3Credentials(accessKeyId: "a", secretAccessKey: "b"),
            requestTimeout: .seconds(5), retry: S3RetryPolicy(attemptsMax: 3, backoffInitial: .milliseconds(10))))
        do {
            try await client.putObject(bucket: "b-down", key: "k", body: [1])
            Issue.record("PutObject to a closed port succeeded")
        } catch let error as S3Error {
            #expect(error.kind == .transport)
            #expect(error.attempts == 3)
            #expect(error.isRetryable)
            #expect(error.description.hasPrefix("s3 PutObject s3://b-down/k: cannot connect"))
        }
    }
}

extension String {
    func leftPadded(_ width: Int) -> String { String(repeating: "0", count: max(0, width - count)) + self }
}
