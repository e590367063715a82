// swift-tools-version:6.1
// Benchmarks with package-benchmark, kept out of the main build and of CI:
//   cd Benchmarks && swift package benchmark
import PackageDescription

let package = Package(
    name: "TraceLabBenchmarks",
    platforms: [.macOS(.v14)],
    dependencies: [
        .package(name: "TraceLab", path: ".."),
        .package(url: "https://github.com/ordo-one/benchmark", from: "1.38.0", traits: ["MallocInterposer"]),
    ],
    targets: [
        .executableTarget(
            name: "RuleEngineBenchmarks",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "FalcoRules", package: "TraceLab"),
                .product(name: "TraceReaders", package: "TraceLab"),
                .product(name: "TraceModel", package: "TraceLab"),
            ],
            path: "Benchmarks/RuleEngineBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]),
    ]
)
