// CombineError: what went wrong in a combiner, and for which key or file.
import SluiceDocument
public import SluiceReduce

/// A combiner failure, naming the key (its packed key unpacked into JSON values) or the spill
/// file and byte offset.
public enum CombineError: Error, CustomStringConvertible {
    /// The validator rejected a document (added, combined or drained).
    case invalidDocument(key: String, reason: String)
    /// Reducing two documents of a key failed.
    case reduction(key: String, ReduceError)
    /// Two front documents of one key do not reduce partially (`associative: false`).
    case frontsNotAssociative(key: String)
    /// Reading or writing the spill file failed.
    case spill(path: String, offset: Int, message: String)

    public var description: String {
        switch self {
        case .invalidDocument(let key, let reason): "document of key \(key) is invalid: \(reason)"
        case .reduction(let key, let error): "key \(key): \(error)"
        case .frontsNotAssociative(let key): "key \(key): two front documents whose reduction is not associative"
        case .spill(let path, let offset, let message): "spill file \(path), byte \(offset): \(message)"
        }
    }

    /// A packed key as readable text: `["key-000017", 3]`.
    static func describe(packedKey bytes: some Collection<UInt8>) -> String {
        guard let elements = try? PackedKey.unpack(Array(bytes)) else {
            return "0x" + bytes.map { String($0, radix: 16).count == 1 ? "0" + String($0, radix: 16) : String($0, radix: 16) }.joined()
        }
        return "[" + elements.map { "\($0.jsonValue)" }.joined(separator: ", ") + "]"
    }
}
