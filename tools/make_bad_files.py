#!/usr/bin/env python3
"""Writes the corpus of broken model files that tests/integration/test_bad_files.py feeds to
`exaone inspect`.

Usage: tools/make_bad_files.py [OUT_DIR]          (default: tests/bad_files)
       tools/make_bad_files.py --valid OUT_DIR    (only the valid bases, as a control)

Needs Python 3 and numpy only. Every entry starts from one small but complete EXAONE 4.0 model
(vocab 12, hidden 8, 1 layer, 2 heads / 1 KV head of dim 4, FFN 16, tied embeddings), whose
weights are slices of tests/fixtures/models/exaone4_global_tied, and breaks exactly one thing.
The GGUF images are assembled by hand with struct (not with the gguf package) so that any field
can be made wrong. Each entry is either NAME.gguf or a Hugging Face folder NAME/ (config.json +
model.safetensors, or an index and shards).

MANIFEST.json maps each entry name to a substring that the error message must contain, taken
from the messages in src/ (io/gguf_read.cpp, io/safetensors.cpp, io/json.cpp, model/...), so the
test checks that a file is rejected for the reason it was built to exercise.
"""
import json
import shutil
import struct
import sys
from pathlib import Path

from bad_files_model import (ALIGN, ARRAY, BOOL, FFN, GGML_I32, GGML_Q4_0, HIDDEN, KV, ROOT,
                             SHARDS, STRING, U32, U64, U8, VOCAB, base_config, base_gguf, gstr,
                             hf_folder, hf_tensors, sharded_folder, st_header, st_image,
                             write_config, write_valid)

# ---------------------------------------------------------------------------------------------
# The cases
# ---------------------------------------------------------------------------------------------

CASES = []  # (entry name, expected substring, writer(path))


def case(name, expect):
    def register(fn):
        CASES.append((name, expect, fn))
        return fn
    return register


def gguf_case(name, expect):
    """A case whose writer edits a fresh base Gguf; it may return bytes to write instead."""
    def register(edit):
        def write(path):
            g = base_gguf()
            image = edit(g)
            if image is None:
                image, _ = g.build()
            path.write_bytes(image)
        CASES.append((name + ".gguf", expect, write))
        return edit
    return register


def st_case(name, expect):
    """A single-file HF folder whose safetensors header dict (and data) an edit breaks. The edit
    may return a complete safetensors image (bytes) instead."""
    def register(edit):
        def write(path):
            header, data = st_header(hf_tensors())
            image = edit(header, data)
            hf_folder(path, st=image if isinstance(image, bytes) else st_image(header, data))
        CASES.append((name, expect, write))
        return edit
    return register


def cfg_case(name, expect):
    """A single-file HF folder whose config.json an edit breaks (returning text, or None)."""
    def register(edit):
        def write(path):
            config = base_config()
            text = edit(config)
            hf_folder(path, config=config if text is None else text)
        CASES.append((name, expect, write))
        return edit
    return register


# --- GGUF: the container ---

@case("gguf_empty.gguf", "truncated: magic needs 4 bytes")
def _(path):
    path.write_bytes(b"")


@gguf_case("gguf_bad_magic", "bad magic")
def _(g):
    g.magic = b"GGML"


@gguf_case("gguf_version_1", "unsupported GGUF version 1 ")
def _(g):
    g.version = 1


@gguf_case("gguf_version_99", "unsupported GGUF version 99 ")
def _(g):
    g.version = 99


@gguf_case("gguf_truncated_header", "truncated: metadata count needs 8 bytes")
def _(g):
    return g.build()[0][:20]  # magic, version, tensor count and half the metadata count


@gguf_case("gguf_truncated_kv", "truncated: metadata key needs")
def _(g):
    image, m = g.build()
    cut = m["kv_items"][-1] + 12  # inside the last key
    # Keep enough bytes that the up-front count checks pass and the key read is what fails.
    assert cut - 24 >= 33 * len(g.tensors) and cut - 24 >= 14 * len(g.kvs)
    return image[:cut]


@gguf_case("gguf_truncated_value", "truncated: string value needs")
def _(g):
    image, m = g.build()
    cut = m["info"] - 1  # inside the last string of tokenizer.ggml.tokens, the last key
    assert cut - 24 >= 33 * len(g.tensors) and cut - 24 >= 14 * len(g.kvs)
    return image[:cut]


@gguf_case("gguf_truncated_tensor_info", "truncated: tensor offset needs 8 bytes")
def _(g):
    image, m = g.build()
    return image[:m["info_end"] - 3]  # inside the last tensor's offset


@gguf_case("gguf_truncated_before_data", "truncated: no data section after the tensor infos")
def _(g):
    image, m = g.build()
    assert m["info_end"] % ALIGN != 0
    return image[:m["info_end"]]


@gguf_case("gguf_truncated_data", "runs past the end of the data section")
def _(g):
    image, m = g.build()
    return image[:len(image) - 100]


@gguf_case("gguf_absurd_tensor_count", "tensor count 1099511627776 cannot fit in the file")
def _(g):
    g.n_tensors = 1 << 40


@gguf_case("gguf_absurd_kv_count", "metadata count 1099511627776 cannot fit in the file")
def _(g):
    g.n_kv = 1 << 40


@gguf_case("gguf_tensor_count_one_too_many", "tensor name is empty")
def _(g):
    # Plausible, but the infos end there: the 14th name is read from the zero padding.
    g.n_tensors = len(g.tensors) + 1


@gguf_case("gguf_absurd_key_length", "metadata key length 1099511627776 is absurd")
def _(g):
    image, m = g.build()
    at = m["kv_items"][3]
    return image[:at] + struct.pack("<Q", 1 << 40) + image[at + 8:]


@gguf_case("gguf_absurd_string_length", "string value length 1099511627776 is absurd")
def _(g):
    g.kv("general.name").raw = struct.pack("<IQ", STRING, 1 << 40) + b"bad-files base"


@gguf_case("gguf_string_past_end", "truncated: string value needs 1048576 bytes")
def _(g):
    g.kv("general.name").raw = struct.pack("<IQ", STRING, 1 << 20) + b"bad-files base"


@gguf_case("gguf_absurd_array_length",
           "key 'tokenizer.ggml.tokens': array of 1099511627776 elements cannot fit")
def _(g):
    g.kv("tokenizer.ggml.tokens").raw = struct.pack("<IIQ", ARRAY, STRING, 1 << 40) + gstr("t0")


@gguf_case("gguf_array_nested_too_deep", "arrays nested too deeply")
def _(g):
    raw = struct.pack("<IQ", U8, 0)  # the innermost array: empty u8[]
    for _ in range(63):
        raw = struct.pack("<IQ", ARRAY, 1) + raw
    g.kvs.append(KV("test.nested", U8, 0))
    g.kvs[-1].raw = struct.pack("<I", ARRAY) + raw


@gguf_case("gguf_unknown_value_type", "key 'general.name': unknown value type 13")
def _(g):
    g.kv("general.name").raw = struct.pack("<I", 13) + gstr("bad-files base")


@gguf_case("gguf_unknown_array_type", "unknown array element type 99")
def _(g):
    g.kv("tokenizer.ggml.tokens").raw = struct.pack("<IIQ", ARRAY, 99, 1) + gstr("t0")


@gguf_case("gguf_bool_not_0_or_1", "bool value 2 is not 0 or 1")
def _(g):
    g.kvs.append(KV("test.flag", BOOL, 2))


@gguf_case("gguf_duplicate_key", "duplicate metadata key 'exaone4.block_count'")
def _(g):
    g.kvs.append(KV("exaone4.block_count", U32, 2))


@gguf_case("gguf_newline_in_key", "duplicate metadata key 'evil\\nkey'")
def _(g):
    # The message quotes the key; the newline must not split the one-line error.
    g.kvs.append(KV(b"evil\nkey", U32, 1))
    g.kvs.append(KV(b"evil\nkey", U32, 2))


@gguf_case("gguf_invalid_utf8_key", "metadata key is not valid UTF-8")
def _(g):
    g.kvs.append(KV(b"general.\xc3\x28name", STRING, "x"))


@gguf_case("gguf_empty_key", "metadata key is empty")
def _(g):
    g.kvs.append(KV(b"", U32, 1))


@gguf_case("gguf_alignment_not_power_of_two", "general.alignment 48 is not a power of two")
def _(g):
    g.kvs.append(KV("general.alignment", U32, 48))


@gguf_case("gguf_alignment_zero", "general.alignment 0 is not a power of two")
def _(g):
    g.kvs.append(KV("general.alignment", U32, 0))


@gguf_case("gguf_alignment_wrong_type", "general.alignment must be u32, found u64")
def _(g):
    g.kvs.append(KV("general.alignment", U64, 32))


# --- GGUF: tensor infos ---

@gguf_case("gguf_unknown_tensor_type", "tensor 'blk.0.attn_q.weight': unknown tensor type 99")
def _(g):
    g.tensor("blk.0.attn_q.weight").type = 99


@gguf_case("gguf_removed_tensor_type", "unknown tensor type 4")  # GGML's removed Q4_2
def _(g):
    g.tensor("blk.0.attn_q.weight").type = 4


@gguf_case("gguf_ndims_0", "0 dimensions (must be 1 to 4)")
def _(g):
    g.tensor("output_norm.weight").ne = []


@gguf_case("gguf_ndims_5", "5 dimensions (must be 1 to 4)")
def _(g):
    g.tensor("blk.0.ffn_up.weight").ne = [HIDDEN, FFN, 1, 1, 1]


@gguf_case("gguf_zero_dimension", "tensor 'blk.0.attn_k.weight': dimension 1 is 0")
def _(g):
    g.tensor("blk.0.attn_k.weight").ne = [HIDDEN, 0]


@gguf_case("gguf_element_count_overflow", "element count overflows")
def _(g):
    g.tensor("blk.0.ffn_up.weight").ne = [1 << 32, 1 << 32]


@gguf_case("gguf_byte_size_overflow", "byte size overflows")
def _(g):
    g.tensor("blk.0.ffn_up.weight").ne = [1 << 62]  # fits int64, but 4 bytes each does not


@gguf_case("gguf_partial_block", "is not a whole number of Q4_0 blocks of 32")
def _(g):
    g.tensor("blk.0.ffn_up.weight").type = GGML_Q4_0  # rows of 8 elements


@gguf_case("gguf_invalid_utf8_tensor_name", "tensor name is not valid UTF-8")
def _(g):
    g.tensor("blk.0.ffn_up.weight").name = b"blk.0.ffn_up.\xed\xa0\x80"  # a UTF-16 surrogate


@gguf_case("gguf_duplicate_tensor", "duplicate tensor 'blk.0.attn_k.weight'")
def _(g):
    g.tensor("blk.0.attn_v.weight").name = b"blk.0.attn_k.weight"


@gguf_case("gguf_offset_misaligned", "is not a multiple of the alignment 32")
def _(g):
    g.layout()
    g.tensor("blk.0.attn_k.weight").offset += 4


@gguf_case("gguf_offset_past_end", "tensor 'blk.0.attn_v.weight': data [1048576, ")
def _(g):
    g.layout()
    g.tensor("blk.0.attn_v.weight").offset = 1 << 20  # "... runs past the end"


@gguf_case("gguf_offset_wraps", "runs past the end of the data section")
def _(g):
    g.layout()
    g.tensor("blk.0.attn_v.weight").offset = (1 << 64) - ALIGN  # offset + size wraps around


@gguf_case("gguf_overlapping_tensors", "overlap")
def _(g):
    g.layout()
    g.tensor("blk.0.ffn_up.weight").offset = g.tensor("blk.0.ffn_gate.weight").offset + ALIGN


# --- GGUF: the model on top ---

@gguf_case("gguf_missing_architecture", "metadata 'general.architecture' missing")
def _(g):
    g.drop_kv("general.architecture")


@gguf_case("gguf_architecture_not_string", "metadata 'general.architecture': expected a string")
def _(g):
    g.set_kv("general.architecture", U32, 4)


@gguf_case("gguf_unknown_architecture", "architecture 'mamba' is not supported")
def _(g):
    g.set_kv("general.architecture", STRING, "mamba")


@gguf_case("gguf_missing_block_count", "metadata 'exaone4.block_count': missing")
def _(g):
    g.drop_kv("exaone4.block_count")


@gguf_case("gguf_block_count_string", "metadata 'exaone4.block_count': expected an integer")
def _(g):
    g.set_kv("exaone4.block_count", STRING, "1")


@gguf_case("gguf_missing_tensor", "missing tensor 'blk.0.attn_q.weight'")
def _(g):
    g.tensors.remove(g.tensor("blk.0.attn_q.weight"))


@gguf_case("gguf_embedding_length_mismatch",
           "tensor 'token_embd.weight' has shape [12, 8] but the config implies [12, 16]")
def _(g):
    g.set_kv("exaone4.embedding_length", U32, 16)


@gguf_case("gguf_token_embd_1d", "missing 2-D tensor 'token_embd.weight'")
def _(g):
    g.tensor("token_embd.weight").ne = [HIDDEN * VOCAB]


@gguf_case("gguf_sliding_pattern_length",
           "metadata 'exaone4.attention.sliding_window_pattern': 3 entries for 1 layers")
def _(g):
    g.kvs.append(KV("exaone4.attention.sliding_window", U32, 4))
    g.kvs.append(KV("exaone4.attention.sliding_window_pattern", ARRAY,
                    (BOOL, [1, 1, 0])))


@gguf_case("gguf_integer_weight", "has type I32, which matrix products do not support")
def _(g):
    g.tensor("blk.0.attn_q.weight").type = GGML_I32  # same byte size as F32


# --- safetensors ---

@case("st_too_short", "truncated: 5 bytes, no header length")
def _(path):
    hf_folder(path, st=b"\x10\0\0\0\0")


@st_case("st_header_length_past_end", "truncated: header of")
def _(header, data):
    return st_image(header, data, length=len(st_image(header, data)))


@st_case("st_header_length_absurd", "exceeds the 100 MiB limit")
def _(header, data):
    return st_image(header, data, length=1 << 40)


@st_case("st_header_not_json", "header: invalid JSON at byte")
def _(header, data):
    return st_image("{'model.norm.weight': nope}", data)


@st_case("st_header_not_object", "header is not a JSON object")
def _(header, data):
    return st_image(json.dumps(list(header)), data)


@st_case("st_header_duplicate_tensor", "header: duplicate key \"model.norm.weight\"")
def _(header, data):
    text = json.dumps(header, separators=(",", ":"))
    entry = json.dumps(header["model.norm.weight"], separators=(",", ":"))
    return st_image(text[:-1] + ',"model.norm.weight":' + entry + "}", data)


@st_case("st_metadata_not_string", "__metadata__.format is not a string")
def _(header, data):
    header["__metadata__"]["format"] = 1


@st_case("st_entry_not_object", "tensor entry is not an object")
def _(header, data):
    header["model.norm.weight"] = [0, 32]


@st_case("st_unknown_dtype", "unknown dtype \"F31\"")
def _(header, data):
    header["model.norm.weight"]["dtype"] = "F31"


@st_case("st_unsupported_dtype", "dtype F8_E4M3 is not supported")
def _(header, data):
    e = header["model.norm.weight"]
    e["dtype"] = "F8_E4M3"
    e["shape"] = [4 * HIDDEN]  # byte-for-byte consistent: only the dtype is wrong


@st_case("st_dtype_not_string", ".dtype: expected a string, found an integer")
def _(header, data):
    header["model.norm.weight"]["dtype"] = 0


@st_case("st_missing_shape", "missing required key \"shape\"")
def _(header, data):
    del header["model.norm.weight"]["shape"]


@st_case("st_negative_shape", "negative dimension")
def _(header, data):
    header["model.norm.weight"]["shape"] = [-HIDDEN]


@st_case("st_shape_overflow", "element count overflows")
def _(header, data):
    header["model.norm.weight"]["shape"] = [1 << 62, 1 << 62]


@st_case("st_offsets_past_end", "is past the data section")
def _(header, data):
    e = header["model.norm.weight"]
    e["data_offsets"] = [len(data), len(data) + 4 * HIDDEN]


@st_case("st_offsets_reversed", "begin and end out of order")
def _(header, data):
    e = header["model.norm.weight"]
    e["data_offsets"] = e["data_offsets"][::-1]


@st_case("st_offsets_size_mismatch", "holds 28 bytes but shape and dtype F32 need 32")
def _(header, data):
    header["model.norm.weight"]["data_offsets"][1] -= 4


@st_case("st_overlapping_tensors", "overlap")
def _(header, data):
    a = header["model.layers.0.post_attention_layernorm.weight"]
    header["model.layers.0.post_feedforward_layernorm.weight"]["data_offsets"] = list(
        a["data_offsets"])


@st_case("st_misaligned_f32", "is misaligned for F32")
def _(header, data):
    e = header["model.layers.0.mlp.down_proj.weight"]  # not the last tensor: room to shift
    e["data_offsets"] = [e["data_offsets"][0] + 2, e["data_offsets"][1] + 2]


@st_case("st_number_overflow", "header: invalid JSON: number overflow parsing '1e999'")
def _(header, data):
    text = json.dumps(header, separators=(",", ":"))
    return st_image(text.replace('"data_offsets":[0,', '"data_offsets":[1e999,', 1), data)


@st_case("st_offset_beyond_uint64", ".data_offsets[1]: expected an integer, found a number")
def _(header, data):
    header["model.norm.weight"]["data_offsets"][1] = 1 << 70  # JSON reads it as a double


# --- config.json ---

@cfg_case("cfg_invalid_json", "config.json: invalid JSON at byte")
def _(config):
    return json.dumps(config, indent=2)[:-20]


@cfg_case("cfg_not_object", "config.json: $: expected an object")
def _(config):
    return json.dumps([config])


@cfg_case("cfg_duplicate_key", "duplicate key \"hidden_size\"")
def _(config):
    return json.dumps(config, indent=2)[:-2] + ',\n  "hidden_size": 16\n}'


@cfg_case("cfg_hidden_size_string", "$.hidden_size: expected an integer, found a string")
def _(config):
    config["hidden_size"] = "8"


@cfg_case("cfg_missing_intermediate_size", "missing required key \"intermediate_size\"")
def _(config):
    del config["intermediate_size"]


@cfg_case("cfg_missing_model_type", "missing required key \"model_type\"")
def _(config):
    del config["model_type"]


@cfg_case("cfg_unknown_model_type", "architecture 'bert' is not supported")
def _(config):
    config["model_type"] = "bert"


@cfg_case("cfg_heads_not_dividing",
          "num_attention_heads (4) is not a multiple of num_key_value_heads (3)")
def _(config):
    config["num_attention_heads"] = 4  # kv heads must not exceed heads, or the range check
    config["num_key_value_heads"] = 3  # reports it first


@cfg_case("cfg_number_overflow", "config.json: invalid JSON: number overflow parsing '1e999'")
def _(config):
    return json.dumps(config, indent=2).replace('"rms_norm_eps": 1e-05', '"rms_norm_eps": 1e999')


@cfg_case("cfg_hidden_size_beyond_int64", "$.hidden_size: integer out of range")
def _(config):
    config["hidden_size"] = (1 << 64) - 1


@cfg_case("cfg_hidden_size_zero", "hidden_size = 0 is out of range")
def _(config):
    config["hidden_size"] = 0


@cfg_case("cfg_odd_head_dim", "head_dim 3 must be even for RoPE")
def _(config):
    config["head_dim"] = 3


@cfg_case("cfg_eps_out_of_range", "rms_norm_eps = 2.000000 must be in (0, 1)")
def _(config):
    config["rms_norm_eps"] = 2.0


@cfg_case("cfg_unsupported_activation", "only silu is supported, found \"gelu\"")
def _(config):
    config["hidden_act"] = "gelu"


@cfg_case("cfg_layer_types_length", "$.layer_types: has 2 entries for 1 layers")
def _(config):
    config["layer_types"] = ["full_attention", "full_attention"]


@cfg_case("cfg_unknown_layer_type", "unknown layer type \"mamba_attention\"")
def _(config):
    config["layer_types"] = ["mamba_attention"]


@cfg_case("cfg_sliding_without_window", "sliding layers but sliding_window is null")
def _(config):
    config["layer_types"] = ["sliding_attention"]


@cfg_case("cfg_bad_rope_type", "rope_type \"yarn2\" is not supported")
def _(config):
    config["rope_parameters"] = {"rope_type": "yarn2", "rope_theta": 10000.0}


@cfg_case("cfg_intermediate_size_mismatch",
          "tensor 'model.layers.0.mlp.gate_proj.weight' has shape [16, 8] but the config "
          "implies [24, 8]")
def _(config):
    config["intermediate_size"] = 24


@case("cfg_no_safetensors", "no model.safetensors or model.safetensors.index.json")
def _(path):
    path.mkdir()
    write_config(path, base_config())


# --- sharded folders ---

@case("idx_shard_dotdot", "shard name \"../model-00001-of-00002.safetensors\" is not a plain")
def _(path):
    sharded_folder(path, weight_map_edit=lambda m: m.update(
        {"model.norm.weight": "../" + SHARDS[0]}))


@case("idx_shard_absolute", "shard name \"/etc/hostname\" is not a plain file name")
def _(path):
    sharded_folder(path, weight_map_edit=lambda m: m.update({"model.norm.weight": "/etc/hostname"}))


@case("idx_missing_tensor", "model.layers.0.self_attn.q_proj.weight: tensor is not in")
def _(path):
    def drop(i, part):
        if i == 1:
            del part["model.layers.0.self_attn.q_proj.weight"]
    sharded_folder(path, shard_edit=drop)


@case("idx_missing_shard", "model-00003-of-00003.safetensors: cannot open")
def _(path):
    sharded_folder(path, weight_map_edit=lambda m: m.update(
        {"model.norm.weight": "model-00003-of-00003.safetensors"}))


@case("idx_tensor_in_two_shards",
      "tensor 'model.norm.weight' also appears in another shard")
def _(path):
    def dup(i, part):
        if i == 1:
            part["model.norm.weight"] = hf_tensors()["model.norm.weight"]
    sharded_folder(path, shard_edit=dup)


@case("idx_weight_map_not_object", "$.weight_map: expected an object")
def _(path):
    sharded_folder(path)
    (path / "model.safetensors.index.json").write_text(
        json.dumps({"metadata": {}, "weight_map": list(SHARDS)}))


@case("idx_unlisted_tensor_missing", "missing tensor 'blk.0.attn_q.weight'")
def _(path):
    # The index is consistent with its shards, but the model lacks a weight altogether.
    name = "model.layers.0.self_attn.q_proj.weight"
    sharded_folder(path, weight_map_edit=lambda m: m.pop(name),
                   shard_edit=lambda i, part: part.pop(name, None))


# ---------------------------------------------------------------------------------------------


def main(argv):
    if argv[:1] == ["--valid"]:
        write_valid(Path(argv[1]))
        return 0
    out = Path(argv[0]) if argv else ROOT / "tests" / "bad_files"
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    names = [name for name, _, _ in CASES]
    assert len(names) == len(set(names)), "duplicate case names"
    manifest = {}
    for name, expect, write in CASES:
        write(out / name)
        manifest[name] = expect
    (out / "MANIFEST.json").write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
    total = sum(f.stat().st_size for f in out.rglob("*") if f.is_file())
    print(f"wrote {len(CASES)} entries to {out} ({total} bytes)")
    assert total < 1 << 20, "the corpus must stay under 1 MB"
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
