#!/usr/bin/env python3
"""Measure the peak live activation bytes of one inference forward pass on CPU, to check batchplan's working set.

batchplan predicts inference memory per component; its `activations` component is the largest working set of one
forward pass under torch.inference_mode() (the widest layer's inputs, outputs and the tensors alive beside them),
not a sum over layers. A CPU run cannot show CUDA's allocator figures, but it can count, exactly, the bytes of the
tensors that are alive: this tool runs the forward under a TorchDispatchMode that sees every ATen op's outputs,
tracks each output storage (deduplicated by data pointer, so views and in-place results add nothing) until the
last Python tensor referring to it dies (weakref finalizers), and records the peak of the live bytes and the
innermost module running at that moment. Weights, buffers and the input batch exist before the pass and are not
counted; neither are temporaries inside a fused kernel (CPU SDPA's flash kernel), which ATen does not expose.

Models (random weights, nothing downloaded):
  hf:FOLDER            a folder with a transformers config.json; run as AutoModelForCausalLM with use_cache=False and
                       logits_to_keep=1 (what generate's prefill keeps), or AutoModel for encoders
  torchvision:NAME     e.g. torchvision:resnet18

Writes one JSON object per case to --output (JSON Lines), with the torch and transformers versions.

Examples:
  python tools/inference_working_set.py hf:tools/configs/tiny-llama --batch 2 --seq 256 --dtype float32
  python tools/inference_working_set.py --grid -o Tests/BatchPlanCoreTests/Fixtures/inference_working_set.jsonl
"""
import argparse
import json
import os
import sys
import weakref

import torch
from torch.utils._python_dispatch import TorchDispatchMode
from torch.utils._pytree import tree_flatten


class LiveBytes(TorchDispatchMode):
    """Counts the bytes of storages produced by ops while a Python tensor still refers to them."""

    def __init__(self):
        super().__init__()
        self.live = {}  # data_ptr -> [nbytes, referring tensors]
        self.current = 0
        self.peak = 0
        self.peak_module = None
        self.modules = []

    def _release(self, key):
        entry = self.live.get(key)
        if entry is None:
            return
        entry[1] -= 1
        if entry[1] == 0:
            self.current -= entry[0]
            del self.live[key]

    def _track(self, tensor, preexisting):
        storage = tensor.untyped_storage()
        key = storage.data_ptr()
        if key == 0 or key in preexisting:
            return
        if key in self.live:
            self.live[key][1] += 1
        else:
            self.live[key] = [storage.nbytes(), 1]
            self.current += storage.nbytes()
            if self.current > self.peak:
                self.peak = self.current
                self.peak_module = self.modules[-1] if self.modules else "(top level)"
                self.peak_sizes = sorted((entry[0] for entry in self.live.values()), reverse=True)
        weakref.finalize(tensor, self._release, key)

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        out = func(*args, **(kwargs or {}))
        inputs = {t.untyped_storage().data_ptr() for t in tree_flatten((args, kwargs))[0] if isinstance(t, torch.Tensor)}
        for tensor in tree_flatten(out)[0]:
            if isinstance(tensor, torch.Tensor):
                # An in-place op or a view returns a storage an input already has: nothing new is allocated.
                self._track(tensor, inputs - set(self.live))
        return out


def attach_module_names(model, meter):
    handles = []
    for name, module in model.named_modules():
        if name:
            def enter(module, args, name=name):
                meter.modules.append(name)

            def leave(module, args, output):
                meter.modules.pop()  # a forward hook that returns None keeps the module's output

            handles.append(module.register_forward_pre_hook(enter))
            handles.append(module.register_forward_hook(leave))
    return handles


def build(spec, attention, dtype):
    if spec.startswith("hf:"):
        import transformers

        path = spec[3:]
        config = transformers.AutoConfig.from_pretrained(path)
        config._attn_implementation = attention
        decoder = not getattr(config, "is_encoder_decoder", False) and config.model_type not in ("bert", "roberta", "distilbert", "vit")
        cls = transformers.AutoModelForCausalLM if decoder else transformers.AutoModel
        model = cls.from_config(config, attn_implementation=attention, dtype=dtype)
        return model.eval(), config, decoder
    if spec.startswith("torchvision:"):
        import torchvision

        model = getattr(torchvision.models, spec.split(":", 1)[1])(weights=None)
        return model.eval().to(dtype), None, False
    raise SystemExit(f"unknown model {spec!r}: use hf:PATH/config.json or torchvision:NAME")


def measure(spec, batch, seq, image, attention, dtype_name):
    dtype = getattr(torch, dtype_name)
    torch.manual_seed(0)
    model, config, decoder = build(spec, attention, dtype)
    if config is not None:
        inputs = {"input_ids": torch.randint(0, config.vocab_size, (batch, seq))}
        kwargs = {"use_cache": False, "logits_to_keep": 1} if decoder else {}
    else:
        inputs = {"x": torch.randn(batch, 3, image, image, dtype=dtype)}
        kwargs = {}
    meter = LiveBytes()
    handles = attach_module_names(model, meter)
    with torch.inference_mode(), meter:
        output = model(**inputs, **kwargs)
    del output
    for handle in handles:
        handle.remove()
    import transformers

    return {
        "model": spec, "batch": batch, "seq": seq if config is not None else None,
        "image": image if config is None else None, "attention": attention if config is not None else None,
        "dtype": dtype_name, "peak_live_bytes": meter.peak, "peak_module": meter.peak_module,
        "peak_storages": meter.peak_sizes,
        "torch": torch.__version__, "transformers": transformers.__version__,
    }


GRID = [
    ("hf:tools/configs/tiny-llama", 1, 256, None, "sdpa", "float32"),
    ("hf:tools/configs/tiny-llama", 2, 512, None, "sdpa", "float32"),
    ("hf:tools/configs/tiny-llama", 4, 128, None, "sdpa", "bfloat16"),
    ("hf:tools/configs/tiny-llama", 2, 256, None, "eager", "float32"),
    ("hf:tools/configs/tiny-llama", 2, 256, None, "eager", "bfloat16"),
    ("hf:tools/configs/tiny-bert", 2, 256, None, "sdpa", "float32"),
    ("hf:tools/configs/tiny-gpt2", 2, 256, None, "sdpa", "float32"),
    ("torchvision:resnet18", 2, None, 224, None, "float32"),
    ("torchvision:resnet50", 2, None, 160, None, "float32"),
]


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("model", nargs="?")
    parser.add_argument("--batch", type=int, default=2)
    parser.add_argument("--seq", type=int, default=256)
    parser.add_argument("--image", type=int, default=224)
    parser.add_argument("--attention", default="sdpa", choices=["sdpa", "eager"])
    parser.add_argument("--dtype", default="float32", choices=["float32", "float16", "bfloat16"])
    parser.add_argument("--grid", action="store_true", help="run the fixture's cases")
    parser.add_argument("-o", "--output")
    args = parser.parse_args()
    cases = GRID if args.grid else [(args.model, args.batch, args.seq, args.image, args.attention, args.dtype)]
    if not args.grid and not args.model:
        parser.error("give a model or --grid")
    rows = [measure(*case) for case in cases]
    text = "".join(json.dumps(row, sort_keys=True) + "\n" for row in rows)
    if args.output:
        with open(args.output, "w") as f:
            f.write(text)
    else:
        sys.stdout.write(text)


if __name__ == "__main__":
    main()
