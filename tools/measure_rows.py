"""The JSON row measure_torch.py writes for each measurement (the format is described in FORMAT.md)."""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import asdict
from datetime import datetime, timezone

import measure_env
import measure_models

TOOL = "tools/measure_torch.py"


def build_row(facts, cfg, built, batch_size, readings: dict, *, oom: bool, notes: list[str], kind: str | None = None,
              search_id: str | None = None, probe: bool = False, extra: dict | None = None, serial: int = 0) -> dict:
    """One row: `facts` (measure_env.DeviceFacts), `cfg` (measure_runner.Config), `built` (the model or None)."""
    measured_at = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    config_text = json.dumps(asdict(cfg), sort_keys=True, default=str)
    digest = hashlib.sha1(f"{config_text}|{batch_size}|{kind}|{measured_at}|{os.getpid()}|{serial}".encode())
    capped = cfg.cap_bytes is not None and facts.gpu is not None
    gpu = f"{facts.gpu} (capped {measure_env.format_gib(cfg.cap_bytes)})" if capped else facts.gpu
    effective = cfg.cap_bytes if capped else facts.gpu_memory_bytes
    uses_image = cfg.model.startswith(("torchvision:", "timm:")) or (built is not None and built.uses_image)
    task = built.task if built is not None else (cfg.task or guess_task(cfg))
    all_notes = [f"measured by {TOOL}: random init, synthetic inputs, warm-up {cfg.warmup} step(s), "
                 f"peaks over {readings.get('measured_steps', cfg.steps)} measured step(s) after reset_peak_memory_stats; "
                 f"optimizer {measure_models.OPTIMIZERS.get(cfg.optimizer, cfg.optimizer)}; "
                 f"cudnn.benchmark={cfg.cudnn_benchmark}"]
    if capped:
        all_notes.append("cap emulated with torch.cuda.set_per_process_memory_fraction: it limits what the caching "
                         "allocator reserves; a real card of that size also holds context_bytes outside it")
    if built is not None:
        all_notes += built.notes
    all_notes += notes
    row = {
        "id": "M-" + digest.hexdigest()[:16],
        "source": "measured",
        "url": None,
        "kind": kind or ("oom" if oom else "mem_at_batch"),
        "model": cfg.model_name,
        "model_spec": cfg.model,
        "framework": facts.framework,
        "framework_version": facts.framework_version,
        "cuda_version": facts.cuda_version,
        "driver_version": facts.driver_version,
        "cudnn_version": facts.cudnn_version,
        "device": facts.device,
        "gpu": gpu,
        "gpu_memory_bytes": facts.gpu_memory_bytes,
        "gpu_memory_gib": round(effective / measure_env.GIB, 3) if effective else None,
        "memory_cap_bytes": cfg.cap_bytes if capped else None,
        "precision": cfg.precision,
        "optimizer": cfg.optimizer,
        "checkpointing": cfg.checkpointing,
        "grad_checkpointing": cfg.checkpointing != "none",
        "training_mode": "full",
        "lora_rank": None,
        "attention": built.attention if built is not None else (None if uses_image else cfg.attention),
        "task": task,
        "batch_size": batch_size,
        "grad_accum_steps": 1,
        "seq_len": None if uses_image else cfg.seq,
        "image_size": cfg.image if uses_image else None,
        "gpus": 1,
        "zero_stage": 0,
        "outcome": "oom" if oom else "ok",
        "peak_allocated_bytes": readings.get("peak_allocated_bytes"),
        "peak_reserved_bytes": readings.get("peak_reserved_bytes"),
        "device_used_bytes": readings.get("device_used_bytes"),
        "context_bytes": facts.context_bytes,
        "context_method": facts.context_method,
        "device_baseline_used_bytes": facts.device_baseline_used_bytes,
        "alloc_conf": os.environ.get("PYTORCH_CUDA_ALLOC_CONF"),
        "overhead_bytes": readings.get("overhead_bytes"),
        "allocated_after_build_bytes": readings.get("allocated_after_build_bytes"),
        "warmup_peak_allocated_bytes": readings.get("warmup_peak_allocated_bytes"),
        "warmup_peak_reserved_bytes": readings.get("warmup_peak_reserved_bytes"),
        "step_time_ms": readings.get("step_time_ms"),
        "warmup_step_ms": readings.get("warmup_step_ms"),
        "measured_steps": readings.get("measured_steps"),
        "params": sum(p.numel() for p in built.model.parameters()) if built is not None else None,
        "model_library_version": built.library_version if built is not None else None,
        "search_id": search_id,
        "probe": probe,
        "bracket_next": None,
        "measured_at": measured_at,
        "notes": "; ".join(all_notes),
    }
    if extra:
        row.update(extra)
    return row


def guess_task(cfg) -> str | None:
    """The task when no model was built (a failed build): image classification for vision sources."""
    if cfg.model.startswith(("torchvision:", "timm:")):
        return "image-classification"
    return cfg.task
