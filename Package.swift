// swift-tools-version: 6.1
// batchplan: plans GPU training memory and the largest batch that fits.
import PackageDescription

let package = Package(
    name: "batchplan",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "batchplan", targets: ["batchplan"]),
        .library(name: "BatchPlanCore", targets: ["BatchPlanCore"]),
        .library(name: "BatchPlanCatalog", targets: ["BatchPlanCatalog"]),
        .library(name: "BatchPlanReports", targets: ["BatchPlanReports"]),
    ],
    dependencies: [
        // Pinned exactly: this machine's git ignores Package.resolved, so the manifest is the pin.
        .package(url: "https://github.com/groue/GRDB.swift", exact: "7.10.0"),
        .package(url: "https://github.com/apple/swift-argument-parser", exact: "1.8.2"),
    ],
    targets: [
        // Pure value types and math: model accounting, the memory model, the solver, calibration.
        .target(name: "BatchPlanCore"),
        // The SQLite catalog (GRDB over the system libsqlite3), with migrations and seed data embedded at build time.
        .target(
            name: "BatchPlanCatalog",
            dependencies: ["BatchPlanCore", .product(name: "GRDB", package: "GRDB.swift")],
            plugins: ["EmbedResourcesPlugin"]
        ),
        // Renderers: table, JSON, CSV, Markdown, HTML with inline SVG charts.
        .target(name: "BatchPlanReports", dependencies: ["BatchPlanCore"]),
        // The command line: parses, calls the libraries, prints.
        .executableTarget(
            name: "batchplan",
            dependencies: [
                "BatchPlanCore", "BatchPlanCatalog", "BatchPlanReports",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        // Build-time generator: turns Migrations/*.sql and data/** into Swift string literals.
        .executableTarget(name: "EmbedResources"),
        .plugin(name: "EmbedResourcesPlugin", capability: .buildTool(), dependencies: ["EmbedResources"]),
        .testTarget(name: "BatchPlanCoreTests", dependencies: ["BatchPlanCore"], resources: [.copy("Fixtures")]),
        .testTarget(name: "BatchPlanCatalogTests", dependencies: ["BatchPlanCatalog"]),
        .testTarget(name: "BatchPlanReportsTests", dependencies: ["BatchPlanReports"], resources: [.copy("Golden")]),
        // End-to-end tests run the built `batchplan` binary; the dependency makes `swift test` build it first.
        .testTarget(name: "BatchPlanCLITests", dependencies: ["batchplan"]),
    ],
    swiftLanguageModes: [.v6]
)
