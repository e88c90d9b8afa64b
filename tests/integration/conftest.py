"""Shared helpers for the integration tests: the binary under test and reference readers."""
import json
import os
import struct
import subprocess
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures"
SHARED = ROOT.parent / "shared"
MODELS = ["exaone3_tiny", "exaone4_global_tied", "exaone4_hybrid", "exaone4_hybrid_bf16",
          "llama_tiny"]


def exaone_bin():
    return os.environ.get("EXAONE_BIN", str(ROOT / "build" / "release" / "cli" / "exaone"))


def run(*args, check=True, timeout=300, env=None):
    r = subprocess.run([exaone_bin(), *map(str, args)], capture_output=True, text=True,
                       timeout=timeout, env=None if env is None else {**os.environ, **env})
    if check and r.returncode != 0:
        raise AssertionError(f"exaone {' '.join(map(str, args))} failed ({r.returncode}):\n"
                             f"{r.stderr}")
    return r


def reference(name):
    meta = json.loads((FIXTURES / "reference" / f"{name}.json").read_text())
    logits = np.fromfile(FIXTURES / "reference" / f"{name}.f32", dtype="<f4")
    return meta, logits.reshape(meta["shape"])


def logits(model, ids, tmp_path, decode=False, env=None):
    out = tmp_path / "logits.bin"
    r = run("logits", model, "--ids", ",".join(map(str, ids)), "--out", out,
            *(["--decode"] if decode else []), env=env)
    t, v = map(int, r.stdout.split())
    return np.fromfile(out, dtype="<f4").reshape(t, v)


def read_safetensors(folder):
    """All tensors of an HF folder as float32 numpy arrays, read independently of our code."""
    folder = Path(folder)
    files = sorted(folder.glob("*.safetensors"))
    tensors, dtypes = {}, {}
    for f in files:
        raw = f.read_bytes()
        (n,) = struct.unpack("<Q", raw[:8])
        header = json.loads(raw[8:8 + n])
        header.pop("__metadata__", None)
        for name, info in header.items():
            b, e = info["data_offsets"]
            buf = raw[8 + n + b:8 + n + e]
            if info["dtype"] == "F32":
                a = np.frombuffer(buf, dtype="<f4")
            elif info["dtype"] == "F16":
                a = np.frombuffer(buf, dtype="<f2").astype(np.float32)
            elif info["dtype"] == "BF16":
                a = (np.frombuffer(buf, dtype="<u2").astype(np.uint32) << 16).view(np.float32)
            else:
                raise ValueError(info["dtype"])
            tensors[name] = a.reshape(info["shape"])
            dtypes[name] = info["dtype"]
    return tensors, dtypes


def exaone4_shapes(vocab, hidden, layers, heads, kv, hd, ffn):
    """Tensor names and shapes of an EXAONE 4.0 checkpoint with tied embeddings."""
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
    return shapes


def write_safetensors(path, arrays):
    """Writes {name: (dtype, shape, little-endian bytes)} as a safetensors file."""
    header, offset = {}, 0
    for name, (dtype, shape, blob) in arrays.items():
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [offset, offset + len(blob)]}
        offset += len(blob)
    h = json.dumps(header).encode()
    h += b" " * (-len(h) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h)
        for _, _, blob in arrays.values():
            f.write(blob)
    return offset


@pytest.fixture(scope="session", autouse=True)
def binary_exists():
    if not Path(exaone_bin()).exists():
        pytest.fail(f"{exaone_bin()} not built")
