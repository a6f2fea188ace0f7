// Benchmarks of SluiceSchema: validating the standard workload against its schema
// (WorkloadSchema), beside Python jsonschema-rs (docs/benchmarks.md, "Schema validation").
import Foundation
public import SluiceWorkload
import SluiceDocument
import SluiceSchema

public enum SchemaBenchmarks {
    /// `schema.validate`: each document of the workload validated against the workload schema,
    /// yielding its reduce annotations (what a combiner needs), one thread. Documents are
    /// parsed before timing. Extra: `valid_only_docs_per_s` (validity without annotations),
    /// `annotations_per_document`.
    public static func validate(_ spec: WorkloadSpec, file: String? = nil) throws -> BenchmarkResult {
        let bytes = try DocumentBenchmarks.input(spec, file: file)
        let documents = try DocumentBenchmarks.parseAll(bytes)
        let schema = try Schema(JSONValue(parsing: WorkloadSchema.json))
        var validator = schema.validator()
        var annotated = 0
        let stopwatch = Stopwatch()
        for document in documents {
            let annotations = try validator.validate(document)
            annotated &+= annotations.isEmpty ? 0 : 1
        }
        let seconds = stopwatch.elapsedSeconds
        precondition(annotated == documents.count, "every workload document carries annotations")
        var countedAnnotations = 0
        for index in 0..<min(documents.count, 1_000) {
            let annotations = try validator.validate(documents[index])
            countedAnnotations += (0..<annotations.entryCount).count { annotations[$0] != nil }
        }
        let validOnly = Stopwatch()
        var valid = 0
        for document in documents where validator.isValid(document) { valid += 1 }
        let validOnlySeconds = validOnly.elapsedSeconds
        precondition(valid == documents.count)
        return BenchmarkResult(
            figure: "schema.validate", documents: documents.count, bytes: bytes.count, seconds: seconds,
            extra: ["valid_only_docs_per_s": (Double(documents.count) / validOnlySeconds).rounded(),
                    "annotations_per_document": Double(countedAnnotations) / Double(max(1, min(documents.count, 1_000)))])
    }
}
