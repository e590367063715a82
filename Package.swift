// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "TraceLab",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "tracelab", targets: ["tracelab"]),
        .library(name: "TraceModel", targets: ["TraceModel"]),
        .library(name: "TraceReaders", targets: ["TraceReaders"]),
        .library(name: "FalcoRules", targets: ["FalcoRules"]),
        .library(name: "Store", targets: ["Store"]),
        .library(name: "Scenarios", targets: ["Scenarios"]),
        .library(name: "Grading", targets: ["Grading"]),
        .library(name: "Packets", targets: ["Packets"]),
        .library(name: "Reports", targets: ["Reports"]),
        .library(name: "Metrics", targets: ["Metrics"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.0.0"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.0.0"),
    ],
    targets: [
        .systemLibrary(name: "CLibCrypto", pkgConfig: "libcrypto", providers: [.apt(["libssl-dev"])]),
        .systemLibrary(name: "CPcap", providers: [.apt(["libpcap-dev"])]),
        .target(name: "CGzipStream", dependencies: ["CZlib"]),
        .target(name: "Packets", dependencies: ["CPcap", "CGzipStream", "TraceModel"]),
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        .target(name: "CRE2", linkerSettings: [.linkedLibrary("re2")]),
        .target(name: "TraceModel", dependencies: ["CLibCrypto", "CRE2"]),
        .target(name: "Metrics", dependencies: ["TraceModel"]),
        // The scap reader's per-event state lives in class properties marked @exclusivity(unchecked) (runtime
        // exclusivity checks cost 8% of a capture's read); no unsafeFlags, so other packages can depend on these libraries.
        .target(name: "TraceReaders", dependencies: ["TraceModel", "CGzipStream"]),
        .target(name: "FalcoRules", dependencies: ["TraceModel", .product(name: "Yams", package: "Yams")]),
        .target(name: "Store", dependencies: ["TraceModel", "TraceReaders", "Packets", "Metrics", .product(name: "GRDB", package: "GRDB.swift"), .product(name: "GRDBSQLite", package: "GRDB.swift")]),
        // The one replay loop (any reader or the store, through the rule engine; runs written back) and the metric sources PromQL reads.
        .target(name: "Replay", dependencies: ["TraceModel", "TraceReaders", "FalcoRules", "Packets", "Metrics", "Store"]),
        .target(name: "Scenarios", dependencies: ["TraceModel", "TraceReaders", "FalcoRules", "Replay", "Store", "Packets", "Metrics", .product(name: "Yams", package: "Yams")]),
        .target(name: "Grading", dependencies: ["TraceModel", "TraceReaders", "FalcoRules", "Scenarios", "Metrics", "Store", "Replay", "CZlib", .product(name: "Yams", package: "Yams")]),
        .target(name: "Reports", dependencies: ["Grading", "Scenarios", "Metrics", "TraceModel"]),
        // The benchmarks `tracelab bench` runs, each beside its anchor tool (the CLI only parses and prints).
        .target(name: "Benchmarking", dependencies: ["TraceModel", "TraceReaders", "FalcoRules", "Replay", "Store", "Packets", "Metrics", "Grading", "CGzipStream"]),
        .executableTarget(
            name: "tracelab",
            dependencies: [
                "TraceModel", "TraceReaders", "FalcoRules", "Store", "Replay", "Scenarios", "Grading", "Reports", "Packets", "Metrics", "Benchmarking",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]),
        // What the tests share: prerequisites (../shared, oracle tools) and the pinned conformance baselines.
        .target(name: "TestSupport", dependencies: ["TraceModel"], path: "Tests/TestSupport"),
        .testTarget(name: "FalcoRulesTests", dependencies: ["TestSupport", "FalcoRules", "Replay", "TraceModel", "TraceReaders"], exclude: ["scap-conditions.txt"]),
        .testTarget(name: "TraceReadersTests", dependencies: ["TestSupport", "TraceReaders", "TraceModel", .product(name: "Yams", package: "Yams")]),
        .testTarget(name: "StoreTests", dependencies: ["TestSupport", "Store", "Replay", "TraceReaders", "TraceModel", "FalcoRules", "Packets", .product(name: "GRDB", package: "GRDB.swift")]),
        .testTarget(name: "ScenariosTests", dependencies: ["TestSupport", "Scenarios", "Replay", "FalcoRules", "TraceReaders", "TraceModel", "Store"]),
        .testTarget(name: "PacketsTests", dependencies: ["TestSupport", "Packets", "TraceModel"]),
        .testTarget(name: "MetricsTests", dependencies: ["TestSupport", "Metrics", "TraceModel"]),
        .testTarget(name: "GradingTests", dependencies: ["TestSupport", "Grading", "Reports", "Scenarios", "FalcoRules", "Metrics", "Packets", "Store", "TraceModel"]),
        .testTarget(name: "TracelabCLITests", dependencies: ["TestSupport", "tracelab", "TraceReaders", "TraceModel", "FalcoRules", "Grading", "Benchmarking", "Packets", .product(name: "GRDB", package: "GRDB.swift")]),
    ],
    swiftLanguageModes: [.v6]
)
