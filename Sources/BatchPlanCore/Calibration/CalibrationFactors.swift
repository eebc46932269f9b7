import Foundation

/// Where a set of calibration factors applies, from the most general to the most specific.
///
/// `architecture` (a framework on one GPU architecture, e.g. "pytorch-2.4/ampere") sits between framework and GPU:
/// the runtime context and the allocator reserve are properties of a framework on an architecture.
public enum CalibrationScopeLevel: String, CaseIterable, Codable, Sendable, Comparable {
    case global
    case framework
    case architecture
    case gpu
    case family
    case model

    public static func < (lhs: Self, rhs: Self) -> Bool {
        allCases.firstIndex(of: lhs)! < allCases.firstIndex(of: rhs)!
    }
}

/// A scope: its level and key, e.g. `(.gpu, "pytorch/A100 80GB SXM")`.
public struct CalibrationScope: Hashable, Codable, Sendable, CustomStringConvertible {
    public var level: CalibrationScopeLevel
    /// Path of keys from the root, joined by "/": "" for global, "pytorch", "pytorch/H100 SXM", …
    public var key: String

    public init(level: CalibrationScopeLevel, key: String) {
        self.level = level
        self.key = key
    }

    public static let global = CalibrationScope(level: .global, key: "")

    public var description: String { key.isEmpty ? level.rawValue : "\(level.rawValue) \(key)" }
}

/// Factors fitted from measured runs that correct the analytic memory model.
///
/// The analytic model is the identity: scales of 1, and `nil` for the runtime terms, which then come from the
/// per-architecture defaults in the planner.
public struct CalibrationFactors: Hashable, Codable, Sendable {
    /// Multiplies activations saved for backward (and their transient gradients).
    public var activationScale: Double
    /// Multiplies the implementation-dependent model-state terms: the optimizer step's temporaries, autocast weight
    /// copies, DDP bucket copies, ZeRO-3 gather and NF4 dequantization buffers. Weights, gradients, optimizer state
    /// and master weights are exact (parameter counts × precisions) and never scaled.
    public var modelStateScale: Double
    /// Reserved = allocated × (1 + ratio); `nil` keeps the analytic default.
    public var allocatorReserveRatio: Double?
    /// CUDA context, kernels and libraries outside PyTorch's allocator, in bytes; `nil` keeps the default.
    public var runtimeContextBytes: Int?
    /// Residual spread of log(measured / predicted) in the fit (a standard deviation); 0 for the analytic model.
    public var logSpread: Double
    /// The scope these factors were fitted for.
    public var scope: CalibrationScope
    /// Observations that informed the fit at this scope (its parents' evidence through shrinkage not counted): one
    /// per memory counter a run read, two per maximum-batch fact, one per fits/OOM outcome. The name, kept for the
    /// stored calibrations and the JSON contract (`runs_used`), predates that distinction; text calls it observations.
    public var runsUsed: Int
    /// When these factors were fitted; `nil` for the analytic model.
    public var fittedAt: Date?
    /// Whether the leave-one-run-out gate let this scope apply: its held-out error on its own runs was lower than
    /// without it. `resolve` only ever returns applied scopes (or the analytic model).
    public var applied: Bool = true
    /// Mean |log(measured / predicted)| of the scope's own runs without this scope (its parent, or the analytic
    /// model when lower), and with it fitted leave-one-run-out; `nil` when the gate did not run.
    public var gateErrorBefore: Double?
    public var gateErrorAfter: Double?
    /// Why the gate skipped the scope, in words; `nil` when applied.
    public var skipReason: String?
    /// Distinct models among the scope's runs: a family scope fitted from one model is not carried to another.
    public var models: Int = 0
    /// Checkpointing modes among the scope's runs (raw values, sorted).
    public var checkpointingModes: [String] = []
    /// The activation scale per checkpointing mode where it differs from `activationScale`: a resolved family or
    /// model scope lends its own scale only to the modes it saw, the others take the nearest applied ancestor's.
    public var activationScales: [String: Double] = [:]

    /// The activation scale for a plan or run with checkpointing `mode`.
    public func activationScale(for mode: String?) -> Double {
        mode.flatMap { activationScales[$0] } ?? activationScale
    }
    /// Lines for the estimate's assumptions: the scopes on the path that were skipped, and why.
    public var notes: [String] = []

    public init(
        activationScale: Double = 1, modelStateScale: Double = 1, allocatorReserveRatio: Double? = nil,
        runtimeContextBytes: Int? = nil, logSpread: Double = 0, scope: CalibrationScope = .global, runsUsed: Int = 0,
        fittedAt: Date? = nil
    ) {
        self.activationScale = activationScale
        self.modelStateScale = modelStateScale
        self.allocatorReserveRatio = allocatorReserveRatio
        self.runtimeContextBytes = runtimeContextBytes
        self.logSpread = logSpread
        self.scope = scope
        self.runsUsed = runsUsed
        self.fittedAt = fittedAt
    }

    /// The uncalibrated analytic model.
    public static let analytic = CalibrationFactors()
}
