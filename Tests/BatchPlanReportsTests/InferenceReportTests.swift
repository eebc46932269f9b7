import BatchPlanCore
import Foundation
import FoundationXML
import Testing

@testable import BatchPlanReports

/// The inference report of a fixed small decoder on a fixed card, in every format, against golden files.
///
/// To accept a deliberate change: `BATCHPLAN_UPDATE_GOLDEN=1 swift test --filter InferenceReportTests`.
@Suite("Inference report")
struct InferenceReportTests {
    /// A small grouped-query llama: 2 key/value heads for 8 query heads.
    static let config = """
        {"model_type": "llama", "hidden_size": 1024, "num_attention_heads": 8, "num_key_value_heads": 2,
         "num_hidden_layers": 4, "intermediate_size": 4096, "vocab_size": 32000, "max_position_embeddings": 8192}
        """

    static let card = GPU(
        name: "test 8GB", vendor: .nvidia, architecture: "ampere", segment: "other", memoryBytes: 8 << 30,
        marketedMemory: "8GB", marketedMemoryBytes: 8 << 30, supportsBF16: true, supportsFP8: false, sourceURL: "test",
        origin: .user)

    static func report(_ question: InferenceQuestion = .concurrency) throws -> InferenceReport {
        let definition = ModelDefinition(name: "tiny-llama", kind: .huggingFace, payload: config, source: "test", origin: .user)
        let model = try InferenceModel(definition: definition, accounting: definition.account())
        let workload = question == .concurrency
            ? InferenceWorkload(sequences: 1, contextTokens: 4096, promptTokens: 3072)
            : InferenceWorkload(sequences: 1, contextTokens: 4096)
        let solution = try InferencePlanner.solve(
            question, model: model, gpu: card, configuration: InferenceConfiguration(dtype: .bf16), workload: workload,
            budget: .utilization(0.9))
        return try InferenceReportBuilder.report(
            model: model, plans: [(card, solution)], question: "tiny-llama: the sample question",
            versions: ReportVersions(batchplan: "0.1.0", catalogSchema: "0005_run_phase", data: "test"),
            generatedAt: Date(timeIntervalSince1970: 1_796_817_600))
    }

    @Test("each format renders the sample exactly as its golden file", arguments: ReportFormat.allCases)
    func golden(format: ReportFormat) throws {
        let rendered = try InferenceReportRenderer(format: format).render(Self.report())
        let name = "inference.\(format.renderer.fileExtension)"
        if ProcessInfo.processInfo.environment["BATCHPLAN_UPDATE_GOLDEN"] == "1" {
            let source = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
                .appendingPathComponent("Golden").appendingPathComponent(name)
            try rendered.write(to: source, atomically: true, encoding: .utf8)
            return
        }
        let url = try #require(
            Bundle.module.url(forResource: "inference", withExtension: format.renderer.fileExtension, subdirectory: "Golden"),
            "missing Golden/\(name); run with BATCHPLAN_UPDATE_GOLDEN=1 once")
        let golden = try String(contentsOf: url, encoding: .utf8)
        #expect(rendered == golden, "\(name) differs from its golden file")
    }

    @Test("the curve climbs to the answer, which fits, and one step past it, which does not")
    func curve() throws {
        let card = try #require(try Self.report().cards.first)
        let answer = card.solution.answer
        #expect(answer > 1)
        let last = try #require(card.curve.last)
        #expect(last.sequences > answer && !last.fits)
        let upToAnswer = card.curve.filter { $0.sequences <= answer }
        #expect(upToAnswer.allSatisfy { $0.fits })
        #expect(card.curve.map(\.kvCache) == card.curve.map(\.kvCache).sorted())
        #expect(card.curve.allSatisfy { $0.weights + $0.kvCache + $0.activations + $0.other == $0.deviceUsed })
    }

    @Test("the JSON contract has schema_version 1, the kind and integer bytes")
    func json() throws {
        let text = try InferenceReportRenderer(format: .json).render(Self.report(.longestContext))
        let object = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        #expect(object["schema_version"] as? Int == 1 && object["kind"] as? String == "inference_report")
        let card = try #require((object["cards"] as? [[String: Any]])?.first)
        #expect(card["curve_axis"] as? String == "context_tokens")
        #expect(card["question"] as? String == "longest-context")
        let components = try #require(card["components"] as? [String: Int])
        #expect(components.values.reduce(0, +) == card["device_used_bytes"] as? Int)
    }

    @Test("the HTML page is well-formed XML with one chart per card")
    func html() throws {
        let text = try InferenceReportRenderer(format: .html).render(Self.report())
        let parser = XMLParser(data: Data(text.replacingOccurrences(of: "<!DOCTYPE html>", with: "").utf8))
        #expect(parser.parse(), "\(parser.parserError.map(String.init(describing:)) ?? "")")
        #expect(text.components(separatedBy: "<svg").count - 1 == 1)
    }
}
