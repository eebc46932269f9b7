import BatchPlanCore
import Foundation

extension RunEvidence.RunFacts {
    /// Format of `encoded()`; a row of another format is not read (and the code fingerprint in the evidence stamp
    /// changes with any change here anyway).
    static let format = 1

    /// The facts as compact bytes (`CompactWriter`), as the catalog keeps them (`run_evidence.payload`).
    ///
    /// A run's observations share its source and scope path, written once (a run with none writes none); each
    /// observation's decomposition is written only where it differs from the one before (a run's readings share its
    /// peak).
    func encoded() -> [UInt8] {
        var writer = CompactWriter()
        writer.int(Self.format)
        writer.int(MeasuredRun.Kind.allCases.firstIndex(of: kind)!)
        writer.double(Double(bitPattern: question.forwards))
        writer.double(Double(bitPattern: question.backwards))
        writer.int(batch)
        writer.bool(ran)
        writer.bool(statesOutcome)
        writer.optionalInt(bracketNext)
        // The run's key: the observations' ids are made of it.
        let key = observations.first.map { Self.runKey(of: $0.id) } ?? throughput?.id ?? ""
        writer.string(key)
        writer.int(observations.count)
        if let first = observations.first {
            // Length first, so that a reader finding the same bytes as the run before skips them.
            var block = CompactWriter()
            block.string(first.source)
            Self.write(first.path, &block)
            writer.int(block.bytes.count)
            writer.raw(block.bytes)
        }
        var previous: CalibrationDecomposition?
        for observation in observations {
            // Observations that name another source or path than the run's first are not made (`facts`); kept
            // exact all the same.
            let shared = observation.source == observations[0].source && observation.path == observations[0].path
            writer.bool(shared)
            if !shared {
                writer.string(observation.source)
                Self.write(observation.path, &writer)
            }
            let same = observation.decomposition == previous
            writer.bool(same)
            if !same { Self.write(observation.decomposition, &writer) }
            previous = observation.decomposition
            switch observation.evidence {
            case .measured(let counter, let bytes):
                writer.int(0)
                writer.int(CalibrationCounter.allCases.firstIndex(of: counter)!)
                writer.double(bytes)
            case .outcome(let ran, let capacity, let counter):
                writer.int(1)
                writer.bool(ran)
                writer.double(capacity)
                writer.int(CalibrationCounter.allCases.firstIndex(of: counter)!)
            }
            // The id by how it is made of the key (`IDForm`), or written out.
            let form = IDForm.allCases.first { $0.id(key: key, evidence: observation.evidence) == observation.id }
            writer.int(form?.rawValue ?? -1)
            if form == nil { writer.string(observation.id) }
        }
        writer.bool(throughput != nil)
        if let t = throughput {
            writer.bool(t.id == key)
            if t.id != key { writer.string(t.id) }
            let path = observations.first?.path
            let samePath = path?.gpu == t.path.gpu && path?.family == t.path.family && path?.model == t.path.model
            writer.bool(samePath)
            if !samePath {
                writer.string(t.path.gpu)
                writer.string(t.path.family)
                writer.string(t.path.model)
            }
            writer.bool(t.tensorCores)
            writer.double(t.computeSeconds)
            writer.double(t.memorySeconds)
            writer.double(t.passes)
            writer.int(t.microSteps)
            writer.double(t.updateSeconds)
            writer.double(t.measuredSeconds)
            writer.int(t.samples)
            writer.string(t.label)
        }
        return writer.bytes
    }

    /// How an observation's id is made of its run's key (`RunEvidence.observations`): a reading's "KEY#counter", an
    /// outcome's "KEY", a maximum-batch fact's "KEY/ran" and "KEY/oom".
    enum IDForm: Int, CaseIterable {
        case key, counter, ranSide, oomSide

        func id(key: String, evidence: CalibrationEvidence) -> String? {
            switch (self, evidence) {
            case (.key, .outcome): key
            case (.counter, .measured(let counter, _)): RunEvidence.id(key, counter)
            case (.ranSide, .outcome(true, _, _)): key + "/ran"
            case (.oomSide, .outcome(false, _, _)): key + "/oom"
            default: nil
            }
        }
    }

    /// The run key an observation id is made of (`IDForm`).
    static func runKey(of id: String) -> String {
        if let hash = id.lastIndex(of: "#") { return String(id[..<hash]) }
        if id.hasSuffix("/ran") || id.hasSuffix("/oom") { return String(id.dropLast(4)) }
        return id
    }

    /// Reads what `encoded()` wrote; `nil` for bytes it did not write (another format, damaged).
    ///
    /// - Parameter shared: the source and path the last decoded run shared, and the bytes they were read from:
    ///   the runs of a sweep name the same, and reusing them saves making eight strings a run.
    static func decode(_ bytes: UnsafeBufferPointer<UInt8>, shared: inout SharedTexts) -> Self? {
        var reader = CompactReader(bytes)
        guard reader.int() == format,
            let kindIndex = reader.int(in: 0...(MeasuredRun.Kind.allCases.count - 1)),
            let forwards = reader.double(), let backwards = reader.double(),
            let batch = reader.int(), let ran = reader.bool(), let statesOutcome = reader.bool(),
            let bracketNext = reader.optionalInt(), let key = reader.string(),
            let count = reader.int(in: 0...reader.remaining)
        else { return nil }
        var first: (source: String, path: CalibrationScopePath)?
        if count > 0 {
            guard let length = reader.int(), length >= 1, length <= reader.remaining else { return nil }
            let block = UnsafeBufferPointer(rebasing: bytes[reader.position..<(reader.position + length)])
            if let known = shared.texts, known.bytes.count == length,
                known.bytes.withUnsafeBufferPointer({ memcmp($0.baseAddress!, block.baseAddress!, length) == 0 })
            {
                first = (known.source, known.path)
            } else {
                var blockReader = CompactReader(block)
                guard let source = blockReader.string(), let path = readPath(&blockReader), blockReader.isAtEnd
                else { return nil }
                first = (source, path)
                shared.texts = (Array(block), source, path)
            }
            reader.skip(length)
        }
        var observations: [CalibrationObservation] = []
        observations.reserveCapacity(count)
        var previous: CalibrationDecomposition?
        for _ in 0..<count {
            guard let isShared = reader.bool() else { return nil }
            var source = first!.source
            var path = first!.path
            if !isShared {
                guard let own = reader.string(), let ownPath = readPath(&reader) else { return nil }
                (source, path) = (own, ownPath)
            }
            guard let same = reader.bool() else { return nil }
            let decomposition: CalibrationDecomposition
            if same {
                guard let previous else { return nil }
                decomposition = previous
            } else {
                guard let read = readDecomposition(&reader) else { return nil }
                decomposition = read
            }
            previous = decomposition
            let evidence: CalibrationEvidence
            switch reader.int() {
            case 0?:
                guard let counter = readCounter(&reader), let bytes = reader.double() else { return nil }
                evidence = .measured(counter: counter, bytes: bytes)
            case 1?:
                guard let ran = reader.bool(), let capacity = reader.double(), let counter = readCounter(&reader)
                else { return nil }
                evidence = .outcome(ran: ran, capacityBytes: capacity, counter: counter)
            default:
                return nil
            }
            let id: String
            switch reader.int() {
            case .some(-1):
                guard let written = reader.string() else { return nil }
                id = written
            case let form?:
                guard let made = IDForm(rawValue: form)?.id(key: key, evidence: evidence) else { return nil }
                id = made
            case nil:
                return nil
            }
            observations.append(
                CalibrationObservation(
                    id: id, source: source, path: path, decomposition: decomposition, evidence: evidence))
        }
        guard let hasThroughput = reader.bool() else { return nil }
        var throughput: ThroughputObservation?
        if hasThroughput {
            guard let isKey = reader.bool() else { return nil }
            var id = key
            if !isKey {
                guard let written = reader.string() else { return nil }
                id = written
            }
            guard let samePath = reader.bool() else { return nil }
            let path: ThroughputScopePath
            if samePath {
                guard let first, let family = first.path.family, let model = first.path.model else { return nil }
                path = ThroughputScopePath(gpu: first.path.gpu, family: family, model: model)
            } else {
                guard let gpu = reader.string(), let family = reader.string(), let model = reader.string() else {
                    return nil
                }
                path = ThroughputScopePath(gpu: gpu, family: family, model: model)
            }
            guard let tensorCores = reader.bool(), let compute = reader.double(),
                let memory = reader.double(), let passes = reader.double(), let microSteps = reader.int(),
                let update = reader.double(), let measured = reader.double(), let samples = reader.int(),
                let label = reader.string()
            else { return nil }
            throughput = ThroughputObservation(
                id: id, path: path, tensorCores: tensorCores,
                computeSeconds: compute, memorySeconds: memory, passes: passes, microSteps: microSteps,
                updateSeconds: update, measuredSeconds: measured, samples: samples, label: label)
        }
        guard reader.isAtEnd else { return nil }
        return Self(
            kind: MeasuredRun.Kind.allCases[kindIndex],
            question: RunEvidence.Question(forwards: forwards.bitPattern, backwards: backwards.bitPattern),
            batch: batch, ran: ran, statesOutcome: statesOutcome, bracketNext: bracketNext,
            observations: observations, throughput: throughput)
    }

    /// The source and scope path the last decoded run's observations shared, with the bytes they were read from.
    struct SharedTexts {
        var texts: (bytes: [UInt8], source: String, path: CalibrationScopePath)?
    }

    private static func write(_ path: CalibrationScopePath, _ writer: inout CompactWriter) {
        writer.string(path.framework)
        writer.string(path.architecture)
        writer.string(path.gpu)
        writer.optionalString(path.family)
        writer.optionalString(path.model)
        writer.optionalString(path.checkpointing)
    }

    private static func readPath(_ reader: inout CompactReader) -> CalibrationScopePath? {
        guard let framework = reader.string(), let architecture = reader.string(), let gpu = reader.string(),
            let family = reader.optionalString(), let model = reader.optionalString(),
            let checkpointing = reader.optionalString()
        else { return nil }
        return CalibrationScopePath(
            framework: framework, architecture: architecture, gpu: gpu, family: family, model: model,
            checkpointing: checkpointing)
    }

    private static func write(_ d: CalibrationDecomposition, _ writer: inout CompactWriter) {
        for value in [d.modelStates, d.activations, d.other, d.exactStates, d.defaultReserveRatio, d.defaultContextBytes] {
            writer.double(value)
        }
    }

    private static func readDecomposition(_ reader: inout CompactReader) -> CalibrationDecomposition? {
        guard let modelStates = reader.double(), let activations = reader.double(), let other = reader.double(),
            let exactStates = reader.double(), let reserve = reader.double(), let context = reader.double()
        else { return nil }
        var d = CalibrationDecomposition(
            modelStates: modelStates, activations: activations, other: other, defaultReserveRatio: reserve,
            defaultContextBytes: context)
        d.exactStates = exactStates
        return d
    }

    private static func readCounter(_ reader: inout CompactReader) -> CalibrationCounter? {
        guard let index = reader.int(in: 0...(CalibrationCounter.allCases.count - 1)) else { return nil }
        return CalibrationCounter.allCases[index]
    }
}
