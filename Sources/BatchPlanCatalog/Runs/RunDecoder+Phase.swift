import BatchPlanCore

extension RunDecoder {
    /// Reads `phase` (training, the default, or inference) and an inference run's `weight_format`,
    /// `kv_cache_dtype` and `tensor_parallel`.
    ///
    /// An inference run has no training mode or optimizer; its `precision` is the compute dtype (fp32, fp16, bf16)
    /// and `seq_len` its context in tokens.
    static func readPhase(_ fields: RunFields, into run: inout MeasuredRun) throws {
        let text = try fields.string("phase")?.lowercased() ?? RunPhase.training.rawValue
        guard let phase = RunPhase(rawValue: text) else {
            throw Problem(message: "phase \"\(text)\" is not one of training, inference")
        }
        let format = try fields.string("weight_format")?.lowercased()
        let cache = try fields.string("kv_cache_dtype")?.lowercased()
        let parallel = try fields.int("tensor_parallel")
        guard phase == .inference else {
            if format != nil || cache != nil || parallel != nil {
                throw Problem(message: "weight_format, kv_cache_dtype and tensor_parallel describe inference runs: add phase inference")
            }
            return
        }
        run.phase = .inference
        if let format {
            guard let parsed = WeightFormat(rawValue: format) else {
                throw Problem(message: "weight_format \"\(format)\" is not one of \(WeightFormat.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            run.weightFormat = parsed
        }
        if let cache {
            guard let parsed = KVCacheDType(rawValue: cache) else {
                throw Problem(message: "kv_cache_dtype \"\(cache)\" is not one of \(KVCacheDType.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            run.kvCacheDType = parsed
        }
        if let parallel {
            guard parallel >= 1, parallel <= 4096 else { throw Problem(message: "tensor_parallel must be between 1 and 4096") }
            run.tensorParallel = parallel
        }
        if fields.present("training_mode") == false { run.trainingMode = nil }
        if let precision = run.precision, ![.fp32, .fp16, .bf16].contains(precision) {
            throw Problem(message: "an inference run's precision is its compute dtype: fp32, fp16 or bf16, not \(precision.rawValue)")
        }
    }
}
