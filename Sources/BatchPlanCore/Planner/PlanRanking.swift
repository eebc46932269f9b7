import Foundation

/// Orders candidates by a preference and says why one lost to the winner, and what it would cost.
struct PlanRanking {
    let preference: PlanPreference
    /// False when some fitting candidate has no step time (the card lacks a rate): `speed` then ranks as `batch`.
    var throughputKnown = true

    /// The preference actually applied.
    var effective: PlanPreference { preference == .speed && !throughputKnown ? .batch : preference }

    /// Full training first, then LoRA, QLoRA, frozen (how much of the model adapts).
    static func modeRank(_ mode: TrainingMode) -> Int {
        switch mode {
        case .full: 0
        case .lora: 1
        case .qlora: 2
        case .frozen: 3
        }
    }

    /// Throughput in 2% buckets (log base 1.02), negated so that faster sorts first: throughputs within about 2%
    /// tie and fall to the next criterion (less recomputation, higher precision).
    static func speedBucket(_ samplesPerSecond: Double?) -> Int {
        guard let samplesPerSecond, samplesPerSecond > 0 else { return Int.max / 2 }
        return -Int((log(samplesPerSecond) / log(1.02)).rounded())
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
        case .speed where throughputKnown:
            criteria = (mode, s.tier, Self.speedBucket(c.stepTime?.samplesPerSecond), recompute, fidelity, optimizer)
        case .speed:
            // No step time for some plan: the batch ranking, but the precision policy's tiers still hold.
            criteria = (mode, s.tier, batch, recompute, fidelity, optimizer)
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

    /// The first criterion on which `loser` is worse than `winner`, in words, with what it costs in time.
    func whyNot(_ loser: Scored, lostTo winner: Scored) -> String {
        let l = loser.candidate
        let w = winner.candidate
        guard l.fits else { return "does not fit: needs \(ByteSize.format(loser.shortfall)) more at batch 1" }
        let criteria: [Criterion]
        switch preference {
        case .speed where throughputKnown: criteria = [.mode, .tier, .speed, .recompute, .fidelity, .optimizer]
        case .speed: criteria = [.mode, .tier, .batch, .recompute, .fidelity, .optimizer]
        case .batch: criteria = [.mode, .batch, .recompute, .fidelity, .memory, .optimizer]
        case .fidelity: criteria = [.fidelity, .mode, .recompute, .batch, .memory, .optimizer]
        case .memory: criteria = [.memory, .batch, .recompute, .fidelity, .mode, .optimizer]
        }
        let lc = l.configuration
        let wc = w.configuration
        let costs = Self.cost(l, comparedTo: w)
        let cost = costs.map { "; \($0)" } ?? ""
        for criterion in criteria {
            switch criterion {
            case .tier where loser.tier > winner.tier:
                return "\(lc.precision.rawValue) is a trade-off, offered only when nothing recommended fits "
                    + "(\(wc.precision.rawValue) does)\(cost)"
            case .speed
            where Self.speedBucket(l.stepTime?.samplesPerSecond) > Self.speedBucket(w.stepTime?.samplesPerSecond):
                return costs ?? "slower per sample"
            case .batch where l.maxBatchSize < w.maxBatchSize:
                return "smaller micro-batch (\(l.maxBatchSize) vs \(w.maxBatchSize))\(cost)"
            case .recompute where lc.checkpointing.recomputeRank > wc.checkpointing.recomputeRank:
                return "more recomputation (checkpointing \(lc.checkpointing.rawValue) vs \(wc.checkpointing.rawValue))\(cost)"
            case .fidelity where lc.precision.fidelityRank < wc.precision.fidelityRank:
                return "lower precision (\(lc.precision.rawValue) vs \(wc.precision.rawValue))\(cost)"
            case .mode where Self.modeRank(lc.mode) > Self.modeRank(wc.mode):
                return "trains less of the model (\(lc.mode.rawValue) vs \(wc.mode.rawValue))\(cost)"
            case .memory where loser.deviceUsedAtOne > winner.deviceUsedAtOne:
                return "more memory at batch 1 (\(ByteSize.format(loser.deviceUsedAtOne)) vs \(ByteSize.format(winner.deviceUsedAtOne)))\(cost)"
            case .optimizer where lc.optimizer != wc.optimizer:
                return "tie broken by optimizer order (\(lc.optimizer.rawValue) after \(wc.optimizer.rawValue))\(cost)"
            default: continue
            }
        }
        return "equivalent to the best; ranked after it\(cost)"
    }

    /// The criteria a ranking compares, in the words `whyNot` uses for them.
    enum Criterion {
        case mode, tier, speed, batch, recompute, fidelity, memory, optimizer
    }

    /// What a plan costs against another in time per sample: "~28% slower per sample (1,020 vs 1,410 samples/s)";
    /// `nil` when either has no step time or they are within 1%.
    static func cost(_ plan: PlanCandidate, comparedTo other: PlanCandidate) -> String? {
        guard let a = plan.stepTime?.samplesPerSecond, let b = other.stepTime?.samplesPerSecond, a > 0, b > 0 else {
            return nil
        }
        let slower = b / a - 1
        guard abs(slower) >= 0.01 else { return nil }
        let rates = "(\(ThroughputText.rate(a)) vs \(ThroughputText.rate(b)) samples/s)"
        let percent = Int((abs(slower) * 100).rounded())
        return slower > 0 ? "~\(percent)% slower per sample \(rates)" : "~\(percent)% faster per sample \(rates)"
    }
}
