#!/usr/bin/env python3
"""Regenerate Tests/BatchPlanCoreTests/Fixtures/torch_reference.json with tools/profile_torch.py.

Each model and input size is profiled in its own process (tools/profile_torch.py, CPU, float32, CUDA-like
dropout and SDPA kernels); the full per-layer profiles are cached in --cache so an interrupted run resumes, and
the fixture keeps only the totals. Hugging Face models are measured at full depth when the run fits in a few GB
of memory, otherwise with --depth-extrapolate (1- and 2-layer copies, extrapolated linearly; "method" says which).

  /work/venv/bin/python tools/make_torch_reference.py --only cnn      # the torchvision part
  /work/venv/bin/python tools/make_torch_reference.py                 # everything (about an hour on 2 cores)
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TOOL = os.path.join(ROOT, "tools", "profile_torch.py")
HF_DIR = os.path.join("data", "models", "hf")
FIXTURE = os.path.join(ROOT, "Tests", "BatchPlanCoreTests", "Fixtures", "torch_reference.json")

TORCHVISION = ["alexnet", "vgg11", "vgg13", "vgg16", "vgg19", "vgg11_bn", "vgg13_bn", "vgg16_bn", "vgg19_bn",
               "resnet18", "resnet34", "resnet50", "resnet101", "resnet152", "wide_resnet50_2", "mobilenet_v2",
               "mobilenet_v3_large", "densenet121", "efficientnet_b0", "convnext_tiny", "squeezenet1_0",
               "regnet_y_400mf", "vit_b_16", "vit_l_16"]
HF = ["bert-base-uncased", "bert-large-uncased", "roberta-base", "distilbert-base-uncased", "gpt2", "gpt2-medium",
      "gpt2-large", "gpt2-xl", "t5-small", "t5-base", "t5-large", "t5-3b", "llama-2-7b", "llama-2-13b",
      "llama-3.1-8b", "llama-3.2-1b", "llama-3.2-3b", "mistral-7b-v0.1", "mixtral-8x7b", "qwen2.5-0.5b",
      "qwen2.5-1.5b", "qwen2.5-7b", "phi-2", "phi-3-mini", "gemma-2-2b", "tinyllama-1.1b", "falcon-7b",
      "pythia-1b", "stablelm-3b"]
# transformers 5.24 has no SDPA path for Gemma 2 (its attention logits are soft-capped): eager is all there is.
EAGER_ONLY = {"gemma-2-2b"}
# Models up to ~130M parameters run at full depth; larger ones are depth-extrapolated, which keeps the whole set
# within an hour and a few GB on a 2-core, 24 GB machine. The extrapolation is exact for uniform layer stacks: the
# CHECKS below run the small models both ways.
FULL_DEPTH = {"bert-base-uncased", "roberta-base", "distilbert-base-uncased", "gpt2", "t5-small"}
CHECKS = ["gpt2", "bert-base-uncased", "t5-small"]


def runs(only: str | None):
    """Yield (key, name, argv, seq-or-image) for every measurement the fixture holds."""
    if only in (None, "cnn"):
        for size in (224, 160):
            for name in TORCHVISION:
                yield f"{name}@{size}", name, ["torchvision:" + name, "--image", str(size)]
    if only in (None, "hf", "hf128", "hf512"):
        for seq in {"hf128": (128,), "hf512": (512,)}.get(only, (128, 512)):
            for name in HF:
                path = os.path.join(HF_DIR, name + ".json")
                attention = "eager" if name in EAGER_ONLY else "sdpa"
                argv = ["hf:" + path, "--seq", str(seq), "--attention", attention]
                if name not in FULL_DEPTH:
                    argv.append("--depth-extrapolate")
                yield f"{name}@{seq}", name, argv
        if only == "hf128":
            return
        for name in CHECKS:
            yield f"{name}@512-extrapolated", name, ["hf:" + os.path.join(HF_DIR, name + ".json"), "--seq", "512",
                                                    "--depth-extrapolate"]
        for name in ("bert-base-uncased", "gpt2"):
            yield f"{name}@128-eager", name, ["hf:" + os.path.join(HF_DIR, name + ".json"), "--seq", "128",
                                              "--attention", "eager"]


IN_PROCESS = False


def run_one(key: str, argv: list[str], cache: str) -> dict:
    path = os.path.join(cache, key + ".json")
    if not os.path.exists(path) and IN_PROCESS:
        import gc
        import profile_torch
        started = time.time()
        try:
            doc = profile_torch.profile(profile_torch.parse_args(argv))
        except Exception as error:  # one failed model must not stop the set
            raise RuntimeError(f"{key}: {type(error).__name__}: {str(error).splitlines()[0] if str(error) else ''}")
        with open(path + ".tmp", "w") as handle:
            json.dump(doc, handle, indent=1)
        os.replace(path + ".tmp", path)
        del doc
        gc.collect()
        print(f"{key}: {time.time() - started:.0f} s", file=sys.stderr, flush=True)
    if not os.path.exists(path):
        started = time.time()
        result = subprocess.run([sys.executable, TOOL, *argv, "-o", path + ".tmp"], cwd=ROOT,
                                capture_output=True, text=True)
        if result.returncode != 0:
            tail = result.stderr.strip().splitlines()[-1:] or ["(no message)"]
            raise RuntimeError(f"{key}: {tail[0]}")
        os.replace(path + ".tmp", path)
        print(f"{key}: {time.time() - started:.0f} s", file=sys.stderr, flush=True)
    with open(path) as handle:
        return json.load(handle)


def entry(name: str, profile: dict) -> dict:
    keys = ["source", "family", "input", "task", "attention", "parameters", "activation_bytes_per_sample",
            "fixed_saved_bytes", "method"]
    return {"name": name, **{k: profile[k] for k in keys}}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", choices=["cnn", "hf", "hf128", "hf512"],
                        help="profile only this part (the fixture keeps all)")
    parser.add_argument("--match", default="", help="profile only the runs whose key contains this")
    parser.add_argument("--reverse", action="store_true", help="work through the list from its end (a 2nd worker)")
    parser.add_argument("--in-process", action="store_true",
                        help="profile in this process (saves the ~20 s import per model; a crash stops the set)")
    parser.add_argument("--cache", default="/tmp/batchplan-torch-runs", help="folder for the full profiles")
    parser.add_argument("--assemble", action="store_true", help="only write the fixture from the cached profiles")
    parser.add_argument("-o", "--output", default=FIXTURE)
    args = parser.parse_args()
    os.makedirs(args.cache, exist_ok=True)
    global IN_PROCESS
    IN_PROCESS = args.in_process
    sys.path.insert(0, os.path.dirname(TOOL))
    failures = []
    todo = [] if args.assemble else [r for r in runs(args.only) if args.match in r[0]]
    for key, name, argv in (todo[::-1] if args.reverse else todo):
        try:
            run_one(key, argv, args.cache)
        except RuntimeError as error:
            failures.append(str(error))
            print(f"FAILED {error}", file=sys.stderr, flush=True)
    models, sample = [], None
    for key, name, argv in runs(None):
        if key.endswith("-extrapolated"):
            continue  # cross-checks of the method, not reference rows
        path = os.path.join(args.cache, key + ".json")
        if os.path.exists(path):
            with open(path) as handle:
                sample = json.load(handle)
            models.append(entry(name, sample))
    import torch
    import torchvision
    import transformers
    doc = {"torch_version": torch.__version__, "torchvision_version": torchvision.__version__,
           "transformers_version": transformers.__version__, "generated_by": "tools/profile_torch.py",
           "dtype": "float32", "kernels": "cpu, with CUDA-like dropout and SDPA (--cpu-kernels cuda)",
           "models": models}
    with open(args.output, "w") as handle:
        json.dump(doc, handle, indent=1)
        handle.write("\n")
    print(f"{len(models)} models -> {args.output}; {len(failures)} failed", file=sys.stderr)
    for failure in failures:
        print("  " + failure, file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
