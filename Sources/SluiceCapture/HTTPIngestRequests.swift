import SluiceDocument
import SluiceHTTP
import SluiceSchema

/// Why a request's documents were refused (a 400), naming the document.
struct IngestRequestError: Error, Equatable, CustomStringConvertible {
    /// Position of the document in the request (0-based), when one is at fault.
    let index: Int?
    let message: String
    var description: String { message }
}

/// A request body as documents: one JSON object, a JSON array of objects, or JSON lines of
/// objects. Each becomes the binding's document with `_meta` added:
///
///     {"_meta": {"webhookId": "…", "pathParams": {"region": "eu"}, "query": {"source": "a"}}, …}
///
/// `pathParams` appears when the binding's path has `{name}` segments, `query` when the
/// request has a query string (a name given twice keeps the last value). Other `_meta`
/// properties of the posted document are kept; these three are replaced.
enum IngestRequests {
    /// The documents of `body`, each with its label for errors (`documents[2]`, `line 3`).
    static func parse(_ body: [UInt8]) throws(IngestRequestError) -> [(document: Document, label: String)] {
        var parser = JSONParser()
        let first = body.firstIndex { $0 != 0x20 && $0 != 0x0A && $0 != 0x0D && $0 != 0x09 }
        guard let first else { throw IngestRequestError(index: nil, message: "the body holds no documents") }
        let whole: Document?
        do {
            whole = try parser.parse(body)
        } catch {
            whole = nil
        }
        if let whole {
            switch whole.root.kind {
            case .object:
                return [(whole, "the document")]
            case .array:
                var documents: [(Document, String)] = []
                for (index, element) in whole.root.elements.enumerated() {
                    guard element.kind == .object else {
                        throw IngestRequestError(index: index, message: "documents[\(index)]: expected a JSON object, found \(element.kind)")
                    }
                    documents.append((Document(copying: element), "documents[\(index)]"))
                }
                guard !documents.isEmpty else { throw IngestRequestError(index: nil, message: "the body holds no documents") }
                return documents
            default:
                throw IngestRequestError(index: 0, message: "expected a JSON object, an array of objects or JSON lines, found \(whole.root.kind)")
            }
        }
        guard body[first] == 0x7B else {
            // Not one value and not lines of objects: report the parse error of the whole body.
            do {
                _ = try parser.parse(body)
            } catch {
                throw IngestRequestError(index: nil, message: "line \(error.line), column \(error.column): \(error.reason.message)")
            }
            throw IngestRequestError(index: nil, message: "the body is not JSON")
        }
        var documents: [(Document, String)] = []
        do {
            try body.withUnsafeBytes { bytes in
                try parser.parseLines(bytes) { document, line in
                    guard document.root.kind == .object else {
                        throw IngestRequestError(index: documents.count, message: "line \(line): expected a JSON object, found \(document.root.kind)")
                    }
                    documents.append((document, "line \(line)"))
                }
            }
        } catch let error as IngestRequestError {
            throw error
        } catch let error as JSONLinesError {
            throw IngestRequestError(index: documents.count, message: error.description)
        } catch {
            throw IngestRequestError(index: documents.count, message: "\(error)")
        }
        return documents
    }

    /// `document` with `_meta` set as described above.
    static func decorate(_ document: Document, webhookId: String, pathParameters: [String: String],
                         query: [(name: String, value: String)], builder: inout DocumentBuilder) throws(IngestRequestError) -> Document {
        let root = document.root
        builder.beginObject()
        var existingMeta: Node?
        for property in root.properties {
            if property.nameNode.string == "_meta" {
                existingMeta = property.value
                continue
            }
            builder.property(property)
        }
        builder.property("_meta")
        builder.beginObject()
        if let existingMeta {
            guard existingMeta.kind == .object else {
                builder.reset()
                throw IngestRequestError(index: nil, message: "/_meta: expected an object, found \(existingMeta.kind)")
            }
            for property in existingMeta.properties {
                let name = property.nameNode.string
                if name == "webhookId" || name == "pathParams" || name == "query" { continue }
                builder.property(property)
            }
        }
        builder.property("webhookId")
        builder.string(webhookId)
        if !pathParameters.isEmpty {
            builder.property("pathParams")
            builder.beginObject()
            for (name, value) in pathParameters {
                builder.property(name)
                builder.string(value)
            }
            builder.endObject()
        }
        if !query.isEmpty {
            var last: [String: String] = [:]
            for item in query { last[item.name] = item.value }
            builder.property("query")
            builder.beginObject()
            for (name, value) in last {
                builder.property(name)
                builder.string(value)
            }
            builder.endObject()
        }
        builder.endObject()
        builder.endObject()
        do {
            return try builder.finish()
        } catch {
            throw IngestRequestError(index: nil, message: "\(error)")
        }
    }
}
