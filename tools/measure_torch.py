#!/usr/bin/env python3
"""Measure the GPU memory of real PyTorch training steps; write JSON Lines rows for batchplan's catalog.

Each measurement builds the model (random weights; nothing is downloaded) and the optimizer, runs --warmup
steps (forward, loss, backward, optimizer step: optimizer state appears on the first), resets the peak
counters, and runs --steps measured steps. A row records torch.cuda.max_memory_allocated / _reserved over the
measured steps, what the device shows as used right after them (total - free while the caching allocator still
holds its reserve), the CUDA context size, and the median step time. An out-of-memory error becomes an `oom`
row; memory is freed (gc + empty_cache) and the run goes on. Row format: see tools/FORMAT.md.

Models:  torchvision:NAME | timm:NAME | hf:PATH/config.json | module:MODULE:FACTORY (MODULE may be a .py path)
Examples:
  python tools/measure_torch.py --model torchvision:resnet50 --batches 32,64,128 --precision bf16-amp \\
      --optimizer sgd-momentum -o runs.jsonl
  python tools/measure_torch.py --model hf:tools/configs/gpt2/config.json --seq 512 --batch 8 \\
      --precision fp32 --optimizer adamw --checkpointing block
  python tools/measure_torch.py --model torchvision:resnet50 --find-max --cap 12GiB --precision fp16-amp
  python tools/measure_torch.py --jobs jobs.jsonl -o runs.jsonl --budget-s 300   # many configs, one process
  python tools/measure_torch.py --device cpu --model torchvision:resnet18 --batch 2 --image 64   # no GPU
Rows go to -o FILE (appended) or stdout; progress goes to stderr. Exit 0; 2 if some job failed (see stderr).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import sys
import time
import traceback

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import measure_env  # noqa: E402
import measure_models  # noqa: E402
from measure_runner import PRECISIONS, Config, Measurer, log  # noqa: E402

#: Job keys (in a --jobs file) that are Config fields, with the CLI option each mirrors.
CONFIG_KEYS = ("model", "model_name", "task", "precision", "optimizer", "checkpointing", "attention", "image", "seq",
               "num_classes", "warmup", "steps", "max_step_s", "cudnn_benchmark", "hf_overrides")
JOB_KEYS = CONFIG_KEYS + ("batch", "batches", "find_max", "cap", "caps", "max_batch", "start_batch", "growth", "probe",
                          "label")


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", help="torchvision:NAME, timm:NAME, hf:PATH/config.json or module:MODULE:FACTORY")
    parser.add_argument("--model-name", help="the name batchplan's catalog knows (default: from the spec)")
    parser.add_argument("--task", choices=measure_models.TASKS,
                        help="HF head (default: encoders classification with 2 labels, decoders causal-lm, "
                             "encoder-decoders seq2seq)")
    parser.add_argument("--batch", type=int, help="one batch size")
    parser.add_argument("--batches", help="several batch sizes, e.g. 8,16,32 (ascending; stops at the first OOM)")
    parser.add_argument("--image", type=int, default=224, help="image side for vision models (default 224)")
    parser.add_argument("--seq", type=int, default=128, help="sequence length for text models (default 128)")
    parser.add_argument("--precision", default="fp32", choices=PRECISIONS,
                        help="fp32 (TF32 off), tf32, fp16-amp (autocast + GradScaler), bf16-amp (autocast), "
                             "fp16 / bf16 (model cast with .to(dtype), no master copy)")
    parser.add_argument("--optimizer", default="adamw",
                        help="one of: " + ", ".join(measure_models.OPTIMIZERS) + " (lion is not available offline)")
    parser.add_argument("--checkpointing", default="none", choices=("none", "block"),
                        help="block: HF gradient_checkpointing_enable(); torchvision/timm: each block under "
                             "torch.utils.checkpoint")
    parser.add_argument("--attention", default="sdpa", choices=("eager", "sdpa"))
    parser.add_argument("--hf-overrides", help='JSON object set on an hf: config, e.g. \'{"num_hidden_layers": 2}\'')
    parser.add_argument("--num-classes", type=int, default=1000, help="classes of vision heads (default 1000)")
    parser.add_argument("--warmup", type=int, default=1, help="unmeasured steps first (default 1)")
    parser.add_argument("--steps", type=int, default=3, help="measured steps (default 3; searches use 1)")
    parser.add_argument("--max-step-s", type=float, default=10.0,
                        help="time guard: a slower step stops growth and trims measured steps (default 10)")
    parser.add_argument("--cudnn-benchmark", action="store_true", help="torch.backends.cudnn.benchmark = True")
    parser.add_argument("--device", default="cuda", choices=("cuda", "cpu"),
                        help="cpu runs the same steps with null memory counters (for testing)")
    parser.add_argument("--find-max", action="store_true", help="search for the largest batch that trains")
    parser.add_argument("--cap", help="emulate a smaller card: cap the allocator at e.g. 12GiB (or comma list)")
    parser.add_argument("--max-batch", type=int, default=4096, help="largest batch a search tries (default 4096)")
    parser.add_argument("--start-batch", type=int, help="first batch a search tries (default: predicted from earlier "
                                                        "rows in this process, else 1)")
    parser.add_argument("--growth", type=float, help="growth factor until OOM (default 2, or 1.2 near a prediction)")
    parser.add_argument("--probe", default="in-process", choices=("in-process", "subprocess"),
                        help="in-process probes free memory between tries (gc + empty_cache); subprocess probes "
                             "start a fresh python each (slower, no fragmentation carried over)")
    parser.add_argument("--jobs", help="JSON Lines file: one object per job with keys " + ", ".join(JOB_KEYS))
    parser.add_argument("--budget-s", type=float, help="stop starting new measurements after this many seconds")
    parser.add_argument("--deadline-epoch", type=float, help="same, as a Unix time")
    parser.add_argument("-o", "--output", help="append rows to this file (default stdout)")
    parser.add_argument("--list-optimizers", action="store_true", help="print supported optimizers and exit")
    parser.add_argument("--search-id", help=argparse.SUPPRESS)
    parser.add_argument("--probe-row", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if not args.list_optimizers and not args.jobs and not args.model:
        parser.error("give --model (or --jobs FILE)")
    return args


def job_from_args(args: argparse.Namespace) -> dict:
    """The command line as one job, in the same shape as a --jobs line."""
    job = {key: getattr(args, key) for key in CONFIG_KEYS if getattr(args, key, None) is not None}
    if args.batches:
        job["batches"] = [int(x) for x in args.batches.split(",") if x.strip()]
    if args.batch is not None:
        job["batch"] = args.batch
    if args.cap:
        job["caps"] = [c for c in args.cap.split(",") if c.strip()]
    job.update(find_max=args.find_max, max_batch=args.max_batch, start_batch=args.start_batch, growth=args.growth,
               probe=args.probe)
    return job


def config_from_job(job: dict, defaults: dict) -> Config:
    merged = {**defaults, **{k: v for k, v in job.items() if v is not None}}
    unknown = set(job) - set(JOB_KEYS)
    if unknown:
        raise ValueError(f"unknown job keys {sorted(unknown)}; allowed: {', '.join(JOB_KEYS)}")
    if not merged.get("model"):
        raise ValueError("job has no model")
    if merged.get("precision", "fp32") not in PRECISIONS:
        raise ValueError(f"precision {merged['precision']!r}: use one of {', '.join(PRECISIONS)}")
    fields = {k: merged[k] for k in CONFIG_KEYS if k in merged}
    if isinstance(fields.get("hf_overrides"), dict):
        fields["hf_overrides"] = json.dumps(fields["hf_overrides"], sort_keys=True)
    fields.setdefault("model_name", measure_models.default_model_name(merged["model"]))
    if fields.get("model_name") is None:
        fields["model_name"] = measure_models.default_model_name(merged["model"])
    return Config(**fields)


def run_job(measurer: Measurer, job: dict, defaults: dict, deadline: float | None, search_id: str | None = None,
            as_probe: bool = False) -> None:
    merged = {**defaults, **{k: v for k, v in job.items() if v is not None}}
    cfg = config_from_job(job, defaults)
    caps = merged.get("caps") or ([merged["cap"]] if merged.get("cap") else [None])
    cap_values = sorted((measure_env.parse_bytes(str(c)) if c is not None else None for c in caps),
                        key=lambda v: v or float("inf"))
    for cap in cap_values:
        capped = dataclasses.replace(cfg, cap_bytes=cap)
        if merged.get("find_max"):
            measurer.find_max(capped, start=merged.get("start_batch"), growth=merged.get("growth"),
                              max_batch=int(merged.get("max_batch") or 4096), probe_mode=merged.get("probe") or
                              "in-process", deadline=deadline)
            continue
        batches = list(merged.get("batches") or [])
        if merged.get("batch") is not None:
            batches.append(int(merged["batch"]))
        if not batches:
            raise ValueError("job has neither batch, batches nor find_max")
        if as_probe:
            measurer.measure(capped, batches[0], search_id=search_id, probe=True)
        else:
            measurer.run_batches(capped, batches, deadline=deadline)


def open_sink(path: str | None):
    stream = open(path, "a", buffering=1) if path else sys.stdout

    def sink(row: dict) -> None:
        stream.write(json.dumps(row, sort_keys=False) + "\n")
        stream.flush()
    return sink


def main(argv=None) -> int:
    args = parse_args(argv)
    if args.list_optimizers:
        for name, impl in measure_models.OPTIMIZERS.items():
            print(f"{name:20s} {impl}")
        for name, why in measure_models.UNSUPPORTED_OPTIMIZERS.items():
            print(f"{name:20s} unsupported: {why}")
        return 0
    deadline = args.deadline_epoch
    if args.budget_s is not None:
        deadline = min(deadline or float("inf"), time.time() + args.budget_s)
    fake = os.environ.get("MEASURE_FAKE_OOM_ABOVE")  # test hook: batches above N raise a synthetic OOM
    measurer = Measurer(args.device, open_sink(args.output), fake_oom_above=int(fake) if fake else None)
    cli_job = job_from_args(args)
    if args.jobs:
        with open(args.jobs) as handle:
            jobs = [json.loads(line) for line in handle if line.strip() and not line.lstrip().startswith("#")]
    else:
        jobs = [{}]
    defaults = {k: v for k, v in cli_job.items() if v is not None}  # a job's own keys win
    failures = 0
    for index, job in enumerate(jobs):
        if deadline is not None and time.time() >= deadline:
            log(f"budget spent: {len(jobs) - index} job(s) not started")
            break
        try:
            run_job(measurer, job, defaults, deadline, search_id=args.search_id, as_probe=args.probe_row)
        except Exception as error:  # noqa: BLE001 - one failing job must not stop the others
            failures += 1
            log(f"job {index + 1}/{len(jobs)} {job.get('label') or job.get('model') or args.model} failed: "
                f"{type(error).__name__}: {error}")
            traceback.print_exc(file=sys.stderr)
            measurer.drop_model()
    return 2 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
