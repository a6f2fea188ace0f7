import CXXHash
import CLibCrypto

/// XXH3-64, from Debian's libxxhash: the spool records' checksum.
enum XXH3 {
    /// XXH3-64 of `bytes` with `seed`.
    static func hash(_ bytes: UnsafeRawBufferPointer, seed: UInt64 = 0) -> UInt64 {
        // Safety: XXH3 reads exactly `count` bytes from the pointer; a nil base with count 0 is
        // allowed by the library.
        XXH3_64bits_withSeed(bytes.baseAddress, bytes.count, seed)
    }
}

/// SHA-1 through OpenSSL's EVP interface: the content hash in sealed fragment names.
/// Owns an EVP context; not shared across threads.
final class SHA1Hasher {
    private let context: OpaquePointer

    /// Bytes in a SHA-1 digest.
    static let digestBytes = 20

    init() {
        guard let context = EVP_MD_CTX_new() else { fatalError("EVP_MD_CTX_new failed: out of memory") }
        self.context = context
        reset()
    }

    deinit { EVP_MD_CTX_free(context) }

    func reset() {
        let ok = EVP_DigestInit_ex(context, EVP_sha1(), nil)
        precondition(ok == 1, "EVP_DigestInit_ex(sha1) failed")
    }

    func update(_ bytes: UnsafeRawBufferPointer) {
        guard bytes.count > 0 else { return }
        // Safety: OpenSSL reads `count` bytes from the pointer, which the caller keeps alive.
        let ok = EVP_DigestUpdate(context, bytes.baseAddress, bytes.count)
        precondition(ok == 1, "EVP_DigestUpdate failed")
    }

    /// The digest of everything updated since the last reset, as 40 lowercase hex digits.
    func finalizeHex() -> String {
        var digest = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var length: UInt32 = 0
        let ok = digest.withUnsafeMutableBufferPointer { EVP_DigestFinal_ex(context, $0.baseAddress, &length) }
        precondition(ok == 1 && length == UInt32(Self.digestBytes), "EVP_DigestFinal_ex failed")
        reset()
        return Hex.encode(digest[0..<Self.digestBytes])
    }

    /// SHA-1 of `bytes` as hex, in one call.
    static func hex(_ bytes: UnsafeRawBufferPointer) -> String {
        let hasher = SHA1Hasher()
        hasher.update(bytes)
        return hasher.finalizeHex()
    }
}

enum Hex {
    private static let digits: [UInt8] = Array("0123456789abcdef".utf8)

    static func encode(_ bytes: some Collection<UInt8>) -> String {
        var text: [UInt8] = []
        text.reserveCapacity(bytes.count * 2)
        for byte in bytes {
            text.append(digits[Int(byte >> 4)])
            text.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: text, as: UTF8.self)
    }

    /// `value` as exactly 16 lowercase hex digits.
    static func sixteenDigits(_ value: UInt64) -> String {
        let text = String(value, radix: 16)
        return String(repeating: "0", count: 16 - text.count) + text
    }
}
