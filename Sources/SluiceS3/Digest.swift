import CLibCrypto

/// SHA-256 and HMAC-SHA256 from OpenSSL's libcrypto, as SigV4 needs them.
public enum Digest {
    /// SHA-256 of `bytes` (32 bytes).
    public static func sha256(_ bytes: [UInt8]) -> [UInt8] {
        var digest = [UInt8](repeating: 0, count: Int(SHA256_DIGEST_LENGTH))
        // Safety: input and output pointers are used only inside the closures; the output
        // buffer holds SHA256_DIGEST_LENGTH bytes.
        bytes.withUnsafeBytes { input in
            digest.withUnsafeMutableBufferPointer { output in
                _ = SHA256(input.baseAddress?.assumingMemoryBound(to: UInt8.self), input.count, output.baseAddress)
            }
        }
        return digest
    }

    /// HMAC-SHA256 of `message` under `key` (32 bytes).
    public static func hmacSHA256(key: [UInt8], _ message: [UInt8]) -> [UInt8] {
        var digest = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var length: UInt32 = 0
        // Safety: all pointers live only inside the closures; the output buffer holds
        // EVP_MAX_MD_SIZE bytes, the most HMAC writes.
        key.withUnsafeBytes { keyBytes in
            message.withUnsafeBytes { messageBytes in
                digest.withUnsafeMutableBufferPointer { output in
                    let result = HMAC(EVP_sha256(), keyBytes.baseAddress, Int32(keyBytes.count),
                                      messageBytes.baseAddress?.assumingMemoryBound(to: UInt8.self), messageBytes.count,
                                      output.baseAddress, &length)
                    precondition(result != nil, "HMAC-SHA256 failed in libcrypto")
                }
            }
        }
        return Array(digest[..<Int(length)])
    }

    public static func sha256(_ text: String) -> [UInt8] { sha256(Array(text.utf8)) }

    public static func hmacSHA256(key: [UInt8], _ message: String) -> [UInt8] { hmacSHA256(key: key, Array(message.utf8)) }

    /// Lower-case hexadecimal.
    public static func hex(_ bytes: some Sequence<UInt8>) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var text: [UInt8] = []
        for byte in bytes {
            text.append(digits[Int(byte >> 4)])
            text.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: text, as: UTF8.self)
    }

    /// The SHA-256 of no bytes, in hex: the payload hash of requests without a body.
    public static let emptySHA256Hex = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
}

