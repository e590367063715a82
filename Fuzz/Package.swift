// swift-tools-version:6.0
// libFuzzer harnesses for TraceLab's input readers, built apart from the product (they have no main; libFuzzer
// gives one): `Fuzz/run` builds them with -sanitize=fuzzer,address and runs each target for a bounded time.
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
            swiftSettings: [.unsafeFlags(["-parse-as-library"])]),
    ]
)
