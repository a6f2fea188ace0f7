// SluiceCapture: the capture connectors (docs/captures.md). A capture reads an external source
// and hands the runtime documents for its bindings' collections, with checkpoints: the
// connector state that, committed with the documents before it, lets the capture resume after
// them (docs/runtime.md). Each connector has the same shape: a typed config from the catalog
// (SluiceCatalog.Endpoints), `open(state:)` → a session, and a session's `next` loop.
//
// Table of contents:
//
// - files (FilesCapture.swift, FilesCaptureSession.swift): JSON lines and CSV files matched by
//   globs, compressed or not, read once or followed.
//   - FilePositions.swift: the checkpoint, a position per file with a content fingerprint.
//   - FileGlob.swift: glob patterns (`*`, `?`, `[…]`, `**`) to sorted file lists.
//   - InputDecoding.swift: plain, zstd, lz4 (frame) and gzip input as one byte stream.
//   - CSVRecords.swift, CSVCells.swift: RFC 4180 records, cells typed by the collection schema.
// - http-ingest (HTTPIngestCapture.swift, HTTPIngestSession.swift): documents POSTed to a
//   binding's path, answered 200 only once durably committed.
//   - HTTPIngestRequests.swift: request bodies (object, array, JSON lines) to documents with
//     `_meta`, validated per request.
//   - BearerToken.swift: constant-time token check.
// - airbyte and postgres-cdc: their own files (issue 7, parts 3 and 4).
//
// Connectors never import SluiceRuntime; the runtime registers them in
// `ConnectorSet.builtIn` (SluiceRuntime/BuiltInConnectors.swift).
