/// How much state an optimizer keeps per trainable parameter: the one table of optimizer memory.
public struct OptimizerStateRule: Hashable, Sendable {
    /// Full-size state tensors per parameter (momentum, second moment, …) at the regime's slot width.
    public var fullSlots: Int
    /// Bytes per slot element when the optimizer fixes it (1 for 8-bit states); `nil` uses the precision's slot width.
    public var fixedSlotBytes: Int?
    /// Bytes of block statistics per parameter (8-bit states: one fp32 absmax per 256-element block per slot).
    public var blockStatisticsBytesPerParameter: Double
    /// Adafactor's factored second moment: row + column statistics per matrix instead of a full slot.
    public var factoredSecondMoment: Bool
    /// Full-size fp32-width temporaries the default (`foreach`) step allocates over all parameters at once.
    public var stepTemporarySlots: Int
    /// Temporaries sized like the largest single parameter tensor (per-parameter loops: Adafactor, Lion).
    public var stepTemporaryLargestLayerSlots: Int
    /// States live in unified (paged) memory that can be evicted to the host under pressure.
    public var paged: Bool
    /// The optimizer this rule describes.
    public var kind: OptimizerKind

    /// The rule for an optimizer.
    public static func of(_ optimizer: OptimizerKind) -> OptimizerStateRule {
        switch optimizer {
        case .sgd:
            // torch.optim.SGD keeps a momentum_buffer only when momentum != 0.
            OptimizerStateRule(fullSlots: 0, stepTemporarySlots: 0, kind: optimizer)
        case .sgdMomentum:
            // momentum_buffer = clone(grad); the foreach update is in place.
            OptimizerStateRule(fullSlots: 1, stepTemporarySlots: 0, kind: optimizer)
        case .adam, .adamw:
            // exp_avg, exp_avg_sq; _multi_tensor_adam allocates exp_avg_sq_sqrt (one full-size list).
            OptimizerStateRule(fullSlots: 2, stepTemporarySlots: 1, kind: optimizer)
        case .adagrad:
            OptimizerStateRule(fullSlots: 1, stepTemporarySlots: 1, kind: optimizer)
        case .rmsprop:
            OptimizerStateRule(fullSlots: 1, stepTemporarySlots: 1, kind: optimizer)
        case .rmspropMomentum:
            OptimizerStateRule(fullSlots: 2, stepTemporarySlots: 1, kind: optimizer)
        case .adafactor:
            // Shazeer & Stern 2018: factored second moment O(n+m) per n×m matrix; vectors keep a full slot.
            OptimizerStateRule(
                fullSlots: 0, factoredSecondMoment: true, stepTemporarySlots: 0, stepTemporaryLargestLayerSlots: 2,
                kind: optimizer)
        case .adafactorMomentum:
            OptimizerStateRule(
                fullSlots: 1, factoredSecondMoment: true, stepTemporarySlots: 0, stepTemporaryLargestLayerSlots: 2,
                kind: optimizer)
        case .lion:
            OptimizerStateRule(
                fullSlots: 1, stepTemporarySlots: 0, stepTemporaryLargestLayerSlots: 1,
                kind: optimizer)
        case .adamw8bit, .adam8bit:
            OptimizerStateRule(
                fullSlots: 2, fixedSlotBytes: 1, blockStatisticsBytesPerParameter: 2.0 * 4.0 / 256.0,
                stepTemporarySlots: 0, kind: optimizer)
        case .pagedAdamw:
            OptimizerStateRule(fullSlots: 2, stepTemporarySlots: 0, paged: true, kind: optimizer)
        case .pagedAdamw8bit:
            OptimizerStateRule(
                fullSlots: 2, fixedSlotBytes: 1, blockStatisticsBytesPerParameter: 2.0 * 4.0 / 256.0,
                stepTemporarySlots: 0, paged: true, kind: optimizer)
        }
    }

    public init(
        fullSlots: Int, fixedSlotBytes: Int? = nil, blockStatisticsBytesPerParameter: Double = 0,
        factoredSecondMoment: Bool = false, stepTemporarySlots: Int, stepTemporaryLargestLayerSlots: Int = 0,
        paged: Bool = false, kind: OptimizerKind
    ) {
        self.fullSlots = fullSlots
        self.fixedSlotBytes = fixedSlotBytes
        self.blockStatisticsBytesPerParameter = blockStatisticsBytesPerParameter
        self.factoredSecondMoment = factoredSecondMoment
        self.stepTemporarySlots = stepTemporarySlots
        self.stepTemporaryLargestLayerSlots = stepTemporaryLargestLayerSlots
        self.paged = paged
        self.kind = kind
    }

    /// Persistent state bytes per trainable parameter, given the regime's slot width and, for Adafactor, the
    /// fraction of elements its factored statistics need (`factoredElementsPerParameter`).
    public func stateBytesPerParameter(slotBytes: Int, factoredElementsPerParameter: Double) -> Double {
        let width = Double(fixedSlotBytes ?? slotBytes)
        var bytes = Double(fullSlots) * width + blockStatisticsBytesPerParameter
        if factoredSecondMoment { bytes += factoredElementsPerParameter * Double(slotBytes) }
        return bytes
    }

    /// Where the numbers come from.
    public var source: String {
        switch kind {
        case .sgd:
            "torch.optim.SGD (no state without momentum)"
        case .sgdMomentum:
            "torch.optim.SGD momentum_buffer"
        case .adam, .adamw:
            "torch.optim.Adam/AdamW exp_avg + exp_avg_sq; foreach step allocates sqrt(exp_avg_sq)"
        case .adagrad:
            "torch.optim.Adagrad sum; foreach step allocates its sqrt"
        case .rmsprop:
            "torch.optim.RMSprop square_avg; foreach step allocates its sqrt"
        case .rmspropMomentum:
            "torch.optim.RMSprop square_avg + momentum_buffer; foreach step allocates sqrt(square_avg)"
        case .adafactor:
            "Adafactor (Shazeer & Stern 2018; transformers.Adafactor, beta1=None): row+column statistics"
        case .adafactorMomentum:
            "Adafactor with beta1 set: factored second moment plus a full exp_avg slot"
        case .lion:
            "Lion (Chen et al. 2023; lion-pytorch): one exp_avg slot, per-parameter update temporary"
        case .adam8bit:
            "bitsandbytes Adam8bit: two uint8 states + fp32 absmax per 256-element block (BLOCKSIZE_2STATE = 256), fused step"
        case .adamw8bit:
            "bitsandbytes AdamW8bit: two uint8 states + fp32 absmax per 256-element block "
                    + "(BLOCKSIZE_2STATE = 256), fused step"
        case .pagedAdamw:
            "bitsandbytes PagedAdamW: two fp32 states in paged unified memory, fused step"
        case .pagedAdamw8bit:
            "bitsandbytes PagedAdamW8bit: two uint8 states + block absmax in paged memory, fused step"
        }
    }
}
