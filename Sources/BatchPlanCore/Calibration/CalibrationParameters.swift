import Foundation

/// The four numbers one scope fits, as corrections to the analytic model.
///
/// Scales are kept as logarithms so that shrinkage and robust loss act on relative errors. The runtime terms are
/// deltas added to each run's per-architecture defaults, so one global or framework-wide correction can apply to
/// runs on architectures whose defaults differ.
public struct CalibrationParameters: Hashable, Codable, Sendable {
    /// log(activationScale).
    public var logActivationScale: Double
    /// log(modelStateScale).
    public var logModelStateScale: Double
    /// Added to the default allocator reserve ratio.
    public var reserveRatioDelta: Double
    /// Added to the default runtime context, in GiB.
    public var contextDeltaGiB: Double

    public init(
        logActivationScale: Double = 0, logModelStateScale: Double = 0, reserveRatioDelta: Double = 0,
        contextDeltaGiB: Double = 0
    ) {
        self.logActivationScale = logActivationScale
        self.logModelStateScale = logModelStateScale
        self.reserveRatioDelta = reserveRatioDelta
        self.contextDeltaGiB = contextDeltaGiB
    }

    /// The analytic model: no correction.
    public static let analytic = CalibrationParameters()

    static let count = 4
    static let gib = 1_073_741_824.0

    /// Bounds from the issue: scales within [0.5, 2.5], reserve ratio within [0, 1], context within [0, 8 GiB].
    static let scaleBounds = (log(0.5), log(2.5))
    static let reserveBounds = (0.0, 1.0)
    static let contextBoundsGiB = (0.0, 8.0)

    subscript(index: Int) -> Double {
        get {
            switch index {
            case 0: logActivationScale
            case 1: logModelStateScale
            case 2: reserveRatioDelta
            default: contextDeltaGiB
            }
        }
        set {
            switch index {
            case 0: logActivationScale = newValue
            case 1: logModelStateScale = newValue
            case 2: reserveRatioDelta = newValue
            default: contextDeltaGiB = newValue
            }
        }
    }

    /// The four numbers' bits: equal bits, the same residuals everywhere (`==` would also equate 0 and −0).
    var bitPattern: SIMD4<UInt64> {
        SIMD4(
            logActivationScale.bitPattern, logModelStateScale.bitPattern, reserveRatioDelta.bitPattern,
            contextDeltaGiB.bitPattern)
    }

    /// Keeps every parameter where the bounds allow some run to stay in range.
    func clamped() -> CalibrationParameters {
        CalibrationParameters(
            logActivationScale: min(max(logActivationScale, Self.scaleBounds.0), Self.scaleBounds.1),
            logModelStateScale: min(max(logModelStateScale, Self.scaleBounds.0), Self.scaleBounds.1),
            reserveRatioDelta: min(max(reserveRatioDelta, -1), 1),
            contextDeltaGiB: min(max(contextDeltaGiB, -8), 8))
    }

    /// The absolute reserve ratio for a run whose default is `defaultRatio`, within [0, 1].
    public func reserveRatio(default defaultRatio: Double) -> Double {
        min(max(defaultRatio + reserveRatioDelta, Self.reserveBounds.0), Self.reserveBounds.1)
    }

    /// The absolute runtime context for a run whose default is `defaultBytes`, within [0, 8 GiB], in bytes.
    public func contextBytes(default defaultBytes: Double) -> Double {
        min(max(defaultBytes + contextDeltaGiB * Self.gib, 0), Self.contextBoundsGiB.1 * Self.gib)
    }

    /// The factors these parameters give a run with the given runtime defaults.
    public func factors(defaultReserveRatio: Double?, defaultContextBytes: Double?) -> CalibrationFactors {
        CalibrationFactors(
            activationScale: exp(logActivationScale), modelStateScale: exp(logModelStateScale),
            allocatorReserveRatio: defaultReserveRatio.map { reserveRatio(default: $0) },
            runtimeContextBytes: defaultContextBytes.map { Int(contextBytes(default: $0).rounded()) })
    }
}
