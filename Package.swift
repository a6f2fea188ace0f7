// swift-tools-version:6.1
//
// Sluice: an embedded stream-processing engine with a durable log.
//
// Modules are layers (see docs/architecture.md); a lower module never imports a higher one:
//
//   sluice (executable)          SluiceCLI
//   SluiceCombine → SluiceReduce → SluiceSchema → SluiceDocument
//   SluiceJournal                SluiceDocument            SluiceWorkload
//   SluicePostgres → SluiceDocument
//   SluiceCapture → SluiceTask, SluiceHTTP (swift-nio), CZstd, CLZ4, CZlib;  SluiceRuntime → SluiceCapture
//   CLZ4 · CZstd · CXXHash · CLibCrypto · CSQLite · CLibPQ   (system libraries from Debian)
//
// The C libraries come from Debian's -dev packages (`make deps` installs them).
import PackageDescription

let strict: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("InternalImportsByDefault"),
]

let package = Package(
    name: "sluice",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "sluice", targets: ["sluice"]),
        .library(name: "SluiceJournal", targets: ["SluiceJournal"]),
        .library(name: "SluiceDocument", targets: ["SluiceDocument"]),
        .library(name: "SluiceSchema", targets: ["SluiceSchema"]),
        .library(name: "SluiceReduce", targets: ["SluiceReduce"]),
        .library(name: "SluiceCombine", targets: ["SluiceCombine"]),
        .library(name: "SluiceMessage", targets: ["SluiceMessage"]),
        .library(name: "SluiceCatalog", targets: ["SluiceCatalog"]),
        .library(name: "SluiceWorkload", targets: ["SluiceWorkload"]),
        .library(name: "SluiceCLI", targets: ["SluiceCLI"]),
        .library(name: "SluiceBench", targets: ["SluiceBench"]),
        .library(name: "SluicePostgres", targets: ["SluicePostgres"]),
        .library(name: "SluiceRedis", targets: ["SluiceRedis"]),
        .library(name: "SluiceS3", targets: ["SluiceS3"]),
        .library(name: "SluiceMaterialize", targets: ["SluiceMaterialize"]),
        .library(name: "SluiceHTTP", targets: ["SluiceHTTP"]),
        .library(name: "SluiceCapture", targets: ["SluiceCapture"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.0.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.0"),
    ],
    targets: [
        // System libraries (Debian: liblz4-dev, libzstd-dev, libxxhash-dev, libssl-dev).
        .systemLibrary(name: "CLZ4", pkgConfig: "liblz4", providers: [.apt(["liblz4-dev"])]),
        .systemLibrary(name: "CZstd", pkgConfig: "libzstd", providers: [.apt(["libzstd-dev"])]),
        .systemLibrary(name: "CXXHash", pkgConfig: "libxxhash", providers: [.apt(["libxxhash-dev"])]),
        .systemLibrary(name: "CSQLite", pkgConfig: "sqlite3", providers: [.apt(["libsqlite3-dev"])]),
        .systemLibrary(name: "CLibCrypto", pkgConfig: "libcrypto", providers: [.apt(["libssl-dev"])]),
        .systemLibrary(name: "CLibPQ", pkgConfig: "libpq", providers: [.apt(["libpq-dev"])]),
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),

        // The standard benchmark workload: deterministic, seeded CRM-like JSON documents.
        .target(name: "SluiceWorkload", swiftSettings: strict),

        // Storage pillar: journals, fragments, spool, index, codecs, stores.
        .target(
            name: "SluiceJournal",
            dependencies: ["CLZ4", "CZstd", "CXXHash", "CLibCrypto"],
            swiftSettings: strict),

        // Exactly-once messaging: UUIDs, publisher, sequencer (docs/messages.md).
        .target(name: "SluiceMessage", swiftSettings: strict),

        // A careful wrapper over libsqlite3 (state stores, SQLite derivations and materializations).
        .target(name: "SluiceSQLite", dependencies: ["CSQLite"], swiftSettings: strict),

        // PostgreSQL over libpq: connections, COPY, logical replication (pgoutput), CDC change
        // source, materialization primitives and the fenced checkpoint table (docs/postgres.md).
        .target(name: "SluicePostgres", dependencies: ["CLibPQ", "SluiceDocument"], swiftSettings: strict),

        // The YAML catalog (flow.yaml shape) as a checked model (docs/catalog.md).
        .target(name: "SluiceCatalog", dependencies: ["Yams"], swiftSettings: strict),

        // Document pillar: JSON parse/serialize, document model, pointers, ordering, packed keys.
        .target(name: "SluiceDocument", swiftSettings: strict),

        // JSON Schema 2020-12: compile, validate, annotations (docs/schema.md).
        .target(name: "SluiceSchema", dependencies: ["SluiceDocument"], swiftSettings: strict),

        // Reduction strategies: documents reduced by their `reduce` annotations (docs/reduce.md).
        .target(name: "SluiceReduce", dependencies: ["SluiceDocument", "SluiceSchema"], swiftSettings: strict),

        // The combiner: documents reduced by key within a memory budget, spilling to lz4 runs.
        .target(
            name: "SluiceCombine",
            dependencies: ["SluiceDocument", "SluiceSchema", "SluiceReduce", "CLZ4"],
            swiftSettings: strict),

        // Collections over journals: partitions, framing, write and read-committed paths, compaction.
        .target(
            name: "SluiceCollection",
            dependencies: ["SluiceJournal", "SluiceMessage", "SluiceDocument", "SluiceSchema", "SluiceReduce",
                           "SluiceCombine", "SluiceCatalog"],
            swiftSettings: strict),

        // A Redis client (RESP2 over POSIX sockets) and fenced exactly-once commits (docs/redis.md).
        .target(name: "SluiceRedis", swiftSettings: strict),

        // An S3 client (SigV4 over URLSession) with multipart uploads (docs/s3.md).
        .target(name: "SluiceS3", dependencies: ["CLibCrypto"], swiftSettings: strict),

        // The shape every connector shares: task context, capture/derivation/materialization protocols.
        .target(
            name: "SluiceTask",
            dependencies: ["SluiceCollection", "SluiceCatalog", "SluiceDocument", "SluiceSQLite",
                           .product(name: "Logging", package: "swift-log")],
            swiftSettings: strict),

        // Materialization connectors: sqlite, postgres, redis, files, s3 (docs/materializations.md).
        .target(
            name: "SluiceMaterialize",
            dependencies: ["SluiceTask", "SluiceSQLite", "SluicePostgres", "SluiceRedis", "SluiceS3", "SluiceDocument",
                           "SluiceCatalog", "SluiceCollection", "SluiceSchema", "CZstd",
                           .product(name: "Logging", package: "swift-log")],
            swiftSettings: strict),

        // A small HTTP/1.1 server over SwiftNIO: routes with path parameters, async handlers,
        // body limits (http-ingest; later the runtime's /metrics).
        .target(
            name: "SluiceHTTP",
            dependencies: [.product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOPosix", package: "swift-nio"),
                           .product(name: "NIOHTTP1", package: "swift-nio")],
            swiftSettings: strict),

        // Capture connectors: files (JSON lines, CSV, compressed, follow), http-ingest (docs/captures.md).
        .target(
            name: "SluiceCapture",
            dependencies: ["SluiceTask", "SluiceDocument", "SluiceSchema", "SluiceCatalog", "SluiceCollection", "SluiceHTTP", "SluicePostgres",
                           "CZstd", "CLZ4", "CZlib", .product(name: "Logging", package: "swift-log")],
            swiftSettings: strict),

        // Derivation connectors: SQLite lambdas (Flow-compatible) and Swift transforms (docs/derivations.md).
        .target(
            name: "SluiceDerive",
            dependencies: ["SluiceTask", "SluiceSQLite", "SluiceDocument", "SluiceCatalog", "SluiceCollection"],
            swiftSettings: strict),

        // Runs a catalog's tasks: state store, capture/derivation/materialization runners, engine.
        .target(
            name: "SluiceRuntime",
            dependencies: ["SluiceTask", "SluiceMaterialize", "SluiceCapture", "SluiceCollection", "SluiceCatalog", "SluiceMessage", "SluiceJournal",
                           "SluiceSQLite", "SluiceCombine", "SluiceReduce", "SluiceDocument", "SluiceSchema", "SluiceDerive",
                           .product(name: "Logging", package: "swift-log")],
            swiftSettings: strict),

        // Commands as a library, testable in-process.
        .target(
            name: "SluiceCLI",
            dependencies: [
                "SluiceJournal", "SluiceDocument", "SluiceSchema", "SluiceWorkload", "SluiceCatalog", "SluiceCollection",
                "SluiceRuntime", "SluiceTask", "SluiceCapture", "SluiceDerive",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict),
        .executableTarget(name: "sluice", dependencies: ["SluiceCLI"], swiftSettings: strict),

        // Benchmark bodies (run small by tests, large by sluice-bench and Benchmarks/).
        .target(
            name: "SluiceBench",
            dependencies: ["SluiceJournal", "SluiceDocument", "SluiceWorkload", "SluiceSchema", "SluiceReduce", "SluiceCombine",
                           "SluiceCollection", "SluiceCatalog", "SluiceRuntime", "SluiceSQLite", "SluicePostgres", "SluiceCapture", "SluiceTask", "SluiceDerive",
                           .product(name: "Logging", package: "swift-log")],
            swiftSettings: strict),
        .executableTarget(
            name: "sluice-bench",
            dependencies: [
                "SluiceBench", "SluiceWorkload", "SluiceReduce", "SluiceTestSupport",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: strict),

        // Crash-test helper: appends until SIGKILLed, acknowledging each append (CrashTests).
        .executableTarget(
            name: "sluice-torture", dependencies: ["SluiceJournal", "SluiceWorkload"], swiftSettings: strict),

        // Shared by test targets only: temporary folders, child processes, servers on loopback.
        .target(name: "SluiceTestSupport", swiftSettings: strict),

        .testTarget(name: "SluiceWorkloadTests", dependencies: ["SluiceWorkload"], swiftSettings: strict),
        .testTarget(name: "SluiceJournalTests", dependencies: ["SluiceJournal", "SluiceWorkload"], swiftSettings: strict),
        .testTarget(name: "SluiceDocumentTests", dependencies: ["SluiceDocument", "SluiceWorkload"], swiftSettings: strict),
        .testTarget(name: "SluiceMessageTests", dependencies: ["SluiceMessage", "SluiceWorkload"], swiftSettings: strict),
        .testTarget(name: "SluiceCatalogTests", dependencies: ["SluiceCatalog"], swiftSettings: strict),
        .testTarget(name: "SluiceSQLiteTests", dependencies: ["SluiceSQLite"], swiftSettings: strict),
        .testTarget(name: "SluiceSchemaTests", dependencies: ["SluiceSchema", "SluiceWorkload"], swiftSettings: strict),
        .testTarget(name: "SluiceReduceTests", dependencies: ["SluiceReduce", "SluiceSchema", "SluiceDocument", "SluiceWorkload"], swiftSettings: strict),
        .testTarget(
            name: "SluiceCombineTests",
            dependencies: ["SluiceCombine", "SluiceReduce", "SluiceSchema", "SluiceDocument", "SluiceWorkload"],
            swiftSettings: strict),
        .testTarget(
            name: "SluiceCollectionTests",
            dependencies: ["SluiceCollection", "SluiceTestSupport", "SluiceWorkload"],
            swiftSettings: strict),
        .testTarget(
            name: "SluicePostgresTests",
            dependencies: ["SluicePostgres", "SluiceDocument", "SluiceTestSupport", "SluiceWorkload"],
            swiftSettings: strict),
        .testTarget(
            name: "SluiceRuntimeTests",
            dependencies: ["SluiceRuntime", "SluiceTask", "SluiceTestSupport", "SluiceWorkload", "SluiceDerive"],
            swiftSettings: strict),
        .testTarget(
            name: "SluiceDeriveTests",
            dependencies: ["SluiceDerive", "SluiceTask", "SluiceSQLite", "SluiceCatalog", "SluiceCollection", "SluiceDocument",
                           "SluiceTestSupport", "SluiceWorkload", .product(name: "Logging", package: "swift-log")],
            swiftSettings: strict),
        .testTarget(name: "SluiceCLITests", dependencies: ["SluiceCLI", "SluiceTestSupport", "SluiceWorkload"], swiftSettings: strict),
        .testTarget(
            name: "SluiceRedisTests", dependencies: ["SluiceRedis", "SluiceTestSupport", "SluiceWorkload"], swiftSettings: strict),
        .testTarget(
            name: "SluiceS3Tests", dependencies: ["SluiceS3", "SluiceTestSupport", "SluiceWorkload"], swiftSettings: strict),
        .testTarget(
            name: "SluiceMaterializeTests",
            dependencies: ["SluiceMaterialize", "SluiceRuntime", "SluiceTask", "SluiceTestSupport", "SluiceWorkload", "SluiceSQLite",
                           "SluicePostgres", "SluiceRedis", "SluiceS3", "SluiceCollection", "SluiceCatalog", "SluiceDocument",
                           "SluiceSchema", "CZstd"],
            swiftSettings: strict),
        .testTarget(
            name: "SluiceCaptureTests",
            dependencies: ["SluiceCapture", "SluiceHTTP", "SluiceTask", "SluiceRuntime", "SluiceCollection", "SluiceDocument",
                           "SluicePostgres", "SluiceCatalog", "SluiceSQLite", "SluiceTestSupport", "SluiceWorkload", "CZstd", "CLZ4",
                           "CZlib"],
            swiftSettings: strict),
        .testTarget(name: "SluiceHTTPTests", dependencies: ["SluiceHTTP", "SluiceTestSupport"], swiftSettings: strict),
        .testTarget(
            name: "SluiceBenchTests",
            dependencies: ["SluiceBench", "SluiceJournal", "SluiceWorkload", "SluiceCombine", "SluiceDocument", "SluiceSchema",
                           "SluiceTestSupport"],
            swiftSettings: strict),
    ],
    swiftLanguageModes: [.v6]
)

// libFuzzer targets (Fuzz/Sources, docs/reliability.md): declared only for `make fuzz`, which
// sets SLUICE_FUZZ=1 and builds them with sanitizers in .build-fuzz/, so the normal build never
// sees them (their @main hands control to libFuzzer's runtime, linked only there).
if Context.environment["SLUICE_FUZZ"] == "1" {
    package.targets += [
        .target(name: "FuzzDriver", path: "Fuzz/Sources/FuzzDriver"),
        .executableTarget(name: "fuzz-schema", dependencies: ["FuzzDriver", "SluiceSchema", "SluiceDocument"],
                          path: "Fuzz/Sources/fuzz-schema"),
        .executableTarget(name: "fuzz-catalog", dependencies: ["FuzzDriver", "SluiceCatalog"], path: "Fuzz/Sources/fuzz-catalog"),
        .executableTarget(name: "fuzz-spool", dependencies: ["FuzzDriver", "SluiceJournal"], path: "Fuzz/Sources/fuzz-spool"),
    ]
}

