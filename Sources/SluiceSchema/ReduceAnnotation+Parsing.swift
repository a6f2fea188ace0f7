// The `reduce` keyword's value, checked when the schema compiles (SEMANTICS.md §3):
// `{strategy: …, key?: [pointer…], delete?: bool, associative?: bool}`. A wrong strategy or
// option is a compile error naming the schema location, never a surprise during reduction.
import SluiceDocument

extension ReduceAnnotation {
    /// The options `reduce` accepts besides `strategy`.
    static let optionNames = ["key", "delete", "associative"]

    /// Strategies that take `key`.
    static let keyedStrategies: Set<Strategy> = [.merge, .minimize, .maximize, .set]
    /// Strategies that take `delete`.
    static let deletableStrategies: Set<Strategy> = [.merge, .lastWriteWins]

    /// Parses a `reduce` keyword value; the error message says what is wrong (the caller adds
    /// the location).
    init(keywordValue value: JSONValue) throws(ReduceAnnotationError) {
        guard case .object(let object) = value else {
            throw ReduceAnnotationError(pointerSuffix: "", message: "reduce must be an object such as {\"strategy\": \"merge\"}, found \(value.kind)")
        }
        guard let strategyValue = object["strategy"] else {
            throw ReduceAnnotationError(pointerSuffix: "", message: "reduce needs a strategy (one of \(ReduceAnnotation.strategyList))")
        }
        guard let name = strategyValue.string, let strategy = Strategy(rawValue: name) else {
            throw ReduceAnnotationError(pointerSuffix: "/strategy",
                                        message: "unknown reduce strategy \(strategyValue) (expected one of \(ReduceAnnotation.strategyList))")
        }
        for property in object.names where property != "strategy" && !ReduceAnnotation.optionNames.contains(property) {
            throw ReduceAnnotationError(pointerSuffix: "/" + property,
                                        message: "unknown reduce option \"\(property)\" (expected strategy, key, delete or associative)")
        }
        var key: [JSONPointer] = []
        if let keyValue = object["key"] {
            guard ReduceAnnotation.keyedStrategies.contains(strategy) else {
                throw ReduceAnnotationError(pointerSuffix: "/key", message: "key applies only to merge, minimize, maximize and set, not \(name)")
            }
            guard case .array(let elements) = keyValue, !elements.isEmpty else {
                throw ReduceAnnotationError(pointerSuffix: "/key", message: "key must be a non-empty array of JSON pointers such as [\"/id\"]")
            }
            for (index, element) in elements.enumerated() {
                guard let text = element.string else {
                    throw ReduceAnnotationError(pointerSuffix: "/key/\(index)", message: "key must be JSON pointers (strings), found \(element.kind)")
                }
                do {
                    key.append(try JSONPointer(parsing: text))
                } catch {
                    throw ReduceAnnotationError(pointerSuffix: "/key/\(index)", message: "\"\(text)\" is not a JSON pointer: \(error.message)")
                }
            }
        }
        var delete = false
        if let deleteValue = object["delete"] {
            guard let flag = deleteValue.bool else {
                throw ReduceAnnotationError(pointerSuffix: "/delete", message: "delete must be true or false")
            }
            guard !flag || ReduceAnnotation.deletableStrategies.contains(strategy) else {
                throw ReduceAnnotationError(pointerSuffix: "/delete", message: "delete applies only to merge and lastWriteWins, not \(name)")
            }
            delete = flag
        }
        var associative = true
        if let associativeValue = object["associative"] {
            guard let flag = associativeValue.bool else {
                throw ReduceAnnotationError(pointerSuffix: "/associative", message: "associative must be true or false")
            }
            associative = flag
        }
        self.init(strategy: strategy, key: key, delete: delete, associative: associative)
    }

    static var strategyList: String { Strategy.allCases.map(\.rawValue).joined(separator: ", ") }
}

/// Why a `reduce` value is wrong, and where inside it.
struct ReduceAnnotationError: Error {
    /// JSON pointer from the `reduce` keyword to the fault (`/key/0`), or empty.
    var pointerSuffix: String
    var message: String
}
