// ReduceAnnotationPlan: reduce annotations declared by location, without a schema.
public import SluiceDocument
public import SluiceSchema

/// Reduce annotations declared by location, the way a schema's `properties`,
/// `additionalProperties` and `items` would place them, with an optional choice by the
/// value's kind (as `if: {type: null}, then: …` would). `annotations(for:)` walks a document and
/// says which annotation holds at each location.
///
/// Not a validator: it checks nothing. It lets tests, benchmarks and callers without a schema
/// reduce documents; collections get their annotations from validating against their schema
/// (SluiceSchema).
///
///     let plan = ReduceAnnotationPlan(.merge, properties: [
///         "total": ReduceAnnotationPlan(.sum),
///         "tags": ReduceAnnotationPlan(.append, byKind: [.null: .lastWriteWins]),
///     ])
///     let annotations = plan.annotations(for: document)
public final class ReduceAnnotationPlan: Sendable {
    /// The annotation at this location (nil: none, lastWriteWins).
    public let annotation: ReduceAnnotation?
    /// Overrides `annotation` when the value has one of these kinds.
    public let annotationByKind: [JSONKind: ReduceAnnotation]
    /// Plans for named properties of an object.
    public let properties: [String: ReduceAnnotationPlan]
    /// The plan for properties not in `properties`.
    public let additionalProperties: ReduceAnnotationPlan?
    /// The plan for every element of an array.
    public let items: ReduceAnnotationPlan?

    public init(_ annotation: ReduceAnnotation? = nil, byKind: [JSONKind: ReduceAnnotation] = [:],
                properties: [String: ReduceAnnotationPlan] = [:], additionalProperties: ReduceAnnotationPlan? = nil,
                items: ReduceAnnotationPlan? = nil) {
        self.annotation = annotation
        self.annotationByKind = byKind
        self.properties = properties
        self.additionalProperties = additionalProperties
        self.items = items
    }

    /// A plan whose annotation is `strategy` with its options.
    public convenience init(_ strategy: ReduceAnnotation.Strategy, key: [JSONPointer] = [], delete: Bool = false,
                            associative: Bool = true, byKind: [JSONKind: ReduceAnnotation] = [:],
                            properties: [String: ReduceAnnotationPlan] = [:], additionalProperties: ReduceAnnotationPlan? = nil,
                            items: ReduceAnnotationPlan? = nil) {
        self.init(ReduceAnnotation(strategy: strategy, key: key, delete: delete, associative: associative), byKind: byKind,
                  properties: properties, additionalProperties: additionalProperties, items: items)
    }

    /// The annotation in force at each location of `document`.
    public func annotations(for document: Document) -> ReduceAnnotations {
        var annotations = ReduceAnnotations(entryCount: document.entryCount)
        annotate(document.root, into: &annotations)
        return annotations
    }

    private func annotate(_ node: Node, into annotations: inout ReduceAnnotations) {
        if let annotation = annotationByKind[node.kind] ?? annotation {
            annotations.set(annotation, at: node.tapeIndex)
        }
        switch node.kind {
        case .object:
            for property in node.properties {
                if let plan = properties[property.name] ?? additionalProperties {
                    plan.annotate(property.value, into: &annotations)
                }
            }
        case .array:
            if let items {
                for element in node.elements { items.annotate(element, into: &annotations) }
            }
        default:
            break
        }
    }
}
