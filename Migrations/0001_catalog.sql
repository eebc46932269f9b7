-- The catalog's first schema: accelerators, their aliases, model definitions, and catalog metadata.
-- Memory is always integer bytes. Every row says whether it is built-in (refreshed by newer binaries) or the user's.

CREATE TABLE catalog_meta (
    key TEXT NOT NULL PRIMARY KEY,
    value TEXT NOT NULL
) STRICT;

CREATE TABLE gpu (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE COLLATE NOCASE CHECK (length(trim(name)) > 0),
    vendor TEXT NOT NULL CHECK (vendor IN ('nvidia', 'amd', 'apple', 'intel')),
    architecture TEXT NOT NULL CHECK (length(architecture) > 0),
    segment TEXT NOT NULL CHECK (segment IN ('consumer', 'workstation', 'datacenter', 'apple', 'cloud', 'other')),
    memory_bytes INTEGER NOT NULL CHECK (memory_bytes > 0 AND memory_bytes <= 1125899906842624),
    memory_bytes_source TEXT NOT NULL CHECK (memory_bytes_source IN ('nvidia-smi', 'vendor-spec', 'user')),
    marketed_memory TEXT NOT NULL,
    marketed_memory_bytes INTEGER NOT NULL CHECK (marketed_memory_bytes > 0 AND marketed_memory_bytes <= 1125899906842624),
    memory_type TEXT,
    unified_memory INTEGER NOT NULL CHECK (unified_memory IN (0, 1)),
    bandwidth_gb_s REAL CHECK (bandwidth_gb_s IS NULL OR bandwidth_gb_s > 0),
    fp32_tflops REAL CHECK (fp32_tflops IS NULL OR fp32_tflops > 0),
    tf32_tflops REAL CHECK (tf32_tflops IS NULL OR tf32_tflops > 0),
    fp16_tflops REAL CHECK (fp16_tflops IS NULL OR fp16_tflops > 0),
    bf16_tflops REAL CHECK (bf16_tflops IS NULL OR bf16_tflops > 0),
    fp8_tflops REAL CHECK (fp8_tflops IS NULL OR fp8_tflops > 0),
    supports_bf16 INTEGER NOT NULL CHECK (supports_bf16 IN (0, 1)),
    supports_fp8 INTEGER NOT NULL CHECK (supports_fp8 IN (0, 1)),
    compute_capability TEXT,
    release_year INTEGER CHECK (release_year IS NULL OR release_year BETWEEN 2000 AND 2100),
    source_url TEXT NOT NULL CHECK (length(source_url) > 0),
    origin TEXT NOT NULL CHECK (origin IN ('builtin', 'user'))
) STRICT;

-- Normalized names (lowercase, letters and digits only) that resolve to one GPU.
CREATE TABLE gpu_alias (
    alias_key TEXT NOT NULL PRIMARY KEY CHECK (length(alias_key) > 0),
    gpu_id INTEGER NOT NULL REFERENCES gpu(id) ON DELETE CASCADE
) STRICT;
CREATE INDEX gpu_alias_gpu ON gpu_alias(gpu_id);

CREATE TABLE model (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE COLLATE NOCASE CHECK (length(trim(name)) > 0),
    kind TEXT NOT NULL CHECK (kind IN ('builder', 'hf-config', 'raw', 'spec', 'profile')),
    family TEXT NOT NULL CHECK (family IN ('cnn', 'encoder', 'decoder', 'encoder-decoder', 'custom')),
    parameters INTEGER NOT NULL CHECK (parameters > 0),
    payload TEXT NOT NULL,
    source TEXT NOT NULL CHECK (length(source) > 0),
    origin TEXT NOT NULL CHECK (origin IN ('builtin', 'user')),
    added_at TEXT NOT NULL
) STRICT;

-- Other names a model is published under (timm's "vit_base_patch16_224" is torchvision's "vit_b_16").
CREATE TABLE model_alias (
    alias_key TEXT NOT NULL PRIMARY KEY CHECK (length(alias_key) > 0),
    model_id INTEGER NOT NULL REFERENCES model(id) ON DELETE CASCADE
) STRICT;
CREATE INDEX model_alias_model ON model_alias(model_id);
