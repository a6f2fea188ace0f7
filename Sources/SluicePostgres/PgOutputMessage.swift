// PgOutputMessage: the messages of PostgreSQL's built-in logical decoding plugin `pgoutput`
// (protocol version 1), as they arrive inside XLogData. Byte layouts are PostgreSQL's "Logical
// Replication Message Formats"; integers are big-endian, strings NUL-terminated, column values
// in text format. Tuple values are ranges into the message's bytes, so decoding copies nothing.

/// One column value of a replicated row.
public enum PgOutputValue: Sendable, Equatable {
    case null
    /// A TOASTed value the update did not change: the server did not send it.
    case unchanged
    /// The value's text form: these bytes of the message.
    case text(Range<Int>)
}

/// A relation (table) as the stream describes it; sent before its first change in a session and
/// again after its schema changes.
public struct PgOutputRelation: Sendable, Equatable {
    public struct Column: Sendable, Equatable {
        /// Part of the replica identity (for FULL, every column).
        public var isIdentity: Bool
        public var name: String
        public var typeOID: PostgresOID
        public var typeModifier: Int32
    }

    public var id: UInt32
    public var schema: String
    public var name: String
    /// `d` default (primary key), `f` full, `i` index, `n` nothing.
    public var replicaIdentity: UInt8
    public var columns: [Column]
}

/// A pgoutput message.
public enum PgOutputMessage: Sendable, Equatable {
    case begin(finalLSN: PostgresLSN, commitMicroseconds: Int64, xid: UInt32)
    case commit(commitLSN: PostgresLSN, endLSN: PostgresLSN, commitMicroseconds: Int64)
    case relation(PgOutputRelation)
    case insert(relation: UInt32, new: [PgOutputValue])
    /// `oldKind` is `K` (old key columns, the key changed), `O` (old row, REPLICA IDENTITY
    /// FULL), or 0 when no old values were sent.
    case update(relation: UInt32, oldKind: UInt8, old: [PgOutputValue], new: [PgOutputValue])
    case delete(relation: UInt32, oldKind: UInt8, old: [PgOutputValue])
    /// Origin, type, truncate and logical messages: not used by the change source.
    case other(tag: UInt8)

    /// Microseconds from the Unix epoch to PostgreSQL's epoch (2000-01-01 UTC).
    public static let postgresEpochMicroseconds: Int64 = 946_684_800_000_000

    /// Decodes one message from `bytes` (the XLogData payload).
    public static func decode(_ bytes: [UInt8]) throws(PgOutputDecodingError) -> PgOutputMessage {
        var reader = PgOutputReader(bytes: bytes)
        let tag = try reader.byte()
        switch tag {
        case UInt8(ascii: "B"):
            let finalLSN = PostgresLSN(try reader.uint64())
            let time = Int64(bitPattern: try reader.uint64())
            return .begin(finalLSN: finalLSN, commitMicroseconds: time, xid: try reader.uint32())
        case UInt8(ascii: "C"):
            _ = try reader.byte()  // flags, unused
            let commitLSN = PostgresLSN(try reader.uint64())
            let endLSN = PostgresLSN(try reader.uint64())
            return .commit(commitLSN: commitLSN, endLSN: endLSN, commitMicroseconds: Int64(bitPattern: try reader.uint64()))
        case UInt8(ascii: "R"):
            let id = try reader.uint32()
            let schema = try reader.string()
            let name = try reader.string()
            let identity = try reader.byte()
            let count = Int(try reader.uint16())
            var columns: [PgOutputRelation.Column] = []
            columns.reserveCapacity(count)
            for _ in 0..<count {
                let flags = try reader.byte()
                let column = try reader.string()
                let type = try reader.uint32()
                let modifier = Int32(bitPattern: try reader.uint32())
                columns.append(.init(isIdentity: flags & 1 == 1, name: column, typeOID: type, typeModifier: modifier))
            }
            return .relation(PgOutputRelation(id: id, schema: schema, name: name, replicaIdentity: identity, columns: columns))
        case UInt8(ascii: "I"):
            let relation = try reader.uint32()
            try reader.expect(UInt8(ascii: "N"))
            return .insert(relation: relation, new: try reader.tuple())
        case UInt8(ascii: "U"):
            let relation = try reader.uint32()
            var kind = try reader.byte()
            var old: [PgOutputValue] = []
            if kind == UInt8(ascii: "K") || kind == UInt8(ascii: "O") {
                old = try reader.tuple()
                try reader.expect(UInt8(ascii: "N"))
            } else {
                guard kind == UInt8(ascii: "N") else { throw reader.failure("expected K, O or N in an update") }
                kind = 0
            }
            return .update(relation: relation, oldKind: kind, old: old, new: try reader.tuple())
        case UInt8(ascii: "D"):
            let relation = try reader.uint32()
            let kind = try reader.byte()
            guard kind == UInt8(ascii: "K") || kind == UInt8(ascii: "O") else { throw reader.failure("expected K or O in a delete") }
            return .delete(relation: relation, oldKind: kind, old: try reader.tuple())
        default:
            return .other(tag: tag)
        }
    }
}

/// A pgoutput message that does not parse.
public struct PgOutputDecodingError: Error, Sendable, CustomStringConvertible {
    public let description: String
}

/// A cursor over a message's bytes.
struct PgOutputReader {
    let bytes: [UInt8]
    var offset = 0

    func failure(_ message: String) -> PgOutputDecodingError {
        PgOutputDecodingError(description: "pgoutput message (tag \(bytes.first.map { String(UnicodeScalar($0)) } ?? "?")), byte \(offset): \(message)")
    }

    mutating func byte() throws(PgOutputDecodingError) -> UInt8 {
        guard offset < bytes.count else { throw failure("truncated") }
        defer { offset += 1 }
        return bytes[offset]
    }

    mutating func expect(_ value: UInt8) throws(PgOutputDecodingError) {
        let found = try byte()
        guard found == value else { throw failure("expected \(UnicodeScalar(value)), found byte \(found)") }
    }

    mutating func bigEndian(_ count: Int) throws(PgOutputDecodingError) -> UInt64 {
        guard offset + count <= bytes.count else { throw failure("truncated") }
        var value: UInt64 = 0
        for index in offset..<(offset + count) { value = value << 8 | UInt64(bytes[index]) }
        offset += count
        return value
    }

    mutating func uint16() throws(PgOutputDecodingError) -> UInt16 { UInt16(try bigEndian(2)) }
    mutating func uint32() throws(PgOutputDecodingError) -> UInt32 { UInt32(try bigEndian(4)) }
    mutating func uint64() throws(PgOutputDecodingError) -> UInt64 { try bigEndian(8) }

    mutating func string() throws(PgOutputDecodingError) -> String {
        guard let end = bytes[offset...].firstIndex(of: 0) else { throw failure("unterminated string") }
        defer { offset = end + 1 }
        return String(decoding: bytes[offset..<end], as: UTF8.self)
    }

    mutating func tuple() throws(PgOutputDecodingError) -> [PgOutputValue] {
        let count = Int(try uint16())
        var values: [PgOutputValue] = []
        values.reserveCapacity(count)
        for _ in 0..<count {
            switch try byte() {
            case UInt8(ascii: "n"): values.append(.null)
            case UInt8(ascii: "u"): values.append(.unchanged)
            case UInt8(ascii: "t"):
                let length = Int(try uint32())
                guard offset + length <= bytes.count else { throw failure("truncated column value") }
                values.append(.text(offset..<(offset + length)))
                offset += length
            case let kind: throw failure("unknown column value kind \(kind)")
            }
        }
        return values
    }
}
