"""`exaone convert` against the reference GGUF package (gguf-py, llama.cpp's own): its reader sees
the metadata and tensor data we meant, its name map agrees with ours, files it writes load in our
engine, and the GGUF we write gives the same logits as the HF folder it came from."""
import json
import math

import gguf
import numpy as np
import pytest

from conftest import FIXTURES, MODELS, SHARED, logits, read_safetensors, reference, run

ARCH = {"exaone": gguf.MODEL_ARCH.EXAONE, "exaone4": gguf.MODEL_ARCH.EXAONE4,
        "llama": gguf.MODEL_ARCH.LLAMA}


def config_of(name):
    return json.loads((FIXTURES / "models" / name / "config.json").read_text())


def field(reader, key):
    f = reader.get_field(key)
    assert f is not None, f"{key} missing"
    return f.contents()


def llama_permute(w, n_head):
    # ref: convert_hf_to_gguf.py LlamaModel.permute
    return (w.reshape(n_head, 2, w.shape[0] // n_head // 2, *w.shape[1:])
            .swapaxes(1, 2).reshape(w.shape))


def llama3_factors(theta, dim, rope):
    # ref: conversion/exaone.py generate_extra_tensors (float64 Python arithmetic, stored f32)
    freqs = 1.0 / (theta ** (np.arange(0, dim, 2, dtype=np.float32) / dim))
    lo = rope["original_max_position_embeddings"] / rope["low_freq_factor"]
    hi = rope["original_max_position_embeddings"] / rope["high_freq_factor"]
    out = []
    for f in freqs:
        wl = 2 * math.pi / f
        if wl < hi:
            out.append(1)
        elif wl > lo:
            out.append(rope["factor"])
        else:
            s = (rope["original_max_position_embeddings"] / wl - rope["low_freq_factor"]) / (
                rope["high_freq_factor"] - rope["low_freq_factor"])
            out.append(1 / ((1 - s) / rope["factor"] + s))
    return np.array(out, dtype=np.float32)


def convert(name, tmp_path, typ):
    out = tmp_path / f"{name}.{typ}.gguf"
    run("convert", FIXTURES / "models" / name, out, "--type", typ, "--quiet")
    return out


@pytest.mark.parametrize("name", MODELS)
@pytest.mark.parametrize("typ", ["f32", "f16", "bf16"])
def test_gguf_package_reads_what_we_wrote(name, typ, tmp_path):
    cfg = config_of(name)
    arch = cfg["model_type"]
    path = convert(name, tmp_path, typ)
    reader = gguf.GGUFReader(path)

    n_layers = cfg.get("num_hidden_layers", cfg.get("num_layers"))
    head_dim = cfg.get("head_dim", cfg["hidden_size"] // cfg["num_attention_heads"])
    assert field(reader, "general.architecture") == arch
    assert field(reader, f"{arch}.block_count") == n_layers
    assert field(reader, f"{arch}.embedding_length") == cfg["hidden_size"]
    assert field(reader, f"{arch}.feed_forward_length") == cfg["intermediate_size"]
    assert field(reader, f"{arch}.attention.head_count") == cfg["num_attention_heads"]
    assert field(reader, f"{arch}.attention.head_count_kv") == cfg["num_key_value_heads"]
    assert field(reader, f"{arch}.attention.key_length") == head_dim
    assert field(reader, f"{arch}.context_length") == cfg["max_position_embeddings"]
    eps = cfg.get("rms_norm_eps", cfg.get("layer_norm_epsilon"))
    assert field(reader, f"{arch}.attention.layer_norm_rms_epsilon") == pytest.approx(eps)
    rope = cfg.get("rope_parameters") or cfg.get("rope_scaling") or {}
    theta = rope.get("rope_theta", cfg.get("rope_theta"))
    assert field(reader, f"{arch}.rope.freq_base") == pytest.approx(theta)
    if cfg.get("sliding_window"):
        assert field(reader, f"{arch}.attention.sliding_window") == cfg["sliding_window"]
        pattern = [t == "sliding_attention" for t in cfg["layer_types"]]
        assert list(field(reader, f"{arch}.attention.sliding_window_pattern")) == pattern
    else:
        assert reader.get_field(f"{arch}.attention.sliding_window") is None

    # Tensor names: gguf-py's own HF -> GGUF map must give exactly the names we wrote, and
    # each tensor's data must be the checkpoint's (permuted for llama q/k, as llama.cpp does).
    hf, _ = read_safetensors(FIXTURES / "models" / name)
    name_map = gguf.get_tensor_name_map(ARCH[arch], n_layers)
    expected = {}
    for hf_name, w in hf.items():
        gname = name_map.get_name(hf_name, try_suffixes=(".weight",))
        assert gname is not None, hf_name
        if arch == "llama" and gname.endswith("attn_q.weight"):
            w = llama_permute(w, cfg["num_attention_heads"])
        if arch == "llama" and gname.endswith("attn_k.weight"):
            w = llama_permute(w, cfg["num_key_value_heads"])
        expected[gname] = w
    if rope.get("rope_type") == "llama3":
        expected["rope_freqs.weight"] = llama3_factors(theta, head_dim, rope)
    got = {t.name: t for t in reader.tensors}
    assert set(got) == set(expected)
    for gname, want in expected.items():
        t = got[gname]
        assert list(reversed([int(x) for x in t.shape])) == list(want.shape), gname
        data = np.asarray(t.data)
        if t.tensor_type == gguf.GGMLQuantizationType.BF16:
            data = (data.view(np.uint16).astype(np.uint32) << 16).view(np.float32)
        data = data.astype(np.float32).reshape(want.shape)
        if gname == "rope_freqs.weight":
            np.testing.assert_allclose(data, want, rtol=1e-6)
            continue
        if want.ndim == 1 or typ == "f32":
            assert t.tensor_type == gguf.GGMLQuantizationType.F32, gname
            np.testing.assert_array_equal(data, want, err_msg=gname)
        elif typ == "f16":
            assert t.tensor_type == gguf.GGMLQuantizationType.F16
            np.testing.assert_array_equal(data, want.astype(np.float16).astype(np.float32))
        else:
            assert t.tensor_type == gguf.GGMLQuantizationType.BF16
            # numpy has no bfloat16: round to nearest even by hand.
            bits = want.astype(np.float32).view(np.uint32).astype(np.uint64)
            rounded = ((bits + 0x7FFF + ((bits >> 16) & 1)) >> 16 << 16).astype(np.uint32)
            np.testing.assert_array_equal(data, rounded.view(np.float32), err_msg=gname)


@pytest.mark.parametrize("name", MODELS)
def test_gguf_and_hf_folder_give_identical_logits(name, tmp_path):
    meta, ref = reference(name)
    typ = "bf16" if meta["checkpoint_dtype"] == "bfloat16" else "f32"
    path = convert(name, tmp_path, typ)
    for decode in (False, True):
        from_hf = logits(FIXTURES / "models" / name, meta["ids"], tmp_path, decode)
        from_gguf = logits(path, meta["ids"], tmp_path, decode)
        np.testing.assert_array_equal(from_gguf, from_hf)
        assert np.abs(from_gguf - ref).max() <= 1e-4


@pytest.mark.parametrize("name", ["exaone4_hybrid", "llama_tiny"])
def test_f16_conversion_stays_close(name, tmp_path):
    meta, ref = reference(name)
    got = logits(convert(name, tmp_path, "f16"), meta["ids"], tmp_path)
    assert np.abs(got - ref).max() < 2e-2


@pytest.mark.parametrize("name", ["exaone4_hybrid", "exaone3_tiny", "llama_tiny"])
def test_reads_gguf_written_by_the_gguf_package(name, tmp_path):
    """A file written by gguf-py's GGUFWriter (not by us) loads and computes the reference."""
    cfg = config_of(name)
    arch = cfg["model_type"]
    n_layers = cfg.get("num_hidden_layers", cfg.get("num_layers"))
    head_dim = cfg.get("head_dim", cfg["hidden_size"] // cfg["num_attention_heads"])
    rope = cfg.get("rope_parameters") or cfg.get("rope_scaling") or {}
    theta = rope.get("rope_theta", cfg.get("rope_theta"))
    path = tmp_path / "ref.gguf"
    w = gguf.GGUFWriter(path, arch)
    w.add_block_count(n_layers)
    w.add_context_length(cfg["max_position_embeddings"])
    w.add_embedding_length(cfg["hidden_size"])
    w.add_feed_forward_length(cfg["intermediate_size"])
    w.add_head_count(cfg["num_attention_heads"])
    w.add_head_count_kv(cfg["num_key_value_heads"])
    w.add_key_length(head_dim)
    w.add_value_length(head_dim)
    w.add_layer_norm_rms_eps(cfg.get("rms_norm_eps", cfg.get("layer_norm_epsilon")))
    w.add_rope_freq_base(theta)
    w.add_vocab_size(cfg["vocab_size"])
    if cfg.get("sliding_window"):
        w.add_sliding_window(cfg["sliding_window"])
        w.add_sliding_window_pattern([t == "sliding_attention" for t in cfg["layer_types"]])
    hf, _ = read_safetensors(FIXTURES / "models" / name)
    name_map = gguf.get_tensor_name_map(ARCH[arch], n_layers)
    for hf_name, t in sorted(hf.items()):
        gname = name_map.get_name(hf_name, try_suffixes=(".weight",))
        if arch == "llama" and gname.endswith("attn_q.weight"):
            t = llama_permute(t, cfg["num_attention_heads"])
        if arch == "llama" and gname.endswith("attn_k.weight"):
            t = llama_permute(t, cfg["num_key_value_heads"])
        w.add_tensor(gname, np.ascontiguousarray(t, dtype=np.float32))
    if rope.get("rope_type") == "llama3":
        w.add_tensor("rope_freqs.weight", llama3_factors(theta, head_dim, rope))
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()
    meta, ref = reference(name)
    assert np.abs(logits(path, meta["ids"], tmp_path) - ref).max() <= 1e-4


def test_tokenizer_is_included(tmp_path):
    tok = SHARED / "exaone" / "tokenizer"
    if not (tok / "exaone-3.5" / "vocab.json").exists():
        pytest.skip("shared EXAONE tokenizer files not present")
    folder = tmp_path / "model"
    folder.mkdir()
    for f in (FIXTURES / "models" / "exaone4_global_tied").iterdir():
        (folder / f.name).write_bytes(f.read_bytes())
    for f in ("vocab.json", "merges.txt"):
        (folder / f).write_bytes((tok / "exaone-3.5" / f).read_bytes())
    (folder / "tokenizer_config.json").write_bytes(
        (tok / "exaone-4.0-tokenizer_config.json").read_bytes())
    (folder / "chat_template.jinja").write_bytes(
        (SHARED / "exaone" / "templates" / "exaone-4.0.jinja").read_bytes())
    out = tmp_path / "m.gguf"
    r = run("convert", folder, out, "--type", "f32", "--quiet")
    assert "tokenizer included" in r.stdout
    reader = gguf.GGUFReader(out)
    tokens = reader.get_field("tokenizer.ggml.tokens").contents()
    types = reader.get_field("tokenizer.ggml.token_type").contents()
    merges = reader.get_field("tokenizer.ggml.merges").contents()
    vocab = json.loads((tok / "exaone-3.5" / "vocab.json").read_text())
    assert len(tokens) == 102400
    assert tokens[1000] == next(t for t, i in vocab.items() if i == 1000)
    assert tokens[356] == "<think>" and types[356] == gguf.TokenType.USER_DEFINED
    assert tokens[360] == "[|user|]" and types[360] == gguf.TokenType.CONTROL
    assert tokens[31] == "    " and types[31] == gguf.TokenType.USER_DEFINED
    merges_txt = (tok / "exaone-3.5" / "merges.txt").read_text().splitlines()[1:]
    assert merges == [m for m in merges_txt if m]
    assert reader.get_field("tokenizer.ggml.model").contents() == "gpt2"
    assert reader.get_field("tokenizer.ggml.pre").contents() == "exaone4"
    assert reader.get_field("tokenizer.ggml.eos_token_id").contents() == 361
    assert reader.get_field("tokenizer.chat_template").contents() == (
        SHARED / "exaone" / "templates" / "exaone-4.0.jinja").read_text()


def test_convert_rejects_a_gguf_input(tmp_path):
    path = convert("exaone4_hybrid", tmp_path, "f32")
    r = run("convert", path, tmp_path / "again.gguf", check=False)
    assert r.returncode != 0 and "Hugging Face folder" in r.stderr
    assert not (tmp_path / "again.gguf").exists()
