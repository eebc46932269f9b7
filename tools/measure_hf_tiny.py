#!/usr/bin/env python3
"""Measures tiny transformers for batchplan's accounting tests: Tests/BatchPlanCoreTests/Fixtures/hf-tiny-reference.json.

For each tiny config (every model_type batchplan accounts, 2 layers, hidden 64) and attention implementation it
records the task model's parameters (sum of numel) and the bytes autograd saves per sample in train mode: storages
seen by torch.autograd.graph.saved_tensors_hooks, each counted once, parameters excluded, per sample taken as
saved(batch 3) - saved(batch 2) at 24 tokens (batch 1 can keep views of storages that larger batches copy).

Models are built with use_cache=False, as training sets it (and as tools/profile_torch.py does): with the config
default use_cache=True, transformers 5 concatenates K and V into a DynamicCache even in training, which changes what
fused-QKV models keep.

`*_dropout` rows run with CUDA's kernels substituted on CPU: native_dropout (a bool mask) and SDPA with dropout 0 (the
fused kernel, as CUDA's keeps no S×S tensor). Other rows have dropout off, where CPU and CUDA agree.

Usage: python tools/measure_hf_tiny.py OUT.json   (needs torch and transformers; not used by the build or tests)
"""
import json
import sys

import torch
import torch.nn.functional as F
import transformers
from transformers import AutoConfig

TASKS = {
    "causal-lm": transformers.AutoModelForCausalLM,
    "classification": transformers.AutoModelForSequenceClassification,
    "masked-lm": transformers.AutoModelForMaskedLM,
    "seq2seq": transformers.AutoModelForSeq2SeqLM,
    "image-classification": transformers.AutoModelForImageClassification,
}
H, V, L, S = 64, 1000, 2, 24
BASE = dict(hidden_size=H, num_hidden_layers=L, num_attention_heads=8, vocab_size=V)
NO_DROPOUT = dict(hidden_dropout_prob=0.0, attention_probs_dropout_prob=0.0)
T5 = dict(d_model=H, num_layers=L, vocab_size=V, decoder_start_token_id=0, pad_token_id=0)
PLAIN = {
    "bert": (dict(model_type="bert", intermediate_size=176, max_position_embeddings=128, **BASE, **NO_DROPOUT), "classification"),
    "roberta": (dict(model_type="roberta", intermediate_size=176, max_position_embeddings=130, pad_token_id=1, **BASE, **NO_DROPOUT), "classification"),
    "distilbert": (dict(model_type="distilbert", dim=H, hidden_dim=176, n_layers=L, n_heads=8, vocab_size=V, max_position_embeddings=128, dropout=0.0, attention_dropout=0.0, seq_classif_dropout=0.0), "classification"),
    "gpt2": (dict(model_type="gpt2", n_embd=H, n_layer=L, n_head=8, vocab_size=V, n_positions=128, resid_pdrop=0.0, embd_pdrop=0.0, attn_pdrop=0.0), "causal-lm"),
    "gpt_neox": (dict(model_type="gpt_neox", intermediate_size=176, max_position_embeddings=128, rotary_pct=0.25, **BASE), "causal-lm"),
    "opt": (dict(model_type="opt", ffn_dim=176, max_position_embeddings=128, word_embed_proj_dim=32, dropout=0.0, **BASE), "causal-lm"),
    "bloom": (dict(model_type="bloom", n_embed=H, n_layer=L, n_head=8, vocab_size=V), "causal-lm"),
    "falcon": (dict(model_type="falcon", multi_query=True, parallel_attn=True, new_decoder_architecture=False, bias=False, **BASE), "causal-lm"),
    "falcon_new": (dict(model_type="falcon", num_kv_heads=2, new_decoder_architecture=True, parallel_attn=True, bias=False, **BASE), "causal-lm"),
    "llama": (dict(model_type="llama", intermediate_size=176, num_key_value_heads=2, max_position_embeddings=128, **BASE), "causal-lm"),
    "llama_tied": (dict(model_type="llama", intermediate_size=176, num_key_value_heads=2, max_position_embeddings=128, tie_word_embeddings=True, **BASE), "causal-lm"),
    "mistral": (dict(model_type="mistral", intermediate_size=176, num_key_value_heads=2, max_position_embeddings=128, **BASE), "causal-lm"),
    "mixtral": (dict(model_type="mixtral", intermediate_size=176, num_key_value_heads=2, num_local_experts=4, num_experts_per_tok=2, max_position_embeddings=128, **BASE), "causal-lm"),
    "qwen2": (dict(model_type="qwen2", intermediate_size=176, num_key_value_heads=2, max_position_embeddings=128, tie_word_embeddings=True, **BASE), "causal-lm"),
    "gemma": (dict(model_type="gemma", intermediate_size=176, num_key_value_heads=2, head_dim=16, max_position_embeddings=128, **BASE), "causal-lm"),
    "gemma2": (dict(model_type="gemma2", intermediate_size=176, num_key_value_heads=2, head_dim=16, max_position_embeddings=128, **BASE), "causal-lm"),
    "phi": (dict(model_type="phi", intermediate_size=176, max_position_embeddings=128, partial_rotary_factor=0.5, resid_pdrop=0.0, embd_pdrop=0.0, **BASE), "causal-lm"),
    "phi3": (dict(model_type="phi3", intermediate_size=176, num_key_value_heads=4, max_position_embeddings=128, pad_token_id=0, **BASE), "causal-lm"),
    "stablelm": (dict(model_type="stablelm", intermediate_size=176, num_key_value_heads=8, max_position_embeddings=128, partial_rotary_factor=0.25, use_qkv_bias=True, **BASE), "causal-lm"),
    "t5": (dict(model_type="t5", d_kv=8, d_ff=176, num_heads=8, feed_forward_proj="relu", dropout_rate=0.0, **T5), "seq2seq"),
    "mt5": (dict(model_type="mt5", d_kv=16, d_ff=176, num_decoder_layers=1, num_heads=4, feed_forward_proj="gated-gelu", tie_word_embeddings=False, dropout_rate=0.0, **T5), "seq2seq"),
    "vit": (dict(model_type="vit", hidden_size=H, num_hidden_layers=L, num_attention_heads=8, intermediate_size=176, image_size=32, patch_size=8), "image-classification"),
}
WITH_DROPOUT = {
    "bert_dropout": (dict(model_type="bert", intermediate_size=176, max_position_embeddings=128, **BASE), "classification"),
    "roberta_dropout": (dict(model_type="roberta", intermediate_size=176, max_position_embeddings=130, pad_token_id=1, **BASE), "classification"),
    "distilbert_dropout": (dict(model_type="distilbert", dim=H, hidden_dim=176, n_layers=L, n_heads=8, vocab_size=V, max_position_embeddings=128), "classification"),
    "gpt2_dropout": (dict(model_type="gpt2", n_embd=H, n_layer=L, n_head=8, vocab_size=V, n_positions=128), "causal-lm"),
    "opt_dropout": (dict(model_type="opt", ffn_dim=176, max_position_embeddings=128, **BASE), "causal-lm"),
    "t5_dropout": (dict(model_type="t5", d_kv=8, d_ff=176, num_heads=8, **T5), "seq2seq"),
    "mt5_dropout": (dict(model_type="mt5", d_kv=16, d_ff=176, num_heads=4, **T5), "seq2seq"),
    "vit_dropout": (dict(model_type="vit", hidden_size=H, num_hidden_layers=L, num_attention_heads=8, intermediate_size=176, image_size=32, patch_size=8, hidden_dropout_prob=0.1, attention_probs_dropout_prob=0.1), "image-classification"),
    "phi_dropout": (dict(model_type="phi", intermediate_size=176, max_position_embeddings=128, partial_rotary_factor=0.5, resid_pdrop=0.1, embd_pdrop=0.1, attention_dropout=0.1, **BASE), "causal-lm"),
    "bert_mlm": (dict(model_type="bert", intermediate_size=176, max_position_embeddings=128, **BASE), "masked-lm"),
    "roberta_mlm": (dict(model_type="roberta", intermediate_size=176, max_position_embeddings=130, pad_token_id=1, **BASE), "masked-lm"),
    "distilbert_mlm": (dict(model_type="distilbert", dim=H, hidden_dim=176, n_layers=L, n_heads=8, vocab_size=V, max_position_embeddings=128), "masked-lm"),
    "llama_cls": (dict(model_type="llama", intermediate_size=176, num_key_value_heads=2, max_position_embeddings=128, pad_token_id=0, **BASE), "classification"),
    "gpt2_cls": (dict(model_type="gpt2", n_embd=H, n_layer=L, n_head=8, vocab_size=V, n_positions=128, pad_token_id=0), "classification"),
}
EAGER_ONLY = {"bloom", "gemma2"}


def saved_bytes(model, task, batch):
    params = {p.untyped_storage().data_ptr() for p in model.parameters()}
    seen = {}

    def pack(t):
        storage = t.untyped_storage()
        if storage.data_ptr() and storage.data_ptr() not in params:
            seen[storage.data_ptr()] = storage.nbytes()
        return t

    torch.manual_seed(0)
    config = model.config
    if task == "image-classification":
        inputs = dict(pixel_values=torch.randn(batch, 3, config.image_size, config.image_size),
                      labels=torch.zeros(batch, dtype=torch.long))
    else:
        ids = torch.randint(2, 900, (batch, S))
        labels = torch.zeros(batch, dtype=torch.long) if task == "classification" else ids.clone()
        inputs = dict(input_ids=ids, attention_mask=torch.ones_like(ids), labels=labels)
    with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
        model(**inputs)
    return sum(seen.values())


def measure(rows, out):
    for name, (config, task) in rows.items():
        for attention in ["eager"] if name in EAGER_ONLY else ["sdpa", "eager"]:
            config_object = AutoConfig.for_model(**config)
            config_object.use_cache = False
            model = TASKS[task].from_config(config_object, attn_implementation=attention)
            model.train()
            two, three = saved_bytes(model, task, 2), saved_bytes(model, task, 3)
            out.append(dict(name=name, task=task, attention=attention, seq=S,
                            params=sum(p.numel() for p in model.parameters()),
                            activation_bytes_per_sample=three - two, fixed_saved_bytes=3 * two - 2 * three,
                            config=config))
            print(name, task, attention, out[-1]["params"], out[-1]["activation_bytes_per_sample"], flush=True)


def main():
    rows = []
    measure(PLAIN, rows)
    sdpa = F.scaled_dot_product_attention
    F.dropout = lambda x, p=0.5, training=True, inplace=False: (
        torch.native_dropout(x, p, training)[0] if training and p > 0 else x)
    F.scaled_dot_product_attention = lambda *a, **k: sdpa(*a, **{**k, "dropout_p": 0.0})
    measure(WITH_DROPOUT, rows)
    with open(sys.argv[1], "w") as f:
        json.dump(rows, f, indent=1)


if __name__ == "__main__":
    main()
