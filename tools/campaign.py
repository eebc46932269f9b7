#!/usr/bin/env python3
"""Run a measurement campaign from a grid file, within a time budget, into an output folder.

One measure_torch.py process per model loops over that model's jobs (torch and CUDA start once per model).
Each model gets a share of the remaining budget (its weight); time a model leaves unused rolls over. A model
that fails is logged and the campaign goes on. Output folder:
  measured.jsonl   every row (JSON Lines, see FORMAT.md)
  campaign.log     progress of every process (also printed to stderr)
  jobs.jsonl       every job, in the order given to the model processes
  summary.json     rows per model, kind and outcome; failures; time used
  nvidia-smi.txt   `nvidia-smi` at the start, when available

  python tools/campaign.py --out "$OUT" --budget-s 420
  python tools/campaign.py --out /tmp/c --device cpu --tiny --budget-s 900     # CPU rehearsal
"""

from __future__ import annotations

import argparse
import collections
import itertools
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
#: Seconds a model process may run past its slice before it is killed (start-up and the step in flight).
GRACE_S = 40
#: A model is not started with less than this many seconds of budget left.
MIN_SLICE_S = 15


def weight_group(precision: str) -> str:
    """Precisions that share one built model (the weights' dtype)."""
    return {"bf16": "bf16", "fp16": "fp16"}.get(precision, "fp32")


def expand_jobs(entry: dict, defaults: dict, tiny: dict | None) -> list[dict]:
    """The jobs of one model entry, in the order they run.

    Grid jobs are every precision x checkpointing x optimizer at the entry's batch sizes. When the entry has a
    find_max block, the jobs that share its model build run first (its own combination first, so the search can
    predict where to start from those rows), then the search (all caps, ascending), then the other grid jobs; so a
    model whose time slice runs out still has its search. Jobs sharing a build stay together.
    """
    base = {**defaults, "model": entry["model"], "model_name": entry["name"]}
    for key in ("image", "seq", "task", "attention", "num_classes", "hf_overrides"):
        if key in entry:
            base[key] = entry[key]
    batches = list(entry["batches"])
    if tiny:
        base.update({k: tiny[k] for k in ("image", "seq", "steps") if k in tiny})
        batches = list(tiny.get("batches", batches))
        if "tiny_overrides" in entry:
            base["hf_overrides"] = entry["tiny_overrides"]
    order = {"fp32": 0, "tf32": 0, "bf16-amp": 1, "fp16-amp": 1, "bf16": 2, "fp16": 3}
    precisions = sorted(entry["precisions"], key=lambda p: order.get(p, 9))
    grid = []
    for precision, checkpointing, optimizer in itertools.product(precisions, entry.get("checkpointing", ["none"]),
                                                                 entry["optimizers"]):
        grid.append({**base, "precision": precision, "optimizer": optimizer, "checkpointing": checkpointing,
                     "batches": batches, "label": f"{entry['name']} {precision}/{optimizer}/{checkpointing}"})
    search = entry.get("find_max")
    if not search:
        return grid
    combo = (search.get("precision"), search.get("optimizer"), search.get("checkpointing", "none"))
    group = weight_group(combo[0])
    first = sorted((j for j in grid if weight_group(j["precision"]) == group),
                   key=lambda j: (j["precision"], j["optimizer"], j["checkpointing"]) != combo)
    rest = [j for j in grid if weight_group(j["precision"]) != group]
    job = {**base, **{k: v for k, v in search.items() if k != "caps"}, "find_max": True, "caps": search["caps"],
           "label": f"{entry['name']} find-max {combo[0]}/{combo[1]}/{combo[2]}"}
    if tiny:
        job.update({k: tiny[k] for k in ("max_batch", "start_batch") if k in tiny})
    return first + [job] + rest


class Campaign:
    def __init__(self, args: argparse.Namespace):
        self.args = args
        self.out = os.path.abspath(args.out)
        os.makedirs(self.out, exist_ok=True)
        self.jobs_dir = tempfile.mkdtemp(prefix="campaign-jobs-")  # keeps OUT to a handful of files
        self.log_file = open(os.path.join(self.out, "campaign.log"), "a", buffering=1)
        self.rows_path = os.path.join(self.out, "measured.jsonl")
        self.started = time.time()
        self.deadline = self.started + args.budget_s
        self.failures: list[str] = []
        self.lock = threading.Lock()

    def say(self, text: str) -> None:
        line = text if text.startswith("[") else f"[campaign {time.strftime('%H:%M:%S')}] {text}"
        with self.lock:
            print(line, file=sys.stderr, flush=True)
            self.log_file.write(line + "\n")

    def record_environment(self) -> None:
        if shutil.which("nvidia-smi"):
            try:
                text = subprocess.run(["nvidia-smi"], capture_output=True, text=True, timeout=30).stdout
                with open(os.path.join(self.out, "nvidia-smi.txt"), "w") as handle:
                    handle.write(text)
            except Exception as error:  # noqa: BLE001 - informational only
                self.say(f"nvidia-smi failed: {error}")

    def run_model(self, entry: dict, jobs: list[dict], slice_s: float) -> None:
        jobs_path = os.path.join(self.jobs_dir, f"{entry['name']}.jsonl")
        with open(jobs_path, "w") as handle, open(os.path.join(self.out, "jobs.jsonl"), "a") as record:
            for job in jobs:
                handle.write(json.dumps(job) + "\n")
                record.write(json.dumps(job) + "\n")
        argv = [sys.executable, os.path.join(HERE, "measure_torch.py"), "--jobs", jobs_path, "-o", self.rows_path,
                "--device", self.args.device, "--budget-s", f"{slice_s:.0f}"]
        env = dict(os.environ)
        if self.args.tiny and self.args.device == "cpu" and self.tiny.get("fake_oom_above"):
            env["MEASURE_FAKE_OOM_ABOVE"] = str(self.tiny["fake_oom_above"])
        self.say(f"{entry['name']}: {len(jobs)} jobs, slice {slice_s:.0f}s")
        began = time.time()
        process = subprocess.Popen(argv, cwd=self.args.repo_root, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL,
                                   text=True, env=env)
        reader = threading.Thread(target=self._pump, args=(process,), daemon=True)
        reader.start()
        try:
            code = process.wait(timeout=slice_s + GRACE_S)
        except subprocess.TimeoutExpired:
            process.kill()
            code = process.wait()
            self.failures.append(f"{entry['name']}: killed after {slice_s + GRACE_S:.0f}s")
            self.say(f"{entry['name']}: killed after {slice_s + GRACE_S:.0f}s (rows written so far are kept)")
        reader.join(timeout=5)
        if code not in (0, None) and code != -9:
            self.failures.append(f"{entry['name']}: exit {code} (see campaign.log)")
        self.say(f"{entry['name']}: done in {time.time() - began:.0f}s, exit {code}")

    def _pump(self, process: subprocess.Popen) -> None:
        for line in process.stderr:
            self.say(line.rstrip("\n"))

    def run(self, grid: dict) -> int:
        self.record_environment()
        self.tiny = grid.get("tiny", {}) if self.args.tiny else None
        entries = [e for e in grid["models"] if not self.args.only or e["name"] in self.args.only.split(",")]
        defaults = grid.get("defaults", {})
        self.say(f"{len(entries)} models, budget {self.args.budget_s:.0f}s, device {self.args.device}, "
                 f"output {self.out}")
        for index, entry in enumerate(entries):
            left = self.deadline - time.time()
            if left < MIN_SLICE_S:
                self.say(f"budget spent: skipping {', '.join(e['name'] for e in entries[index:])}")
                self.failures.append("skipped for budget: " + ", ".join(e["name"] for e in entries[index:]))
                break
            weights = [e.get("weight", 1.0) for e in entries[index:]]
            slice_s = max(MIN_SLICE_S, left * weights[0] / sum(weights))
            try:
                self.run_model(entry, expand_jobs(entry, defaults, self.tiny), slice_s)
            except Exception as error:  # noqa: BLE001 - one model must not stop the campaign
                self.failures.append(f"{entry['name']}: {type(error).__name__}: {error}")
                self.say(f"{entry['name']}: failed to run: {error}")
        return self.summarize()

    def summarize(self) -> int:
        counts: dict = collections.defaultdict(collections.Counter)
        rows = 0
        if os.path.exists(self.rows_path):
            with open(self.rows_path) as handle:
                for line in handle:
                    if line.strip():
                        row = json.loads(line)
                        counts[row["model"]][f"{row['kind']}/{row['outcome']}"] += 1
                        rows += 1
        summary = {"rows": rows, "by_model": {m: dict(c) for m, c in counts.items()}, "failures": self.failures,
                   "seconds": round(time.time() - self.started, 1), "budget_s": self.args.budget_s}
        with open(os.path.join(self.out, "summary.json"), "w") as handle:
            json.dump(summary, handle, indent=2)
        self.say(f"summary: {json.dumps(summary)}")
        return 0 if rows else 1


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", required=True, help="output folder (created)")
    parser.add_argument("--grid", default=os.path.join(HERE, "campaign_grid.json"))
    parser.add_argument("--budget-s", type=float, default=420, help="stop starting work after this (default 420)")
    parser.add_argument("--device", default="cuda", choices=("cuda", "cpu"))
    parser.add_argument("--tiny", action="store_true", help="tiny sizes from the grid's 'tiny' block (CPU rehearsal)")
    parser.add_argument("--only", help="comma-separated model names from the grid")
    parser.add_argument("--repo-root", default=os.path.dirname(HERE), help="where hf: config paths are relative to")
    args = parser.parse_args(argv)
    with open(args.grid) as handle:
        grid = json.load(handle)
    return Campaign(args).run(grid)


if __name__ == "__main__":
    sys.exit(main())
