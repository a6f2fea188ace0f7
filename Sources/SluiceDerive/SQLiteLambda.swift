// SQLiteLambda: one transform's SQL, prepared once and run for every source document
// (SEMANTICS.md §5, docs/derivations.md "Lambdas").
import Foundation
public import SluiceDocument
public import SluiceSQLite

/// A transform's lambda: one or more SQL statements, prepared once, run in order for each
/// source document with their `$parameters` bound from the document. Every row any statement
/// returns becomes a published document: columns become properties (a column that is just a
/// parameter is named by its field: `$customer` → `customer`); text shaped like a JSON object
/// or array (`{…}`, `[…]`) that parses is that JSON; a statement whose only column's name
/// starts with `json` (`json_object(…)`, `JSON(…)`) publishes that column as the whole
/// document. Integers, reals, text and null map to JSON; non-finite reals become the strings
/// `inf`, `-inf`, `NaN`; blobs become base64 strings.
///
/// Binding: null and missing locations bind null, booleans 1 or 0, integers as integers
/// (unsigned ones beyond Int64 as reals), numbers as reals, strings as text, arrays and
/// objects (and `$flow_document`) as their canonical JSON text.
public final class SQLiteLambda {
    public let derivation: String
    public let transform: String
    /// The file the SQL came from, if not inline (errors name it).
    public let file: String?
    public let sql: String
    let statements: [Statement]
    /// The bound locations, one component each.
    let locations: KeyExtractor
    private var builder = DocumentBuilder()
    private var parser = JSONParser()
    private var scratch: [UInt8] = []

    struct Binding {
        /// 1-based SQLite parameter index.
        let parameter: Int
        /// Component of `locations`.
        let component: Int
    }

    enum Output {
        /// No columns (INSERT, UPDATE, DELETE without RETURNING): nothing to publish.
        case nothing
        /// Each column a property: its name's UTF-8.
        case columns([[UInt8]])
        /// A single `json…` column: the whole document.
        case document
    }

    struct Statement {
        let statement: SQLiteStatement
        /// 1-based position in the lambda.
        let number: Int
        /// Where it begins in the lambda's SQL.
        let line: Int
        let column: Int
        let bindings: [Binding]
        let output: Output
    }

    /// Prepares `sql` on `database` (after the migrations created the tables it uses),
    /// resolving its parameters against `fields`. Throws `DerivationError` naming the place of
    /// the first problem: SQL that does not prepare, an anonymous or unknown parameter.
    public init(derivation: String, transform: String, sql: String, file: String? = nil, database: SQLiteDatabase,
                fields: LambdaFields) throws(DerivationError) {
        self.derivation = derivation
        self.transform = transform
        self.file = file
        self.sql = sql
        func place(_ offset: Int?) -> String? {
            guard let offset else { return file.map { "\(($0 as NSString).lastPathComponent)" } }
            let (line, column) = lineAndColumn(ofByteOffset: offset, in: sql)
            if let file { return "\((file as NSString).lastPathComponent):\(line):\(column)" }
            return "lambda line \(line), column \(column)"
        }
        let prepared: [SQLiteStatement]
        do {
            prepared = try database.prepareAll(sql)
        } catch {
            throw DerivationError(derivation: derivation, transform: transform, place: place(error.offset), message: error.message)
        }
        var pointers: [JSONPointer] = []
        var components: [JSONPointer: Int] = [:]
        var statements: [Statement] = []
        var cursor = sql.startIndex
        for (position, statement) in prepared.enumerated() {
            // Where the statement starts in the lambda (for positions in errors).
            var start = cursor
            if let found = sql.range(of: statement.sql, range: cursor..<sql.endIndex) {
                start = found.lowerBound
                cursor = found.upperBound
            }
            let startOffset = sql.utf8.distance(from: sql.startIndex, to: start)
            let (line, column) = lineAndColumn(ofByteOffset: startOffset, in: sql)
            var bindings: [Binding] = []
            if statement.parameterCount > 0 {
                for index in 1...statement.parameterCount {
                    let offset = { (name: String) -> Int in
                        startOffset + Self.byteOffset(ofParameter: name, in: statement.sql)
                    }
                    guard let name = statement.parameterName(at: index) else {
                        throw DerivationError(derivation: derivation, transform: transform,
                                              place: place(startOffset + Self.byteOffset(ofParameter: "?", in: statement.sql)),
                                              message: "an anonymous parameter (?) binds nothing: name a field of the source, like $id")
                    }
                    guard name.hasPrefix("$") else {
                        throw DerivationError(derivation: derivation, transform: transform, place: place(offset(name)),
                                              message: "parameter \(name): parameters are written $field (for example $id or $customer$name)")
                    }
                    switch fields.resolve(name) {
                    case .failure(let unknown):
                        throw DerivationError(derivation: derivation, transform: transform, place: place(offset(name)),
                                              message: unknown.description)
                    case .success(let field):
                        let component: Int
                        if let existing = components[field.pointer] {
                            component = existing
                        } else {
                            component = pointers.count
                            components[field.pointer] = component
                            pointers.append(field.pointer)
                        }
                        bindings.append(Binding(parameter: index, component: component))
                    }
                }
            }
            let output: Output
            let columnCount = statement.columnCount
            if columnCount == 0 {
                output = .nothing
            } else if columnCount == 1, statement.columnName(at: 0).lowercased().hasPrefix("json") {
                output = .document
            } else {
                var names: [[UInt8]] = []
                for index in 0..<columnCount {
                    var name = statement.columnName(at: index)
                    // A column that is just a parameter is named by the parameter's field.
                    if name.hasPrefix("$"), case .success(let field) = fields.resolve(name) { name = field.field }
                    names.append(Array(name.utf8))
                }
                output = .columns(names)
            }
            statements.append(Statement(statement: statement, number: position + 1, line: line, column: column,
                                        bindings: bindings, output: output))
        }
        self.statements = statements
        self.locations = KeyExtractor(pointers: pointers)
    }

    /// Where `parameter` first appears in `sql` as a whole token (0 when not found).
    static func byteOffset(ofParameter parameter: String, in sql: String) -> Int {
        let bytes = Array(sql.utf8)
        let wanted = Array(parameter.utf8)
        guard !wanted.isEmpty, bytes.count >= wanted.count else { return 0 }
        for start in 0...(bytes.count - wanted.count) where bytes[start..<(start + wanted.count)].elementsEqual(wanted) {
            let after = start + wanted.count
            let isIdentifier = { (byte: UInt8) in
                byte == 0x24 || byte == 0x5F || byte >= 0x80 || (byte >= 0x30 && byte <= 0x39) || ((byte | 0x20) >= 0x61 && (byte | 0x20) <= 0x7A)
            }
            if after < bytes.count, isIdentifier(bytes[after]), wanted.last.map(isIdentifier) == true { continue }
            return start
        }
        return 0
    }

    /// The distinct fields the lambda binds, in order of first use.
    public var boundPointers: [JSONPointer] { locations.pointers }

    /// True if no statement writes (the lambda keeps no state).
    public var isReadOnly: Bool { statements.allSatisfy { $0.statement.isReadOnly } }

    /// Runs every statement for `document`, in order, publishing each returned row.
    public func invoke(_ document: Document, publish: (Document) throws -> Void) throws {
        let root = document.root
        for statement in statements {
            do {
                for binding in statement.bindings {
                    try bind(locations.node(binding.component, in: root), to: statement.statement, at: binding.parameter)
                }
                defer { statement.statement.reset() }
                while try statement.statement.step() {
                    let row: Document
                    do {
                        row = try makeDocument(statement)
                    } catch let error as DerivationError {
                        throw error
                    } catch {
                        throw failure(statement, "its row is not a valid document: \(error)")
                    }
                    try publish(row)
                }
            } catch let error as SQLiteError {
                throw failure(statement, error.message)
            }
        }
    }

    private func failure(_ statement: Statement, _ message: String) -> DerivationError {
        let where_ = file.map { "\(($0 as NSString).lastPathComponent):\(statement.line):\(statement.column)" }
            ?? "lambda line \(statement.line), column \(statement.column)"
        return DerivationError(derivation: derivation, transform: transform,
                               place: "statement \(statement.number) (\(where_))", message: message)
    }

    // MARK: - Binding

    private func bind(_ node: Node?, to statement: SQLiteStatement, at index: Int) throws {
        guard let node else { return try statement.bindNull(at: index) }
        switch node.kind {
        case .null:
            try statement.bindNull(at: index)
        case .boolean:
            try statement.bind(Int64(node.bool! ? 1 : 0), at: index)
        case .number:
            switch node.number! {
            case .int(let value): try statement.bind(value, at: index)
            case .uint(let value): try statement.bind(Double(value), at: index)
            case .double(let value): try statement.bind(value, at: index)
            }
        case .string:
            try node.withUTF8 { bytes in try statement.bindText(bytes, at: index) }
        case .array, .object:
            scratch.removeAll(keepingCapacity: true)
            JSONSerializer.append(node, to: &scratch)
            try scratch.withUnsafeBytes { bytes in try statement.bindText(bytes, at: index) }
        }
    }

    // MARK: - Rows to documents

    private func makeDocument(_ statement: Statement) throws -> Document {
        let handle = statement.statement
        switch statement.output {
        case .nothing:
            throw failure(statement, "returned a row without columns")
        case .document:
            appendValue(handle, 0)
            let document = try builder.finish()
            guard document.kind == .object else {
                throw failure(statement, "its \(handle.columnName(at: 0)) column is \(document.description), not a JSON object: "
                              + "a single json… column is published as the whole document")
            }
            return document
        case .columns(let names):
            builder.beginObject()
            for (index, name) in names.enumerated() {
                name.withUnsafeBytes { builder.property(utf8: $0) }
                appendValue(handle, index)
            }
            builder.endObject()
            return try builder.finish()
        }
    }

    /// Appends column `index` of the current row to the builder.
    private func appendValue(_ statement: SQLiteStatement, _ index: Int) {
        switch statement.columnType(at: index) {
        case .null:
            builder.null()
        case .integer:
            builder.int(statement.int64(at: index))
        case .real:
            let value = statement.double(at: index)
            if value.isFinite {
                builder.double(value)
            } else {
                builder.string(value.isNaN ? "NaN" : value > 0 ? "inf" : "-inf")
            }
        case .text:
            statement.withBytes(at: index) { bytes in
                if let first = bytes.first, let last = bytes.last, (first == 0x7B && last == 0x7D) || (first == 0x5B && last == 0x5D),
                   let parsed = try? parser.parse(bytes) {
                    builder.copy(parsed.root)
                } else {
                    builder.string(utf8: bytes)
                }
            }
        case .blob:
            let bytes = statement.withBytes(at: index) { Data($0) }
            builder.string(bytes.base64EncodedString())
        }
    }
}
