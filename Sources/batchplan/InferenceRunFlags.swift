import ArgumentParser
import BatchPlanCore

/// `runs record --inference`: what an inference run was served with.
struct InferenceRunFlags: ParsableArguments {
    @Flag(help: "The run measured inference (prediction under torch.inference_mode or a serving engine), not training.")
    var inference = false
    @Option(help: "With --inference: the compute dtype (fp32, fp16, bf16).") var dtype: String?
    @Option(help: "With --inference: the weight format (native, fp8, int8, int4, nf4, …).") var weights: String?
    @Option(help: "With --inference: the KV cache dtype (fp32, fp16, bf16, fp8).") var kvCacheDtype: String?
    @Option(help: "With --inference: tensor-parallel GPUs.") var tensorParallel: Int?

    /// Turns a training run built from the shared flags into the inference run these flags describe.
    func apply(to run: inout MeasuredRun) throws {
        guard inference else {
            if dtype != nil || weights != nil || kvCacheDtype != nil || tensorParallel != nil {
                throw Usage.error("--dtype, --weights, --kv-cache-dtype and --tensor-parallel describe inference runs: add --inference")
            }
            return
        }
        guard let dtype else { throw Usage.error("--inference needs --dtype, the compute dtype the run used (fp32, fp16 or bf16)") }
        let compute = try Usage.parse { () throws(CoreError) in try InferenceVocabulary.parse(dtype, as: ComputeDType.self, option: "--dtype") }
        run.phase = .inference
        run.precision = Precision(rawValue: compute.rawValue)
        run.optimizer = nil
        run.trainingMode = nil
        run.checkpointing = .none
        run.weightFormat = try weights.map { text in
            try Usage.parse { () throws(CoreError) in try InferenceVocabulary.parse(text, as: WeightFormat.self, option: "--weights") }
        }
        run.kvCacheDType = try kvCacheDtype.map { text in
            try Usage.parse { () throws(CoreError) in try InferenceVocabulary.parse(text, as: KVCacheDType.self, option: "--kv-cache-dtype") }
        }
        if let tensorParallel {
            guard (1...4096).contains(tensorParallel) else { throw Usage.error("--tensor-parallel must be between 1 and 4096") }
            run.tensorParallel = tensorParallel
        }
    }
}
