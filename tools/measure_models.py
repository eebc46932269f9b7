"""Model, input, loss and optimizer builders for measure_torch.py.

Everything here is random-initialised and offline: no weights or tokenizers are downloaded.
Model specs:
  torchvision:NAME            torchvision.models.get_model(NAME, weights=None)
  timm:NAME                   timm.create_model(NAME, pretrained=False)
  hf:PATH/config.json         transformers AutoConfig + AutoModelFor<task>.from_config (random weights)
  module:MODULE:FACTORY       FACTORY() from an importable module (or a .py file path) returning an nn.Module;
                              if the module has make_batch(batch_size, device, dtype) -> (inputs, targets)
                              it is used, otherwise a (B, 3, image, image) image batch with 1000 classes.
"""

from __future__ import annotations

import importlib
import importlib.util
import json
import os
from dataclasses import dataclass, field
from typing import Any, Callable

import torch
from torch import nn
from torch.utils.checkpoint import checkpoint

#: HF model types trained by default as sequence classifiers (encoders); others default to causal LM,
#: and encoder-decoder configs (config.is_encoder_decoder) to seq2seq.
ENCODER_MODEL_TYPES = {
    "bert", "roberta", "distilbert", "albert", "electra", "deberta", "deberta-v2", "xlm-roberta",
    "camembert", "mpnet", "ernie", "modernbert", "megatron-bert", "roformer", "xlnet",
}

#: Task names as batchplan's Core TrainingTask enum spells them.
TASKS = ("classification", "masked-lm", "causal-lm", "seq2seq", "image-classification")


class Unsupported(Exception):
    """A combination this tool cannot measure (the message says why)."""


@dataclass
class BuiltModel:
    """A model on its device plus what a training step needs to feed it."""

    model: nn.Module
    task: str
    family: str  # "torchvision" | "timm" | "hf" | "module"
    attention: str | None  # the implementation actually used, None for models without attention
    make_batch: Callable[[int], Any]  # batch size -> batch object consumed by `loss`
    loss: Callable[[nn.Module, Any], torch.Tensor]
    set_checkpointing: Callable[[bool], None]
    uses_image: bool
    library_version: str | None = None
    notes: list[str] = field(default_factory=list)


def default_model_name(spec: str) -> str:
    """The catalog name guessed from a spec: NAME for torchvision/timm, the config's folder for hf:."""
    kind, _, rest = spec.partition(":")
    if kind == "hf":
        path = rest[:-len("config.json")] if rest.endswith("config.json") else rest
        return os.path.basename(os.path.normpath(path)) or rest
    if kind == "module":
        return rest.rsplit(":", 1)[-1]
    return rest


def build_model(spec: str, *, task: str | None, dtype: torch.dtype, device: torch.device,
                attention: str, image: int, seq: int, num_classes: int,
                hf_overrides: dict | None = None) -> BuiltModel:
    """Builds the model described by `spec` directly on `device` in `dtype`, in train mode.

    `hf_overrides` sets attributes of an hf: config before building (e.g. fewer layers for a quick test).
    """
    kind, sep, rest = spec.partition(":")
    if not sep or not rest:
        raise Unsupported(f"model spec {spec!r} must look like torchvision:NAME, timm:NAME, hf:PATH/config.json "
                          "or module:MODULE:FACTORY")
    torch.manual_seed(0)
    if kind == "torchvision":
        built = _build_torchvision(rest, dtype, device, attention, image, num_classes)
    elif kind == "timm":
        built = _build_timm(rest, dtype, device, attention, image, num_classes)
    elif kind == "hf":
        built = _build_hf(rest, task, dtype, device, attention, seq, hf_overrides or {})
    elif kind == "module":
        built = _build_module(rest, dtype, device, image, num_classes)
    else:
        raise Unsupported(f"unknown model source {kind!r} in {spec!r}: use torchvision, timm, hf or module")
    built.model.train()
    if task and task != built.task:
        raise Unsupported(f"task {task!r} is not available for {spec!r} (it trains as {built.task})")
    return built


# ---------------------------------------------------------------- image models

def _image_batch(device, dtype, image, num_classes):
    def make(batch_size):
        x = torch.randn(batch_size, 3, image, image, device=device, dtype=dtype)
        y = torch.randint(0, num_classes, (batch_size,), device=device)
        return x, y
    return make


def _image_loss(model, batch):
    x, y = batch
    out = model(x)
    if isinstance(out, (tuple, list)):
        out = out[0]
    out = getattr(out, "logits", out)
    return nn.functional.cross_entropy(out.float(), y)


class CheckpointedBlock(nn.Module):
    """Runs `inner` under torch.utils.checkpoint (non-reentrant) while `enabled`; a plain pass-through otherwise."""

    def __init__(self, inner: nn.Module):
        super().__init__()
        self.inner = inner
        self.enabled = False

    def forward(self, *args):
        if self.enabled and torch.is_grad_enabled():
            return checkpoint(self.inner, *args, use_reentrant=False)
        return self.inner(*args)


def _torchvision_blocks(model: nn.Module) -> list[tuple[nn.Module, str]]:
    """(parent, child name) pairs of the blocks to checkpoint in a torchvision classifier."""
    pairs: list[tuple[nn.Module, str]] = []
    if all(hasattr(model, f"layer{i}") for i in range(1, 5)):  # resnet, resnext, wide_resnet
        for i in range(1, 5):
            stage = getattr(model, f"layer{i}")
            pairs += [(stage, name) for name, _ in stage.named_children()]
        return pairs
    encoder_layers = getattr(getattr(model, "encoder", None), "layers", None)
    if isinstance(encoder_layers, nn.Sequential):  # vit
        return [(encoder_layers, name) for name, _ in encoder_layers.named_children()]
    features = getattr(model, "features", None)
    if isinstance(features, nn.Sequential):
        children = list(features.named_children())
        if any(isinstance(m, nn.MaxPool2d) for _, m in children):
            return _vgg_stages(model, features)
        for name, child in children:  # efficientnet, mobilenet, convnext, swin, densenet stages
            if isinstance(child, nn.Sequential) and len(child) > 1:
                pairs += [(child, n) for n, _ in child.named_children()]
            else:
                pairs.append((features, name))
        return pairs
    raise Unsupported(f"block checkpointing is not implemented for torchvision {type(model).__name__}")


def _vgg_stages(model: nn.Module, features: nn.Sequential) -> list[tuple[nn.Module, str]]:
    """Regroups a VGG/AlexNet `features` into one Sequential per stage (ending at a max-pool)."""
    stages, current = [], []
    for module in features:
        current.append(module)
        if isinstance(module, nn.MaxPool2d):
            stages.append(nn.Sequential(*current))
            current = []
    if current:
        stages.append(nn.Sequential(*current))
    model.features = nn.Sequential(*stages)
    return [(model.features, str(i)) for i in range(len(stages))]


def _wrap_blocks(model: nn.Module, find_blocks) -> Callable[[bool], None]:
    wrappers: list[CheckpointedBlock] = []

    def set_checkpointing(on: bool):
        if on and not wrappers:
            for parent, name in find_blocks(model):
                wrapper = CheckpointedBlock(getattr(parent, name))
                setattr(parent, name, wrapper)
                wrappers.append(wrapper)
        for wrapper in wrappers:
            wrapper.enabled = on
    return set_checkpointing


def _build_torchvision(name, dtype, device, attention, image, num_classes) -> BuiltModel:
    import torchvision
    kwargs: dict[str, Any] = {"weights": None, "num_classes": num_classes}
    if name.startswith("vit_"):
        kwargs["image_size"] = image
    if name.startswith("inception") or name.startswith("googlenet"):
        kwargs["aux_logits"] = False
        kwargs["init_weights"] = True
    with torch.device(device):
        model = torchvision.models.get_model(name, **kwargs)
    model = model.to(device=device, dtype=dtype)
    notes = []
    used_attention = None
    if name.startswith(("vit_", "swin_", "maxvit_")):
        used_attention = "sdpa"
        if attention != "sdpa":
            notes.append("torchvision attention is fixed (nn.MultiheadAttention -> SDPA); --attention ignored")
    return BuiltModel(model=model, task="image-classification", family="torchvision", attention=used_attention,
                      make_batch=_image_batch(device, dtype, image, num_classes), loss=_image_loss,
                      set_checkpointing=_wrap_blocks(model, _torchvision_blocks), uses_image=True,
                      library_version=torchvision.__version__, notes=notes)


def _build_timm(name, dtype, device, attention, image, num_classes) -> BuiltModel:
    import timm
    with torch.device(device):
        model = timm.create_model(name, pretrained=False, num_classes=num_classes)
    model = model.to(device=device, dtype=dtype)
    has_attention = False
    for module in model.modules():
        if hasattr(module, "fused_attn"):
            module.fused_attn = attention == "sdpa"
            has_attention = True

    def set_checkpointing(on: bool):
        if not hasattr(model, "set_grad_checkpointing"):
            if on:
                raise Unsupported(f"timm {name} has no set_grad_checkpointing")
            return
        model.set_grad_checkpointing(on)
    return BuiltModel(model=model, task="image-classification", family="timm",
                      attention=attention if has_attention else None,
                      make_batch=_image_batch(device, dtype, image, num_classes), loss=_image_loss,
                      set_checkpointing=set_checkpointing, uses_image=True, library_version=timm.__version__)


# ---------------------------------------------------------------- transformers

def hf_default_task(config) -> str:
    if getattr(config, "is_encoder_decoder", False):
        return "seq2seq"
    if config.model_type in ENCODER_MODEL_TYPES:
        return "classification"
    return "causal-lm"


def _build_hf(path, task, dtype, device, attention, seq, overrides) -> BuiltModel:
    import transformers
    from transformers import AutoConfig
    config_path = path if path.endswith(".json") else os.path.join(path, "config.json")
    with open(config_path) as handle:
        json.load(handle)  # fail early with a clear error on a bad file
    config = AutoConfig.from_pretrained(config_path)
    for key, value in overrides.items():
        setattr(config, key, value)
    task = task or hf_default_task(config)
    auto = {
        "classification": transformers.AutoModelForSequenceClassification,
        "masked-lm": transformers.AutoModelForMaskedLM,
        "causal-lm": transformers.AutoModelForCausalLM,
        "seq2seq": transformers.AutoModelForSeq2SeqLM,
    }.get(task)
    if auto is None:
        raise Unsupported(f"task {task!r} is not a text task; use one of classification, masked-lm, causal-lm, seq2seq")
    if task == "classification":
        config.num_labels = 2
    if hasattr(config, "use_cache"):
        config.use_cache = False
    with torch.device(device):
        model = auto.from_config(config, attn_implementation=attention, dtype=dtype)
    model = model.to(device=device, dtype=dtype)
    max_positions = getattr(config, "max_position_embeddings", None) or getattr(config, "n_positions", None)
    if max_positions and seq > max_positions:
        raise Unsupported(f"seq {seq} exceeds the model's max_position_embeddings {max_positions}")
    vocab = config.vocab_size

    def make(batch_size):
        ids = torch.randint(0, vocab, (batch_size, seq), device=device)
        batch = {"input_ids": ids, "attention_mask": torch.ones_like(ids)}
        if task == "classification":
            batch["labels"] = torch.randint(0, 2, (batch_size,), device=device)
        elif task == "seq2seq":
            batch["labels"] = torch.randint(0, vocab, (batch_size, seq), device=device)
        else:
            batch["labels"] = ids
        return batch

    def loss(model_, batch):
        return model_(**batch).loss.float()

    def set_checkpointing(on: bool):
        # transformers >= 5.2x renamed gradient_checkpointing_* to activation_checkpointing_* (old names warn)
        if hasattr(model, "activation_checkpointing_enable"):
            if on:
                model.activation_checkpointing_enable(activation_checkpointing_kwargs={"use_reentrant": False})
            else:
                model.activation_checkpointing_disable()
        elif on:
            model.gradient_checkpointing_enable(gradient_checkpointing_kwargs={"use_reentrant": False})
        else:
            model.gradient_checkpointing_disable()

    used = getattr(model.config, "_attn_implementation", attention)
    return BuiltModel(model=model, task=task, family="hf", attention=used, make_batch=make, loss=loss,
                      set_checkpointing=set_checkpointing, uses_image=False,
                      library_version=transformers.__version__,
                      notes=["attention_mask all ones" + ("; labels = input_ids" if task in ("causal-lm", "masked-lm") else "")]
                      + ([f"config overrides {json.dumps(overrides, sort_keys=True)}"] if overrides else []))


# ---------------------------------------------------------------- user modules

def _build_module(rest, dtype, device, image, num_classes) -> BuiltModel:
    module_name, sep, factory_name = rest.rpartition(":")
    if not sep:
        raise Unsupported(f"module spec {rest!r} must be MODULE:FACTORY")
    if module_name.endswith(".py"):
        spec = importlib.util.spec_from_file_location("measure_user_module", module_name)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    else:
        module = importlib.import_module(module_name)
    with torch.device(device):
        model = getattr(module, factory_name)()
    model = model.to(device=device, dtype=dtype)
    make_batch = _image_batch(device, dtype, image, num_classes)
    loss = _image_loss
    uses_image = True
    if hasattr(module, "make_batch"):
        uses_image = False

        def make_batch(batch_size):
            return module.make_batch(batch_size, device, dtype)

        def loss(model_, batch):
            inputs, targets = batch
            out = model_(inputs)
            if hasattr(module, "loss"):
                return module.loss(out, targets)
            return nn.functional.cross_entropy(out.float(), targets)

    def set_checkpointing(on: bool):
        if on:
            raise Unsupported("block checkpointing is not available for module: models")
    return BuiltModel(model=model, task="image-classification" if uses_image else "classification",
                      family="module", attention=None, make_batch=make_batch, loss=loss,
                      set_checkpointing=set_checkpointing, uses_image=uses_image)


# ---------------------------------------------------------------- optimizers

#: Optimizers this tool can build, with the implementation used (shown by --list-optimizers).
OPTIMIZERS = {
    "sgd": "torch.optim.SGD(lr=0.01)",
    "sgd-momentum": "torch.optim.SGD(lr=0.01, momentum=0.9)",
    "adam": "torch.optim.Adam(lr=1e-4)",
    "adamw": "torch.optim.AdamW(lr=1e-4, weight_decay=0.01)",
    "adagrad": "torch.optim.Adagrad(lr=0.01)",
    "rmsprop": "torch.optim.RMSprop(lr=1e-4)",
    "rmsprop-momentum": "torch.optim.RMSprop(lr=1e-4, momentum=0.9)",
    "adafactor": "torch.optim.Adafactor(lr=0.01) (factored second moment, no first moment)",
    "adafactor-momentum": "transformers Adafactor(lr=1e-3, beta1=0.9, relative_step=False, scale_parameter=False)",
    "adamw-8bit": "bitsandbytes.optim.AdamW8bit (only if bitsandbytes is installed)",
    "paged-adamw": "bitsandbytes.optim.PagedAdamW (only if bitsandbytes is installed)",
    "paged-adamw-8bit": "bitsandbytes.optim.PagedAdamW8bit (only if bitsandbytes is installed)",
}
#: Names batchplan knows that this tool cannot build offline: lion has no torch/transformers implementation.
UNSUPPORTED_OPTIMIZERS = {"lion": "no implementation in torch or transformers (pip install lion-pytorch is not used)"}


def make_optimizer(name: str, params) -> torch.optim.Optimizer:
    params = [p for p in params if p.requires_grad]
    optim = torch.optim
    if name == "sgd":
        return optim.SGD(params, lr=0.01)
    if name == "sgd-momentum":
        return optim.SGD(params, lr=0.01, momentum=0.9)
    if name == "adam":
        return optim.Adam(params, lr=1e-4)
    if name == "adamw":
        return optim.AdamW(params, lr=1e-4, weight_decay=0.01)
    if name == "adagrad":
        return optim.Adagrad(params, lr=0.01)
    if name == "rmsprop":
        return optim.RMSprop(params, lr=1e-4)
    if name == "rmsprop-momentum":
        return optim.RMSprop(params, lr=1e-4, momentum=0.9)
    if name == "adafactor":
        if hasattr(optim, "Adafactor"):
            return optim.Adafactor(params, lr=0.01)
        from transformers.optimization import Adafactor
        return Adafactor(params, lr=1e-3, beta1=None, relative_step=False, scale_parameter=False)
    if name == "adafactor-momentum":
        from transformers.optimization import Adafactor
        return Adafactor(params, lr=1e-3, beta1=0.9, relative_step=False, scale_parameter=False)
    if name in ("adamw-8bit", "paged-adamw", "paged-adamw-8bit"):
        try:
            import bitsandbytes as bnb
        except ImportError as error:
            raise Unsupported(f"optimizer {name} needs bitsandbytes, which is not installed") from error
        cls = {"adamw-8bit": bnb.optim.AdamW8bit, "paged-adamw": bnb.optim.PagedAdamW,
               "paged-adamw-8bit": bnb.optim.PagedAdamW8bit}[name]
        return cls(params, lr=1e-4)
    if name in UNSUPPORTED_OPTIMIZERS:
        raise Unsupported(f"optimizer {name}: {UNSUPPORTED_OPTIMIZERS[name]}")
    raise Unsupported(f"unknown optimizer {name!r}; supported: {', '.join(OPTIMIZERS)}")
