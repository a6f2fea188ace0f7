// SluiceSchema: JSON Schema validation and reduce annotations. See docs/schema.md.
//
// Collections validate every document they take and reduce documents by key with strategies
// their schemas name (`reduce` annotations, SEMANTICS.md §3). This module compiles a JSON
// schema (2020-12; 2019-09 and draft-07 resources too) once, and validates many documents
// against it: a valid document yields the `reduce` annotation in force at each location; an
// invalid one, errors that name the place in the document and in the schema.
//
// Table of contents:
//
// - `Schema` (Schema.swift): the compiled schema; `SchemaOptions`, `SchemaCompileError`.
// - Compiling (SchemaCompiler.swift, SchemaCompiler+Keywords.swift): discovery of resources,
//   anchors and dialects (SchemaDialect.swift), reference resolution (SchemaURI.swift,
//   SchemaResolver.swift, Metaschemas.swift), keywords into a `SchemaProgram` of flat tables
//   (SchemaProgram.swift, DecimalNumber.swift for exact `multipleOf`).
// - Validating (SchemaValidator*.swift): a fast pass over the document's tape bytes
//   (TapeView.swift) that logs annotations, and a collecting pass for errors
//   (ValidationError.swift).
// - Annotations: `ReduceAnnotation` / `ReduceAnnotations` (ReduceAnnotation.swift, the
//   interface with SluiceReduce; ReduceAnnotation+Parsing.swift checks `reduce` values);
//   `default` values (SchemaDefaults.swift).
// - Regular expressions (Regex/): an ECMA-262 engine in Unicode mode, linear-time for
//   patterns without back references, with a one-pass path for simple patterns.
// - Formats (Formats/): date-time, email, hostname, IP, URI, UUID, … over bytes.
// - `SchemaTestSuite` (SchemaTestSuite.swift): runs JSON-Schema-Test-Suite files.
//
// Invariants: a `SchemaProgram` is immutable once compiled and shared by every validator; a
// validator evaluates one document at a time and reuses its buffers; validating never
// allocates per value and never does I/O.
