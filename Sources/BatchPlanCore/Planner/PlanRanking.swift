/// Orders candidates by a preference and says why one lost to the winner.
struct PlanRanking {
    let preference: PlanPreference

    /// Full training first, then LoRA, QLoRA, frozen (how much of the model adapts).
    static func modeRank(_ mode: TrainingMode) -> Int {
        switch mode {
        case .full: 0
        case .lora: 1
        case .qlora: 2
        case .frozen: 3
        }
    }

    /// A candidate's position in the order, as plain integers (cheap to compare while sorting).
    struct Key {
        var fits: Bool
        var shortfall: Int
        var criteria: (Int, Int, Int, Int, Int, Int)
    }

    /// The key of a candidate: one integer per criterion in the preference's order; smaller is better.
    func key(_ s: Scored) -> Key {
        let c = s.candidate
        let batch = -c.maxBatchSize
        let recompute = c.configuration.checkpointing.recomputeRank
        let fidelity = -c.configuration.precision.fidelityRank
        let mode = Self.modeRank(c.configuration.mode)
        let optimizer = OptimizerKind.allCases.firstIndex(of: c.configuration.optimizer) ?? 0
        let criteria: (Int, Int, Int, Int, Int, Int)
        switch preference {
        case .batch: criteria = (mode, batch, recompute, fidelity, s.deviceUsedAtOne, optimizer)
        case .fidelity: criteria = (fidelity, mode, recompute, batch, s.deviceUsedAtOne, optimizer)
        case .memory: criteria = (s.deviceUsedAtOne, batch, recompute, fidelity, mode, optimizer)
        }
        return Key(fits: c.fits, shortfall: s.shortfall, criteria: criteria)
    }

    /// Whether `a` ranks before `b`: fitting candidates first (by preference), then the rest by shortfall.
    static func precedes(_ a: Key, _ b: Key) -> Bool {
        if a.fits != b.fits { return a.fits }
        if !a.fits { return a.shortfall < b.shortfall }
        return a.criteria < b.criteria
    }

    /// The first criterion on which `loser` is worse than `winner`, in words.
    func whyNot(_ loser: Scored, lostTo winner: Scored) -> String {
        let l = loser.candidate
        let w = winner.candidate
        guard l.fits else { return "does not fit: needs \(ByteSize.format(loser.shortfall)) more at batch 1" }
        let criteria: [String]
        switch preference {
        case .batch: criteria = ["mode", "batch", "recompute", "fidelity", "memory", "optimizer"]
        case .fidelity: criteria = ["fidelity", "mode", "recompute", "batch", "memory", "optimizer"]
        case .memory: criteria = ["memory", "batch", "recompute", "fidelity", "mode", "optimizer"]
        }
        let lc = l.configuration
        let wc = w.configuration
        for criterion in criteria {
            switch criterion {
            case "batch" where l.maxBatchSize < w.maxBatchSize:
                return "smaller micro-batch (\(l.maxBatchSize) vs \(w.maxBatchSize))"
            case "recompute" where lc.checkpointing.recomputeRank > wc.checkpointing.recomputeRank:
                return "more recomputation (checkpointing \(lc.checkpointing.rawValue) vs \(wc.checkpointing.rawValue))"
            case "fidelity" where lc.precision.fidelityRank < wc.precision.fidelityRank:
                return "lower precision (\(lc.precision.rawValue) vs \(wc.precision.rawValue))"
            case "mode" where Self.modeRank(lc.mode) > Self.modeRank(wc.mode):
                return "trains less of the model (\(lc.mode.rawValue) vs \(wc.mode.rawValue))"
            case "memory" where loser.deviceUsedAtOne > winner.deviceUsedAtOne:
                return "more memory at batch 1 (\(ByteSize.format(loser.deviceUsedAtOne)) vs \(ByteSize.format(winner.deviceUsedAtOne)))"
            case "optimizer" where lc.optimizer != wc.optimizer:
                return "tie broken by optimizer order (\(lc.optimizer.rawValue) after \(wc.optimizer.rawValue))"
            default: continue
            }
        }
        return "equivalent to the best; ranked after it"
    }
}
