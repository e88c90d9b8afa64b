"""The valid base model of the broken-file corpus (tools/make_bad_files.py), and the writers
that assemble it: GGUF images built by hand with struct (so any field can be made wrong), and
safetensors files and Hugging Face folders (single-file and sharded).

The model is a small but complete EXAONE 4.0 (vocab 12, hidden 8, 1 layer, 2 heads / 1 KV head
of dim 4, FFN 16, tied embeddings) whose weights are slices of
tests/fixtures/models/exaone4_global_tied. Needs Python 3 and numpy only.
"""
import json
import shutil
import struct
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
FIXTURE = ROOT / "tests" / "fixtures" / "models" / "exaone4_global_tied" / "model.safetensors"

# The base model.
VOCAB, HIDDEN, HEADS, KV_HEADS, HEAD_DIM, FFN = 12, 8, 2, 1, 4, 16

# GGUF metadata value types (ggml/docs/gguf.md).
U8, I8, U16, I16, U32, I32, F32, BOOL, STRING, ARRAY, U64, I64, F64 = range(13)
GGML_F32, GGML_Q4_0, GGML_I32 = 0, 2, 26
ALIGN = 32


# ---------------------------------------------------------------------------------------------
# The valid base model
# ---------------------------------------------------------------------------------------------

def read_fixture():
    """The fixture's tensors as float32 arrays, parsing the safetensors header by hand."""
    raw = FIXTURE.read_bytes()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + n])
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        assert info["dtype"] == "F32", (name, info["dtype"])
        b, e = info["data_offsets"]
        out[name] = np.frombuffer(raw[8 + n + b:8 + n + e], dtype="<f4").reshape(info["shape"])
    return out


def hf_tensors():
    """name -> float32 array of the small model, in HF naming and row-major shapes: the leading
    corner of the same tensor in the fixture (whose names are the same)."""
    fx = read_fixture()
    qd, kvd = HEADS * HEAD_DIM, KV_HEADS * HEAD_DIM
    L = "model.layers.0."
    shapes = {
        "model.embed_tokens.weight": (VOCAB, HIDDEN),
        L + "self_attn.q_proj.weight": (qd, HIDDEN),
        L + "self_attn.k_proj.weight": (kvd, HIDDEN),
        L + "self_attn.v_proj.weight": (kvd, HIDDEN),
        L + "self_attn.o_proj.weight": (HIDDEN, qd),
        L + "self_attn.q_norm.weight": (HEAD_DIM,),
        L + "self_attn.k_norm.weight": (HEAD_DIM,),
        L + "post_attention_layernorm.weight": (HIDDEN,),
        L + "mlp.gate_proj.weight": (FFN, HIDDEN),
        L + "mlp.up_proj.weight": (FFN, HIDDEN),
        L + "mlp.down_proj.weight": (HIDDEN, FFN),
        L + "post_feedforward_layernorm.weight": (HIDDEN,),
        "model.norm.weight": (HIDDEN,),
    }
    return {name: np.ascontiguousarray(fx[name][tuple(slice(0, n) for n in shape)], dtype="<f4")
            for name, shape in shapes.items()}


GGUF_NAMES = {  # HF name -> GGUF name (src/model/exaone4.cpp)
    "model.embed_tokens.weight": "token_embd.weight",
    "model.norm.weight": "output_norm.weight",
    "model.layers.0.self_attn.q_proj.weight": "blk.0.attn_q.weight",
    "model.layers.0.self_attn.k_proj.weight": "blk.0.attn_k.weight",
    "model.layers.0.self_attn.v_proj.weight": "blk.0.attn_v.weight",
    "model.layers.0.self_attn.o_proj.weight": "blk.0.attn_output.weight",
    "model.layers.0.self_attn.q_norm.weight": "blk.0.attn_q_norm.weight",
    "model.layers.0.self_attn.k_norm.weight": "blk.0.attn_k_norm.weight",
    "model.layers.0.post_attention_layernorm.weight": "blk.0.post_attention_norm.weight",
    "model.layers.0.post_feedforward_layernorm.weight": "blk.0.post_ffw_norm.weight",
    "model.layers.0.mlp.gate_proj.weight": "blk.0.ffn_gate.weight",
    "model.layers.0.mlp.up_proj.weight": "blk.0.ffn_up.weight",
    "model.layers.0.mlp.down_proj.weight": "blk.0.ffn_down.weight",
}


def base_config():
    return {
        "architectures": ["Exaone4ForCausalLM"],
        "model_type": "exaone4",
        "vocab_size": VOCAB,
        "hidden_size": HIDDEN,
        "num_hidden_layers": 1,
        "num_attention_heads": HEADS,
        "num_key_value_heads": KV_HEADS,
        "head_dim": HEAD_DIM,
        "intermediate_size": FFN,
        "max_position_embeddings": 64,
        "rms_norm_eps": 1e-05,
        "hidden_act": "silu",
        "rope_theta": 10000.0,
        "sliding_window": None,
        "sliding_window_pattern": None,
        "layer_types": ["full_attention"],
        "tie_word_embeddings": True,
        "bos_token_id": 1,
        "eos_token_id": 2,
        "pad_token_id": 0,
    }


# ---------------------------------------------------------------------------------------------
# GGUF, by hand
# ---------------------------------------------------------------------------------------------

def gstr(s):
    b = s if isinstance(s, bytes) else s.encode()
    return struct.pack("<Q", len(b)) + b


SCALAR_FMT = {U8: "<B", I8: "<b", U16: "<H", I16: "<h", U32: "<I", I32: "<i", F32: "<f",
              BOOL: "<B", U64: "<Q", I64: "<q", F64: "<d"}


def gval(t, v):
    """Encoded value (without its type) of metadata type t."""
    if t == STRING:
        return gstr(v)
    if t == ARRAY:
        elem, items = v
        return struct.pack("<IQ", elem, len(items)) + b"".join(gval(elem, x) for x in items)
    return struct.pack(SCALAR_FMT[t], v)


class KV:
    """One metadata entry; `raw` (type + value bytes) may be set directly to break the value."""

    def __init__(self, key, t, v):
        self.key = key if isinstance(key, bytes) else key.encode()
        self.raw = struct.pack("<I", t) + gval(t, v)

    def encode(self):
        return gstr(self.key) + self.raw


class Tensor:
    def __init__(self, name, ne, ggml_type, data):
        self.name = name if isinstance(name, bytes) else name.encode()
        self.ne = list(ne)  # GGML order: innermost first
        self.type = ggml_type
        self.data = data
        self.offset = None  # set by Gguf.layout()

    def encode(self):
        return (gstr(self.name) + struct.pack("<I", len(self.ne)) +
                b"".join(struct.pack("<Q", n) for n in self.ne) +
                struct.pack("<IQ", self.type, self.offset))


class Gguf:
    def __init__(self):
        self.magic = b"GGUF"
        self.version = 3
        self.kvs = []
        self.tensors = []
        self.n_tensors = None  # override of the header's counts
        self.n_kv = None
        self.data_size = 0

    def kv(self, key):
        return next(k for k in self.kvs if k.key == key.encode())

    def tensor(self, name):
        return next(t for t in self.tensors if t.name == name.encode())

    def drop_kv(self, key):
        self.kvs.remove(self.kv(key))

    def set_kv(self, key, t, v):
        self.kv(key).raw = KV(key, t, v).raw

    def layout(self):
        """Places the tensors one after the other, each at a multiple of ALIGN."""
        off = 0
        for t in self.tensors:
            t.offset = off
            off += (len(t.data) + ALIGN - 1) // ALIGN * ALIGN
        self.data_size = off

    def build(self):
        """The image and the offsets where its sections start: (bytes, marks)."""
        if self.tensors and self.tensors[0].offset is None:
            self.layout()
        n_t = len(self.tensors) if self.n_tensors is None else self.n_tensors
        n_kv = len(self.kvs) if self.n_kv is None else self.n_kv
        out = bytearray(self.magic + struct.pack("<IQQ", self.version, n_t, n_kv))
        marks = {"kv": len(out), "kv_items": []}
        for k in self.kvs:
            marks["kv_items"].append(len(out))
            out += k.encode()
        marks["info"] = len(out)
        marks["info_items"] = []
        for t in self.tensors:
            marks["info_items"].append(len(out))
            out += t.encode()
        marks["info_end"] = len(out)
        out += b"\0" * (-len(out) % ALIGN)
        marks["data"] = len(out)
        data = bytearray(self.data_size)
        for t in self.tensors:  # tensors placed out of range are simply not written
            if t.offset + len(t.data) <= len(data):
                data[t.offset:t.offset + len(t.data)] = t.data
        out += data
        return bytes(out), marks


def base_gguf():
    g = Gguf()
    a = "exaone4."
    g.kvs = [
        KV("general.architecture", STRING, "exaone4"),
        KV("general.name", STRING, "bad-files base"),
        KV("general.file_type", U32, 0),
        KV(a + "vocab_size", U32, VOCAB),
        KV(a + "context_length", U32, 64),
        KV(a + "embedding_length", U32, HIDDEN),
        KV(a + "block_count", U32, 1),
        KV(a + "feed_forward_length", U32, FFN),
        KV(a + "attention.head_count", U32, HEADS),
        KV(a + "attention.head_count_kv", U32, KV_HEADS),
        KV(a + "attention.key_length", U32, HEAD_DIM),
        KV(a + "attention.value_length", U32, HEAD_DIM),
        KV(a + "attention.layer_norm_rms_epsilon", F32, 1e-5),
        KV(a + "rope.freq_base", F32, 10000.0),
        KV(a + "rope.dimension_count", U32, HEAD_DIM),
        KV("tokenizer.ggml.tokens", ARRAY, (STRING, [f"t{i}" for i in range(VOCAB)])),
    ]
    for hf, arr in hf_tensors().items():
        g.tensors.append(Tensor(GGUF_NAMES[hf], arr.shape[::-1], GGML_F32, arr.tobytes()))
    return g


# ---------------------------------------------------------------------------------------------
# safetensors and HF folders
# ---------------------------------------------------------------------------------------------

def st_header(tensors):
    """(header dict, data bytes) for name -> array, laid out in name order like safetensors."""
    header = {"__metadata__": {"format": "pt"}}
    data = bytearray()
    for name in sorted(tensors):
        a = tensors[name]
        header[name] = {"dtype": "F32", "shape": list(a.shape),
                        "data_offsets": [len(data), len(data) + a.nbytes]}
        data += a.tobytes()
    return header, bytes(data)


def st_image(header, data, length=None):
    """A safetensors file: the header (a dict, or raw text/bytes) padded to 8 like the reference
    writer, then the data. `length` overrides the header length field."""
    if isinstance(header, dict):
        header = json.dumps(header, separators=(",", ":"))
    if isinstance(header, str):
        header = header.encode()
    header += b" " * (-len(header) % 8)
    n = len(header) if length is None else length
    return struct.pack("<Q", n) + header + data


def write_config(folder, config):
    text = config if isinstance(config, str) else json.dumps(config, indent=2)
    (folder / "config.json").write_text(text)


def hf_folder(folder, config=None, st=None):
    """Writes a single-file HF folder; `st` is the model.safetensors image (default: valid)."""
    folder.mkdir(parents=True)
    write_config(folder, base_config() if config is None else config)
    if st is None:
        st = st_image(*st_header(hf_tensors()))
    (folder / "model.safetensors").write_bytes(st)


SHARDS = ("model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors")


def sharded_folder(folder, weight_map_edit=None, shard_edit=None):
    """Writes a two-shard HF folder: embeddings and final norm in shard 1, the layer in shard 2.
    weight_map_edit(weight_map) and shard_edit(index, tensors) may break it."""
    folder.mkdir(parents=True)
    write_config(folder, base_config())
    tensors = hf_tensors()
    parts = [{k: v for k, v in tensors.items() if not k.startswith("model.layers.")},
             {k: v for k, v in tensors.items() if k.startswith("model.layers.")}]
    # The index describes the intended layout; shard_edit then changes what a shard holds.
    weight_map = dict(sorted((name, SHARDS[i]) for i, part in enumerate(parts) for name in part))
    for i, part in enumerate(parts):
        if shard_edit:
            shard_edit(i, part)
        (folder / SHARDS[i]).write_bytes(st_image(*st_header(part)))
    if weight_map_edit:
        weight_map_edit(weight_map)
    total = sum(a.nbytes for a in tensors.values())
    index = {"metadata": {"total_size": total}, "weight_map": weight_map}
    (folder / "model.safetensors.index.json").write_text(json.dumps(index, indent=2))


def write_valid(out):
    """The unbroken bases, for checking that each case fails only for what it breaks."""
    out.mkdir(parents=True, exist_ok=True)
    (out / "valid.gguf").write_bytes(base_gguf().build()[0])
    for sub in ("valid_hf", "valid_sharded"):
        if (out / sub).exists():
            shutil.rmtree(out / sub)
    hf_folder(out / "valid_hf")
    sharded_folder(out / "valid_sharded")
