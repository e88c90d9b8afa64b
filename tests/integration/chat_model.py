"""A tiny chat-capable model made at test time: random EXAONE 4.0 weights, a trained byte-level
BPE tokenizer (tests/fixtures/tokenizer/digits_style) with EXAONE 4.0's role, think and tool
tokens added, and EXAONE 4.0's chat template from ../shared (when present)."""
import json
import struct

import numpy as np

from conftest import FIXTURES, SHARED

ADDED = [("[|system|]", True), ("[|user|]", True), ("[|assistant|]", True), ("[|tool|]", True),
         ("[|endofturn|]", True), ("<think>", False), ("</think>", False),
         ("<tool_call>", False), ("</tool_call>", False), ("<tool_result>", False),
         ("</tool_result>", False)]


def exaone4_template():
    path = SHARED / "exaone" / "templates" / "exaone-4.0.jinja"
    return path.read_text() if path.exists() else None


def make_chat_model(folder, template=None, hidden=32, layers=2):
    folder.mkdir(parents=True, exist_ok=True)
    tok = json.loads((FIXTURES / "tokenizer" / "digits_style" / "tokenizer.json").read_text())
    base = max(tok["model"]["vocab"].values()) + 1
    for a in tok["added_tokens"]:
        base = max(base, a["id"] + 1)
    ids = {}
    for i, (content, special) in enumerate(ADDED):
        ids[content] = base + i
        tok["added_tokens"].append({"id": base + i, "content": content, "single_word": False,
                                    "lstrip": False, "rstrip": False, "normalized": False,
                                    "special": special})
    vocab = base + len(ADDED)
    (folder / "tokenizer.json").write_text(json.dumps(tok))
    config = {"eos_token": "[|endofturn|]", "pad_token": "<pad>", "bos_token": None}
    if template is not None:
        config["chat_template"] = template
    (folder / "tokenizer_config.json").write_text(json.dumps(config))
    heads, kv, hd, ffn = 4, 2, hidden // 4, hidden * 2
    (folder / "config.json").write_text(json.dumps({
        "architectures": ["Exaone4ForCausalLM"], "model_type": "exaone4", "vocab_size": vocab,
        "hidden_size": hidden, "num_hidden_layers": layers, "num_attention_heads": heads,
        "num_key_value_heads": kv, "head_dim": hd, "intermediate_size": ffn,
        "max_position_embeddings": 4096, "rms_norm_eps": 1e-5, "rope_theta": 10000.0,
        "sliding_window": None, "tie_word_embeddings": True,
        "eos_token_id": ids["[|endofturn|]"], "bos_token_id": 1, "pad_token_id": 0}))
    rng = np.random.default_rng(0)
    shapes = {"model.embed_tokens.weight": [vocab, hidden], "model.norm.weight": [hidden]}
    for i in range(layers):
        p = f"model.layers.{i}."
        shapes.update({p + "self_attn.q_proj.weight": [heads * hd, hidden],
                       p + "self_attn.k_proj.weight": [kv * hd, hidden],
                       p + "self_attn.v_proj.weight": [kv * hd, hidden],
                       p + "self_attn.o_proj.weight": [hidden, heads * hd],
                       p + "self_attn.q_norm.weight": [hd], p + "self_attn.k_norm.weight": [hd],
                       p + "post_attention_layernorm.weight": [hidden],
                       p + "post_feedforward_layernorm.weight": [hidden],
                       p + "mlp.gate_proj.weight": [ffn, hidden],
                       p + "mlp.up_proj.weight": [ffn, hidden],
                       p + "mlp.down_proj.weight": [hidden, ffn]})
    header, blobs, offset = {}, [], 0
    for name, shape in shapes.items():
        a = (rng.standard_normal(int(np.prod(shape))) * (0.3 if len(shape) == 2 else 0.1) +
             (1.0 if len(shape) == 1 else 0.0)).astype("<f4").tobytes()
        header[name] = {"dtype": "F32", "shape": shape, "data_offsets": [offset, offset + len(a)]}
        blobs.append(a)
        offset += len(a)
    h = json.dumps(header).encode()
    h += b" " * (-len(h) % 8)
    with open(folder / "model.safetensors", "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h + b"".join(blobs))
    return ids
