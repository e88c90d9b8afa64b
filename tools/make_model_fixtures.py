#!/usr/bin/env python3
"""Builds the tiny random-weight model fixtures and their reference logits with transformers.

Usage: tools/make_model_fixtures.py [OUT_DIR]   (default: tests/fixtures)

Needs torch, transformers, safetensors and numpy (tools/requirements-reference.txt). Writes, per model,
  models/<name>/config.json + *.safetensors   (a Hugging Face folder as the real checkpoints are laid out)
  reference/<name>.json                       (ids, shapes, settings, versions)
  reference/<name>.f32                        (logits, raw little-endian float32 [tokens, vocab])
The BF16 fixture also writes reference/<name>.bf16run.f32: transformers' own run in bfloat16.

Weights are drawn so that activations keep unit scale (std 1/sqrt(fan_in), norms around 1): the
logits are O(1), so a missing mask, a misplaced RoPE or a wrong norm moves them far beyond 1e-4.
"""
import json
import os
import shutil
import sys

import numpy as np
import torch
import transformers
from safetensors.torch import save_file
from transformers import AutoConfig, AutoModelForCausalLM

VOCAB = 160


def llama3_rope(factor, orig):
    return {"factor": factor, "high_freq_factor": 4.0, "low_freq_factor": 1.0,
            "original_max_position_embeddings": orig, "rope_type": "llama3"}


def randomize(model, seed):
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if p.dim() == 1:  # norm weights
                p.copy_(1.0 + 0.2 * torch.randn(p.shape, generator=g))
            elif "embed" in name:
                p.copy_(0.3 * torch.randn(p.shape, generator=g))
            else:
                p.copy_(torch.randn(p.shape, generator=g) / p.shape[1] ** 0.5)


EXAONE3_NAMES = [  # transformers' llama name -> the original EXAONE 3.x checkpoint name
    ("model.embed_tokens.", "transformer.wte."),
    ("model.layers.", "transformer.h."),
    ("model.norm.", "transformer.ln_f."),
    (".self_attn.o_proj.", ".attn.attention.out_proj."),
    (".self_attn.", ".attn.attention."),
    (".input_layernorm.", ".ln_1."),
    (".post_attention_layernorm.", ".ln_2."),
    (".mlp.gate_proj.", ".mlp.c_fc_0."),
    (".mlp.up_proj.", ".mlp.c_fc_1."),
    (".mlp.down_proj.", ".mlp.c_proj."),
]


def checkpoint_state(model, rename, tied):
    state = {}
    for k, v in model.state_dict().items():
        if tied and k == "lm_head.weight":
            continue
        for a, b in rename:
            k = k.replace(a, b)
        state[k] = v.detach().clone().contiguous()
    return state


def save_shards(state, folder, shards):
    names = sorted(state)
    if shards == 1:
        save_file(state, os.path.join(folder, "model.safetensors"), metadata={"format": "pt"})
        return
    weight_map = {}
    per = (len(names) + shards - 1) // shards
    for i in range(shards):
        fname = f"model-{i + 1:05d}-of-{shards:05d}.safetensors"
        part = {n: state[n] for n in names[i * per:(i + 1) * per]}
        save_file(part, os.path.join(folder, fname), metadata={"format": "pt"})
        weight_map.update({n: fname for n in part})
    total = sum(t.numel() * t.element_size() for t in state.values())
    with open(os.path.join(folder, "model.safetensors.index.json"), "w") as f:
        json.dump({"metadata": {"total_size": total}, "weight_map": weight_map}, f, indent=2)


def logits_of(folder, ids, dtype):
    model = AutoModelForCausalLM.from_pretrained(folder, dtype=dtype, attn_implementation="eager")
    model.eval()
    with torch.no_grad():
        out = model(torch.tensor([ids])).logits[0]
    return out.float().numpy().astype("<f4")


def build(out, name, config, seed, n_tokens, rename=(), shards=1, dtype=torch.float32,
          bf16_run=False):
    folder = os.path.join(out, "models", name)
    shutil.rmtree(folder, ignore_errors=True)
    os.makedirs(folder)
    with open(os.path.join(folder, "config.json"), "w") as f:
        json.dump(config, f, indent=2)
    hf_config = AutoConfig.from_pretrained(folder)
    torch.manual_seed(seed)
    model = AutoModelForCausalLM.from_config(hf_config, dtype=torch.float32)
    randomize(model, seed)
    tied = bool(config.get("tie_word_embeddings", False))
    state = checkpoint_state(model.to(dtype), list(rename), tied)
    save_shards(state, folder, shards)

    rng = np.random.default_rng(seed)
    ids = [int(i) for i in rng.integers(0, config["vocab_size"], n_tokens)]
    ref = logits_of(folder, ids, torch.float32)  # bf16 checkpoints are upcast: the exact math
    os.makedirs(os.path.join(out, "reference"), exist_ok=True)
    ref.tofile(os.path.join(out, "reference", name + ".f32"))
    meta = {"ids": ids, "shape": list(ref.shape), "checkpoint_dtype": str(dtype).split(".")[-1],
            "transformers": transformers.__version__, "torch": torch.__version__}
    if bf16_run:
        run = logits_of(folder, ids, torch.bfloat16)
        run.tofile(os.path.join(out, "reference", name + ".bf16run.f32"))
        meta["bf16run_max_abs_diff"] = float(np.abs(run - ref).max())
    with open(os.path.join(out, "reference", name + ".json"), "w") as f:
        json.dump(meta, f, indent=1)
    print(f"{name}: {len(ids)} tokens, logits {ref.shape}, max |logit| {np.abs(ref).max():.3f}")


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..",
                                                             "tests", "fixtures")
    # EXAONE 3.x layout: original key names (num_layers, layer_norm_epsilon, rope_scaling) and
    # original tensor names (transformer.h.N.attn.attention.out_proj ...), untied lm_head.
    build(out, "exaone3_tiny", {
        "architectures": ["ExaoneForCausalLM"], "model_type": "exaone", "vocab_size": VOCAB,
        "hidden_size": 64, "num_layers": 2, "num_attention_heads": 4, "num_key_value_heads": 2,
        "intermediate_size": 128, "max_position_embeddings": 256, "layer_norm_epsilon": 1e-5,
        "activation_function": "silu", "rope_theta": 10000.0, "rope_scaling": llama3_rope(8.0, 32),
        "tie_word_embeddings": False, "bos_token_id": 1, "eos_token_id": 2, "pad_token_id": 0},
        seed=1, n_tokens=56, rename=EXAONE3_NAMES)
    # EXAONE 4.0 1.2B shape: all layers global with RoPE, tied embeddings (no lm_head in the file),
    # the transformers-5 rope_parameters schema.
    build(out, "exaone4_global_tied", {
        "architectures": ["Exaone4ForCausalLM"], "model_type": "exaone4", "vocab_size": VOCAB,
        "hidden_size": 64, "num_hidden_layers": 4, "num_attention_heads": 4,
        "num_key_value_heads": 2, "head_dim": 16, "intermediate_size": 96,
        "max_position_embeddings": 256, "rms_norm_eps": 1e-5, "hidden_act": "silu",
        "rope_parameters": dict(llama3_rope(16.0, 32), rope_theta=10000.0),
        "sliding_window": None, "sliding_window_pattern": None,
        "layer_types": ["full_attention"] * 4, "tie_word_embeddings": True,
        "bos_token_id": 1, "eos_token_id": 2, "pad_token_id": 0}, seed=2, n_tokens=56)
    # EXAONE 4.0 32B shape: 3 sliding : 1 global ("LLLG"), window 8, NoPE on global layers,
    # head_dim != hidden / heads, untied, sharded checkpoint, legacy rope_scaling schema.
    hybrid = {
        "architectures": ["Exaone4ForCausalLM"], "model_type": "exaone4", "vocab_size": VOCAB,
        "hidden_size": 48, "num_hidden_layers": 8, "num_attention_heads": 4,
        "num_key_value_heads": 2, "head_dim": 16, "intermediate_size": 96,
        "max_position_embeddings": 256, "rms_norm_eps": 1e-5, "hidden_act": "silu",
        "rope_theta": 10000.0, "rope_scaling": llama3_rope(16.0, 32), "sliding_window": 8,
        "sliding_window_pattern": "LLLG",
        "layer_types": ["sliding_attention"] * 3 + ["full_attention"] + ["sliding_attention"] * 3 +
                       ["full_attention"],
        "tie_word_embeddings": False, "bos_token_id": 1, "eos_token_id": 2, "pad_token_id": 0}
    build(out, "exaone4_hybrid", hybrid, seed=3, n_tokens=64, shards=3)
    build(out, "exaone4_hybrid_bf16", hybrid, seed=3, n_tokens=64, dtype=torch.bfloat16,
          bf16_run=True)
    # Llama (the architecture of the real-weight checks), tied, plain RoPE.
    build(out, "llama_tiny", {
        "architectures": ["LlamaForCausalLM"], "model_type": "llama", "vocab_size": VOCAB,
        "hidden_size": 64, "num_hidden_layers": 2, "num_attention_heads": 4,
        "num_key_value_heads": 1, "intermediate_size": 128, "max_position_embeddings": 256,
        "rms_norm_eps": 1e-5, "hidden_act": "silu", "rope_theta": 10000.0,
        "tie_word_embeddings": True, "bos_token_id": 1, "eos_token_id": 2}, seed=4, n_tokens=56)


if __name__ == "__main__":
    main()
