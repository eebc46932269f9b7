import BatchPlanCore
import Foundation

/// The fitted memory calibration as JSON that does not depend on the process: scopes in order (a dictionary keyed
/// by a struct encodes in its hashing order, which is seeded per process), keys sorted, fitting dates left out.
public func canonicalJSON(_ model: CalibrationModel) throws -> Data {
    struct Entry: Encodable {
        var scope: String
        var factors: CalibrationFactors
        var parameters: CalibrationParameters?
    }
    let entries = model.factors.keys.sorted { "\($0)" < "\($1)" }.map { scope in
        var factors = model.factors[scope]!
        factors.fittedAt = nil
        return Entry(scope: "\(scope)", factors: factors, parameters: model.parameters[scope])
    }
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
    return try encoder.encode(entries)
}

/// FNV-1a, 64 bits, of `data`: a digest to compare fits by (equal digests before and after a change mean the same
/// fit to the bit).
public func digest(_ data: Data) -> UInt64 {
    var hash = FNV1a()
    hash.combine(data)
    return hash.value
}
