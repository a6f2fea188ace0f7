// PostgresCopyText: rows in COPY's text format, built in a byte buffer: fields separated by a
// tab, rows ended by a newline, NULL as `\N`, and backslash, tab, newline and carriage return
// escaped with a backslash (`\\`, `\t`, `\n`, `\r`).

public import SluiceDocument

/// A buffer of COPY text rows. Append fields, end each row, and send it with
/// `PostgresCopyIn.send(_:)` whenever `byteCount` passes `sendBytesThreshold`.
public struct PostgresCopyText: Sendable {
    /// Send when the buffer holds about this much: big enough that per-call costs vanish,
    /// small enough to keep a transaction's memory flat (1 MiB).
    public static let sendBytesThreshold = 1 << 20

    public private(set) var bytes: [UInt8] = []
    private var fieldsInRow = 0
    /// Rows ended so far (since the last `removeAll`).
    public private(set) var rowCount = 0

    public init() { bytes.reserveCapacity(PostgresCopyText.sendBytesThreshold + 64 * 1024) }

    public var byteCount: Int { bytes.count }

    private mutating func separate() {
        if fieldsInRow > 0 { bytes.append(0x09) }
        fieldsInRow += 1
    }

    /// A NULL field.
    public mutating func appendNull() {
        separate()
        bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "N")])
    }

    /// A field holding `text`'s bytes, escaped.
    public mutating func append(_ text: String) {
        var text = text
        text.withUTF8 { append(utf8: UnsafeRawBufferPointer($0)) }
    }

    /// A field holding these UTF-8 bytes, escaped.
    public mutating func append(utf8 field: UnsafeRawBufferPointer) {
        separate()
        appendEscaped(field)
    }

    /// A field holding an integer.
    public mutating func append(_ value: Int64) {
        separate()
        bytes.append(contentsOf: String(value).utf8)
    }

    /// A field holding a document's compact JSON (for json/jsonb columns).
    public mutating func append(json document: Document) {
        separate()
        appendJSON(document.root)
    }

    /// A field holding a node's compact JSON.
    public mutating func append(json node: Node) {
        separate()
        appendJSON(node)
    }

    /// A field of raw bytes that need no escaping (digits, `t`/`f`): the caller vouches.
    public mutating func append(unescaped field: some Collection<UInt8>) {
        separate()
        bytes.append(contentsOf: field)
    }

    /// Ends the current row.
    public mutating func endRow() {
        bytes.append(0x0A)
        fieldsInRow = 0
        rowCount += 1
    }

    /// Empties the buffer (keeping its capacity).
    public mutating func removeAll() {
        bytes.removeAll(keepingCapacity: true)
        fieldsInRow = 0
        rowCount = 0
    }

    private var jsonScratch: [UInt8] = []

    private mutating func appendJSON(_ node: Node) {
        jsonScratch.removeAll(keepingCapacity: true)
        JSONSerializer.append(node, to: &jsonScratch)
        let scratch = jsonScratch
        // Safety: `scratch` is a local array, alive for the closure.
        scratch.withUnsafeBytes { appendEscaped($0) }
    }

    private mutating func appendEscaped(_ field: UnsafeRawBufferPointer) {
        var start = 0
        for index in 0..<field.count {
            let escaped: UInt8
            switch field[index] {
            case UInt8(ascii: "\\"): escaped = UInt8(ascii: "\\")
            case 0x09: escaped = UInt8(ascii: "t")
            case 0x0A: escaped = UInt8(ascii: "n")
            case 0x0D: escaped = UInt8(ascii: "r")
            default: continue
            }
            bytes.append(contentsOf: UnsafeRawBufferPointer(rebasing: field[start..<index]))
            bytes.append(UInt8(ascii: "\\"))
            bytes.append(escaped)
            start = index + 1
        }
        bytes.append(contentsOf: UnsafeRawBufferPointer(rebasing: field[start..<field.count]))
    }
}
