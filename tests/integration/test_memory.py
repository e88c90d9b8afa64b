"""Loading maps the weights instead of copying them: after every page of a BF16 model has been
touched, resident memory stays within the file size + 10% (for a safetensors folder and for the
GGUF converted from it)."""
import json
import os
import re

import numpy as np
import pytest

from conftest import exaone4_shapes, run, write_safetensors


def write_bf16_model(folder, hidden=512, layers=10, vocab=32000, ffn=1536, heads=8, kv=2):
    folder.mkdir()
    hd = hidden // heads
    cfg = {"model_type": "exaone4", "vocab_size": vocab, "hidden_size": hidden,
           "num_hidden_layers": layers, "num_attention_heads": heads, "num_key_value_heads": kv,
           "head_dim": hd, "intermediate_size": ffn, "max_position_embeddings": 4096,
           "rms_norm_eps": 1e-5, "rope_theta": 1e6, "sliding_window": 256,
           "sliding_window_pattern": 4, "tie_word_embeddings": True}
    (folder / "config.json").write_text(json.dumps(cfg))
    rng = np.random.default_rng(0)
    arrays = {}
    for name, shape in exaone4_shapes(vocab, hidden, layers, heads, kv, hd, ffn).items():
        values = rng.standard_normal(int(np.prod(shape)), dtype=np.float32) * 0.02
        arrays[name] = ("BF16", shape, (values.view(np.uint32) >> 16).astype("<u2").tobytes())
    return write_safetensors(folder / "model.safetensors", arrays)


def resident_ratio(model):
    out = run("inspect", model, "--load", "--no-tensors", "--no-metadata").stdout
    m = re.search(r"resident after load: .* \(([\d.]+)% of file size\)", out)
    assert m, out
    print(out.splitlines()[-1])
    return float(m.group(1)) / 100


@pytest.mark.skipif(os.environ.get("EXAONE_SANITIZED") == "1",
                    reason="ASan's shadow memory and quarantine inflate resident memory")
def test_resident_memory_stays_within_file_size(tmp_path):
    size = write_bf16_model(tmp_path / "m")
    assert size > 80 << 20  # large enough that the process's own few MiB do not dominate
    assert resident_ratio(tmp_path / "m") <= 1.10
    gguf = tmp_path / "m.gguf"
    run("convert", tmp_path / "m", gguf, "--type", "bf16", "--quiet")
    assert resident_ratio(gguf) <= 1.10
