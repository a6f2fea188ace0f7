// SluiceS3: an S3 client for Sluice's S3 materialization and, later, its fragment store
// (issue 9, docs/s3.md).
//
// Contents:
//
// - `SigV4Signer`: AWS Signature Version 4 (HMAC-SHA256 and SHA-256 from OpenSSL's libcrypto,
//   `Digest`): canonical request, string to sign, signing key, `Authorization` header. Tested
//   with AWS's published S3 examples.
// - `S3URIEncoding`: S3's URI encoding of keys and query parameters (RFC 3986 unreserved
//   characters kept, everything else `%XX`).
// - `S3Configuration` (region, endpoint, credentials, addressing, timeouts, `S3RetryPolicy`) and
//   `S3Addressing`: path style (`http://host/bucket/key`) for custom endpoints such as moto or
//   MinIO, virtual-host style (`https://bucket.s3.region.amazonaws.com/key`) for AWS.
// - `S3Transport`: the HTTP seam. `URLSessionTransport` (FoundationNetworking, libcurl
//   underneath) sends requests; tests substitute scripted transports.
// - `S3Client`: PutObject, GetObject, HeadObject, ListObjectsV2 (prefix, pagination),
//   DeleteObject, CreateBucket, and multipart uploads (create, upload part, complete, abort).
//   Each request is signed, sent with a timeout, and retried with exponential backoff and jitter
//   on transport failures, 5xx, throttling and S3's retryable codes.
// - `S3ObjectWriter`: streams an object: small ones as one PutObject, larger ones as a multipart
//   upload in parts of at least 5 MiB, aborted on failure.
// - `S3Error`: the operation, `s3://bucket/key`, the HTTP status, S3's error code, message and
//   request id parsed from its XML, and the number of attempts.
