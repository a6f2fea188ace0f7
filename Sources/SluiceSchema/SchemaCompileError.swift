// SchemaCompileError: a schema that cannot be compiled, with the place in it.

/// Why a schema did not compile, and where: the schema location is the absolute URI of the
/// schema resource with a JSON pointer to the keyword (`file:///s.json#/properties/id/pattern`).
public struct SchemaCompileError: Error, Sendable, Hashable, CustomStringConvertible {
    /// Where in the schema (absolute URI and JSON pointer).
    public var location: String
    /// What is wrong, in words.
    public var message: String

    public init(location: String, message: String) {
        self.location = location
        self.message = message
    }

    public var description: String { "schema \(location): \(message)" }
}
