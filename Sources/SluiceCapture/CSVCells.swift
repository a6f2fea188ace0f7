import SluiceDocument
import SluiceSchema

/// A CSV file's columns (its header row) and how each cell becomes a JSON value, from the
/// types the collection's schema allows at the column's property (`Schema.types(at:)`):
///
/// | cell | becomes |
/// |---|---|
/// | empty, unquoted | `null`; `""` when the column allows strings but not null |
/// | `""` (quoted, empty) | `""` when strings are allowed (or the schema says nothing), else `null` |
/// | an integer (`-12`) | an integer, when integers are allowed (or nothing is said) |
/// | a number (`1.5`, `2e3`) | a number, when numbers are allowed (or nothing is said) |
/// | `true` / `false` | a boolean, when booleans are allowed (or nothing is said) |
/// | anything else | the cell's text |
///
/// Quoting does not change typing otherwise (`"12"` is 12 in an integer column). Header names
/// are top-level property names.
struct CSVColumns {
    let names: [String]
    let types: [JSONTypeSet?]

    init(header: CSVRecord, schema: Schema) throws {
        var names: [String] = []
        var seen = Set<String>()
        for index in 0..<header.cellCount {
            let name = header.cellText(index)
            guard !name.isEmpty else { throw CSVError(line: 1, message: "header cell \(index + 1) is empty") }
            guard seen.insert(name).inserted else { throw CSVError(line: 1, message: "header names \"\(name)\" twice") }
            names.append(name)
        }
        self.names = names
        self.types = names.map { schema.types(at: JSONPointer(names: [$0])) }
    }

    /// The record as a document.
    func document(_ record: CSVRecord, line: Int, builder: inout DocumentBuilder) throws -> Document {
        guard record.cellCount == names.count else {
            throw CSVError(line: line, message: "\(record.cellCount) cells, but the header has \(names.count) columns")
        }
        builder.beginObject()
        for index in 0..<names.count {
            builder.property(names[index])
            record.withCell(index) { bytes, quoted in Self.appendCell(bytes, quoted: quoted, types: types[index], to: &builder) }
        }
        builder.endObject()
        do {
            return try builder.finish()
        } catch {
            builder.reset()
            throw CSVError(line: line, message: "\(error)")
        }
    }

    static func appendCell(_ bytes: UnsafeRawBufferPointer, quoted: Bool, types: JSONTypeSet?, to builder: inout DocumentBuilder) {
        let any = types == nil
        let allowed = types ?? .all
        if bytes.isEmpty {
            let stringFirst = quoted ? (any || allowed.contains(.string)) : (!allowed.contains(.null) && allowed.contains(.string))
            if stringFirst { builder.string("") } else { builder.null() }
            return
        }
        let text = String(decoding: bytes, as: UTF8.self)
        if allowed.allowsInteger, let integer = Int64(text) {
            builder.int(integer)
            return
        }
        if allowed.contains(.number), Self.looksNumeric(bytes), let number = Double(text), number.isFinite {
            builder.double(number)
            return
        }
        if allowed.contains(.boolean) {
            if text == "true" { builder.bool(true); return }
            if text == "false" { builder.bool(false); return }
        }
        builder.string(utf8: bytes)
    }

    /// Digits, sign, point and exponent only (so `inf`, `nan` and hex floats stay text).
    private static func looksNumeric(_ bytes: UnsafeRawBufferPointer) -> Bool {
        var digits = false
        for byte in bytes {
            switch byte {
            case 0x30...0x39: digits = true
            case 0x2B, 0x2D, 0x2E, 0x45, 0x65: continue
            default: return false
            }
        }
        return digits
    }
}
