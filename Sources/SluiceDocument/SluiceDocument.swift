// SluiceDocument: JSON documents. See docs/document.md.
//
// Every byte that flows through Sluice is a JSON document. This module parses, holds, walks,
// builds, compares, serializes and keys them, and does no I/O.
//
// Table of contents:
//
// - `Document` (Document.swift, Tape.swift): an immutable, parsed JSON value held as a *tape*,
//   one allocation with fixed-size 16-byte entries followed by the unescaped string bytes.
//   Copying a document copies a reference; `tapeBytes` / `Document(tapeBytes:)` move it to and
//   from disk without re-parsing (DocumentTapeCoding.swift).
// - `Node` (Node.swift): a cursor into a document: kind, scalars, property and index lookup,
//   iteration, JSON pointers. Reading never allocates (except `string`, which makes a String).
// - `JSONParser` (JSONParser.swift): strict RFC 8259 over bytes, into a reusable scratch tape.
//   `JSONParseError` carries the byte offset, line, column and what was expected.
// - `DocumentBuilder` (DocumentBuilder.swift): writes a new tape incrementally (scalars,
//   begin/end object/array, copies of nodes), so reductions merge documents without a tree.
// - `JSONValue` / `JSONObject` (JSONValue.swift, JSONObject.swift): an ergonomic heap value with
//   literal conformances, for tests and API users; converts both ways.
// - `JSONNumber` (JSONNumber.swift): exact numbers (Int64, UInt64 above Int64.max, Double).
// - Serialization (JSONSerializer.swift): canonical compact JSON.
// - `JSONPointer` (JSONPointer.swift): RFC 6901 parse, resolve, create on write.
// - Semantic order (SemanticOrder.swift): SEMANTICS.md §1, total over all JSON values.
// - `PackedKey` / `TupleElement` (PackedKey.swift): the FoundationDB tuple encoding.
// - `KeyExtractor` (KeyExtractor.swift): a collection key as a list of pointers.
// - `JSONLinesSplitter` (JSONLinesSplitter.swift): JSON lines across buffer boundaries.
//
// Invariants every `Document` keeps, whoever made it (parser, builder, tape decoder):
// strings are valid UTF-8; object properties are sorted by their UTF-8 bytes and unique;
// doubles are finite; an integer is stored as Int64 when it fits, as UInt64 only above
// Int64.max; nesting is at most `JSONParser.depthMaxDefault` deep unless a caller chose more.
