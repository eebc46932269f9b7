-- Issue 10: runs record the training stack they ran under and their adapter settings, and bitsandbytes' 8-bit Adam
-- is an optimizer of its own.
-- SQLite cannot change a CHECK constraint in place, so the run table is rebuilt with its rows copied unchanged.

CREATE TABLE run_0004 (
    id INTEGER PRIMARY KEY,
    run_key TEXT NOT NULL UNIQUE CHECK (length(run_key) > 0),
    kind TEXT NOT NULL CHECK (kind IN ('mem_at_batch', 'max_batch', 'fits', 'oom')),
    model TEXT NOT NULL CHECK (length(model) > 0),
    gpu TEXT CHECK (gpu IS NULL OR length(gpu) > 0),
    gpu_memory_bytes INTEGER CHECK (gpu_memory_bytes IS NULL OR gpu_memory_bytes > 0),
    memory_cap_bytes INTEGER CHECK (memory_cap_bytes IS NULL OR memory_cap_bytes > 0),
    framework TEXT NOT NULL CHECK (length(framework) > 0),
    -- What ran the loop (`--trainer`: hf-trainer-4.31, torchtune, litgpt, …); NULL is a plain PyTorch loop.
    trainer TEXT CHECK (trainer IS NULL OR length(trainer) > 0),
    -- Structural choices the run states over its trainer's defaults, as a JSON object (optimizer implementation,
    -- optimizer in backward, …); NULL when it states none.
    training_stack TEXT CHECK (training_stack IS NULL OR json_valid(training_stack)),
    cuda_version TEXT,
    driver_version TEXT,
    precision TEXT CHECK (precision IS NULL OR precision IN ('fp32', 'tf32', 'fp16-amp', 'bf16-amp', 'fp16', 'bf16', 'fp8')),
    optimizer TEXT CHECK (optimizer IS NULL OR optimizer IN ('sgd', 'sgd-momentum', 'adam', 'adamw', 'adagrad', 'rmsprop',
        'rmsprop-momentum', 'adafactor', 'adafactor-momentum', 'lion', 'adamw-8bit', 'adam-8bit', 'paged-adamw',
        'paged-adamw-8bit')),
    checkpointing TEXT NOT NULL DEFAULT 'none' CHECK (checkpointing IN ('none', 'selective', 'block')),
    training_mode TEXT CHECK (training_mode IS NULL OR training_mode IN ('full', 'frozen', 'lora', 'qlora')),
    -- Settings as the source wrote them where batchplan does not model them (e.g. {"optimizer": "lamb"}): the run is
    -- kept and listed by `runs list --unusable` with the reason.
    unmodelled TEXT CHECK (unmodelled IS NULL OR json_valid(unmodelled)),
    lora_rank INTEGER CHECK (lora_rank IS NULL OR lora_rank > 0),
    -- Adapter target modules, comma-separated short names, and the adapter dropout, as the run states them.
    lora_targets TEXT CHECK (lora_targets IS NULL OR length(lora_targets) > 0),
    lora_dropout REAL CHECK (lora_dropout IS NULL OR (lora_dropout >= 0 AND lora_dropout < 1)),
    attention TEXT CHECK (attention IS NULL OR attention IN ('eager', 'sdpa')),
    task TEXT CHECK (task IS NULL OR task IN ('classification', 'masked-lm', 'causal-lm', 'seq2seq', 'image-classification')),
    batch_size INTEGER CHECK (batch_size IS NULL OR batch_size > 0),
    bracket_next INTEGER CHECK (bracket_next IS NULL OR bracket_next > 0),
    grad_accum_steps INTEGER NOT NULL DEFAULT 1 CHECK (grad_accum_steps > 0),
    seq_len INTEGER CHECK (seq_len IS NULL OR seq_len > 0),
    image_size INTEGER CHECK (image_size IS NULL OR image_size > 0),
    gpus INTEGER NOT NULL DEFAULT 1 CHECK (gpus > 0),
    zero_stage INTEGER NOT NULL DEFAULT 0 CHECK (zero_stage BETWEEN 0 AND 3),
    outcome TEXT NOT NULL CHECK (outcome IN ('ok', 'oom')),
    peak_allocated_bytes INTEGER CHECK (peak_allocated_bytes IS NULL OR peak_allocated_bytes > 0),
    peak_reserved_bytes INTEGER CHECK (peak_reserved_bytes IS NULL OR peak_reserved_bytes > 0),
    device_used_bytes INTEGER CHECK (device_used_bytes IS NULL OR device_used_bytes > 0),
    -- A peak whose source does not say which counter it is; kept as evidence, not used to fit counters.
    peak_unspecified_bytes INTEGER CHECK (peak_unspecified_bytes IS NULL OR peak_unspecified_bytes > 0),
    context_bytes INTEGER CHECK (context_bytes IS NULL OR context_bytes >= 0),
    step_time_ms REAL CHECK (step_time_ms IS NULL OR step_time_ms > 0),
    source TEXT NOT NULL CHECK (length(source) > 0),
    url TEXT,
    notes TEXT,
    origin TEXT NOT NULL CHECK (origin IN ('builtin', 'user')),
    recorded_at TEXT NOT NULL,
    CHECK (kind <> 'max_batch' OR batch_size IS NOT NULL),
    CHECK (kind <> 'mem_at_batch' OR peak_allocated_bytes IS NOT NULL OR peak_reserved_bytes IS NOT NULL
        OR device_used_bytes IS NOT NULL OR peak_unspecified_bytes IS NOT NULL)
) STRICT;

INSERT INTO run_0004 (id, run_key, kind, model, gpu, gpu_memory_bytes, memory_cap_bytes, framework, cuda_version, driver_version, precision, optimizer, checkpointing, training_mode, unmodelled, lora_rank, attention, task, batch_size, bracket_next, grad_accum_steps, seq_len, image_size, gpus, zero_stage, outcome, peak_allocated_bytes, peak_reserved_bytes, device_used_bytes, peak_unspecified_bytes, context_bytes, step_time_ms, source, url, notes, origin, recorded_at)
SELECT id, run_key, kind, model, gpu, gpu_memory_bytes, memory_cap_bytes, framework, cuda_version, driver_version, precision, optimizer, checkpointing, training_mode, unmodelled, lora_rank, attention, task, batch_size, bracket_next, grad_accum_steps, seq_len, image_size, gpus, zero_stage, outcome, peak_allocated_bytes, peak_reserved_bytes, device_used_bytes, peak_unspecified_bytes, context_bytes, step_time_ms, source, url, notes, origin, recorded_at FROM run;

DROP TABLE run;
ALTER TABLE run_0004 RENAME TO run;
CREATE INDEX run_model ON run(model COLLATE NOCASE);
CREATE INDEX run_gpu ON run(gpu COLLATE NOCASE);
