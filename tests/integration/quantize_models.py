"""Synthetic models for the `exaone quantize` checks, shared by tests/integration/test_quantize.py
and tools/make_quantize_mix_fixtures.py (which records llama-quantize's choices on them).

The tiny fixture models have rows of 48-128 values, so every K type falls back; these are wide
enough (rows of 256) for the K-quant mix rules, and one is deep enough (16 layers) for the
per-layer ones. Their values come from an integer hash, so any numpy on any machine writes the
same bytes (the fixture records a digest of each file to catch drift).
"""
import hashlib
import json
import struct

import numpy as np


def layer_types(n, pattern="LLLG"):
    return ["sliding_attention" if pattern[i % len(pattern)] == "L" else "full_attention"
            for i in range(n)]


# Synthetic models: wide enough (rows of 256) for the K types, deep enough for the per-layer rules.
SYNTHETIC = {
    "exaone4_wide16": {
        "architectures": ["Exaone4ForCausalLM"], "model_type": "exaone4", "vocab_size": 64,
        "hidden_size": 256, "num_hidden_layers": 16, "num_attention_heads": 4,
        "num_key_value_heads": 1, "head_dim": 64, "intermediate_size": 320,
        "max_position_embeddings": 256, "rms_norm_eps": 1e-05, "hidden_act": "silu",
        "rope_theta": 10000.0, "sliding_window": 8, "sliding_window_pattern": "LLLG",
        "layer_types": layer_types(16), "tie_word_embeddings": False, "bos_token_id": 1,
        "eos_token_id": 2, "pad_token_id": 0},
    "llama_wide2": {
        "architectures": ["LlamaForCausalLM"], "model_type": "llama", "vocab_size": 96,
        "hidden_size": 256, "num_hidden_layers": 2, "num_attention_heads": 4,
        "num_key_value_heads": 2, "intermediate_size": 320, "max_position_embeddings": 256,
        "rms_norm_eps": 1e-05, "hidden_act": "silu", "rope_theta": 10000.0,
        "tie_word_embeddings": True, "bos_token_id": 1, "eos_token_id": 2},
    "exaone3_wide2": {
        "architectures": ["ExaoneForCausalLM"], "model_type": "exaone", "vocab_size": 64,
        "hidden_size": 256, "num_layers": 2, "num_attention_heads": 8, "num_key_value_heads": 2,
        "intermediate_size": 512, "max_position_embeddings": 256, "layer_norm_epsilon": 1e-05,
        "activation_function": "silu", "rope_theta": 10000.0, "tie_word_embeddings": False,
        "bos_token_id": 1, "eos_token_id": 2, "pad_token_id": 0},
}


def hf_shapes(cfg):
    """Checkpoint tensor names and shapes of a synthetic model (Hugging Face naming)."""
    v, h, f = cfg["vocab_size"], cfg["hidden_size"], cfg["intermediate_size"]
    n = cfg.get("num_hidden_layers", cfg.get("num_layers"))
    hd = cfg.get("head_dim", h // cfg["num_attention_heads"])
    q, kv = cfg["num_attention_heads"] * hd, cfg["num_key_value_heads"] * hd
    t = cfg["model_type"]
    if t == "exaone":
        s = {"transformer.wte.weight": [v, h], "transformer.ln_f.weight": [h]}
        for i in range(n):
            p = f"transformer.h.{i}."
            s.update({p + "ln_1.weight": [h], p + "ln_2.weight": [h],
                      p + "attn.attention.q_proj.weight": [q, h],
                      p + "attn.attention.k_proj.weight": [kv, h],
                      p + "attn.attention.v_proj.weight": [kv, h],
                      p + "attn.attention.out_proj.weight": [h, q],
                      p + "mlp.c_fc_0.weight": [f, h], p + "mlp.c_fc_1.weight": [f, h],
                      p + "mlp.c_proj.weight": [h, f]})
    else:
        s = {"model.embed_tokens.weight": [v, h], "model.norm.weight": [h]}
        for i in range(n):
            p = f"model.layers.{i}."
            s.update({p + "self_attn.q_proj.weight": [q, h], p + "self_attn.k_proj.weight": [kv, h],
                      p + "self_attn.v_proj.weight": [kv, h], p + "self_attn.o_proj.weight": [h, q],
                      p + "mlp.gate_proj.weight": [f, h], p + "mlp.up_proj.weight": [f, h],
                      p + "mlp.down_proj.weight": [h, f]})
            if t == "exaone4":
                s.update({p + "self_attn.q_norm.weight": [hd], p + "self_attn.k_norm.weight": [hd],
                          p + "post_attention_layernorm.weight": [h],
                          p + "post_feedforward_layernorm.weight": [h]})
            else:
                s.update({p + "input_layernorm.weight": [h],
                          p + "post_attention_layernorm.weight": [h]})
    if not cfg["tie_word_embeddings"]:
        s["lm_head.weight"] = [v, h]
    return s


def synthetic_values(k, shape):
    """Deterministic float16 values for the k-th tensor (in name order): an integer hash, so any
    numpy on any machine makes the same bits. Rows of five scales and an outlier every 97 values,
    roughly like trained weights. The test rebuilds these with the same code."""
    n = int(np.prod(shape))
    i = np.arange(n, dtype=np.uint64)
    m = np.uint64(0xFFFFFFFF)
    h = (i * np.uint64(2654435761) + np.uint64((k + 1) * 40503)) & m
    h ^= h >> np.uint64(13)
    h = (h * np.uint64(1274126177)) & m
    h ^= h >> np.uint64(16)
    u = h.astype(np.float64) / 2.0**32 - 0.5
    if len(shape) == 1:
        return (1.0 + 0.25 * u).astype(np.float16)
    rows = i // np.uint64(shape[-1])
    u *= 0.05 * (1 + (rows % np.uint64(5)).astype(np.float64))
    u[i % np.uint64(97) == 0] *= 8
    return u.astype(np.float16).reshape(shape)


def write_synthetic(folder, cfg):
    folder.mkdir(parents=True)
    (folder / "config.json").write_text(json.dumps(cfg, indent=2))
    header, blobs, off = {}, [], 0
    for k, (name, shape) in enumerate(sorted(hf_shapes(cfg).items())):
        blob = synthetic_values(k, shape).astype("<f2").tobytes()
        header[name] = {"dtype": "F16", "shape": shape, "data_offsets": [off, off + len(blob)]}
        blobs.append(blob)
        off += len(blob)
    h = json.dumps(header).encode()
    h += b" " * (-len(h) % 8)
    data = struct.pack("<Q", len(h)) + h + b"".join(blobs)
    (folder / "model.safetensors").write_bytes(data)
    return hashlib.sha256(data).hexdigest()
