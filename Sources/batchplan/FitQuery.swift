import ArgumentParser
import BatchPlanCore

/// Which combinations `fit` and `report` try: models and the repeatable filters.
struct SelectionFlags: ParsableArguments {
    @Option(name: .customLong("model"), help: "Model to plan (repeatable; default: every model in the catalog).")
    var models: [String] = []
    @Option(name: .customLong("precision"), help: "Only these precisions (repeatable).") var precisions: [Precision] = []
    @Option(name: .customLong("optimizer"), help: "Only these optimizers (repeatable).") var optimizers: [OptimizerKind] = []
    @Option(name: .customLong("checkpointing"), help: "Only these checkpointing modes (repeatable).")
    var checkpointings: [Checkpointing] = []
    @Option(name: .customLong("mode"), help: "Only these training modes (repeatable).") var modes: [TrainingMode] = []
}

/// Every flag that decides a fit's answer, shared by `fit` and `report` so both ask the same question the same way.
struct FitFlags: ParsableArguments {
    @OptionGroup var cards: CardFlags
    @OptionGroup var selection: SelectionFlags
    @OptionGroup var accounting: AccountingFlags
    @OptionGroup var solver: SolverFlags
    @OptionGroup var training: TrainingFlags
    @OptionGroup var calibration: CalibrationFlags

    /// Flags holding `query`'s values, parsed from nothing and then set, so every check the flags make still runs.
    init(_ query: FitQuery) throws {
        self = try FitFlags.parse([])
        cards.memory = query.memory
        cards.gpu = query.gpus
        selection.models = query.models
        selection.precisions = query.precisions
        selection.optimizers = query.optimizers
        selection.checkpointings = query.checkpointing
        selection.modes = query.modes
        accounting.seq = query.seq
        accounting.image = query.image
        accounting.input = query.input
        accounting.task = query.task
        accounting.attention = query.attention
        solver.headroom = query.headroom
        solver.multipleOf = query.multipleOf
        solver.powerOfTwo = query.powerOfTwo
        solver.targetBatch = query.targetBatch
        solver.maxBatch = query.maxBatch
        solver.prefer = query.prefer
        solver.datasetSize = query.datasetSize
        training.loraRank = query.loraRank
        training.loraTargets = query.loraTargets
        training.loraDropout = query.loraDropout ?? 0
        training.gpus = query.dataParallelGPUs
        training.zero = query.zeroStage
        training.framework = query.framework
        training.stack.set(trainer: query.trainer, stack: query.stack)
        calibration.noCalibration = query.noCalibration
    }

    init() {}
}

/// A fit's question as plain values: the `fit` flags exactly as given, so a saved plan can ask it again.
///
/// Stored in the catalog as JSON (`saved_plan.query_json`), keys as the properties are named; a field added later must
/// be optional, so plans saved before it still decode.
struct FitQuery: Codable, Hashable {
    var memory: String?
    var gpus: [String] = []
    var models: [String] = []
    var precisions: [Precision] = []
    var optimizers: [OptimizerKind] = []
    var checkpointing: [Checkpointing] = []
    var modes: [TrainingMode] = []
    var seq: Int?
    var image: Int?
    var input: String?
    var task: TrainingTask?
    var attention: AttentionImplementation = .sdpa
    var headroom: String?
    var multipleOf = 1
    var powerOfTwo = false
    var targetBatch: Int?
    var maxBatch: Int?
    var prefer: PlanPreference = .speed
    /// Added with the step-time model: samples per epoch (`--dataset-size`).
    var datasetSize: Int?
    var loraRank = 8
    var loraTargets: String?
    var loraDropout: Double?
    var dataParallelGPUs = 1
    var zeroStage = 0
    var framework = "pytorch"
    var noCalibration = false
    /// `--trainer` and the training-stack flags (optional: plans saved before them still decode).
    var trainer: String?
    var stack: TrainingStackOverrides?

    init() {}

    init(_ flags: FitFlags) {
        memory = flags.cards.memory
        gpus = flags.cards.gpu
        models = flags.selection.models
        precisions = flags.selection.precisions
        optimizers = flags.selection.optimizers
        checkpointing = flags.selection.checkpointings
        modes = flags.selection.modes
        seq = flags.accounting.seq
        image = flags.accounting.image
        input = flags.accounting.input
        task = flags.accounting.task
        attention = flags.accounting.attention
        headroom = flags.solver.headroom
        multipleOf = flags.solver.multipleOf
        powerOfTwo = flags.solver.powerOfTwo
        targetBatch = flags.solver.targetBatch
        maxBatch = flags.solver.maxBatch
        prefer = flags.solver.prefer
        datasetSize = flags.solver.datasetSize
        loraRank = flags.training.loraRank
        loraTargets = flags.training.loraTargets
        loraDropout = flags.training.loraDropout == 0 ? nil : flags.training.loraDropout
        dataParallelGPUs = flags.training.gpus
        zeroStage = flags.training.zero
        framework = flags.training.framework
        noCalibration = flags.calibration.noCalibration
        trainer = flags.training.stack.trainer
        stack = try? flags.training.stack.parsed().1
    }

    /// Whether any flag differs from its default (a question was asked).
    var isEmpty: Bool { self == FitQuery() }

    /// The question in words: "Largest batch for resnet50 and gpt2 on RTX 3060 12GB (seq 1024)".
    func question(models names: [String], cards: [String]) -> String {
        var text = "Largest batch for \(Self.list(names)) on \(Self.list(cards))"
        var details: [String] = []
        if let seq { details.append("sequence \(seq)") }
        if let image { details.append("image \(image)×\(image)") }
        if let input { details.append("input \(input)") }
        if let targetBatch { details.append("global batch \(targetBatch)") }
        if dataParallelGPUs > 1 { details.append("\(dataParallelGPUs) GPUs, ZeRO \(zeroStage)") }
        for (flag, values) in [("precision", precisions.map(\.rawValue)), ("optimizer", optimizers.map(\.rawValue)),
                               ("checkpointing", checkpointing.map(\.rawValue)), ("mode", modes.map(\.rawValue))]
        where !values.isEmpty {
            details.append("\(flag) \(values.joined(separator: "/"))")
        }
        if !details.isEmpty { text += " (\(details.joined(separator: ", ")))" }
        return text
    }

    /// The `batchplan fit` flags that ask this question again (defaults left out).
    var arguments: [String] {
        var args: [String] = []
        func add(_ flag: String, _ value: String?) { if let value { args += ["--\(flag)", value] } }
        add("memory", memory)
        for gpu in gpus { add("gpu", gpu) }
        for model in models { add("model", model) }
        for value in precisions { add("precision", value.rawValue) }
        for value in optimizers { add("optimizer", value.rawValue) }
        for value in checkpointing { add("checkpointing", value.rawValue) }
        for value in modes { add("mode", value.rawValue) }
        add("seq", seq.map(String.init))
        add("image", image.map(String.init))
        add("input", input)
        add("task", task?.rawValue)
        add("attention", attention == .sdpa ? nil : attention.rawValue)
        add("headroom", headroom)
        add("multiple-of", multipleOf == 1 ? nil : String(multipleOf))
        if powerOfTwo { args.append("--power-of-two") }
        add("target-batch", targetBatch.map(String.init))
        add("max-batch", maxBatch.map(String.init))
        add("prefer", prefer == .speed ? nil : prefer.rawValue)
        add("dataset-size", datasetSize.map(String.init))
        add("lora-rank", loraRank == 8 ? nil : String(loraRank))
        add("lora-targets", loraTargets)
        add("lora-dropout", loraDropout.map { String($0) })
        add("gpus", dataParallelGPUs == 1 ? nil : String(dataParallelGPUs))
        add("zero", zeroStage == 0 ? nil : String(zeroStage))
        add("framework", framework == "pytorch" ? nil : framework)
        if noCalibration { args.append("--no-calibration") }
        var stackFlags = StackFlags()
        stackFlags.set(trainer: trainer, stack: stack)
        args += stackFlags.arguments
        return args
    }

    /// "a", "a and b", "a, b and c"; long lists are shortened to a count.
    static func list(_ items: [String]) -> String {
        switch items.count {
        case 0: "nothing"
        case 1: items[0]
        case 2...6: items.dropLast().joined(separator: ", ") + " and " + items.last!
        default: items.prefix(4).joined(separator: ", ") + " and \(items.count - 4) more"
        }
    }
}
