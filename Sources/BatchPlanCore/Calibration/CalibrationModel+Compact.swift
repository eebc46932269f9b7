import Foundation

/// The fitted calibrations in the compact binary form the catalog keeps next to their JSON (`CompactWriter`): a plan
/// reads them on every run, and decoding the JSON through `Codable` was a tenth of a whole-catalog `fit`.
///
/// Scopes are written in a fixed order (level, then key), so the same fit always gives the same bytes.
public enum CompactCalibration {
    /// Bumped whenever the layout below changes; bytes of another format are refused (the JSON is read instead).
    static let format = 2

    public static func encode(_ memory: CalibrationModel, _ throughput: ThroughputCalibration) -> [UInt8] {
        var writer = CompactWriter()
        writer.int(format)
        writer.int(memory.minimumRuns)
        writeDate(memory.fittedAt, &writer)
        let scopes = Set(memory.factors.keys).union(memory.parameters.keys)
            .sorted { ($0.level, $0.key) < ($1.level, $1.key) }
        writer.int(scopes.count)
        for scope in scopes {
            writeScope(scope, &writer)
            writer.bool(memory.factors[scope] != nil)
            if let factors = memory.factors[scope] { write(factors, &writer) }
            writer.bool(memory.parameters[scope] != nil)
            if let parameters = memory.parameters[scope] {
                writer.double(parameters.logActivationScale)
                writer.double(parameters.logModelStateScale)
                writer.double(parameters.reserveRatioDelta)
                writer.double(parameters.contextDeltaGiB)
            }
        }
        writer.int(throughput.scopes.count)
        for key in throughput.scopes.keys.sorted() {
            let factors = throughput.scopes[key]!
            writer.string(key)
            writer.double(factors.tensorScale)
            writer.double(factors.vectorScale)
            writer.double(factors.memoryScale)
            writer.double(factors.overheadPerPassSeconds)
            writer.string(factors.scope)
            writer.int(factors.runsUsed)
            writer.double(factors.medianRelativeError)
        }
        return writer.bytes
    }

    /// Reads what `encode` wrote; `nil` for bytes of another format or damaged ones.
    public static func decode(_ bytes: [UInt8]) -> (memory: CalibrationModel, throughput: ThroughputCalibration)? {
        bytes.withUnsafeBufferPointer { buffer in
            var reader = CompactReader(buffer)
            return read(&reader)
        }
    }

    private static func read(_ reader: inout CompactReader) -> (memory: CalibrationModel, throughput: ThroughputCalibration)? {
        guard reader.int() == format, let minimumRuns = reader.int(), let fittedAt = readDate(&reader),
            let scopeCount = reader.int(in: 0...reader.remaining)
        else { return nil }
        var factors: [CalibrationScope: CalibrationFactors] = [:]
        var parameters: [CalibrationScope: CalibrationParameters] = [:]
        for _ in 0..<scopeCount {
            guard let scope = readScope(&reader), let hasFactors = reader.bool() else { return nil }
            if hasFactors {
                guard let read = readFactors(&reader) else { return nil }
                factors[scope] = read
            }
            guard let hasParameters = reader.bool() else { return nil }
            if hasParameters {
                guard let activation = reader.double(), let state = reader.double(), let reserve = reader.double(),
                    let context = reader.double()
                else { return nil }
                parameters[scope] = CalibrationParameters(
                    logActivationScale: activation, logModelStateScale: state, reserveRatioDelta: reserve,
                    contextDeltaGiB: context)
            }
        }
        guard let throughputCount = reader.int(in: 0...reader.remaining) else { return nil }
        var scopes: [String: ThroughputFactors] = [:]
        for _ in 0..<throughputCount {
            guard let key = reader.string(), let tensor = reader.double(), let vector = reader.double(),
                let memory = reader.double(), let overhead = reader.double(), let scope = reader.string(),
                let runs = reader.int(), let error = reader.double()
            else { return nil }
            scopes[key] = ThroughputFactors(
                tensorScale: tensor, vectorScale: vector, memoryScale: memory, overheadPerPassSeconds: overhead,
                scope: scope, runsUsed: runs, medianRelativeError: error)
        }
        guard reader.isAtEnd else { return nil }
        return (
            CalibrationModel(factors: factors, parameters: parameters, minimumRuns: minimumRuns, fittedAt: fittedAt),
            ThroughputCalibration(scopes: scopes))
    }

    private static func write(_ factors: CalibrationFactors, _ writer: inout CompactWriter) {
        writer.double(factors.activationScale)
        writer.double(factors.modelStateScale)
        writeOptional(factors.allocatorReserveRatio, &writer)
        writer.optionalInt(factors.runtimeContextBytes)
        writer.double(factors.logSpread)
        writeScope(factors.scope, &writer)
        writer.int(factors.runsUsed)
        writeDate(factors.fittedAt, &writer)
        writer.bool(factors.applied)
        writeOptional(factors.gateErrorBefore, &writer)
        writeOptional(factors.gateErrorAfter, &writer)
        writer.optionalString(factors.skipReason)
        writer.int(factors.models)
        writeTexts(factors.checkpointingModes, &writer)
        writer.int(factors.activationScales.count)
        for mode in factors.activationScales.keys.sorted() {
            writer.string(mode)
            writer.double(factors.activationScales[mode]!)
        }
        writeTexts(factors.notes, &writer)
    }

    private static func readFactors(_ reader: inout CompactReader) -> CalibrationFactors? {
        guard let activation = reader.double(), let state = reader.double(), let reserve = readOptional(&reader),
            let context = reader.optionalInt(), let spread = reader.double(), let scope = readScope(&reader),
            let runs = reader.int(), let fittedAt = readDate(&reader), let applied = reader.bool(),
            let before = readOptional(&reader), let after = readOptional(&reader), let reason = reader.optionalString()
        else { return nil }
        var factors = CalibrationFactors(
            activationScale: activation, modelStateScale: state, allocatorReserveRatio: reserve,
            runtimeContextBytes: context, logSpread: spread, scope: scope, runsUsed: runs, fittedAt: fittedAt)
        factors.applied = applied
        factors.gateErrorBefore = before
        factors.gateErrorAfter = after
        factors.skipReason = reason
        guard let models = reader.int(), let modes = readTexts(&reader), let scaleCount = reader.int(in: 0...reader.remaining)
        else { return nil }
        factors.models = models
        factors.checkpointingModes = modes
        for _ in 0..<scaleCount {
            guard let mode = reader.string(), let scale = reader.double() else { return nil }
            factors.activationScales[mode] = scale
        }
        guard let notes = readTexts(&reader) else { return nil }
        factors.notes = notes
        return factors
    }

    private static func writeScope(_ scope: CalibrationScope, _ writer: inout CompactWriter) {
        writer.string(scope.level.rawValue)
        writer.string(scope.key)
    }

    private static func readScope(_ reader: inout CompactReader) -> CalibrationScope? {
        guard let level = reader.string().flatMap(CalibrationScopeLevel.init(rawValue:)), let key = reader.string()
        else { return nil }
        return CalibrationScope(level: level, key: key)
    }

    private static func writeOptional(_ value: Double?, _ writer: inout CompactWriter) {
        writer.bool(value != nil)
        if let value { writer.double(value) }
    }

    /// `nil` when the read fails; `.some(nil)` for an absent value.
    private static func readOptional(_ reader: inout CompactReader) -> Double?? {
        guard let present = reader.bool() else { return nil }
        guard present else { return .some(nil) }
        return reader.double().map { .some($0) }
    }

    private static func writeDate(_ date: Date?, _ writer: inout CompactWriter) {
        writeOptional(date?.timeIntervalSinceReferenceDate, &writer)
    }

    private static func readDate(_ reader: inout CompactReader) -> Date?? {
        readOptional(&reader).map { $0.map(Date.init(timeIntervalSinceReferenceDate:)) }
    }

    private static func writeTexts(_ texts: [String], _ writer: inout CompactWriter) {
        writer.int(texts.count)
        for text in texts { writer.string(text) }
    }

    private static func readTexts(_ reader: inout CompactReader) -> [String]? {
        guard let count = reader.int(in: 0...reader.remaining) else { return nil }
        var texts: [String] = []
        texts.reserveCapacity(count)
        for _ in 0..<count {
            guard let text = reader.string() else { return nil }
            texts.append(text)
        }
        return texts
    }
}
