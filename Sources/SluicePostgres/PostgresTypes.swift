// PostgreSQL types as JSON: which JSON shape each column type maps to (docs/postgres.md, "Type
// mapping"). Built-in types are known by OID; others (enums, domains, arrays of them) are
// looked up in `pg_type` by `PostgresTypeRegistry`.

/// A PostgreSQL type OID.
public typealias PostgresOID = UInt32

/// The OIDs of the built-in types this module maps specially.
public enum PostgresBuiltinType {
    public static let bool: PostgresOID = 16
    public static let bytea: PostgresOID = 17
    public static let char: PostgresOID = 18
    public static let name: PostgresOID = 19
    public static let int8: PostgresOID = 20
    public static let int2: PostgresOID = 21
    public static let int4: PostgresOID = 23
    public static let text: PostgresOID = 25
    public static let oid: PostgresOID = 26
    public static let xid: PostgresOID = 28
    public static let json: PostgresOID = 114
    public static let float4: PostgresOID = 700
    public static let float8: PostgresOID = 701
    public static let bpchar: PostgresOID = 1042
    public static let varchar: PostgresOID = 1043
    public static let date: PostgresOID = 1082
    public static let time: PostgresOID = 1083
    public static let timestamp: PostgresOID = 1114
    public static let timestamptz: PostgresOID = 1184
    public static let interval: PostgresOID = 1186
    public static let timetz: PostgresOID = 1266
    public static let numeric: PostgresOID = 1700
    public static let uuid: PostgresOID = 2950
    public static let pgLSN: PostgresOID = 3220
    public static let jsonb: PostgresOID = 3802
}

/// The JSON shape of a PostgreSQL type's values (their text form decoded).
public indirect enum PostgresJSONMapping: Sendable, Hashable {
    /// bool → true/false.
    case boolean
    /// int2, int4, int8, oid, xid → integer.
    case integer
    /// float4, float8 → number; NaN and ±Infinity → the strings "NaN", "Infinity", "-Infinity".
    case float
    /// numeric → an integer when integral and within 64 bits, a double when the double's
    /// shortest decimal is exactly the value, else the exact decimal as a string.
    case numeric
    /// timestamp (without time zone) → RFC 3339 string in UTC (`2024-01-02T03:04:05.5Z`).
    case timestamp
    /// timestamptz → RFC 3339 string (the session's time zone is UTC: `…Z`).
    case timestampWithTimeZone
    /// json, jsonb → the JSON value embedded.
    case json
    /// bytea → base64 string (RFC 4648, padded).
    case bytea
    /// Everything else → the server's text form as a string (text, varchar, uuid, date, time,
    /// interval in ISO 8601, enums, inet, money, …).
    case text
    /// An array of the element mapping → JSON array (nested for more dimensions, NULL → null).
    case array(element: PostgresJSONMapping, delimiter: UInt8)

    /// The mapping of a built-in type, or nil when the OID is not a built-in this module knows.
    public static func builtin(_ oid: PostgresOID) -> PostgresJSONMapping? {
        switch oid {
        case PostgresBuiltinType.bool: return .boolean
        case PostgresBuiltinType.int2, PostgresBuiltinType.int4, PostgresBuiltinType.int8, PostgresBuiltinType.oid,
             PostgresBuiltinType.xid: return .integer
        case PostgresBuiltinType.float4, PostgresBuiltinType.float8: return .float
        case PostgresBuiltinType.numeric: return .numeric
        case PostgresBuiltinType.timestamp: return .timestamp
        case PostgresBuiltinType.timestamptz: return .timestampWithTimeZone
        case PostgresBuiltinType.json, PostgresBuiltinType.jsonb: return .json
        case PostgresBuiltinType.bytea: return .bytea
        case PostgresBuiltinType.text, PostgresBuiltinType.varchar, PostgresBuiltinType.bpchar, PostgresBuiltinType.name,
             PostgresBuiltinType.char, PostgresBuiltinType.uuid, PostgresBuiltinType.date, PostgresBuiltinType.time,
             PostgresBuiltinType.timetz, PostgresBuiltinType.interval, PostgresBuiltinType.pgLSN: return .text
        default:
            if let element = builtinArrayElements[oid], let mapping = builtin(element) {
                return .array(element: mapping, delimiter: UInt8(ascii: ","))
            }
            return nil
        }
    }

    /// Array type OID → element type OID, for the built-ins above.
    static let builtinArrayElements: [PostgresOID: PostgresOID] = [
        1000: PostgresBuiltinType.bool, 1001: PostgresBuiltinType.bytea, 1002: PostgresBuiltinType.char,
        1003: PostgresBuiltinType.name, 1016: PostgresBuiltinType.int8, 1005: PostgresBuiltinType.int2,
        1007: PostgresBuiltinType.int4, 1009: PostgresBuiltinType.text, 1028: PostgresBuiltinType.oid,
        199: PostgresBuiltinType.json, 1021: PostgresBuiltinType.float4, 1022: PostgresBuiltinType.float8,
        1014: PostgresBuiltinType.bpchar, 1015: PostgresBuiltinType.varchar, 1182: PostgresBuiltinType.date,
        1183: PostgresBuiltinType.time, 1115: PostgresBuiltinType.timestamp, 1185: PostgresBuiltinType.timestamptz,
        1187: PostgresBuiltinType.interval, 1270: PostgresBuiltinType.timetz, 1231: PostgresBuiltinType.numeric,
        2951: PostgresBuiltinType.uuid, 3807: PostgresBuiltinType.jsonb,
    ]
}

/// OID → mapping for built-ins and for the types of one database (looked up in `pg_type`:
/// domains map as their base type, arrays as arrays of their element, enums and everything else
/// as text).
public struct PostgresTypeRegistry: Sendable {
    private var known: [PostgresOID: PostgresJSONMapping] = [:]

    public init() {}

    /// The mapping of `oid`: built-in, looked up earlier, or text.
    public func mapping(_ oid: PostgresOID) -> PostgresJSONMapping {
        known[oid] ?? PostgresJSONMapping.builtin(oid) ?? .text
    }

    /// True when `oid` is built in or was resolved.
    public func knows(_ oid: PostgresOID) -> Bool { known[oid] != nil || PostgresJSONMapping.builtin(oid) != nil }

    /// Looks up the OIDs that are neither built in nor known yet (and what they refer to).
    public mutating func resolve(_ oids: some Sequence<PostgresOID>, on connection: PostgresConnection) throws(PostgresError) {
        var pending = Set(oids.filter { !knows($0) })
        var rows: [PostgresOID: (type: String, category: String, element: PostgresOID, base: PostgresOID, delimiter: UInt8)] = [:]
        // Follow element and base types until everything is built in or fetched (bounded: a
        // chain of domains and arrays is short; 16 rounds is far beyond any real schema).
        var rounds = 0
        while !pending.isEmpty, rounds < 16 {
            rounds += 1
            let list = pending.sorted().map { PostgresValue.int(Int64($0)) }
            let result = try connection.query(
                "SELECT oid, typtype, typcategory, typelem, typbasetype, typdelim FROM pg_catalog.pg_type WHERE oid = ANY($1::oid[])",
                [.array(list)])
            pending = []
            for row in result.rows {
                let oid = PostgresOID(row[0].string.flatMap { UInt32($0) } ?? 0)
                let element = PostgresOID(row[3].string.flatMap { UInt32($0) } ?? 0)
                let base = PostgresOID(row[4].string.flatMap { UInt32($0) } ?? 0)
                let delimiter = row[5].string?.utf8.first ?? UInt8(ascii: ",")
                rows[oid] = (row[1].string ?? "b", row[2].string ?? "U", element, base, delimiter)
                for next in [element, base] where next != 0 && !knows(next) && rows[next] == nil { pending.insert(next) }
            }
        }
        func mappingOf(_ oid: PostgresOID, depth: Int) -> PostgresJSONMapping {
            if let mapping = known[oid] ?? PostgresJSONMapping.builtin(oid) { return mapping }
            guard depth < 16, let row = rows[oid] else { return .text }
            if row.type == "d", row.base != 0 { return mappingOf(row.base, depth: depth + 1) }
            // Arrays are category 'A' (`point` also has an element type, but its text is no
            // array literal); the literal separates elements with the element type's delimiter.
            if row.category == "A", row.element != 0 {
                let delimiter = rows[row.element]?.delimiter ?? UInt8(ascii: ",")
                return .array(element: mappingOf(row.element, depth: depth + 1), delimiter: delimiter)
            }
            return .text
        }
        for oid in rows.keys { known[oid] = mappingOf(oid, depth: 0) }
    }
}
