/// `Authorization: Bearer TOKEN` checked in constant time: the comparison reads every byte of
/// the longer of the two whatever they hold, so its time tells nothing of where they differ.
struct BearerToken: Sendable {
    let expected: [UInt8]

    init(_ token: String) { expected = Array(token.utf8) }

    /// True when `authorization` is `Bearer <token>` (the scheme case-insensitive) with the token.
    func accepts(_ authorization: String?) -> Bool {
        guard let authorization else { return false }
        let bytes = Array(authorization.utf8)
        let scheme = Array("bearer ".utf8)
        guard bytes.count >= scheme.count,
              zip(bytes.prefix(scheme.count), scheme).allSatisfy({ ($0 | 0x20) == $1 || ($0 == 0x20 && $1 == 0x20) })
        else { return false }
        return Self.constantTimeEqual(Array(bytes.dropFirst(scheme.count)), expected)
    }

    static func constantTimeEqual(_ left: [UInt8], _ right: [UInt8]) -> Bool {
        var difference = UInt64(left.count ^ right.count)
        for index in 0..<max(left.count, right.count) {
            let a = index < left.count ? left[index] : 0
            let b = index < right.count ? right[index] : 0
            difference |= UInt64(a ^ b)
        }
        return difference == 0
    }
}
