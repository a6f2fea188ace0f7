// PostgresResult: the rows of one statement, held in libpq's result (text format), read by row
// and column with typed accessors, or as JSON through the type mapping.

import CLibPQ
public import SluiceDocument

/// The outcome of one statement: its rows (if any) and the command tag's row count.
public final class PostgresResult: @unchecked Sendable {
    // Safety: a PGresult is immutable once returned by libpq and may be read from any thread;
    // it is freed once, in deinit.
    private let handle: OpaquePointer?
    /// Rows the command touched (INSERT/UPDATE/DELETE/MERGE/COPY/SELECT), from the command tag.
    public let affectedRowCount: Int
    public let rowCount: Int
    public let columnCount: Int
    /// Column names, in order.
    public let columnNames: [String]
    /// Column type OIDs, in order.
    public let columnTypes: [PostgresOID]

    init(handle: OpaquePointer) {
        self.handle = handle
        rowCount = Int(PQntuples(handle))
        columnCount = Int(PQnfields(handle))
        columnNames = (0..<Int32(PQnfields(handle))).map { String(cString: PQfname(handle, $0)) }
        columnTypes = (0..<Int32(PQnfields(handle))).map { PQftype(handle, $0) }
        affectedRowCount = Int(String(cString: PQcmdTuples(handle))) ?? 0
    }

    /// A result without rows (a statement that returned nothing, or none was run).
    init() {
        handle = nil
        rowCount = 0
        columnCount = 0
        columnNames = []
        columnTypes = []
        affectedRowCount = 0
    }

    deinit { if let handle { PQclear(handle) } }

    public var rows: Rows { Rows(result: self) }

    /// The index of the column named `name`.
    public func columnIndex(_ name: String) -> Int? { columnNames.firstIndex(of: name) }

    public func isNull(row: Int, column: Int) -> Bool {
        precondition(row < rowCount && column < columnCount, "PostgresResult: row \(row), column \(column) out of range")
        return PQgetisnull(handle, Int32(row), Int32(column)) == 1
    }

    /// The value's text bytes (nil for NULL), valid inside `body` only.
    public func withText<Result>(row: Int, column: Int, _ body: (UnsafeRawBufferPointer) throws -> Result) rethrows -> Result? {
        if isNull(row: row, column: column) { return nil }
        // Safety: libpq keeps the value (NUL-terminated, `PQgetlength` bytes) alive as long as
        // the result, which `self` keeps alive for the call.
        let pointer = PQgetvalue(handle, Int32(row), Int32(column))!
        let length = Int(PQgetlength(handle, Int32(row), Int32(column)))
        return try withExtendedLifetime(self) {
            try body(UnsafeRawBufferPointer(start: UnsafeRawPointer(pointer), count: length))
        }
    }

    /// The rows as a sequence.
    public struct Rows: RandomAccessCollection, Sendable {
        let result: PostgresResult
        public var startIndex: Int { 0 }
        public var endIndex: Int { result.rowCount }
        public subscript(position: Int) -> PostgresRow { PostgresRow(result: result, index: position) }
    }
}

/// One row of a result.
public struct PostgresRow: Sendable {
    let result: PostgresResult
    public let index: Int

    public subscript(column: Int) -> PostgresCell { PostgresCell(result: result, row: index, column: column) }

    /// The cell of the column named `name` (a precondition: the column exists).
    public subscript(name: String) -> PostgresCell {
        guard let column = result.columnIndex(name) else {
            preconditionFailure("PostgresRow: no column \(name) among \(result.columnNames)")
        }
        return PostgresCell(result: result, row: index, column: column)
    }

    /// The row as a JSON object of its columns (types mapped by `registry`).
    public func jsonObject(registry: PostgresTypeRegistry = PostgresTypeRegistry()) throws(PostgresDecodingError) -> JSONValue {
        var builder = DocumentBuilder()
        var decoder = PostgresTextDecoder()
        builder.beginObject()
        for column in 0..<result.columnCount {
            builder.property(result.columnNames[column])
            try self[column].append(to: &builder, decoder: &decoder, mapping: registry.mapping(result.columnTypes[column]))
        }
        builder.endObject()
        do {
            return try builder.finish().jsonValue
        } catch {
            throw PostgresDecodingError("row \(index): \(error)")
        }
    }
}

/// One value of a result, with accessors that check its form. Each returns nil for SQL NULL and
/// throws if the text is not of the asked type.
public struct PostgresCell: Sendable {
    let result: PostgresResult
    public let row: Int
    public let column: Int

    public var columnName: String { result.columnNames[column] }
    public var typeOID: PostgresOID { result.columnTypes[column] }
    public var isNull: Bool { result.isNull(row: row, column: column) }

    /// The text form as the server sent it.
    public var string: String? { result.withText(row: row, column: column) { PostgresTextDecoder.string($0) } }

    public func int64() throws(PostgresDecodingError) -> Int64? {
        guard let text = string else { return nil }
        guard let value = Int64(text) else { throw mismatch("an integer", text) }
        return value
    }

    public func double() throws(PostgresDecodingError) -> Double? {
        guard let text = string else { return nil }
        switch text {
        case "NaN": return .nan
        case "Infinity": return .infinity
        case "-Infinity": return -.infinity
        default:
            guard let value = Double(text) else { throw mismatch("a number", text) }
            return value
        }
    }

    public func bool() throws(PostgresDecodingError) -> Bool? {
        guard let text = string else { return nil }
        switch text {
        case "t": return true
        case "f": return false
        default: throw mismatch("a boolean", text)
        }
    }

    /// bytea values (hex text) as bytes.
    public func bytes() throws(PostgresDecodingError) -> [UInt8]? {
        guard let text = string else { return nil }
        let utf8 = Array(text.utf8)
        guard utf8.count >= 2, utf8[0] == UInt8(ascii: "\\"), utf8[1] == UInt8(ascii: "x"), utf8.count % 2 == 0 else {
            throw mismatch("bytea hex text", text)
        }
        var bytes: [UInt8] = []
        var index = 2
        while index < utf8.count {
            guard let high = PostgresTextDecoder.hexValue(utf8[index]), let low = PostgresTextDecoder.hexValue(utf8[index + 1]) else {
                throw mismatch("bytea hex text", text)
            }
            bytes.append(high << 4 | low)
            index += 2
        }
        return bytes
    }

    /// The value through the type mapping (docs/postgres.md); `.null` for SQL NULL.
    public func jsonValue(registry: PostgresTypeRegistry = PostgresTypeRegistry()) throws(PostgresDecodingError) -> JSONValue {
        var builder = DocumentBuilder()
        var decoder = PostgresTextDecoder()
        try append(to: &builder, decoder: &decoder, mapping: registry.mapping(typeOID))
        do {
            return try builder.finish().jsonValue
        } catch {
            throw PostgresDecodingError("column \(columnName): \(error)")
        }
    }

    /// Appends the value (or null) to `builder`.
    public func append(to builder: inout DocumentBuilder, decoder: inout PostgresTextDecoder,
                       mapping: PostgresJSONMapping) throws(PostgresDecodingError) {
        let outcome: Result<Void, PostgresDecodingError>? = result.withText(row: row, column: column) { text in
            do throws(PostgresDecodingError) {
                try decoder.append(text, as: mapping, to: &builder)
                return .success(())
            } catch {
                return .failure(error)
            }
        }
        guard let outcome else {
            builder.null()
            return
        }
        do {
            try outcome.get()
        } catch {
            throw PostgresDecodingError("column \(columnName), row \(row): \(error.description)")
        }
    }

    private func mismatch(_ expected: String, _ text: String) -> PostgresDecodingError {
        PostgresDecodingError("column \(columnName), row \(row): expected \(expected), found \(text.prefix(60))")
    }
}
