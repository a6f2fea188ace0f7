// FieldPlan: which columns a binding's target has, and their types: the collection key, the
// projected fields (the schema's top-level scalar properties when `recommended`, plus
// `fields.include`, less `fields.exclude`), and the whole document as `flow_document`.
public import SluiceDocument
public import SluiceSchema
public import SluiceTask

/// The type of a materialized field, from the schema (`Schema.shape(at:)`).
public enum MaterializedFieldType: String, Sendable, Hashable {
    case string
    case integer
    /// Any number (integers included).
    case number
    case boolean
    /// Objects, arrays, and locations whose schema allows several kinds: stored as JSON text.
    case json

    /// The type of values of `types` (null aside).
    init(_ types: JSONTypeSet) {
        let values = types.subtracting(.null)
        if values == .string {
            self = .string
        } else if values == .integer {
            self = .integer
        } else if values == [.integer, .number] || values == .number {
            self = .number
        } else if values == .boolean {
            self = .boolean
        } else {
            self = .json
        }
    }
}

/// One column of a binding's target.
public struct MaterializedField: Sendable, Hashable {
    /// The column (or hash field) name: a projection's name, a top-level property's name, or
    /// a nested location's pointer without its leading `/` (`customer/tier`).
    public var name: String
    public var pointer: JSONPointer
    public var type: MaterializedFieldType
    /// A component of the collection key (key fields come first, in key order).
    public var isKey: Bool
    /// Some valid document has no value (or null) there.
    public var isNullable: Bool
}

/// The fields of one binding.
public struct FieldPlan: Sendable {
    /// The column holding the whole document as JSON (Flow's name).
    public static let documentField = "flow_document"

    /// Key fields first (in key order), then the others sorted by name.
    public let fields: [MaterializedField]

    public var keyFields: [MaterializedField] { fields.filter(\.isKey) }
    public var valueFields: [MaterializedField] { fields.filter { !$0.isKey } }

    /// Plans the fields of `binding`; errors (a `fields` entry naming nothing, an excluded key
    /// field, a field named `flow_document`) name the binding and the field.
    public init(binding: MaterializationBindingSpec, task: String) throws {
        let collection = binding.collection
        let schema = collection.readSchema
        func fail(_ message: String) -> TaskError {
            TaskError.configuration(task: task, message: "binding \(binding.index) (\(collection.name)): fields: \(message)")
        }
        var byPointer: [JSONPointer: String] = [:]
        for (name, pointer) in binding.projections.sorted(by: { $0.key < $1.key }) where byPointer[pointer] == nil {
            byPointer[pointer] = name
        }
        func defaultName(_ pointer: JSONPointer) -> String {
            byPointer[pointer] ?? pointer.tokens.map(\.name).joined(separator: "/")
        }
        func field(_ name: String, _ pointer: JSONPointer, isKey: Bool) -> MaterializedField {
            let shape = schema.shape(at: pointer)
            return MaterializedField(name: name, pointer: pointer, type: MaterializedFieldType(shape.types), isKey: isKey,
                                     isNullable: !isKey && (!shape.mustExist || shape.types.contains(.null)))
        }

        var keys: [MaterializedField] = []
        for pointer in collection.key.pointers {
            var key = field(defaultName(pointer), pointer, isKey: true)
            if key.type == .number { key.type = .json }  // keys are strings, integers or booleans
            keys.append(key)
        }
        let keyNames = Set(keys.map(\.name))
        var values: [String: MaterializedField] = [:]
        let excluded = Set(binding.fields.exclude)
        for name in excluded where keyNames.contains(name) {
            throw fail("\(name) is part of the collection key and cannot be excluded")
        }
        if binding.fields.recommended {
            for projection in schema.projections() where projection.field != "_meta" && !keyNames.contains(projection.field) {
                let types = projection.shape.types.subtracting(.null)
                guard !types.isEmpty, JSONTypeSet.scalars.isSuperset(of: types) else { continue }
                values[projection.field] = field(projection.field, projection.pointer, isKey: false)
            }
            for (name, pointer) in binding.projections where !keyNames.contains(name) {
                let types = schema.shape(at: pointer).types.subtracting(.null)
                guard !types.isEmpty, JSONTypeSet.scalars.isSuperset(of: types) else { continue }
                values[name] = field(name, pointer, isKey: false)
            }
        }
        let known = Set(schema.projections().map(\.field))
        for name in binding.fields.include where !keyNames.contains(name) {
            let pointer: JSONPointer
            if let projected = binding.projections[name] {
                pointer = projected
            } else if known.contains(name) {
                pointer = JSONPointer(names: [name])
            } else if name.contains("/") {
                do {
                    pointer = try JSONPointer(parsing: name.hasPrefix("/") ? name : "/" + name)
                } catch {
                    throw fail("include \(name): \(error)")
                }
            } else {
                let candidates = (Array(known) + Array(binding.projections.keys)).sorted()
                throw fail("include names \(name), which is neither a property of the collection's schema nor a projection"
                           + (candidates.isEmpty ? "" : " (fields: \(candidates.joined(separator: ", ")))"))
            }
            values[name] = field(name, pointer, isKey: false)
        }
        for name in excluded { values[name] = nil }
        let all = keys + values.values.sorted { $0.name < $1.name }
        if let clash = all.first(where: { $0.name == FieldPlan.documentField }) {
            throw fail("\(clash.name) is reserved for the whole document")
        }
        fields = all
    }

    /// A plan of given fields (tests, benchmarks).
    public init(fields: [MaterializedField]) {
        self.fields = fields.filter(\.isKey) + fields.filter { !$0.isKey }
    }
}
