import ArgumentParser
import BatchPlanCatalog
import BatchPlanCore
import Foundation

extension BatchPlan.Models {
    struct Import: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "import",
            abstract: "Import a model from a Hugging Face config.json, a layer-spec JSON or a PyTorch profile.",
            discussion: """
                The most exact path is a profile written by tools/profile_torch.py: it records what autograd really \
                saves for your model. A config.json gives exact parameter counts for the known model_types; a layer \
                spec describes your own network layer by layer (see the README).

                Examples:
                  batchplan models import --hf ./config.json --name my-llama
                  batchplan models import --spec ./mynet.json
                  batchplan models import --profile ./resnet18.profile.json --name resnet18-profiled
                """
        )

        @OptionGroup var catalog: CatalogOptions
        @Option(help: "A Hugging Face config.json.") var hf: String?
        @Option(help: "A layer-spec JSON file.") var spec: String?
        @Option(help: "A profile JSON written by tools/profile_torch.py.") var profile: String?
        @Option(help: "Name for the model (default: the spec's or profile's own name).") var name: String?
        @Flag(help: "Replace a model of yours with the same name.") var replace = false

        func run() throws {
            let given = [(hf, ModelDefinitionKind.huggingFace), (spec, .layerSpec), (profile, .torchProfile)]
                .compactMap { path, kind in path.map { ($0, kind) } }
            guard given.count == 1, let (path, kind) = given.first else {
                throw Usage.error("give exactly one of --hf, --spec or --profile")
            }
            let data = try InputFile.read(path)
            guard let text = String(data: data, encoding: .utf8) else {
                throw CatalogError.invalidInput("\(path) is not UTF-8 text; save it as UTF-8 JSON")
            }
            let modelName = try name ?? Self.embeddedName(text) ?? {
                guard kind != .huggingFace else { throw Usage.error("--name is required with --hf (a config.json has no model name)") }
                return URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent
            }()
            let model = try catalog.open().addModel(
                ModelDefinition(name: modelName, kind: kind, payload: text, source: URL(fileURLWithPath: path).path, origin: .user),
                replacing: replace)
            Output.note("imported model \"\(model.name)\" (\(model.family.rawValue), \(ModelFormatting.count(model.parameters)) parameters)")
        }

        /// The `name` (spec) or `model` (profile) field of a JSON object, if any.
        static func embeddedName(_ text: String) -> String? {
            guard let object = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any] else { return nil }
            return (object["name"] as? String) ?? (object["model"] as? String)
        }
    }
}
