"""`exaone quantize` against llama-quantize and the gguf package.

tests/fixtures/quant/mixes.json (tools/make_quantize_mix_fixtures.py) holds what llama-quantize
wrote for every target on the fixture models converted to GGUF F32, and on wider synthetic models
(tests/integration/quantize_models.py): each tensor's type, general.file_type and, where the test
can rebuild the input, the error of llama-quantize's values. Here:
- every tensor gets llama-quantize's type, for every mix, --pure, --output-type and
  --token-embedding-type; where llama-quantize gives up on rows that fit no block (rows of 48),
  those tensors are F16;
- the file the gguf package reads back keeps every metadata key and value, with llama-quantize's
  general.file_type and general.quantization_version 2;
- the data: unchanged tensors byte for byte, F16, BF16 and Q8_0 equal to numpy's / the gguf
  package's bytes, and every other type within 2% of llama-quantize's own error, tensor by
  tensor;
- a Hugging Face folder gives the same file as its F32 conversion; F16 from a folder is
  `exaone convert --type f16`;
- bad input gives one error line and leaves no OUT (nor OUT.partial).
"""
import json
import os
import pty
import re
import select
import subprocess

import gguf
import numpy as np
import pytest

from conftest import FIXTURES, exaone_bin, logits, reference, run
from quantize_models import SYNTHETIC, write_synthetic

MIXES = json.loads((FIXTURES / "quant" / "mixes.json").read_text())
EXTRA = MIXES["runs"]
BASE = [r for r in next(iter(MIXES["models"].values()))["runs"] if r not in EXTRA]
# Types whose rounding has one right answer: QuantizeRow writes the bytes of the gguf package's
# quantizer (its numpy port of ggml's reference code). The other types search for scales, so
# only their error is compared.
EXACT = {"BF16", "Q8_0"}
DATA_MODELS = [m for m, v in MIXES["models"].items()
               if "rel_rms" in v["runs"].get("Q8_0", {})]


def our_args(run_name):
    """llama-quantize's arguments for a recorded run -> exaone quantize's."""
    if run_name not in EXTRA:
        return ["--type", run_name]
    args = EXTRA[run_name]
    return ["--type", args[-1], *args[:-1]]


@pytest.fixture(scope="session")
def model_source(tmp_path_factory):
    """name -> (Hugging Face folder, GGUF F32 converted from it), made once per session."""
    cache = {}
    root = tmp_path_factory.mktemp("quantize_models")

    def get(name):
        if name not in cache:
            if name in SYNTHETIC:
                folder = root / name
                digest = write_synthetic(folder, SYNTHETIC[name])
                assert digest == MIXES["synthetic"][name]["safetensors_sha256"], (
                    "the synthetic model differs from the one llama-quantize saw")
            else:
                folder = FIXTURES / "models" / name
            f32 = root / f"{name}.f32.gguf"
            run("convert", folder, f32, "--type", "f32", "--quiet")
            cache[name] = (folder, f32)
        return cache[name]

    return get


def dry_run(src, args):
    """tensor name -> type, from --dry-run's listing."""
    r = run("quantize", src, *args, "--dry-run")
    types = {}
    for line in r.stdout.splitlines()[:-1]:
        parts = line.split()
        types[parts[0]] = parts[parts.index("->") + 1]
    assert r.stdout.splitlines()[-1].startswith("dry run: ")
    return types


def expected_types(model, run_name):
    m = MIXES["models"][model]
    return dict(zip(m["tensors"], m["runs"][run_name]["types"].split()))


@pytest.mark.parametrize("model", sorted(MIXES["models"]))
def test_types_match_llama_quantize(model, model_source):
    _, src = model_source(model)
    reader = gguf.GGUFReader(src)
    width = {t.name: int(t.shape[0]) for t in reader.tensors}
    matrix = {t.name for t in reader.tensors if len(t.shape) > 1}
    wrong = []
    for run_name, rec in MIXES["models"][model]["runs"].items():
        if "error" in rec:
            r = run("quantize", src, *our_args(run_name), "--dry-run", check=False)
            if run_name in EXTRA:
                # An explicit type that does not fit the rows: llama-quantize aborts, we refuse.
                assert r.returncode == 2, (run_name, r.stdout, r.stderr)
                assert len(r.stderr.splitlines()) == 1 and "whole number of" in r.stderr
                continue
            # llama-quantize has no fallback for rows that fit no 32-value block; those are F16.
            assert r.returncode == 0, r.stderr
            got = dry_run(src, our_args(run_name))
            for name, t in got.items():
                if name in matrix and width[name] % 32:
                    assert t == "F16", (run_name, name, t)
            continue
        got = dry_run(src, our_args(run_name))
        want = expected_types(model, run_name)
        assert set(got) == set(want)
        wrong += [f"{run_name} {n}: {got[n]} (llama-quantize: {want[n]})"
                  for n in sorted(want) if got[n] != want[n]]
    assert not wrong, "\n".join(wrong)


def rel_rms(a, b):
    a, b = a.astype(np.float64).ravel(), b.astype(np.float64).ravel()
    return float(np.sqrt(np.mean((a - b) ** 2)) / max(np.sqrt(np.mean(b ** 2)), 1e-30))


def check_metadata(src_reader, out_reader, file_type):
    src = {k: f for k, f in src_reader.fields.items() if not k.startswith("GGUF.")}
    out = {k: f for k, f in out_reader.fields.items() if not k.startswith("GGUF.")}
    assert set(out) == set(src) | {"general.file_type", "general.quantization_version"}
    for key, f in src.items():
        if key in ("general.file_type", "general.quantization_version"):
            continue
        assert out[key].types == f.types, key
        assert out[key].contents() == f.contents(), key
    assert out["general.file_type"].contents() == file_type
    assert out["general.quantization_version"].contents() == 2


@pytest.mark.parametrize("typ", BASE)
@pytest.mark.parametrize("model", DATA_MODELS)
def test_quantized_file(model, typ, model_source, tmp_path):
    rec = MIXES["models"][model]["runs"][typ]
    _, src = model_source(model)
    out = tmp_path / "out.gguf"
    r = run("quantize", src, out, "--type", typ, "--threads", "2")
    assert r.stdout.startswith(f"wrote {out}: ") and r.stdout.count("\n") == 1, r.stdout
    src_reader, out_reader = gguf.GGUFReader(src), gguf.GGUFReader(out)
    check_metadata(src_reader, out_reader, rec["file_type"])

    names = MIXES["models"][model]["tensors"]
    src_t = {t.name: t for t in src_reader.tensors}
    out_t = {t.name: t for t in out_reader.tensors}
    assert [t.name for t in out_reader.tensors] == [t.name for t in src_reader.tensors]
    worse = []
    for i, (name, want) in enumerate(zip(names, rec["types"].split())):
        t = out_t[name]
        assert t.tensor_type.name == want, (name, t.tensor_type.name, want)
        assert list(t.shape) == list(src_t[name].shape), name
        x = np.asarray(src_t[name].data, dtype=np.float32)
        data = np.asarray(t.data)
        if t.tensor_type == src_t[name].tensor_type:
            assert data.tobytes() == np.asarray(src_t[name].data).tobytes(), name
        elif want == "F16":
            assert data.tobytes() == x.astype("<f2").tobytes(), name
        elif want in EXACT:
            ref = gguf.quants.quantize(x, gguf.GGMLQuantizationType[want])
            assert data.tobytes() == ref.tobytes(), f"{name} ({want}) differs from gguf's bytes"
        else:
            err = rel_rms(gguf.quants.dequantize(data, t.tensor_type).reshape(x.shape), x)
            # llama-quantize's searches minimise a weighted error (x^2 or |x| weights without an
            # importance matrix), not this plain one, so it is not a strict lower bound.
            llama_err = rec["rel_rms"][i]
            if err > llama_err * 1.02:
                worse.append(f"{name} ({want}): relative RMS error {err:.5g}, "
                             f"llama-quantize {llama_err:.5g}")
    assert not worse, "\n".join(worse)


@pytest.mark.parametrize("model,typ", [("llama_tiny", "Q8_0"), ("exaone4_hybrid_bf16", "Q4_K_M"),
                                       ("llama_wide2", "Q4_K_M"), ("exaone3_wide2", "Q3_K_S")])
def test_folder_input_equals_its_f32_conversion(model, typ, model_source, tmp_path):
    folder, f32 = model_source(model)
    from_folder, from_gguf = tmp_path / "a.gguf", tmp_path / "b.gguf"
    r = run("quantize", folder, from_folder, "--type", typ, "--threads", "1")
    assert "no tokenizer" in r.stdout
    run("quantize", f32, from_gguf, "--type", typ, "--threads", "2", "--quiet")
    assert from_folder.read_bytes() == from_gguf.read_bytes()


@pytest.mark.parametrize("model", ["exaone4_hybrid_bf16", "llama_tiny"])
def test_f16_from_a_folder_is_convert_f16(model, model_source, tmp_path):
    folder, _ = model_source(model)
    a, b = tmp_path / "quantized.gguf", tmp_path / "converted.gguf"
    run("quantize", folder, a, "--type", "f16")
    run("convert", folder, b, "--type", "f16", "--quiet")
    assert a.read_bytes() == b.read_bytes()


@pytest.mark.parametrize("model", ["exaone3_tiny", "exaone4_hybrid", "llama_tiny"])
def test_q8_0_logits_stay_close(model, model_source, tmp_path):
    meta, ref = reference(model)
    out = tmp_path / "q8.gguf"
    run("quantize", model_source(model)[0], out, "--type", "Q8_0", "--quiet")
    got = logits(out, meta["ids"], tmp_path).astype(np.float64)
    # These random tiny models amplify weight noise: Q8_0 moves their logits by 2.6-3.0% (RMS,
    # relative), Q4_K_M by 13-15%, a broken file by ~100%.
    rel = np.sqrt(np.mean((got - ref) ** 2) / np.mean(ref.astype(np.float64) ** 2))
    assert rel < 0.05, rel
    assert (got.argmax(-1) == ref.argmax(-1)).mean() >= 0.9


def expect_error(args, out, code, fragment):
    r = run("quantize", *args, check=False)
    lines = r.stderr.splitlines()
    assert r.returncode == code, (r.returncode, r.stderr)
    assert len(lines) == 1 and lines[0].startswith("exaone quantize: error: "), r.stderr
    assert fragment in lines[0], lines[0]
    assert r.stdout == ""
    if out is not None:
        assert not os.path.lexists(f"{out}.partial")
    return lines[0]


def test_bad_input_gives_one_line_and_no_output(model_source, tmp_path):
    folder, f32 = model_source("exaone3_tiny")
    out = tmp_path / "out.gguf"
    expect_error([f32, out, "--type", "Q9_9"], out, 2, 'unknown quantization type "Q9_9"')
    expect_error([f32, out, "--type", "Q2_K_S"], out, 2, "importance matrix")
    expect_error([f32, out], out, 2, "--type is required")
    expect_error([f32, out, "--type", "Q8_0", "--output-type", "q9"], out, 2, "unknown tensor type")
    expect_error([f32, out, "--type", "Q8_0", "--threads", "0"], out, 2, "--threads")
    expect_error([tmp_path / "missing.gguf", out, "--type", "Q8_0"], out, 1, "missing.gguf")
    text = tmp_path / "notes.gguf"
    text.write_text("not a model\n")
    expect_error([text, out, "--type", "Q8_0"], out, 1, "notes.gguf")
    expect_error([FIXTURES.parent / "bad_files" / "gguf_unknown_architecture.gguf", out,
                  "--type", "Q8_0"], out, 1, "architecture")
    # Explicit types that do not fit the 64-value rows (llama-quantize would abort).
    expect_error([f32, out, "--type", "Q8_0", "--output-type", "q6_k"], out, 2, "Q6_K")
    expect_error([f32, out, "--type", "Q8_0", "--token-embedding-type", "q4_k"], out, 2, "Q4_K")
    # A quantized input is not quantized again (as llama-quantize without --allow-requantize).
    q8 = tmp_path / "q8.gguf"
    run("quantize", f32, q8, "--type", "Q8_0", "--quiet")
    expect_error([q8, out, "--type", "Q4_0"], out, 1, "Q8_0 already")
    assert not out.exists()
    # OUT is a directory: refused before any work; the directory is left alone.
    d = tmp_path / "dir.gguf"
    d.mkdir()
    (d / "keep").write_text("x")
    expect_error([folder, d, "--type", "Q8_0"], d, 2, "is a directory")
    assert (d / "keep").read_text() == "x"
    # OUT in a folder that does not exist.
    expect_error([f32, tmp_path / "no" / "out.gguf", "--type", "Q8_0"], None, 1, "cannot create")
    assert not (tmp_path / "no").exists()


def test_non_finite_weights_are_refused(model_source, tmp_path):
    """A NaN found while writing (after OUT.partial exists) still leaves nothing behind."""
    _, f32 = model_source("llama_tiny")
    src = gguf.GGUFReader(f32)
    bad = tmp_path / "nan.gguf"
    w = gguf.GGUFWriter(bad, "llama")
    for key, f in src.fields.items():
        if key.startswith("GGUF.") or key == "general.architecture":
            continue
        if f.types[0] == gguf.GGUFValueType.ARRAY:
            w.add_array(key, f.contents())
        else:
            w.add_key_value(key, f.contents(), f.types[0])
    for t in src.tensors:
        data = np.array(t.data, dtype=np.float32)
        if t.name == "blk.1.ffn_up.weight":
            data[5, 7] = np.nan
        w.add_tensor(t.name, data)
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()
    out = tmp_path / "out.gguf"
    expect_error([bad, out, "--type", "Q8_0"], out, 1,
                 "tensor 'blk.1.ffn_up.weight' row 5 holds a NaN")
    assert not out.exists()


def test_existing_output_is_replaced_only_when_complete(model_source, tmp_path):
    _, f32 = model_source("exaone3_tiny")
    out = tmp_path / "out.gguf"
    out.write_bytes(b"previous")
    expect_error([f32, out, "--type", "Q8_0", "--output-type", "q6_k"], out, 2, "Q6_K")
    assert out.read_bytes() == b"previous"
    run("quantize", f32, out, "--type", "Q8_0")
    assert gguf.GGUFReader(out).get_field("general.file_type").contents() == 7
    assert not os.path.lexists(f"{out}.partial")


def test_thread_count_does_not_change_the_file(model_source, tmp_path):
    _, f32 = model_source("llama_wide2")
    files = []
    for threads in (1, 3):
        files.append(tmp_path / f"t{threads}.gguf")
        run("quantize", f32, files[-1], "--type", "Q4_K_M", "--threads", threads, "--quiet")
    assert files[0].read_bytes() == files[1].read_bytes()


def test_progress_only_on_a_terminal(model_source, tmp_path):
    _, f32 = model_source("llama_tiny")
    # Not a terminal: the summary on stdout, the fallback note on stderr, no bar.
    r = run("quantize", f32, tmp_path / "a.gguf", "--type", "Q4_K_M")
    assert "MB/s" not in r.stderr and "\r" not in r.stderr
    assert "fallback" in r.stderr and r.stderr.count("\n") == 1, r.stderr
    assert re.fullmatch(r"wrote \S+: llama Q4_K_M, \d+ tensors, .+ -> .+ \(\d+\.\d\d bits per "
                        r"weight\) in \d+\.\d s\n", r.stdout), r.stdout
    r = run("quantize", f32, tmp_path / "b.gguf", "--type", "Q4_K_M", "--quiet")
    assert r.stderr == ""
    # A terminal on stderr: the bar, redrawn in place, ending on the last tensor.
    tensors = gguf.GGUFReader(f32).tensors
    n = len(tensors)
    master, slave = pty.openpty()
    p = subprocess.Popen([exaone_bin(), "quantize", str(f32), str(tmp_path / "c.gguf"), "--type",
                          "Q4_K_M"], stdout=subprocess.PIPE, stderr=slave, stdin=subprocess.DEVNULL)
    os.close(slave)
    bar = b""
    while True:
        ready, _, _ = select.select([master], [], [], 60)
        if not ready:
            break
        try:
            chunk = os.read(master, 4096)
        except OSError:  # the child closed its end
            break
        if not chunk:
            break
        bar += chunk
    os.close(master)
    assert p.wait(timeout=60) == 0
    text = bar.decode()
    assert f"[{n:4d}/{n:4d}]" in text and "MB/s" in text and "\r" in text, text
    assert tensors[-1].name in text and "-> Q8_0" in text, text
