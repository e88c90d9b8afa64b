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


def resident_ratio(model, *flags):
    out = run("inspect", model, "--load", "--no-tensors", "--no-metadata", *flags).stdout
    m = re.search(r"resident after load: .* \(([\d.]+)% of file size\)", out)
    assert m, out
    print(out.splitlines()[-1])
    return float(m.group(1)) / 100


@pytest.mark.skipif(os.environ.get("EXAONE_SANITIZED") == "1",
                    reason="ASan's shadow memory and quarantine inflate resident memory")
def test_resident_memory_stays_within_file_size(tmp_path):
    size = write_bf16_model(tmp_path / "m")
    assert size > 80 << 20  # large enough that the process's own few MiB do not dominate
    gguf = tmp_path / "m.gguf"
    run("convert", tmp_path / "m", gguf, "--type", "bf16", "--quiet")
    # Mapped, read into huge-page memory, and the default choice between the two: the copy
    # replaces the mapping, it never comes on top of it.
    for flags in [["--mmap"], ["--no-mmap"], []]:
        assert resident_ratio(tmp_path / "m", *flags) <= 1.10
        assert resident_ratio(gguf, *flags) <= 1.10


def test_mapped_and_loaded_weights_compute_the_same(tmp_path):
    write_bf16_model(tmp_path / "m", hidden=256, layers=2, vocab=4096, ffn=512)
    gguf = tmp_path / "m.gguf"
    run("convert", tmp_path / "m", gguf, "--type", "bf16", "--quiet")
    ids = "1,2,3,4,5,6,7"
    out = {}
    for model in [tmp_path / "m", gguf]:
        for flag in ["--mmap", "--no-mmap"]:
            path = tmp_path / f"{model.name}{flag}.bin"
            run("logits", model, "--ids", ids, "--out", path, flag)
            out[(model.name, flag)] = path.read_bytes()
    assert len(set(out.values())) == 1
    r = run("logits", gguf, "--ids", ids, "--out", tmp_path / "x.bin", "--mmap", "--no-mmap",
            check=False)
    assert r.returncode != 0 and "--mmap and --no-mmap" in r.stderr


@pytest.mark.parametrize("typ", ["Q4_0", "Q8_0"])
def test_weights_rewritten_in_place_compute_the_same(tmp_path, typ):
    """Q4_0 and Q8_0 matrices read into memory are rewritten in place into the kernels' 8-row
    interleaved layout (on AVX2 CPUs): no extra memory, and the logits of the mapped file (file
    layout) within float summation-order differences."""
    write_bf16_model(tmp_path / "m", hidden=256, layers=2, vocab=4096, ffn=512)
    bf16 = tmp_path / "m.gguf"
    run("convert", tmp_path / "m", bf16, "--type", "bf16", "--quiet")
    q = tmp_path / f"m-{typ}.gguf"
    run("quantize", bf16, q, "--type", typ, "--threads", "2")
    counts = {}
    for flag in ["--mmap", "--no-mmap"]:
        out = run("inspect", q, "--load", "--no-tensors", "--no-metadata", flag).stdout
        m = re.search(r"rewritten in place: +(\d+) of (\d+) matrices", out)
        assert m, out
        counts[flag] = (int(m.group(1)), int(m.group(2)))
    assert counts["--mmap"][0] == 0
    cpu = open("/proc/cpuinfo").read() if os.path.exists("/proc/cpuinfo") else ""
    avx2_only = " avx2" in cpu and " avx512f" not in cpu
    if avx2_only and os.environ.get("EXAONE_SIMD", "") in ("", "avx2"):
        # The 14 layer matrices (2 layers x q, k, v, o, gate, up, down) at least.
        assert counts["--no-mmap"][0] >= 14, counts
    ids = "1,2,3,4,5,6,7,300,4000"
    logits = {}
    for flag in ["--mmap", "--no-mmap"]:
        path = tmp_path / f"{flag}.bin"
        run("logits", q, "--ids", ids, "--out", path, flag)
        logits[flag] = np.fromfile(path, dtype=np.float32).reshape(9, -1)
    a, b = logits["--mmap"], logits["--no-mmap"]
    assert np.abs(a - b).max() <= 1e-3 * np.abs(a).max(), np.abs(a - b).max()
    assert (a.argmax(axis=1) == b.argmax(axis=1)).all()
