// swift-tools-version:6.0
// libFuzzer harnesses for TraceLab's input readers, built apart from the product with -sanitize=fuzzer,address:
// `Fuzz/run` builds them and runs each target for a bounded time. The entry point hands the command line to
// libFuzzer's driver (SwiftPM gives an executable target its own main).
import PackageDescription

let package = Package(
    name: "TraceLabFuzz",
    platforms: [.macOS(.v14)],
    dependencies: [.package(name: "TraceLab", path: "..")],
    targets: [
        .executableTarget(
            name: "TraceLabFuzz",
            dependencies: [
                .product(name: "TraceModel", package: "TraceLab"), .product(name: "TraceReaders", package: "TraceLab"),
                .product(name: "FalcoRules", package: "TraceLab"), .product(name: "Packets", package: "TraceLab"),
                .product(name: "Metrics", package: "TraceLab"), .product(name: "Grading", package: "TraceLab"),
            ],
            // gold trips over the sanitized objects' debug info; lld links them.
            linkerSettings: [.unsafeFlags(["-use-ld=lld"])]),
    ]
)
