#!/usr/bin/env python3
"""Measure inference memory on a GPU: one prefill (and optional decode steps) under torch.inference_mode().

batchplan serve predicts inference memory (weights, KV cache, the working set of one forward pass, context and
allocator reserve). This tool measures what it predicts for a static batch, as transformers runs it with a
preallocated cache: it builds the model with random weights in the compute dtype, allocates a StaticCache of
--context tokens for --batch sequences, runs the prefill of --prompt tokens (default: the whole context) with
logits_to_keep=1, then --decode single-token steps, and records torch.cuda.max_memory_allocated(),
max_memory_reserved() and the device's used memory, as `phase: inference` rows that `batchplan runs import` reads.
Vision models and encoders run one forward of --batch samples. An out-of-memory error is recorded as an oom row.
--device cpu runs the same code with null counters, for testing.

Examples:
  python tools/measure_inference.py --model hf:tools/configs/llama-3.2-1b --model-name llama-3.2-1b --batch 8 --context 4096 --dtype bfloat16 -o runs.jsonl
  python tools/measure_inference.py --model torchvision:resnet50 --model-name resnet50 --batch 256 --image 224 --dtype float16 -o runs.jsonl
  python tools/measure_inference.py --model hf:tools/configs/tiny-llama --model-name tiny --batch 2 --context 64 --device cpu
"""
import argparse
import gc
import hashlib
import json
import os
import sys
from datetime import datetime, timezone

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import measure_env  # noqa: E402
from measure_runner import is_oom  # noqa: E402

DTYPES = {"float32": ("fp32", torch.float32), "float16": ("fp16", torch.float16), "bfloat16": ("bf16", torch.bfloat16)}


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", required=True, help="hf:FOLDER (a config.json inside) or torchvision:NAME")
    parser.add_argument("--model-name", required=True, help="the batchplan catalog name the rows refer to")
    parser.add_argument("--batch", type=int, required=True, help="sequences (or images) in the batch")
    parser.add_argument("--context", type=int, default=None, help="tokens cached per sequence (decoders)")
    parser.add_argument("--prompt", type=int, default=None, help="prefill tokens per sequence (default: the context)")
    parser.add_argument("--decode", type=int, default=0, help="decode steps after the prefill (within the context)")
    parser.add_argument("--seq", type=int, default=512, help="sequence length of an encoder")
    parser.add_argument("--image", type=int, default=224, help="image size of a vision model")
    parser.add_argument("--dtype", default="bfloat16", choices=sorted(DTYPES))
    parser.add_argument("--attention", default="sdpa", choices=["sdpa", "eager"])
    parser.add_argument("--device", default="cuda", choices=["cuda", "cpu"])
    parser.add_argument("-o", "--output", help="append JSON Lines rows here (default: stdout)")
    args = parser.parse_args(argv)
    for name in ("batch", "context", "prompt", "seq", "image"):
        value = getattr(args, name)
        if value is not None and value < 1:
            parser.error(f"--{name} must be positive")
    return args


def build(args, dtype):
    if args.model.startswith("hf:"):
        import transformers

        config = transformers.AutoConfig.from_pretrained(args.model[3:])
        encoder = config.model_type in ("bert", "roberta", "distilbert", "vit")
        cls = transformers.AutoModel if encoder else transformers.AutoModelForCausalLM
        model = cls.from_config(config, attn_implementation=args.attention, dtype=dtype)
        return model.eval().to(args.device), config, not encoder
    if args.model.startswith("torchvision:"):
        import torchvision

        model = getattr(torchvision.models, args.model.split(":", 1)[1])(weights=None)
        return model.eval().to(dtype).to(args.device), None, False
    raise SystemExit(f"unknown model {args.model!r}: use hf:FOLDER or torchvision:NAME")


def run(args, model, config, decoder, dtype):
    """The measured forward passes; returns a note on what ran."""
    import transformers

    device = args.device
    if config is None:
        model(torch.randn(args.batch, 3, args.image, args.image, dtype=dtype, device=device))
        return f"one forward of {args.batch} images of {args.image}x{args.image}"
    if not decoder:
        model(input_ids=torch.randint(0, config.vocab_size, (args.batch, args.seq), device=device))
        return f"one forward of {args.batch} sequences of {args.seq} tokens"
    context = args.context or 512
    prompt = min(args.prompt or context, context)
    cache = transformers.StaticCache(config=config, max_cache_len=context)
    ids = torch.randint(0, config.vocab_size, (args.batch, prompt), device=device)
    out = model(input_ids=ids, past_key_values=cache, use_cache=True, logits_to_keep=1)
    steps = min(args.decode, context - prompt)
    for step in range(steps):
        token = out.logits[:, -1:].argmax(-1)
        position = torch.tensor([prompt + step], device=device)
        out = model(input_ids=token, past_key_values=cache, use_cache=True, cache_position=position, logits_to_keep=1)
    return f"prefill of {args.batch} x {prompt} tokens into a StaticCache of {context}, then {steps} decode steps"


def chosen_attention(model, asked):
    """The attention implementation transformers built `model` with, when it is one batchplan models, else `asked`."""
    chosen = getattr(getattr(model, "config", None), "_attn_implementation", None)
    return chosen if chosen in ("sdpa", "eager") else asked


def main(argv=None):
    args = parse_args(argv)
    name, dtype = DTYPES[args.dtype]
    facts = measure_env.probe_device(args.device)
    torch.manual_seed(0)
    model, config, decoder = build(args, dtype)
    cuda = args.device == "cuda"
    if cuda:
        gc.collect()
        torch.cuda.empty_cache()
        torch.cuda.reset_peak_memory_stats()
    oom = False
    note = ""
    try:
        with torch.inference_mode():
            note = run(args, model, config, decoder, dtype)
    except Exception as error:  # an allocation failure in cuBLAS or cuDNN is an OOM too, as in measure_torch.py
        if not is_oom(error):
            raise
        oom = True
    readings = {"peak_allocated_bytes": None, "peak_reserved_bytes": None, "device_used_bytes": None}
    if cuda and not oom:
        used, _ = measure_env.device_used_bytes()
        readings = {"peak_allocated_bytes": int(torch.cuda.max_memory_allocated()),
                    "peak_reserved_bytes": int(torch.cuda.max_memory_reserved()), "device_used_bytes": used}
    import transformers

    measured_at = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    digest = hashlib.sha1(f"{vars(args)}|{measured_at}|{os.getpid()}".encode()).hexdigest()[:16]
    row = {
        "id": "I-" + digest, "source": "measured", "phase": "inference", "kind": "oom" if oom else "mem_at_batch",
        "model": args.model_name, "model_spec": args.model, "gpu": facts.gpu, "gpu_memory_bytes": facts.gpu_memory_bytes,
        "framework": facts.framework, "framework_version": facts.framework_version, "cuda_version": facts.cuda_version,
        "driver_version": facts.driver_version, "precision": name, "weight_format": "native",
        "kv_cache_dtype": name if decoder else None, "tensor_parallel": 1,
        # The attention transformers chose, which may not be the one asked for (it falls back to eager where a model
        # has no SDPA path); batchplan's runs name sdpa or eager.
        "attention": chosen_attention(model, args.attention) if config else None,
        "batch_size": args.batch, "seq_len": (args.context or 512) if decoder else (args.seq if config else None),
        "image_size": None if config else args.image, "context_bytes": facts.context_bytes, **readings,
        "notes": f"measured by tools/measure_inference.py: random init, torch.inference_mode(), {note or 'out of memory'}; "
                 f"transformers {transformers.__version__}",
        "recorded_at": measured_at,
    }
    if not cuda:
        row["notes"] += "; --device cpu: no memory counters (a test row, not for import)"
    text = json.dumps({k: v for k, v in row.items() if v is not None}, sort_keys=True) + "\n"
    if args.output:
        with open(args.output, "a") as f:
            f.write(text)
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
