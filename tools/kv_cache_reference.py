#!/usr/bin/env python3
"""Bytes of transformers' own StaticCache for small configs, to check batchplan's KV cache arithmetic.

For each case the model is built on CPU with random weights, a `transformers.StaticCache(config, max_cache_len=N)`
is filled by one prefill of --batch sequences (its layers allocate lazily), and the bytes of every layer's key and
value tensors are summed. Sliding-window layers (Mistral's `sliding_window`, Gemma 2's even layers) hold at most the
window. Writes JSON Lines with the torch and transformers versions.

Examples:
  python tools/kv_cache_reference.py --grid -o Tests/BatchPlanCoreTests/Fixtures/kv_cache_reference.jsonl
"""
import argparse
import json
import sys

import torch
import transformers

GRID = [
    ("tools/configs/tiny-llama", 2, 256, "bfloat16"),
    ("tools/configs/tiny-llama", 3, 100, "float32"),
    ("tools/configs/tiny-mistral", 2, 48, "bfloat16"),
    ("tools/configs/tiny-mistral", 2, 256, "bfloat16"),
    ("tools/configs/tiny-gemma2", 2, 256, "float32"),
    ("tools/configs/tiny-gemma2", 1, 32, "bfloat16"),
    ("tools/configs/tiny-falcon", 2, 128, "float16"),
]


def measure(folder, batch, context, dtype_name):
    dtype = getattr(torch, dtype_name)
    config = transformers.AutoConfig.from_pretrained(folder)
    torch.manual_seed(0)
    model = transformers.AutoModelForCausalLM.from_config(config, dtype=dtype).eval()
    cache = transformers.StaticCache(config=config, max_cache_len=context)
    prompt = min(8, context)
    with torch.inference_mode():
        model(input_ids=torch.randint(0, config.vocab_size, (batch, prompt)), past_key_values=cache, use_cache=True)
    total = 0
    layers = []
    for layer in cache.layers:
        size = sum(t.numel() * t.element_size() for t in (layer.keys, layer.values))
        layers.append(size)
        total += size
    return {"config": folder, "batch": batch, "context": context, "dtype": dtype_name, "cache_bytes": total,
            "layer_bytes": layers, "torch": torch.__version__, "transformers": transformers.__version__}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--grid", action="store_true")
    parser.add_argument("-o", "--output")
    args = parser.parse_args()
    if not args.grid:
        parser.error("--grid is the only mode")
    text = "".join(json.dumps(measure(*case), sort_keys=True) + "\n" for case in GRID)
    if args.output:
        with open(args.output, "w") as f:
            f.write(text)
    else:
        sys.stdout.write(text)


if __name__ == "__main__":
    main()
