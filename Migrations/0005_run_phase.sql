-- Runs measure training or inference (batchplan serve). Existing rows are training runs. Inference runs keep the
-- weight format, KV cache dtype and tensor-parallel size they were served with; their precision column holds the
-- compute dtype (fp32, fp16, bf16) and seq_len the context in tokens.
ALTER TABLE run ADD COLUMN phase TEXT NOT NULL DEFAULT 'training' CHECK (phase IN ('training', 'inference'));
ALTER TABLE run ADD COLUMN weight_format TEXT
    CHECK (weight_format IS NULL OR weight_format IN ('native', 'fp32', 'fp16', 'bf16', 'fp8', 'int8', 'int4', 'nf4', 'nf4-dq'));
ALTER TABLE run ADD COLUMN kv_cache_dtype TEXT CHECK (kv_cache_dtype IS NULL OR kv_cache_dtype IN ('fp32', 'fp16', 'bf16', 'fp8'));
ALTER TABLE run ADD COLUMN tensor_parallel INTEGER CHECK (tensor_parallel IS NULL OR tensor_parallel > 0);
