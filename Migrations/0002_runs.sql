-- Measured runs: a peak (allocated, reserved or device used), an OOM, or only the outcome at a batch size.
-- Models and GPUs are referenced by name so that a run survives a refresh of the built-in rows; a run whose model
-- or GPU the catalog lacks is kept and listed as unusable.

CREATE TABLE run (
    id INTEGER PRIMARY KEY,
    run_key TEXT NOT NULL UNIQUE CHECK (length(run_key) > 0),
    kind TEXT NOT NULL CHECK (kind IN ('mem_at_batch', 'max_batch', 'fits', 'oom')),
    model TEXT NOT NULL CHECK (length(model) > 0),
    gpu TEXT CHECK (gpu IS NULL OR length(gpu) > 0),
    gpu_memory_bytes INTEGER CHECK (gpu_memory_bytes IS NULL OR gpu_memory_bytes > 0),
    memory_cap_bytes INTEGER CHECK (memory_cap_bytes IS NULL OR memory_cap_bytes > 0),
    framework TEXT NOT NULL CHECK (length(framework) > 0),
    cuda_version TEXT,
    driver_version TEXT,
    precision TEXT CHECK (precision IS NULL OR precision IN ('fp32', 'tf32', 'fp16-amp', 'bf16-amp', 'fp16', 'bf16', 'fp8')),
    optimizer TEXT CHECK (optimizer IS NULL OR optimizer IN ('sgd', 'sgd-momentum', 'adam', 'adamw', 'adagrad', 'rmsprop',
        'rmsprop-momentum', 'adafactor', 'adafactor-momentum', 'lion', 'adamw-8bit', 'paged-adamw', 'paged-adamw-8bit')),
    checkpointing TEXT NOT NULL DEFAULT 'none' CHECK (checkpointing IN ('none', 'selective', 'block')),
    training_mode TEXT CHECK (training_mode IS NULL OR training_mode IN ('full', 'frozen', 'lora', 'qlora')),
    -- Settings as the source wrote them where batchplan does not model them (e.g. {"optimizer": "lamb"}): the run is
    -- kept and listed by `runs list --unusable` with the reason.
    unmodelled TEXT CHECK (unmodelled IS NULL OR json_valid(unmodelled)),
    lora_rank INTEGER CHECK (lora_rank IS NULL OR lora_rank > 0),
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
CREATE INDEX run_model ON run(model COLLATE NOCASE);
CREATE INDEX run_gpu ON run(gpu COLLATE NOCASE);

-- Factors fitted from runs, per scope. Replaced as a whole by each fit.
CREATE TABLE calibration_factor (
    scope_level TEXT NOT NULL CHECK (scope_level IN ('global', 'framework', 'architecture', 'gpu', 'family', 'model')),
    scope_key TEXT NOT NULL,
    activation_scale REAL NOT NULL CHECK (activation_scale > 0),
    model_state_scale REAL NOT NULL CHECK (model_state_scale > 0),
    allocator_reserve_ratio REAL CHECK (allocator_reserve_ratio IS NULL OR allocator_reserve_ratio >= 0),
    runtime_context_bytes INTEGER CHECK (runtime_context_bytes IS NULL OR runtime_context_bytes >= 0),
    log_spread REAL NOT NULL CHECK (log_spread >= 0),
    runs_used INTEGER NOT NULL CHECK (runs_used >= 0),
    fitted_at TEXT NOT NULL,
    PRIMARY KEY (scope_level, scope_key)
) STRICT;
