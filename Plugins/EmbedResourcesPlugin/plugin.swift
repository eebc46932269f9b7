import Foundation
import PackagePlugin

/// Embeds `Migrations/*.sql` and every file under `data/` into a generated Swift source,
/// so an installed `batchplan` binary needs no source tree at run time, with a fingerprint of BatchPlanCore's
/// sources (what keys the catalog's accounting cache).
@main
struct EmbedResourcesPlugin: BuildToolPlugin {
    func createBuildCommands(context: PluginContext, target: Target) throws -> [Command] {
        let root = context.package.directoryURL
        // BatchPlanCore's and BatchPlanCatalog's sources are read for their fingerprints only (the keys of the
        // accounting cache and of the runs' kept calibration facts), not embedded.
        let inputs = try Self.files(under: root.appending(path: "Migrations"), root: root)
            + Self.files(under: root.appending(path: "data"), root: root)
            + Self.files(under: root.appending(path: "Sources/BatchPlanCore"), root: root).filter { $0.relative.hasSuffix(".swift") }
            + Self.files(under: root.appending(path: "Sources/BatchPlanCatalog"), root: root).filter { $0.relative.hasSuffix(".swift") }
        let output = context.pluginWorkDirectoryURL.appending(path: "EmbeddedResources.swift")
        return [
            .buildCommand(
                displayName: "Embedding \(inputs.count) migration and data files",
                executable: try context.tool(named: "EmbedResources").url,
                arguments: [output.path(), root.path()] + inputs.map(\.relative),
                inputFiles: inputs.map(\.url),
                outputFiles: [output]
            )
        ]
    }

    private static func files(under folder: URL, root: URL) throws -> [(url: URL, relative: String)] {
        guard let walker = FileManager.default.enumerator(at: folder, includingPropertiesForKeys: [.isRegularFileKey])
        else { return [] }
        var found: [(URL, String)] = []
        for case let url as URL in walker {
            guard (try url.resourceValues(forKeys: [.isRegularFileKey]).isRegularFile) == true,
                !url.lastPathComponent.hasPrefix(".")
            else { continue }
            let relative = String(url.standardizedFileURL.path().dropFirst(root.standardizedFileURL.path().count))
            found.append((url, relative.hasPrefix("/") ? String(relative.dropFirst()) : relative))
        }
        return found.sorted { $0.1 < $1.1 }
    }
}
