"""The measuring engine behind measure_torch.py: one process, many configurations, searches for the largest batch."""

from __future__ import annotations

import gc
import hashlib
import json
import math
import os
import statistics
import subprocess
import sys
import time
from contextlib import nullcontext
from dataclasses import dataclass, replace

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import torch  # noqa: E402

import measure_env  # noqa: E402
import measure_models  # noqa: E402
import measure_rows  # noqa: E402

PRECISIONS = ("fp32", "tf32", "fp16-amp", "bf16-amp", "fp16", "bf16")


def make_grad_scaler(device):
    """A GradScaler for `device`: torch.amp.GradScaler(device) from torch 2.3, torch.cuda.amp.GradScaler before."""
    if hasattr(torch, "amp") and hasattr(torch.amp, "GradScaler"):
        return torch.amp.GradScaler(device)
    return torch.cuda.amp.GradScaler(enabled=device == "cuda")


def needs_state(optimizer):
    """Whether `optimizer` keeps per-parameter state after a step (plain SGD without momentum keeps none)."""
    if isinstance(optimizer, torch.optim.SGD):
        return any(group.get("momentum", 0) for group in optimizer.param_groups)
    return True


@dataclass(frozen=True)
class Config:
    """One training configuration; batch size is given separately."""

    model: str
    model_name: str
    task: str | None = None
    precision: str = "fp32"
    optimizer: str = "adamw"
    checkpointing: str = "none"
    attention: str = "sdpa"
    image: int = 224
    seq: int = 128
    num_classes: int = 1000
    cap_bytes: int | None = None
    warmup: int = 1
    steps: int = 3
    max_step_s: float = 10.0
    cudnn_benchmark: bool = False
    hf_overrides: str | None = None  # JSON object text, applied to an hf: config (kept hashable)

    @property
    def model_dtype(self) -> torch.dtype:
        return {"fp16": torch.float16, "bf16": torch.bfloat16}.get(self.precision, torch.float32)

    @property
    def build_key(self) -> tuple:
        return (self.model, self.task, self.model_dtype, self.attention, self.image, self.seq, self.num_classes,
                self.hf_overrides)


def log(message: str) -> None:
    print(f"[measure {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def is_oom(error: BaseException) -> bool:
    if isinstance(error, torch.cuda.OutOfMemoryError):
        return True
    text = str(error)
    return isinstance(error, RuntimeError) and ("out of memory" in text or "CUBLAS_STATUS_ALLOC_FAILED" in text
                                                or "CUDNN_STATUS_ALLOC_FAILED" in text)


class Measurer:
    """Runs measurements in this process, keeping at most one built model between configs."""

    def __init__(self, device: str, sink, *, fake_oom_above: int | None = None):
        self.device = device
        self.torch_device = torch.device(device)
        self.facts = measure_env.probe_device(device)
        self.sink = sink
        self.fake_oom_above = fake_oom_above
        self._built = None
        self._built_key = None
        self.history: dict[tuple, list[tuple[int, int]]] = {}  # config sans batch -> [(batch, peak_reserved)]
        self._counter = 0
        if device == "cuda":
            log(f"{self.facts.gpu}: {self.facts.gpu_memory_bytes} bytes; context {self.facts.context_bytes} bytes "
                f"({self.facts.context_method}); torch {torch.__version__}, CUDA {self.facts.cuda_version}")

    # ------------------------------------------------------------ model lifecycle

    def _model(self, cfg: Config):
        if self._built_key != cfg.build_key:
            self._built = None
            self._built_key = None
            self._free()
            self._built = measure_models.build_model(
                cfg.model, task=cfg.task, dtype=cfg.model_dtype, device=self.torch_device, attention=cfg.attention,
                image=cfg.image, seq=cfg.seq, num_classes=cfg.num_classes,
                hf_overrides=json.loads(cfg.hf_overrides) if cfg.hf_overrides else None)
            self._built_key = cfg.build_key
        return self._built

    def drop_model(self):
        self._built = None
        self._built_key = None
        self._free()

    def _free(self):
        gc.collect()
        if self.device == "cuda":
            torch.cuda.synchronize()
            torch.cuda.empty_cache()

    def _set_backends(self, cfg: Config):
        if self.device != "cuda":
            return
        tf32 = cfg.precision == "tf32"
        torch.backends.cuda.matmul.allow_tf32 = tf32
        torch.backends.cudnn.allow_tf32 = tf32
        torch.backends.cudnn.benchmark = cfg.cudnn_benchmark
        fraction = 1.0 if cfg.cap_bytes is None else min(1.0, cfg.cap_bytes / self.facts.gpu_memory_bytes)
        torch.cuda.set_per_process_memory_fraction(fraction)

    # ------------------------------------------------------------ one measurement

    def measure(self, cfg: Config, batch_size: int, *, search_id: str | None = None, probe: bool = False) -> dict:
        """Runs warm-up + measured steps at `batch_size`; returns (and writes) one row, `ok` or `oom`."""
        cuda = self.device == "cuda"
        started = time.time()
        self._set_backends(cfg)
        if cuda:
            torch.cuda.reset_peak_memory_stats()  # an OOM while building must not report the last config's peak
        readings: dict = {}
        error_text = None
        oom = False
        built = None
        notes: list[str] = []
        model = optimizer = batch = scaler = None
        try:
            built = self._model(cfg)
            built.set_checkpointing(cfg.checkpointing == "block")
            model = built.model
            optimizer = measure_models.make_optimizer(cfg.optimizer, model.parameters())
            batch = built.make_batch(batch_size)
            amp_dtype = {"fp16-amp": torch.float16, "bf16-amp": torch.bfloat16}.get(cfg.precision)
            autocast = (lambda: torch.autocast(self.device, dtype=amp_dtype)) if amp_dtype else nullcontext
            scaler = make_grad_scaler(self.device) if cfg.precision == "fp16-amp" else None
            if cuda:
                torch.cuda.synchronize()
                readings["allocated_after_build_bytes"] = torch.cuda.memory_allocated()
                torch.cuda.reset_peak_memory_stats()

            def step():
                if self.fake_oom_above is not None and batch_size > self.fake_oom_above:
                    raise torch.cuda.OutOfMemoryError("CUDA out of memory (fake: MEASURE_FAKE_OOM_ABOVE)")
                if cuda:
                    torch.cuda.synchronize()
                begin = time.perf_counter()
                with autocast():
                    loss = built.loss(model, batch)
                if scaler is not None:
                    scaler.scale(loss).backward()
                    scaler.step(optimizer)
                    scaler.update()
                else:
                    loss.backward()
                    optimizer.step()
                optimizer.zero_grad(set_to_none=True)
                if cuda:
                    torch.cuda.synchronize()
                return time.perf_counter() - begin

            warm_times = [step() for _ in range(cfg.warmup)]
            # Under fp16-amp the scaler skips the optimizer step while the loss scale overflows (it starts at 2^16
            # and halves each time): warm up until a stateful optimizer has its state, so that it is not created
            # inside the measured steps (at most 24 more steps; the scale is then 2^-8).
            while (scaler is not None and not optimizer.state and needs_state(optimizer)
                   and len(warm_times) < cfg.warmup + 24):
                warm_times.append(step())
            readings["warmup_step_ms"] = [round(t * 1000, 3) for t in warm_times]
            if cuda:
                readings["warmup_peak_allocated_bytes"] = torch.cuda.max_memory_allocated()
                readings["warmup_peak_reserved_bytes"] = torch.cuda.max_memory_reserved()
                torch.cuda.reset_peak_memory_stats()
            steps = cfg.steps
            if warm_times and max(warm_times) > cfg.max_step_s and steps > 1:
                steps = 1
                notes.append(f"time guard: warm-up step took {max(warm_times):.1f}s > {cfg.max_step_s}s, 1 measured step")
            times = [step() for _ in range(steps)]
            readings["step_time_ms"] = round(statistics.median(times) * 1000, 3) if times else None
            readings["measured_steps"] = len(times)
            if cuda:
                readings["peak_allocated_bytes"] = torch.cuda.max_memory_allocated()
                readings["peak_reserved_bytes"] = torch.cuda.max_memory_reserved()
                used, reserved_now = measure_env.device_used_bytes()
                readings["device_used_bytes"] = used
                readings["overhead_bytes"] = used - reserved_now
        except Exception as error:  # noqa: BLE001 - OOM and model errors both become rows or messages
            if is_oom(error):
                oom = True
                error_text = str(error).splitlines()[0][:300]
            else:
                raise
        finally:
            model = optimizer = batch = scaler = None  # drop every tensor before freeing the cache
            if built is not None:
                built.model.zero_grad(set_to_none=True)
            built = None
        if oom:
            if cuda:
                readings["peak_allocated_bytes"] = torch.cuda.max_memory_allocated()
                readings["peak_reserved_bytes"] = torch.cuda.max_memory_reserved()
                notes.append("peaks are what was reached before the failing allocation")
            notes.append(f"OutOfMemoryError: {error_text}")
        self._free()
        row = self.row(cfg, batch_size, readings, oom=oom, notes=notes, search_id=search_id, probe=probe)
        if not oom and cuda:
            key = _history_key(cfg)
            self.history.setdefault(key, []).append((batch_size, readings["peak_reserved_bytes"]))
        self.sink(row)
        seconds = time.time() - started
        shown = _gib(readings.get("peak_reserved_bytes"))
        log(f"{cfg.model_name} b={batch_size} {cfg.precision}/{cfg.optimizer}/{cfg.checkpointing}"
            f"{' cap=' + measure_env.format_gib(cfg.cap_bytes) if cfg.cap_bytes else ''}: "
            f"{'OOM' if oom else 'ok'} reserved={shown} step={readings.get('step_time_ms')}ms ({seconds:.1f}s)")
        return row

    # ------------------------------------------------------------ rows

    def row(self, cfg: Config, batch_size, readings: dict, *, oom: bool, notes: list[str], kind: str | None = None,
            search_id: str | None = None, probe: bool = False, extra: dict | None = None) -> dict:
        """One output row for `cfg` at `batch_size` (see FORMAT.md)."""
        built = self._built if self._built_key == cfg.build_key else None
        self._counter += 1
        return measure_rows.build_row(self.facts, cfg, built, batch_size, readings, oom=oom, notes=notes, kind=kind,
                                      search_id=search_id, probe=probe, extra=extra, serial=self._counter)

    # ------------------------------------------------------------ batch lists and searches

    def run_batches(self, cfg: Config, batches: list[int], deadline: float | None = None) -> list[dict]:
        """Measures ascending batch sizes; stops at the first OOM (larger ones would fail too)."""
        rows = []
        for batch_size in sorted(set(batches)):
            if _past(deadline):
                log(f"deadline reached, skipping {cfg.model_name} b={batch_size} and larger")
                break
            row = self.measure(cfg, batch_size)
            rows.append(row)
            if row["outcome"] == "oom":
                break
            if row["step_time_ms"] and row["step_time_ms"] > cfg.max_step_s * 1000:
                log(f"time guard: step {row['step_time_ms']:.0f} ms > {cfg.max_step_s}s, no larger batches")
                break
        return rows

    def auto_start(self, cfg: Config) -> tuple[int, float]:
        """A starting batch and growth factor for a search, from earlier rows of the same config in this process."""
        if cfg.cap_bytes is None and self.device == "cuda":
            limit = self.facts.gpu_memory_bytes
        else:
            limit = cfg.cap_bytes
        points = sorted(self.history.get(_history_key(cfg), []))
        if limit is None or len(points) < 2:
            below = [b for b, reserved in points if limit is not None and reserved <= limit]
            return (max(below) if below else 1), 2.0
        (b1, m1), (b2, m2) = points[0], points[-1]
        below = [b for b, reserved in points if reserved <= limit]
        if b2 == b1 or m2 <= m1:
            return (max(below) if below else 1), 2.0
        slope = (m2 - m1) / (b2 - b1)
        predicted = b1 + (limit - m1) / slope
        start = max(1, int(predicted * 0.9))
        return start, 1.2

    def find_max(self, cfg: Config, *, start: int | None, growth: float | None, max_batch: int,
                 probe_mode: str, deadline: float | None = None) -> dict | None:
        """Largest batch that trains: grow from `start` until OOM, then bisect; writes a max_batch row."""
        auto_start, auto_growth = self.auto_start(cfg)
        start = min(start or auto_start, max_batch)
        growth = growth or auto_growth
        search_id = "S-" + hashlib.sha1(f"{cfg}|{time.time()}|{os.getpid()}".encode()).hexdigest()[:12]
        probe_cfg = replace(cfg, steps=1)
        results: dict[int, dict] = {}
        notes = [f"search: start {start}, growth x{growth:g} until OOM, then bisection; probes {probe_mode}"
                 + (" (one process: the model stays built; optimizer, inputs and gradients are dropped, then gc + empty_cache, between probes)" if probe_mode == "in-process"
                    else " (each probe a fresh python process)")]

        state = {"lo": 0, "hi": None, "stopped": False}  # largest that trained, smallest that failed

        def probe(b: int) -> bool:
            """Tries batch b and updates the bracket; False once the search must stop (deadline, time guard)."""
            if _past(deadline):
                notes.append("deadline reached before the search ended: bracket may be loose")
                state["stopped"] = True
                return False
            row = (self.measure(probe_cfg, b, search_id=search_id, probe=True) if probe_mode == "in-process"
                   else self._subprocess_probe(probe_cfg, b, search_id))
            if row is None:
                notes.append(f"probe at batch {b} gave no row: search stopped")
                state["stopped"] = True
                return False
            results[b] = row
            if row["outcome"] != "ok":
                state["hi"] = b if state["hi"] is None else min(state["hi"], b)
                return True
            state["lo"] = max(state["lo"], b)
            if row["step_time_ms"] and row["step_time_ms"] > cfg.max_step_s * 1000:
                notes.append(f"time guard: a step at batch {b} took {row['step_time_ms']:.0f} ms; search stopped")
                state["stopped"] = True
                return False
            return True

        b = start
        while probe(b) and state["hi"] is None:  # grow until the first failure
            if b >= max_batch:
                notes.append(f"CAP REACHED: batch {max_batch} (--max-batch) fits; lower bound only")
                break
            b = min(max_batch, max(b + 1, math.ceil(b * growth)))
        while not state["stopped"] and state["lo"] == 0 and state["hi"] is not None and state["hi"] > 1:
            probe(state["hi"] // 2)  # the start failed: halve down
        while (not state["stopped"] and state["hi"] is not None and state["lo"] > 0
               and state["hi"] - state["lo"] > 1):
            probe((state["lo"] + state["hi"]) // 2)  # bisect
        lo, hi = state["lo"], state["hi"]
        if lo == 0 and hi is None:
            log(f"{cfg.model_name}: search produced nothing")
            return None
        best = results.get(lo, {})
        # What the model is (its parameters, task, library version) from the last good probe, or from the first
        # failing one when nothing fitted: a bracket that loses its task is predicted with another accounting.
        about = best or results.get(hi) or {}
        if lo == 0:
            notes.append("nothing fits: batch 1 runs out of memory")
        keep = ("peak_allocated_bytes", "peak_reserved_bytes", "device_used_bytes", "overhead_bytes",
                "allocated_after_build_bytes", "warmup_peak_allocated_bytes", "warmup_peak_reserved_bytes",
                "step_time_ms", "warmup_step_ms", "measured_steps")
        readings = {k: best.get(k) for k in keep}
        row = self.row(probe_cfg, lo, readings, oom=False, notes=notes, kind="max_batch", search_id=search_id,
                       extra={"bracket_next": hi, "outcome": "ok" if lo > 0 else "oom",
                              "probes": sorted(results), "params": about.get("params"),
                              "attention": about.get("attention", cfg.attention),
                              "model_library_version": about.get("model_library_version"),
                              "task": about.get("task") or measure_rows.guess_task(cfg)})
        self.sink(row)
        log(f"{cfg.model_name} max batch {lo} (first failing {hi}) "
            f"{'cap=' + measure_env.format_gib(cfg.cap_bytes) if cfg.cap_bytes else ''} after {len(results)} probes")
        return row

    def _subprocess_probe(self, cfg: Config, batch_size: int, search_id: str) -> dict | None:
        script = os.path.join(os.path.dirname(os.path.abspath(__file__)), "measure_torch.py")
        argv = [sys.executable, script, "--model", cfg.model, "--model-name", cfg.model_name,
                "--batch", str(batch_size), "--precision", cfg.precision, "--optimizer", cfg.optimizer,
                "--checkpointing", cfg.checkpointing, "--attention", cfg.attention, "--image", str(cfg.image),
                "--seq", str(cfg.seq), "--num-classes", str(cfg.num_classes), "--warmup", str(cfg.warmup),
                "--steps", str(cfg.steps), "--max-step-s", str(cfg.max_step_s), "--device", self.device,
                "--search-id", search_id, "--probe-row"]
        if cfg.task:
            argv += ["--task", cfg.task]
        if cfg.cap_bytes:
            argv += ["--cap", str(cfg.cap_bytes)]
        if cfg.cudnn_benchmark:
            argv.append("--cudnn-benchmark")
        if cfg.hf_overrides:
            argv += ["--hf-overrides", cfg.hf_overrides]
        timeout = max(60.0, cfg.max_step_s * (cfg.warmup + cfg.steps) * 3 + 60)
        try:
            done = subprocess.run(argv, capture_output=True, text=True, timeout=timeout)
        except subprocess.TimeoutExpired:
            log(f"probe b={batch_size} timed out after {timeout:.0f}s")
            return None
        sys.stderr.write(done.stderr)
        rows = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
        if done.returncode != 0 or not rows:
            log(f"probe b={batch_size} failed (exit {done.returncode})")
            return None
        self.sink(rows[-1])
        if rows[-1]["outcome"] == "ok" and rows[-1].get("peak_reserved_bytes") is not None:
            self.history.setdefault(_history_key(cfg), []).append((batch_size, rows[-1]["peak_reserved_bytes"]))
        return rows[-1]


def _history_key(cfg: Config) -> tuple:
    return (cfg.model, cfg.task, cfg.precision, cfg.optimizer, cfg.checkpointing, cfg.attention, cfg.image, cfg.seq,
            cfg.hf_overrides)


def _past(deadline: float | None) -> bool:
    return deadline is not None and time.time() >= deadline


def _gib(value) -> str:
    return "-" if value is None else f"{value / measure_env.GIB:.2f}GiB"
