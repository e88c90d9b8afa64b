"""A tiny chat-capable model made at test time: random EXAONE 4.0 weights, a trained byte-level
BPE tokenizer (tests/fixtures/tokenizer/digits_style) with EXAONE 4.0's role, think and tool
tokens added, and EXAONE 4.0's chat template from ../shared (when present)."""
import json

import numpy as np

from conftest import FIXTURES, SHARED, exaone4_shapes, write_safetensors

ADDED = [("[|system|]", True), ("[|user|]", True), ("[|assistant|]", True), ("[|tool|]", True),
         ("[|endofturn|]", True), ("<think>", False), ("</think>", False),
         ("<tool_call>", False), ("</tool_call>", False), ("<tool_result>", False),
         ("</tool_result>", False)]


def exaone4_template():
    path = SHARED / "exaone" / "templates" / "exaone-4.0.jinja"
    return path.read_text() if path.exists() else None


def write_chat_tokenizer(folder, template=None, extra=()):
    """tokenizer.json (digits_style with EXAONE 4.0's role, think and tool tokens, then `extra`
    non-special tokens) and tokenizer_config.json; returns ({content: id}, vocab size)."""
    folder.mkdir(parents=True, exist_ok=True)
    tok = json.loads((FIXTURES / "tokenizer" / "digits_style" / "tokenizer.json").read_text())
    next_id = max(tok["model"]["vocab"].values()) + 1
    for a in tok["added_tokens"]:
        next_id = max(next_id, a["id"] + 1)
    ids = {}
    for content, special in ADDED + [(e, False) for e in extra if e not in dict(ADDED)]:
        ids[content] = next_id
        tok["added_tokens"].append({"id": next_id, "content": content, "single_word": False,
                                    "lstrip": False, "rstrip": False, "normalized": False,
                                    "special": special})
        next_id += 1
    (folder / "tokenizer.json").write_text(json.dumps(tok))
    config = {"eos_token": "[|endofturn|]", "pad_token": "<pad>", "bos_token": None}
    if template is not None:
        config["chat_template"] = template
    (folder / "tokenizer_config.json").write_text(json.dumps(config))
    return ids, next_id


def write_exaone4_config(folder, vocab, eos_id, hidden, layers, tied, sliding_window=None):
    """config.json of an EXAONE 4.0 (all-global unless `sliding_window`); returns (heads, kv
    heads, head dim, ffn)."""
    heads, kv, hd, ffn = 4, 2, hidden // 4, hidden * 2
    (folder / "config.json").write_text(json.dumps({
        "architectures": ["Exaone4ForCausalLM"], "model_type": "exaone4", "vocab_size": vocab,
        "hidden_size": hidden, "num_hidden_layers": layers, "num_attention_heads": heads,
        "num_key_value_heads": kv, "head_dim": hd, "intermediate_size": ffn,
        "max_position_embeddings": 4096, "rms_norm_eps": 1e-5, "rope_theta": 10000.0,
        "sliding_window": sliding_window, "tie_word_embeddings": tied,
        **({"layer_types": ["full_attention" if i % 4 == 3 else "sliding_attention"
                            for i in range(layers)]} if sliding_window else {}),
        "eos_token_id": eos_id, "bos_token_id": 1, "pad_token_id": 0}))
    return heads, kv, hd, ffn


def make_chat_model(folder, template=None, hidden=32, layers=2, sliding_window=None):
    """Random weights; with `sliding_window`, layers 3 of every 4 slide (EXAONE 4.0 32B's mix)."""
    ids, vocab = write_chat_tokenizer(folder, template)
    heads, kv, hd, ffn = write_exaone4_config(folder, vocab, ids["[|endofturn|]"], hidden, layers,
                                              tied=True, sliding_window=sliding_window)
    rng = np.random.default_rng(0)
    arrays = {}
    for name, shape in exaone4_shapes(vocab, hidden, layers, heads, kv, hd, ffn).items():
        a = (rng.standard_normal(int(np.prod(shape))) * (0.3 if len(shape) == 2 else 0.1) +
             (1.0 if len(shape) == 1 else 0.0)).astype("<f4").tobytes()
        arrays[name] = ("F32", shape, a)
    write_safetensors(folder / "model.safetensors", arrays)
    return ids
