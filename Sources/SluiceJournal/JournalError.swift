#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Everything that can go wrong in a journal. Each case names the place at fault: the journal,
/// the file and position, the offset, or the spec field.
public enum JournalError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A journal name breaks the naming rules (`JournalName`).
    case invalidName(String, reason: String)
    /// A spec field is out of its range or malformed.
    case invalidSpec(field: String, reason: String)
    /// A system call failed on a path.
    case io(operation: String, path: String, errorNumber: Int32)
    /// No journal of that name exists under the data directory.
    case journalNotFound(name: String, dataDirectory: String)
    /// Another process (or another `Journal` in this one) holds the journal's lock.
    case journalLocked(name: String, lockPath: String)
    /// A spool record is corrupt where the journal can prove it had been committed.
    case corruptSpool(path: String, position: Int64, offset: Int64, reason: String)
    /// A sealed fragment's content does not match its name or its frames' checksums.
    /// `position` is the byte position in the file, `offset` the journal offset, when known.
    case corruptFragment(path: String, position: Int64?, offset: Int64?, reason: String)
    /// The store's files contradict each other (for example a spool overlapping a fragment).
    case inconsistentStore(path: String, reason: String)
    /// A read asked for an offset beyond the journal's head.
    case offsetBeyondHead(offset: Int64, head: Int64)
    /// A read asked for an offset below -1, or an end before its begin.
    case invalidOffset(Int64, reason: String)
    /// An append is larger than `Journal.appendBytesMax`.
    case appendTooLarge(bytes: Int, limit: Int)
    /// An append carried an expected offset, and the head was elsewhere.
    case unexpectedOffset(expected: Int64, head: Int64)
    /// An earlier fsync or write failed; the journal refuses appends until reopened.
    case journalFailed(name: String, reason: String)
    /// The journal was closed.
    case journalClosed(name: String)
    /// The journal was opened read-only.
    case readOnly(name: String, operation: String)

    /// True when the caller's input is at fault (exit code 1), false for the environment or
    /// stored data (exit code 2).
    public var isUserError: Bool {
        switch self {
        case .invalidName, .invalidSpec, .journalNotFound, .offsetBeyondHead, .invalidOffset,
             .appendTooLarge, .unexpectedOffset, .readOnly, .journalLocked:
            return true
        case .io, .corruptSpool, .corruptFragment, .inconsistentStore, .journalFailed, .journalClosed:
            return false
        }
    }

    public var description: String {
        switch self {
        case .invalidName(let name, let reason):
            return "invalid journal name \"\(name)\": \(reason)"
        case .invalidSpec(let field, let reason):
            return "invalid journal spec: \(field): \(reason)"
        case .io(let operation, let path, let errorNumber):
            return "\(operation) \(path): \(String(cString: strerror(errorNumber))) (errno \(errorNumber))"
        case .journalNotFound(let name, let dataDirectory):
            return "journal \(name) does not exist under \(dataDirectory)"
        case .journalLocked(let name, let lockPath):
            return "journal \(name) is open for appends elsewhere (lock \(lockPath) is held)"
        case .corruptSpool(let path, let position, let offset, let reason):
            return "corrupt spool \(path) at file position \(position) (journal offset \(offset)): \(reason)"
        case .corruptFragment(let path, let position, let offset, let reason):
            var place = path
            if let position { place += " at file position \(position)" }
            if let offset { place += position == nil ? " at journal offset \(offset)" : " (journal offset \(offset))" }
            return "corrupt fragment \(place): \(reason)"
        case .inconsistentStore(let path, let reason):
            return "inconsistent journal files in \(path): \(reason)"
        case .offsetBeyondHead(let offset, let head):
            return "offset \(offset) is beyond the journal's head \(head)"
        case .invalidOffset(let offset, let reason):
            return "invalid offset \(offset): \(reason)"
        case .appendTooLarge(let bytes, let limit):
            return "append of \(bytes) bytes is larger than the limit of \(limit) bytes"
        case .unexpectedOffset(let expected, let head):
            return "append expected the head at offset \(expected), but it is at \(head)"
        case .journalFailed(let name, let reason):
            return "journal \(name) failed and refuses appends until reopened: \(reason)"
        case .journalClosed(let name):
            return "journal \(name) is closed"
        case .readOnly(let name, let operation):
            return "journal \(name) is open read-only; cannot \(operation)"
        }
    }
}
