/// Which sealed fragments retention drops: always a prefix of the index (the oldest), so the
/// journal stays contiguous from its new first offset; never the spool.
///
/// The oldest fragment is dropped while either rule says so:
/// - by bytes (`retentionBytes` > 0): the journal still holds at least `retentionBytes` newer
///   bytes without it (`head - fragment.end >= retentionBytes`), so the last `retentionBytes`
///   bytes are always kept;
/// - by age (`retentionAgeSeconds` > 0): it was sealed (its file last modified) at least
///   `retentionAgeSeconds` ago.
public enum Retention {
    public static func fragmentsToDrop(_ fragments: [SealedFragment], head: Int64, spec: JournalSpec,
                                       nowNanoseconds: Int64) -> [SealedFragment] {
        var dropped: [SealedFragment] = []
        for fragment in fragments.sorted(by: { $0.begin < $1.begin }) {
            let byBytes = spec.retentionBytes > 0 && head - fragment.end >= spec.retentionBytes
            let byAge = spec.retentionAgeSeconds > 0
                && nowNanoseconds - fragment.modificationTimeNanoseconds >= spec.retentionAgeSeconds * 1_000_000_000
            guard byBytes || byAge else { break }
            dropped.append(fragment)
        }
        return dropped
    }
}
