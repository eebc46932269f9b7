#!/usr/bin/env python3
"""Measures the built-in Hugging Face zoo for batchplan's accounting tests: Tests/BatchPlanCoreTests/Fixtures/hf-zoo-extrapolated.json.

For each `NAME:SEQ:ATTENTION` it builds data/models/hf/NAME.json's default task model (sequence classification for
encoders, causal LM for decoders, conditional generation for T5) with 1 and with 2 layers, weights as one-element
broadcast views (values do not change what autograd keeps), use_cache=False, train mode, and records the bytes autograd
saves per sample (saved_tensors_hooks, storages counted once, parameters and buffers excluded, batch 2 minus batch 1),
extrapolated to full depth: saved(L) = saved(1) + (L - 1) * (saved(2) - saved(1)). Parameters come from the full-depth
model built on the meta device. CUDA's kernels are substituted on CPU: native_dropout (a bool mask) and SDPA with
dropout 0 (the fused kernel; CUDA's keeps no S x S tensor). That is wrong for T5, whose biased self-attention stays
on the math path on CUDA and keeps its dropout: measure T5 with tools/profile_torch.py, which emulates that path.

Usage: python tools/measure_hf_zoo.py OUT.json gpt2:128:sdpa llama-2-7b:512:sdpa ...   (needs torch, transformers)
"""
import json
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F
import transformers
from transformers import AutoConfig

LAYER_KEYS = ["num_hidden_layers", "n_layer", "num_layers", "n_layers"]
ENCODERS = {"bert", "roberta", "distilbert"}
SEQ2SEQ = {"t5", "mt5"}


def model_class(model_type):
    if model_type in ENCODERS:
        return transformers.AutoModelForSequenceClassification, "classification"
    if model_type in SEQ2SEQ:
        return transformers.AutoModelForSeq2SeqLM, "seq2seq"
    return transformers.AutoModelForCausalLM, "causal-lm"


def build(path, layers, attention):
    config = AutoConfig.from_pretrained(path)
    config.use_cache = False
    if layers is not None:
        for key in LAYER_KEYS:
            if isinstance(getattr(config, key, None), int):
                setattr(config, key, layers)
        if config.model_type in SEQ2SEQ:
            config.num_decoder_layers = layers
    cls, task = model_class(config.model_type)
    with torch.device("meta"):
        model = cls.from_config(config, attn_implementation=attention)
    if layers is None:
        return model, task
    for module in model.modules():
        for name, p in list(module._parameters.items()):
            if p is not None:
                module._parameters[name] = nn.Parameter(torch.full((), 0.01).expand(p.shape))
        for name, b in list(module._buffers.items()):
            if b is not None and b.is_meta:
                module._buffers[name] = torch.zeros(b.shape, dtype=b.dtype)
        if hasattr(module, "inv_freq") and hasattr(module, "rope_init_fn"):
            inv_freq, scaling = module.rope_init_fn(module.config, "cpu")
            module.inv_freq, module.original_inv_freq, module.attention_scaling = inv_freq, inv_freq, scaling
    model.train()
    return model, task


def saved(model, batch, seq, task):
    excluded = {t.untyped_storage().data_ptr() for t in list(model.parameters()) + list(model.buffers())}
    seen = {}

    def pack(t):
        storage = t.untyped_storage()
        if storage.data_ptr() and storage.data_ptr() not in excluded:
            seen[storage.data_ptr()] = storage.nbytes()
        return t

    ids = torch.randint(2, 900, (batch, seq))
    labels = torch.zeros(batch, dtype=torch.long) if task == "classification" else ids
    with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
        model(input_ids=ids, attention_mask=torch.ones_like(ids), labels=labels)
    return sum(seen.values())


def main():
    sdpa = F.scaled_dot_product_attention
    F.dropout = lambda x, p=0.5, training=True, inplace=False: (
        torch.native_dropout(x, p, training)[0] if training and p > 0 else x)
    F.scaled_dot_product_attention = lambda *a, **k: sdpa(*a, **{**k, "dropout_p": 0.0})
    rows = []
    for spec in sys.argv[2:]:
        name, seq, attention = spec.split(":")
        seq = int(seq)
        path = f"data/models/hf/{name}.json"
        full = AutoConfig.from_pretrained(path)
        depth = next(getattr(full, k) for k in LAYER_KEYS if isinstance(getattr(full, k, None), int))
        meta, task = build(path, None, attention)
        per_depth = {}
        for layers in (1, 2):
            model, _ = build(path, layers, attention)
            per_depth[layers] = saved(model, 2, seq, task) - saved(model, 1, seq, task)
        rows.append(dict(
            name=name, family="transformer", input=dict(kind="sequence", length=seq), task=task, attention=attention,
            parameters=sum(p.numel() for p in meta.parameters()),
            activation_bytes_per_sample=per_depth[1] + (depth - 1) * (per_depth[2] - per_depth[1]),
            method="depth-extrapolated"))
        print(json.dumps(rows[-1]), flush=True)
    with open(sys.argv[1], "w") as f:
        json.dump(dict(generated_by="tools/measure_hf_zoo.py", torch_version=torch.__version__,
                       transformers_version=transformers.__version__, dtype="float32", models=rows), f, indent=1)


if __name__ == "__main__":
    main()
