// swift-tools-version: 6.1
// Benchmarks for batchplan, kept out of `swift test`: `swift run -c release --package-path Benchmarks batchplan-bench`.
import PackageDescription

let package = Package(
    name: "batchplan-benchmarks",
    platforms: [.macOS(.v13)],
    dependencies: [.package(name: "batchplan", path: "..")],
    targets: [
        // What the benchmarks share: the digest of a fitted calibration.
        .target(name: "BenchSupport", dependencies: [.product(name: "BatchPlanCore", package: "batchplan")]),
        .executableTarget(
            name: "batchplan-bench",
            dependencies: [
                "BenchSupport",
                .product(name: "BatchPlanCore", package: "batchplan"),
                .product(name: "BatchPlanCatalog", package: "batchplan"),
            ]
        ),
        .executableTarget(
            name: "refit-bench",
            dependencies: [
                "BenchSupport",
                .product(name: "BatchPlanCore", package: "batchplan"),
                .product(name: "BatchPlanCatalog", package: "batchplan"),
            ]
        ),
        .executableTarget(
            name: "steptime-bench",
            dependencies: [
                .product(name: "BatchPlanCore", package: "batchplan"),
                .product(name: "BatchPlanCatalog", package: "batchplan"),
            ]
        ),
    ],
    swiftLanguageModes: [.v6]
)
