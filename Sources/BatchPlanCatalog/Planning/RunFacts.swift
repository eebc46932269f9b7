import BatchPlanCore
import Foundation

extension RunEvidence {
    /// What one usable run gives calibration, worked out from its prediction alone: the observations it can give
    /// (every reading; its outcome; both sides of a maximum-batch fact), its step-time observation, and what
    /// `statedSides` needs to tell which of its outcome facts another run states already.
    ///
    /// A function of the run, its model, its card and the code, nothing else: the catalog keeps each run's facts
    /// between refits (`run_evidence`), so a refit predicts only the runs it has not seen.
    public struct RunFacts: Sendable, Equatable {
        public var kind: MeasuredRun.Kind
        /// Everything the run asks but the batch: its accounting and configuration as resolved, its card (name and
        /// memory), its source and its memory cap. Two runs with equal questions and batches ask the same thing.
        var question: Question
        var batch: Int
        /// The run ran at its batch (outcome ok).
        var ran: Bool
        /// The run states whether its batch ran, at the level an outcome is judged at: a fits or oom run, or a
        /// reading that ran and reads the device memory on a card, the reserved memory under a cap (an allocated
        /// or unnamed peak alone states nothing about the card).
        var statesOutcome: Bool
        var bracketNext: Int?
        /// mem_at_batch: one per reading; fits and oom: the outcome; max_batch: the side that ran, then the one out of
        /// memory when it has one (`bracket_next`, and the planner predicts that batch).
        public var observations: [CalibrationObservation]
        /// The step-time observation, when the run's step time is evidence (`ThroughputEvidence.usable`).
        public var throughput: ThroughputObservation?
    }

    /// A run's question (`RunFacts.question`) as 128 bits: FNV-1a 64 over its text, forwards and backwards (the
    /// text runs to a few hundred bytes, and every run's is kept with its facts).
    struct Question: Hashable, Sendable {
        var forwards: UInt64
        var backwards: UInt64

        init(forwards: UInt64, backwards: UInt64) {
            self.forwards = forwards
            self.backwards = backwards
        }

        init(_ text: String) {
            var text = text
            var forwards = FNV1a()
            var backwards = FNV1a()
            text.withUTF8 { bytes in
                for byte in bytes { forwards.combine(byte) }
                for byte in bytes.reversed() { backwards.combine(byte) }
            }
            self.init(forwards: forwards.value, backwards: backwards.value)
        }
    }

    /// Each prediction's facts, in order; over many runs, consecutive stretches on every core, joined in order.
    public static func facts(_ predictions: [Prediction]) -> [RunFacts] {
        facts(predictions, minimumRunsPerPart: minimumRunsPerPart)
    }

    /// `facts(_:)` in up to `concurrency` stretches of at least `minimumRunsPerPart` runs.
    static func facts(
        _ predictions: [Prediction], minimumRunsPerPart: Int, concurrency: Int = ParallelMap.defaultConcurrency
    ) -> [RunFacts] {
        let parts = min(concurrency, max(1, predictions.count / minimumRunsPerPart))
        guard parts > 1 else { return facts(predictions, 0..<predictions.count) }
        let stretches = ParallelMap.map(parts, concurrency: concurrency) { part in
            facts(predictions, predictions.count * part / parts..<predictions.count * (part + 1) / parts)
        }
        var joined: [RunFacts] = []
        joined.reserveCapacity(predictions.count)
        for stretch in stretches { joined += stretch }
        return joined
    }

    /// The facts of `predictions[range]`. Reads each prediction in place (a copy of one retains and releases some
    /// forty strings and arrays), and makes a run's scope path and its card's runtime defaults once per card, model
    /// and stack rather than once per run.
    private static func facts(_ predictions: [Prediction], _ range: Range<Int>) -> [RunFacts] {
        var facts: [RunFacts] = []
        facts.reserveCapacity(range.count)
        // The failing side of a maximum-batch fact is the same configuration at the next batch: one more evaluation
        // of a phase model the cache usually has already.
        var estimates = EstimateCache()
        var lookups = Lookups()
        var works = StepWorkCache()
        var questions = Questions()
        predictions.withUnsafeBufferPointer { all in
            for i in range {
                let path = lookups.path(all, i)
                let source = all[i].run.url ?? all[i].run.source
                let decomposition = lookups.decomposition(all, i, all[i].estimate.decomposition)
                let room = Self.room(of: all[i].run, on: all[i].gpu)
                let (capacity, level) = (Double(room.bytes), room.counter)
                let ran = all[i].run.outcome == .ok
                var observations: [CalibrationObservation] = []
                var statesOutcome = false
                switch all[i].run.kind {
                case .memAtBatch:
                    for counter in CalibrationCounter.allCases {
                        guard let bytes = all[i].run.reading(counter) else { continue }
                        observations.append(CalibrationObservation(
                            id: Self.id(all[i].run.key, counter), source: source, path: path,
                            decomposition: decomposition, evidence: .measured(counter: counter, bytes: Double(bytes))))
                    }
                    statesOutcome = ran && all[i].run.reading(level) != nil
                case .fits, .oom:
                    observations.append(CalibrationObservation(
                        id: all[i].run.key, source: source, path: path, decomposition: decomposition,
                        evidence: .outcome(ran: ran, capacityBytes: capacity, counter: level)))
                    statesOutcome = true
                case .maxBatch:
                    var oomAt: CalibrationDecomposition?
                    if let next = all[i].run.bracketNext {
                        var nextConfiguration = all[i].configuration
                        nextConfiguration.batchSize = next
                        if let nextEstimate = try? estimates.estimate(
                            model: all[i].accounting, key: all[i].accountingKey, gpu: all[i].gpu,
                            configuration: nextConfiguration)
                        {
                            oomAt = lookups.decomposition(all, i, nextEstimate.decomposition)
                        }
                    }
                    observations = CalibrationObservation.maxBatchFact(
                        id: all[i].run.key, source: source, path: path, ranAt: decomposition, oomAt: oomAt,
                        capacityBytes: capacity, counter: level)
                }
                facts.append(RunFacts(
                    kind: all[i].run.kind, question: questions.question(all, i, source: source),
                    batch: all[i].configuration.batchSize, ran: ran, statesOutcome: statesOutcome,
                    bracketNext: all[i].run.bracketNext, observations: observations,
                    throughput: ThroughputEvidence.observation(all, i, works: &works)))
            }
        }
        return facts
    }

    /// `RunFacts.question` for prediction `i`: its configuration is written out once per distinct configuration
    /// (`written`, the batch left at 0).
    struct Questions {
        private var configurations: [TrainingConfiguration: String] = [:]
        private static let encoder: JSONEncoder = {
            let encoder = JSONEncoder()
            encoder.outputFormatting = .sortedKeys
            return encoder
        }()

        /// A configuration as JSON with sorted keys: exact for every field `==` compares (a dropout of -0 written
        /// as 0, as `==` has them equal). How Foundation writes JSON is in the evidence stamp (`encoderProbe`), so a
        /// Foundation that writes it otherwise never meets questions kept by another.
        static func written(_ configuration: TrainingConfiguration) -> String {
            var configuration = configuration
            configuration.loraDropout += 0
            guard let data = try? encoder.encode(configuration) else { return String(reflecting: configuration) }
            return String(decoding: data, as: UTF8.self)
        }

        /// FNV-1a 64 of a configuration with every field set, as `written` writes it (hexadecimal).
        static let encoderProbe: String = {
            let probe = TrainingConfiguration(
                precision: .bf16Amp, optimizer: .adamw, checkpointing: .block, mode: .lora, loraRank: 16,
                loraTargets: ["q_proj", "v_proj"], loraDropout: 0.05, batchSize: 0, gradAccumSteps: 4, gpus: 8,
                zeroStage: 3, framework: (try? Framework(parsing: "pytorch-2.4")) ?? .pytorch,
                trainer: try? Trainer(parsing: "hf-trainer"),
                stack: TrainingStackOverrides(optimizerInBackward: false, gradientsSetToNone: true))
            var hash = FNV1a()
            hash.combine(written(probe))
            return hash.hex
        }()

        /// The last run's question and what it was made of: the runs of a sweep follow each other and ask the same.
        private var last: (run: Int, question: Question)?

        mutating func question(_ all: UnsafeBufferPointer<Prediction>, _ i: Int, source: String) -> Question {
            if let last, all[last.run].accountingKey == all[i].accountingKey, all[last.run].gpu.name == all[i].gpu.name,
                all[last.run].run.gpuMemoryBytes == all[i].run.gpuMemoryBytes,
                all[last.run].run.memoryCapBytes == all[i].run.memoryCapBytes,
                (all[last.run].run.url ?? all[last.run].run.source) == source,
                Self.sameButBatch(all[last.run].configuration, all[i].configuration)
            {
                self.last = (i, last.question)
                return last.question
            }
            var configuration = all[i].configuration
            configuration.batchSize = 0
            let written = configurations[configuration] ?? {
                let text = Self.written(configuration)
                configurations[configuration] = text
                return text
            }()
            let cap = all[i].run.memoryCapBytes.map(String.init) ?? "-"
            let memory = all[i].run.gpuMemoryBytes.map(String.init) ?? "-"
            let question = Question(
                [all[i].accountingKey, written, all[i].gpu.name, memory, source, cap].joined(separator: "\u{1}"))
            last = (i, question)
            return question
        }

        private static func sameButBatch(_ a: TrainingConfiguration, _ b: TrainingConfiguration) -> Bool {
            var b = b
            b.batchSize = a.batchSize
            return a == b
        }
    }

    /// The observations of runs' facts, in order, less the outcome facts another run states already (`statedSides`).
    ///
    /// Reads each run's facts in place: `for run in facts` copies each, retaining and releasing its strings.
    public static func observations(_ facts: [RunFacts]) -> [CalibrationObservation] {
        let stated = statedSides(facts)
        return facts.withUnsafeBufferPointer { all in
            var observations: [CalibrationObservation] = []
            var count = 0
            for index in all.indices { count += all[index].observations.count }
            observations.reserveCapacity(count)
            for index in all.indices {
                switch all[index].kind {
                case .memAtBatch:
                    observations += all[index].observations
                case .fits, .oom:
                    if !stated.repeated.contains(index) { observations += all[index].observations }
                case .maxBatch:
                    for side in all[index].observations.indices {
                        guard case .outcome(let ran, _, _) = all[index].observations[side].evidence else { continue }
                        if ran ? !stated.ran.contains(index) : !stated.outOfMemory.contains(index) {
                            observations.append(all[index].observations[side])
                        }
                    }
                }
            }
            return observations
        }
    }

    /// The step-time observations of runs' facts, in order.
    public static func throughputObservations(_ facts: [RunFacts]) -> [ThroughputObservation] {
        facts.withUnsafeBufferPointer { all in all.indices.compactMap { all[$0].throughput } }
    }

    /// Which sides of maximum-batch facts another run already states, by the max_batch run's index, and which fits
    /// or oom runs an earlier run repeats (`StatedSides`): a run that states an outcome with the same question and
    /// batch states the same thing.
    static func statedSides(_ facts: [RunFacts]) -> StatedSides {
        facts.withUnsafeBufferPointer { statedSides($0) }
    }

    private static func statedSides(_ all: UnsafeBufferPointer<RunFacts>) -> StatedSides {
        var stated = StatedSides()
        guard all.contains(where: { $0.kind != .memAtBatch }) else { return stated }
        struct Place: Hashable {
            var question: Question
            var batch: Int
            var ran: Bool
        }
        // The first run that states each place.
        var first: [Place: Int] = [:]
        for index in all.indices where all[index].statesOutcome {
            let place = Place(question: all[index].question, batch: all[index].batch, ran: all[index].ran)
            if first[place] == nil { first[place] = index }
        }
        for index in all.indices where all[index].kind != .memAtBatch {
            let (question, batch) = (all[index].question, all[index].batch)
            guard all[index].kind == .maxBatch else {
                // A fits or oom run: stated already by an earlier run of the same outcome.
                if let earlier = first[Place(question: question, batch: batch, ran: all[index].ran)], earlier < index {
                    stated.repeated.insert(index)
                }
                continue
            }
            if first[Place(question: question, batch: batch, ran: true)] != nil { stated.ran.insert(index) }
            if let next = all[index].bracketNext, first[Place(question: question, batch: next, ran: false)] != nil {
                stated.outOfMemory.insert(index)
            }
        }
        return stated
    }
}
