#!/usr/bin/env python3
"""Measure what PyTorch autograd keeps for backward in one training step, per sample and per layer.

batchplan predicts training memory analytically; this tool measures the one component that is hard to
predict, the activations autograd saves for backward, on a real PyTorch model, and writes a profile JSON that
`batchplan models import --profile FILE` reads. It needs only a CPU: no GPU, no downloads, random weights.

Models:
  torchvision:NAME       e.g. torchvision:resnet50, torchvision:vit_b_16
  timm:NAME              e.g. timm:efficientnet_b0
  hf:PATH/config.json    a Hugging Face config.json; the model is built from it with random weights
  module:FACTORY         your own callable returning an nn.Module, as `pkg.mod:make_model` or
                         `path/to/file.py:make_model`

How it measures:
  The model is put in train() mode and runs a training forward and its loss at batch 1 and at batch 2 under
  torch.autograd.graph.saved_tensors_hooks. Every tensor autograd packs is counted once per storage (dedupe by
  the StorageImpl, i.e. the memory block), with the size of the whole storage (untyped_storage().nbytes()),
  even when the saved tensor is a view into it: that is the memory the saved tensor keeps alive. Storages of
  parameters and buffers are left out (weights and model state, not activations). Each saved storage is charged
  to the innermost module running when it was first packed; storages packed inside the loss function
  (cross_entropy), or outside any module, go to "loss". Per-sample bytes are batch-2 bytes minus batch-1 bytes;
  fixed bytes are 2*B1 - B2 (what does not grow with the batch).

  Two CPU kernels keep more than their CUDA counterparts, and batchplan predicts GPU memory: CPU dropout saves
  a float32 noise tensor where CUDA saves a 1-byte bool mask, and CPU scaled_dot_product_attention with dropout
  falls back to the math path (S x S probabilities) where CUDA's fused kernels keep only q, k, v, the output and
  a log-sum-exp. By default (--cpu-kernels cuda) dropout runs as torch.native_dropout (bool mask, as on CUDA)
  and SDPA-with-dropout runs the CPU fused kernel without dropout (which saves what CUDA's kernel saves), except
  when the mask needs a gradient (T5): no fused kernel takes that, and it runs ATen's math path with CUDA's
  dropout. --cpu-kernels native measures the CPU's own kernels. Checked on an H100 to the byte.

  --depth-extrapolate (Hugging Face models only) builds the model with 1 and with 2 layers (weights as cheap
  broadcast views, so a 47B model fits in a few GB), takes the difference as one layer's bytes and extrapolates
  linearly to the full depth; parameters are extrapolated the same way from meta-device models (exact for the
  uniform layer stacks of transformers).

Examples:
  python tools/profile_torch.py torchvision:resnet50 --image 224 -o resnet50.json
  python tools/profile_torch.py hf:data/models/hf/gpt2.json --seq 128 --attention eager -o gpt2.json
  python tools/profile_torch.py hf:data/models/hf/llama-2-7b.json --seq 512 --depth-extrapolate
  python tools/profile_torch.py module:my_models.py:build --input 3x64x64 --task image-classification
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import importlib.util
import json
import math
import os
import sys
from dataclasses import dataclass, field

FORMAT = "batchplan-torch-profile"
FORMAT_VERSION = 1
ENCODER_TYPES = {"bert", "roberta", "distilbert", "albert", "electra", "xlm-roberta", "camembert", "mpnet",
                 "deberta", "deberta-v2", "modernbert"}
SEQ2SEQ_TYPES = {"t5", "mt5", "umt5", "bart", "mbart", "pegasus", "marian", "longt5"}
TASKS = ["classification", "masked-lm", "causal-lm", "seq2seq", "image-classification"]


class UsageError(Exception):
    """A problem with the arguments or the model source, reported as one line."""


# ----------------------------------------------------------------------------------------------------------
# Model building


@dataclass
class BuiltModel:
    model: object
    name: str
    family: str
    task: str
    output_classes: int
    input: dict
    attention: str | None
    hf_config: object = None
    extras: dict = field(default_factory=dict)


def parse_input_shape(text: str) -> list[int]:
    parts = text.lower().replace("*", "x").split("x")
    try:
        dims = [int(p) for p in parts]
    except ValueError:
        raise UsageError(f"--input {text!r}: expected CxHxW, e.g. 3x224x224") from None
    if len(dims) != 3 or min(dims) <= 0:
        raise UsageError(f"--input {text!r}: expected three positive sizes CxHxW, e.g. 3x224x224")
    return dims


def vision_input(args) -> list[int]:
    if args.input:
        return parse_input_shape(args.input)
    size = args.image or 224
    if size <= 0:
        raise UsageError(f"--image {size}: must be positive")
    return [3, size, size]


def build_torchvision(name: str, args) -> BuiltModel:
    import torchvision
    shape = vision_input(args)
    classes = args.classes or 1000
    kwargs = {"weights": None, "num_classes": classes}
    if name.startswith("vit_") and shape[1] != 224:
        kwargs["image_size"] = shape[1]  # torchvision ViTs fix their position embedding to the image size
    try:
        model = torchvision.models.get_model(name, **kwargs)
    except ValueError:
        raise UsageError(f"unknown torchvision model {name!r} (see torchvision.models.list_models())") from None
    return BuiltModel(model, name, "cnn", args.task or "image-classification", classes,
                      {"kind": "image", "shape": shape}, None)


def build_timm(name: str, args) -> BuiltModel:
    import timm
    shape = vision_input(args)
    classes = args.classes or 1000
    if not timm.is_model(name):
        raise UsageError(f"unknown timm model {name!r} (see timm.list_models())")
    try:
        model = timm.create_model(name, pretrained=False, num_classes=classes, img_size=shape[1:])
    except TypeError:  # models without an img_size argument (most CNNs) take any size
        model = timm.create_model(name, pretrained=False, num_classes=classes)
    return BuiltModel(model, name, "cnn", args.task or "image-classification", classes,
                      {"kind": "image", "shape": shape}, None)


def load_factory(spec: str):
    target, sep, attr = spec.rpartition(":")
    if not sep or not target or not attr:
        raise UsageError(f"module:{spec}: expected module:PKG.MOD:FACTORY or module:PATH.py:FACTORY")
    if target.endswith(".py") or os.sep in target:
        if not os.path.isfile(target):
            raise UsageError(f"module:{spec}: no such file {target!r}")
        mod_spec = importlib.util.spec_from_file_location("_batchplan_user_model", target)
        module = importlib.util.module_from_spec(mod_spec)
        sys.path.insert(0, os.path.dirname(os.path.abspath(target)))
        mod_spec.loader.exec_module(module)
    else:
        try:
            module = importlib.import_module(target)
        except ImportError as error:
            raise UsageError(f"module:{spec}: cannot import {target!r}: {error}") from None
    factory = getattr(module, attr, None)
    if not callable(factory):
        raise UsageError(f"module:{spec}: {target!r} has no callable {attr!r}")
    return factory


def build_custom(spec: str, args) -> BuiltModel:
    import torch
    model = load_factory(spec)()
    if not isinstance(model, torch.nn.Module):
        raise UsageError(f"module:{spec}: the factory returned {type(model).__name__}, not an nn.Module")
    task = args.task or ("causal-lm" if args.seq else "image-classification")
    if task in ("image-classification", "classification") and not args.seq:
        inp = {"kind": "image", "shape": vision_input(args)}
    else:
        if not args.seq:
            raise UsageError(f"--task {task} on a custom model needs --seq N")
        inp = {"kind": "sequence", "length": args.seq}
    classes = args.classes or (1000 if inp["kind"] == "image" else 0)
    return BuiltModel(model, spec.rpartition(":")[2], "custom", task, classes, inp, None)


def read_hf_config(path: str) -> dict:
    try:
        with open(path) as handle:
            data = json.load(handle)
    except OSError as error:
        raise UsageError(f"hf:{path}: {error.strerror}") from None
    except json.JSONDecodeError as error:
        raise UsageError(f"hf:{path}: not valid JSON ({error.msg} at line {error.lineno})") from None
    if not isinstance(data, dict) or "model_type" not in data:
        raise UsageError(f"hf:{path}: a Hugging Face config.json needs a \"model_type\" key")
    return data


def hf_layer_keys(model_type: str) -> list[str]:
    if model_type in SEQ2SEQ_TYPES and model_type.endswith("t5"):
        return ["num_layers", "num_decoder_layers"]
    if model_type in ("bart", "mbart", "pegasus", "marian"):
        return ["encoder_layers", "decoder_layers"]
    if model_type == "distilbert":
        return ["n_layers"]
    if model_type == "gpt2":
        return ["n_layer"]
    return ["num_hidden_layers"]


def hf_config_object(data: dict, depth: int | None, attention: str, use_cache: bool = False):
    from transformers import CONFIG_MAPPING
    clean = {k: v for k, v in data.items() if not k.startswith("_")}
    model_type = clean["model_type"]
    if model_type not in CONFIG_MAPPING:
        raise UsageError(f"model_type {model_type!r} is not known to transformers {transformers_version()}")
    if depth is not None:
        for key in hf_layer_keys(model_type):
            clean[key] = depth
        clean.pop("layer_types", None)  # regenerated for the new depth
    config = CONFIG_MAPPING[model_type].from_dict(clean)
    # transformers 5 fills a DynamicCache even in training when use_cache is on; SDPA then saves the cache's
    # copies of K and V (for fused-QKV models like GPT-2 that is 2 x S x hidden floats more per layer).
    config.use_cache = use_cache
    config._attn_implementation = attention
    return config


def hf_default_task(model_type: str, config) -> str:
    if model_type in ENCODER_TYPES:
        return "classification"
    if getattr(config, "is_encoder_decoder", False) or model_type in SEQ2SEQ_TYPES:
        return "seq2seq"
    return "causal-lm"


def hf_model_class(task: str):
    import transformers as tf
    return {"classification": tf.AutoModelForSequenceClassification, "masked-lm": tf.AutoModelForMaskedLM,
            "causal-lm": tf.AutoModelForCausalLM, "seq2seq": tf.AutoModelForSeq2SeqLM}[task]


def build_hf(path: str, args, depth: int | None = None, device: str = "cpu") -> BuiltModel:
    import torch
    data = read_hf_config(path)
    attention = args.attention
    config = hf_config_object(data, depth, attention, args.use_cache)
    model_type = config.model_type
    task = args.task or hf_default_task(model_type, config)
    if task == "image-classification":
        raise UsageError(f"--task image-classification does not apply to a text model ({model_type})")
    if task == "classification":
        config.num_labels = args.classes or 2
    if not args.seq or args.seq <= 0:
        raise UsageError(f"hf:{path}: a text model needs --seq N (a positive sequence length)")
    limit = getattr(config, "max_position_embeddings", None) or getattr(config, "n_positions", None)
    if limit and args.seq > limit:
        raise UsageError(f"--seq {args.seq} exceeds the model's {limit} positions")
    try:
        if device == "meta":  # parameter counting only
            with torch.device("meta"):
                model = hf_model_class(task).from_config(config, attn_implementation=attention, dtype=dtype_of(args))
        elif depth is not None:
            with torch.device("meta"):
                model = hf_model_class(task).from_config(config, attn_implementation=attention, dtype=dtype_of(args))
            materialize_cheaply(model)
        else:
            model = hf_model_class(task).from_config(config, attn_implementation=attention, dtype=dtype_of(args))
    except ValueError as error:
        raise UsageError(f"hf:{path}: transformers cannot build {task} for {model_type}: "
                         f"{str(error).splitlines()[0]}") from None
    if getattr(config, "is_encoder_decoder", False):
        family = "encoder-decoder"
    elif model_type in ENCODER_TYPES:
        family = "encoder"
    else:
        family = "decoder"
    classes = config.num_labels if task == "classification" else config.vocab_size
    name = data.get("_batchplan_name") or os.path.splitext(os.path.basename(path))[0]
    return BuiltModel(model, name, family, task, classes, {"kind": "sequence", "length": args.seq},
                      attention, hf_config=config)


def dtype_of(args):
    """The torch dtype of --dtype; Hugging Face configs' own torch_dtype is overridden so runs are comparable."""
    import torch
    return {"float32": torch.float32, "bfloat16": torch.bfloat16, "float16": torch.float16}[args.dtype]


def materialize_cheaply(model) -> None:
    """Give a meta-device model CPU weights that cost almost no memory.

    Large parameters other than embeddings become broadcast views (stride 0 on the leading dims) of one random
    row, or for stacked 3-D expert weights of one random matrix, so the forward runs with the right shapes and
    dtypes while a 1.4B-parameter MoE layer takes under a gigabyte. Embeddings stay real so that tokens differ
    (MoE routing then spreads over the experts). Buffers are zero-filled, then rotary-embedding frequencies are
    recomputed by transformers' own initializer.
    """
    import torch
    replaced: dict[int, torch.nn.Parameter] = {}
    generator = torch.Generator().manual_seed(0)
    for module in model.modules():
        for key, param in list(module._parameters.items()):
            if param is None:
                continue
            if id(param) not in replaced:
                if param.numel() > (1 << 20) and not isinstance(module, torch.nn.Embedding):
                    # 2-D: one row broadcast; 3-D and up (stacked experts): one matrix broadcast over the stack
                    base = list(param.shape[-1:]) if param.dim() < 3 else list(param.shape[-2:])
                    data = (torch.randn(base, generator=generator, dtype=param.dtype) * 0.02).expand(param.shape)
                else:
                    data = torch.randn(param.shape, generator=generator, dtype=param.dtype) * 0.02
                replaced[id(param)] = torch.nn.Parameter(data, requires_grad=param.requires_grad)
            module._parameters[key] = replaced[id(param)]
        for key, buf in list(module._buffers.items()):
            if buf is not None:
                module._buffers[key] = torch.zeros(buf.shape, dtype=buf.dtype)
    for module in model.modules():
        if "RotaryEmbedding" in type(module).__name__ and hasattr(model, "_init_weights"):
            model._init_weights(module)
    for module in model.modules():  # norms start at one, as in a fresh model
        if "Norm" in type(module).__name__ and getattr(module, "weight", None) is not None:
            if module.weight.numel() <= (1 << 20):
                with torch.no_grad():
                    module.weight.fill_(1.0)


def build_model(args, depth: int | None = None, device: str = "cpu") -> BuiltModel:
    source = args.model
    scheme, sep, rest = source.partition(":")
    if not sep or not rest:
        raise UsageError(f"model {source!r}: expected torchvision:NAME, timm:NAME, hf:PATH.json or module:FACTORY")
    if scheme == "hf":
        return build_hf(rest, args, depth, device)
    if depth is not None or device != "cpu":
        raise UsageError("--depth-extrapolate works only with hf: models")
    if scheme == "torchvision":
        return build_torchvision(rest, args)
    if scheme == "timm":
        return build_timm(rest, args)
    if scheme == "module":
        return build_custom(rest, args)
    raise UsageError(f"model {source!r}: unknown source {scheme!r} (torchvision, timm, hf or module)")


# ----------------------------------------------------------------------------------------------------------
# Measuring


@dataclass
class Measurement:
    total: int = 0
    per_module: dict = field(default_factory=dict)
    output_shapes: dict = field(default_factory=dict)


def first_tensor(value):
    import torch
    if isinstance(value, torch.Tensor):
        return value
    if isinstance(value, dict):
        value = list(value.values())
    if isinstance(value, (list, tuple)):
        for item in value:
            found = first_tensor(item)
            if found is not None:
                return found
    return None


def make_inputs(built: BuiltModel, batch: int):
    import torch
    generator = torch.Generator().manual_seed(batch)
    if built.input["kind"] == "image":
        x = torch.randn([batch] + built.input["shape"], generator=generator)
        x = x.to(built.extras.get("dtype", torch.float32))
        target = torch.randint(0, max(built.output_classes, 1), (batch,), generator=generator)
        return {"x": x}, target
    seq = built.input["length"]
    vocab = getattr(built.hf_config, "vocab_size", None) or built.extras.get("vocab", 1000)
    ids = torch.randint(0, vocab, (batch, seq), generator=generator)
    if built.task == "classification":
        labels = torch.randint(0, built.output_classes, (batch,), generator=generator)
    elif built.task == "seq2seq":
        labels = torch.randint(0, vocab, (batch, seq), generator=generator)
    else:  # causal-lm and masked-lm: every position is a target, loss over the full vocabulary
        labels = ids.clone()
    return {"input_ids": ids}, labels


def math_attention(query, key, value, mask, dropout_p, is_causal, scale):
    """ATen's math SDPA (query and key each scaled by sqrt(scale)), with dropout as CUDA runs it."""
    import torch
    factor = math.sqrt(scale if scale is not None else 1.0 / math.sqrt(query.size(-1)))
    scores = torch.matmul(query * factor, key.transpose(-2, -1) * factor)
    if is_causal:
        keep = torch.ones(scores.shape[-2:], dtype=torch.bool, device=scores.device).tril()
        scores = scores.masked_fill(~keep, float("-inf"))
    if mask is not None:
        scores = scores.masked_fill(~mask, float("-inf")) if mask.dtype == torch.bool else scores + mask
    probs = torch.native_dropout(torch.softmax(scores, dim=-1), dropout_p, True)[0]
    return torch.matmul(probs, value)


@contextlib.contextmanager
def patched_functional(stack: list[str], kernels: str):
    """Charge cross_entropy to "loss"; with kernels="cuda", run two CPU ops the way CUDA runs them.

    CPU dropout multiplies by a float noise tensor and saves it (4 bytes per element); CUDA's fused kernel
    (native_dropout) saves a bool mask (1 byte). CPU SDPA with dropout falls back to the math path, which saves
    the S x S probabilities; CUDA's fused kernels save q, k, v, the output and a log-sum-exp, like the CPU fused
    kernel without dropout. Neither substitution changes a shape; they only change what autograd keeps.
    """
    import torch
    import torch.nn.functional as F
    original_ce = F.cross_entropy
    original_sdpa = F.scaled_dot_product_attention
    original_dropout = F.dropout
    emulate = kernels == "cuda"

    def cross_entropy(*a, **k):
        stack.append("loss")
        try:
            return original_ce(*a, **k)
        finally:
            stack.pop()

    def sdpa(query, key, value, attn_mask=None, dropout_p=0.0, is_causal=False, scale=None, **k):
        if emulate and dropout_p > 0 and query.device.type == "cpu":
            if attn_mask is not None and attn_mask.requires_grad:
                # No fused kernel takes a mask that needs a gradient (T5's position bias): CUDA runs the math
                # path too, with its 1-byte dropout mask. Same ops as ATen's math path, CUDA-like dropout.
                return math_attention(query, key, value, attn_mask, dropout_p, is_causal, scale)
            dropout_p = 0.0
        return original_sdpa(query, key, value, attn_mask, dropout_p, is_causal, scale=scale, **k)

    def dropout(input, p=0.5, training=True, inplace=False):
        if emulate and training and not inplace and input.device.type == "cpu" and 0 < p < 1 and input.numel():
            return torch.native_dropout(input, p, True)[0]
        return original_dropout(input, p, training, inplace)

    F.cross_entropy, F.scaled_dot_product_attention, F.dropout = cross_entropy, sdpa, dropout
    try:
        yield
    finally:
        F.cross_entropy, F.scaled_dot_product_attention, F.dropout = original_ce, original_sdpa, original_dropout


def measure(built: BuiltModel, batch: int, kernels: str, device: str = "cpu") -> Measurement:
    import torch
    model = built.model.to(device)
    model.train()
    names = {id(m): (n or "(model)") for n, m in model.named_modules()}
    weights = {p.untyped_storage()._cdata for p in model.parameters()}
    weights |= {b.untyped_storage()._cdata for b in model.buffers()}
    stack: list[str] = []
    result = Measurement()
    seen: set[int] = set()
    keep_alive = []  # saved storages stay alive until counted, so no address is reused meanwhile

    def pre_hook(module, _inputs):
        stack.append(names[id(module)])

    def post_hook(module, _inputs, output):
        name = stack.pop()
        if name not in result.output_shapes:
            tensor = first_tensor(output)
            if tensor is not None:
                result.output_shapes[name] = list(tensor.shape[1:])

    def pack(tensor):
        storage = tensor.untyped_storage()
        key = storage._cdata
        if key not in weights and key not in seen:
            seen.add(key)
            keep_alive.append(storage)
            owner = stack[-1] if stack else "loss"
            result.per_module[owner] = result.per_module.get(owner, 0) + storage.nbytes()
            result.total += storage.nbytes()
        return tensor

    handles = []
    for module in model.modules():
        handles.append(module.register_forward_pre_hook(pre_hook))
        handles.append(module.register_forward_hook(post_hook))
    inputs, target = make_inputs(built, batch)
    inputs = {k: v.to(device) for k, v in inputs.items()}
    target = target.to(device)
    try:
        with patched_functional(stack, kernels), torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
            if built.input["kind"] == "image":
                output = model(inputs["x"])
                logits = first_tensor(output)
                if logits is None or logits.dim() != 2:
                    raise UsageError(f"{built.name}: expected [batch, classes] logits from the model")
                built.output_classes = logits.shape[-1]  # a custom model's head decides its classes
                target = target.remainder(built.output_classes)
                loss = torch.nn.functional.cross_entropy(logits, target)
            else:
                output = model(**inputs, labels=target)
                loss = output["loss"] if isinstance(output, dict) else output[0]
        if loss is None or not loss.requires_grad:
            raise UsageError(f"{built.name}: the forward produced no differentiable loss")
    finally:
        for handle in handles:
            handle.remove()
    del loss, output, keep_alive
    return result


def count_parameters(model) -> tuple[int, int]:
    params = list(model.parameters())
    return sum(p.numel() for p in params), sum(p.numel() for p in params if p.requires_grad)


def module_table(model) -> dict:
    table = {}
    for name, module in model.named_modules():
        own = sum(p.numel() for p in module.parameters(recurse=False))
        is_leaf = next(module.children(), None) is None
        table[name or "(model)"] = (type(module).__name__, own, is_leaf)
    return table


def layer_rows(model, b1: Measurement, b2: Measurement) -> list[dict]:
    rows = []
    table = module_table(model)
    for name, (kind, own, is_leaf) in table.items():
        saved = b2.per_module.get(name, 0) - b1.per_module.get(name, 0)
        if not (is_leaf or own or name in b1.per_module or name in b2.per_module):
            continue
        rows.append({"name": name, "type": kind, "parameters": own,
                     "output_shape": b1.output_shapes.get(name), "saved_bytes_per_sample": saved})
    if "loss" in b1.per_module or "loss" in b2.per_module:
        rows.append({"name": "loss", "type": "CrossEntropyLoss", "parameters": 0, "output_shape": [],
                     "saved_bytes_per_sample": b2.per_module.get("loss", 0) - b1.per_module.get("loss", 0)})
    return rows


def transformers_version():
    try:
        import transformers
        return transformers.__version__
    except ImportError:
        return None


def profile(args) -> dict:
    import torch
    torch.manual_seed(0)
    torch.set_grad_enabled(True)
    if args.depth_extrapolate:
        return profile_extrapolated(args)
    built = build_model(args)
    built.model.to(dtype_of(args))
    built.extras["dtype"] = dtype_of(args)
    b1 = measure(built, 1, args.cpu_kernels, args.device)
    b2 = measure(built, 2, args.cpu_kernels, args.device)
    total, trainable = count_parameters(built.model)
    doc = header(args, built, total, trainable, b1.total, b2.total)
    doc["device"] = args.device
    doc["method"] = "full"
    doc["layers"] = layer_rows(built.model, b1, b2)
    return doc


def profile_extrapolated(args) -> dict:
    # Parameters are extrapolated like the activations, from 1- and 2-layer models on the meta device: exact for
    # uniform layer stacks and much faster than building a 47B-parameter model, even on meta.
    depth = full_depth(args)
    counts = {d: count_parameters(build_model(args, depth=d, device="meta").model) for d in (1, 2)}
    total = counts[1][0] + (depth - 1) * (counts[2][0] - counts[1][0])
    trainable = counts[1][1] + (depth - 1) * (counts[2][1] - counts[1][1])
    results = {}
    for d in (1, 2):
        built = build_model(args, depth=d)
        b1 = measure(built, 1, args.cpu_kernels, args.device)
        b2 = measure(built, 2, args.cpu_kernels, args.device)
        results[d] = (built, b1, b2)
    (m1, s1a, s1b), (m2, s2a, s2b) = results[1], results[2]
    layer_b1, layer_b2 = s2a.total - s1a.total, s2b.total - s1b.total
    B1 = s1a.total + (depth - 1) * layer_b1
    B2 = s1b.total + (depth - 1) * layer_b2
    doc = header(args, m2, total, trainable, B1, B2)
    doc["device"] = args.device
    doc["method"] = "depth-extrapolated"
    doc["extrapolation"] = {
        "depth": depth, "measured_depths": [1, 2],
        "saved_bytes_at_batch_by_depth": {"1": {"1": s1a.total, "2": s1b.total},
                                          "2": {"1": s2a.total, "2": s2b.total}},
        "note": "layers below are those of the 2-layer model; totals are depth-1 bytes + (depth-1) x "
                "(depth-2 bytes - depth-1 bytes)",
    }
    doc["layers"] = layer_rows(m2.model, s2a, s2b)
    return doc


def full_depth(args) -> int:
    data = read_hf_config(args.model.partition(":")[2])
    config = hf_config_object(data, None, args.attention)
    return int(getattr(config, hf_layer_keys(config.model_type)[0]))


def header(args, built: BuiltModel, total, trainable, b1, b2) -> dict:
    import torch
    return {
        "format": FORMAT, "format_version": FORMAT_VERSION, "model": args.name or built.name, "source": args.model,
        "torch_version": torch.__version__, "transformers_version": transformers_version(),
        "family": built.family, "task": built.task, "attention": built.attention, "input": built.input,
        "parameters": total, "trainable_parameters": trainable, "output_classes": built.output_classes,
        "dtype": args.dtype, "cpu_kernels": args.cpu_kernels,
        "use_cache": args.use_cache if built.hf_config is not None else None,
        "saved_bytes_at_batch": {"1": b1, "2": b2},
        "activation_bytes_per_sample": b2 - b1, "fixed_saved_bytes": 2 * b1 - b2,
    }


def parse_args(argv):
    parser = argparse.ArgumentParser(prog="profile_torch.py", description=__doc__.split("\n\n")[0],
                                     epilog=__doc__.split("\n\n", 1)[1],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("model", help="torchvision:NAME | timm:NAME | hf:PATH/config.json | module:FACTORY")
    size = parser.add_mutually_exclusive_group()
    size.add_argument("--image", type=int, help="square image side in pixels (vision; default 224)")
    size.add_argument("--input", help="vision input CxHxW, e.g. 3x160x160")
    parser.add_argument("--seq", type=int, help="sequence length in tokens (text models)")
    parser.add_argument("--task", choices=TASKS, help="task head and loss (default: the family's)")
    parser.add_argument("--classes", type=int, help="output classes (vision default 1000, text classification 2)")
    parser.add_argument("--attention", choices=["eager", "sdpa"], default="sdpa",
                        help="transformers attn_implementation (default sdpa)")
    parser.add_argument("--dtype", choices=["float32", "bfloat16", "float16"], default="float32",
                        help="parameter and activation dtype of the whole model (default float32; no autocast)")
    parser.add_argument("--cpu-kernels", choices=["cuda", "native"], default="cuda",
                        help="cuda (default): CPU dropout and SDPA-with-dropout save what CUDA's kernels save; "
                             "native: what the CPU kernels save")
    parser.add_argument("--use-cache", action="store_true",
                        help="hf only: keep the config's generation cache on in training (default: use_cache=False)")
    parser.add_argument("--depth-extrapolate", action="store_true",
                        help="hf only: measure 1- and 2-layer copies and extrapolate to the full depth")
    parser.add_argument("--device", default="cpu",
                        help="where to run the measured forwards: cpu (default) or cuda; parameters are counted "
                             "the same either way")
    parser.add_argument("--name", help="the model's name in the profile (default: from the source)")
    parser.add_argument("-o", "--output", help="write the profile JSON here (default: stdout)")
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    try:
        import torch  # noqa: F401
    except ImportError:
        print("profile_torch.py: PyTorch is not installed in this Python (pip install torch)", file=sys.stderr)
        return 1
    try:
        doc = profile(args)
    except UsageError as error:
        print(f"profile_torch.py: {error}", file=sys.stderr)
        return 64
    except (RuntimeError, ValueError, TypeError, IndexError) as error:
        message = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        print(f"profile_torch.py: {args.model}: the training forward failed: {message}", file=sys.stderr)
        return 1
    text = json.dumps(doc, indent=1)
    if args.output:
        with open(args.output, "w") as handle:
            handle.write(text + "\n")
    else:
        print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
