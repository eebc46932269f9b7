import Foundation
import Testing

@testable import BatchPlanCore

@Suite("Training stack")
struct TrainingStackTests {
    typealias P = PlannerFixtures

    /// A model whose AdamW step is the peak at batch 1: 4 linear layers of 1,000 × 1,000.
    static let model = ModelAccounting(
        name: "mlp", family: .custom, input: .tensor([1000]), task: .classification,
        layers: (0..<4).map { index in
            LayerAccount(
                name: "fc\(index)", type: "Linear", parameters: 1_001_000, outputShape: [1000],
                saved: SavedTensors(activation: 1000), role: index == 3 ? .head : .body,
                linearShape: .init(inFeatures: 1000, outFeatures: 1000))
        },
        outputClasses: 1000, inputBytesPerSample: 4000)

    static func estimate(_ configuration: TrainingConfiguration) throws -> MemoryEstimate {
        try Planner.estimate(model: model, gpu: nil, configuration: configuration)
    }

    @Test("the optimizer step's temporaries follow its implementation: foreach over all parameters, for-loop one, fused none")
    func implementations() throws {
        var configuration = TrainingConfiguration(precision: .fp32, optimizer: .adamw, batchSize: 1)
        func step(_ implementation: OptimizerImplementation?) throws -> Int {
            configuration.stack = implementation.map { TrainingStackOverrides(optimizerImplementation: $0) }
            let e = try Self.estimate(configuration)
            return e.phases.first { $0.name == "optimizer-step" }!.allocatedBytes
        }
        let foreach = try step(nil)
        let forLoop = try step(.forLoop)
        let fused = try step(.fused)
        #expect(foreach - fused == 4 * 1_001_000 * 4, "one fp32 list over every parameter (sqrt of exp_avg_sq)")
        #expect(forLoop - fused == 1_001_000 * 4, "one parameter's worth")
    }

    @Test("each trainer's defaults are visible in the assumptions, with their source", arguments: Trainer.Kind.allCases)
    func defaultsAreStated(kind: Trainer.Kind) throws {
        let configuration = TrainingConfiguration(precision: .bf16Amp, optimizer: .adamw, trainer: Trainer(kind: kind))
        let notes = try Self.estimate(configuration).assumptions.filter { $0.hasPrefix("training stack \(kind.rawValue)") }
        #expect(notes.contains { $0.contains("optimizer step:") && $0.contains("default") })
        #expect(notes.contains { $0.contains("optimizer in backward:") })
        #expect(notes.contains { $0.contains("loss dtype:") })
        #expect(notes.contains { $0.contains("autocast weight cache:") })
    }

    @Test("Hugging Face Trainer before 4.32 steps transformers' own AdamW one parameter at a time; later, torch's foreach; with PyTorch 2.8 fused")
    func hfTrainerVersions() throws {
        func implementation(_ trainer: String, torch: String? = nil) throws -> OptimizerImplementation {
            let configuration = TrainingConfiguration(
                optimizer: .adamw, framework: Framework(name: .pytorch, version: torch), trainer: try Trainer(parsing: trainer))
            return TrainingStack.resolve(configuration).optimizerImplementation
        }
        #expect(try implementation("hf-trainer-4.31") == .forLoop)
        #expect(try implementation("hf-trainer-4.45", torch: "2.4") == .foreach)
        #expect(try implementation("hf-trainer", torch: "2.8") == .fused)
        #expect(try implementation("deepspeed") == .fused)
        #expect(try implementation("pytorch", torch: "1.13") == .forLoop)
    }

    @Test("torchtune steps in backward on one GPU: no moment where every gradient exists, and it cannot accumulate")
    func optimizerInBackward() throws {
        let plain = try Self.estimate(TrainingConfiguration(precision: .bf16, optimizer: .adamw, batchSize: 4))
        let tuned = try Self.estimate(
            TrainingConfiguration(precision: .bf16, optimizer: .adamw, batchSize: 4, trainer: Trainer(kind: .torchtune)))
        #expect(tuned.peakAllocatedBytes < plain.peakAllocatedBytes)
        #expect(tuned.components.gradients <= 1_001_000 * 2)
        #expect(throws: CoreError.self) {
            try Self.estimate(TrainingConfiguration(
                optimizer: .adamw, gradAccumSteps: 4, stack: TrainingStackOverrides(optimizerInBackward: true)))
        }
        // Its own flag overrides the trainer's default.
        let off = try Self.estimate(TrainingConfiguration(
            precision: .bf16, optimizer: .adamw, batchSize: 4, trainer: Trainer(kind: .torchtune),
            stack: TrainingStackOverrides(optimizerInBackward: false)))
        #expect(off.peakAllocatedBytes == plain.peakAllocatedBytes)
    }

    @Test("zeroed gradients stay resident in forward; bucket views drop DDP's copy; evictable paged state leaves forward")
    func otherSwitches() throws {
        let base = TrainingConfiguration(precision: .fp32, optimizer: .sgdMomentum, batchSize: 8)
        var zeroed = base
        zeroed.stack = TrainingStackOverrides(gradientsSetToNone: false)
        let forward = { (e: MemoryEstimate) in e.phases.first { $0.name == "forward" }!.allocatedBytes }
        #expect(try forward(Self.estimate(zeroed)) - forward(Self.estimate(base)) == 4 * 1_001_000 * 4)

        var ddp = base
        ddp.gpus = 4
        var view = ddp
        view.stack = TrainingStackOverrides(gradientAsBucketView: true)
        #expect(try Self.estimate(ddp).peakAllocatedBytes - Self.estimate(view).peakAllocatedBytes == 4 * 1_001_000 * 4)

        var paged = TrainingConfiguration(precision: .fp32, optimizer: .pagedAdamw, batchSize: 8)
        let resident = try forward(Self.estimate(paged))
        paged.stack = TrainingStackOverrides(pagedStateEvictable: true)
        #expect(resident - (try forward(Self.estimate(paged))) == 4 * 1_001_000 * 8)
    }

    @Test("a loss in the compute dtype saves no fp32 copy of the logits")
    func lossDtype() throws {
        let model = P.toyTransformer()
        var configuration = TrainingConfiguration(precision: .bf16Amp, optimizer: .adamw)
        let upcast = model.asTrained(by: configuration)
        configuration.stack = TrainingStackOverrides(lossInComputeDtype: true)
        let compute = model.asTrained(by: configuration)
        let loss = { (m: ModelAccounting) in m.layers.first { $0.role == .loss }!.saved }
        #expect(loss(upcast).fp32 == 10)
        #expect(loss(compute).fp32 == 0 && loss(compute).activation == 10 + 10)
    }

    @Test("names users type resolve to an optimizer and, where they say it, an implementation")
    func optimizerNames() throws {
        #expect(try OptimizerNames.parse("adamw_torch_fused") == .init(optimizer: .adamw, implementation: .fused))
        #expect(try OptimizerNames.parse("adamw_hf") == .init(optimizer: .adamw, implementation: .forLoop))
        #expect(try OptimizerNames.parse("Adam8bit").optimizer == .adam8bit)
        #expect(try OptimizerNames.parse("bnb.optim.PagedAdamW8bit").optimizer == .pagedAdamw8bit)
        #expect(try OptimizerNames.parse("paged_adamw_8bit").optimizer == .pagedAdamw8bit)
        #expect(try OptimizerNames.parse("adam-8bit").optimizer == .adam8bit)
        #expect(try OptimizerNames.parse("lion_32bit").optimizer == .lion)
        let error = #expect(throws: CoreError.self) { try OptimizerNames.parse("adamw_torch_fusd") }
        #expect(error.map { "\($0)".contains("did you mean \"adamw_torch_fused\"") } == true)
    }

    @Test("trainer names parse with versions, and a typo gets a did-you-mean")
    func trainerNames() throws {
        #expect(try Trainer(parsing: "hf-trainer-4.31") == Trainer(kind: .hfTrainer, version: "4.31"))
        #expect(try Trainer(parsing: "LitGPT") == Trainer(kind: .litgpt))
        let error = #expect(throws: CoreError.self) { try Trainer(parsing: "torchtun") }
        #expect(error.map { "\($0)".contains("did you mean \"torchtune\"") } == true)
    }
}
