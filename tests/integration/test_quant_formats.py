"""Dequantization and quantization against the gguf package and llama-quantize.

* DequantizeRow equals gguf.quants.dequantize bit for bit for every type, on random blocks with
  scales drawn from every fp16 magnitude (subnormal, zero, negative zero, the largest) and on
  edge blocks; inf/NaN scales give NaN exactly where gguf does.
* QuantizeRow's output is read back with gguf: Q8_0 gives gguf's bytes exactly; the other
  32-value types are at least as accurate as gguf's quantizers on the same tensors; the K types
  and IQ4 are within 1% of llama-quantize's error (recorded in
  tests/fixtures/quant/llama_quantize_rmse.json by tools/make_quantizer_fixtures.py).
"""
import json
import os
import subprocess
from pathlib import Path

import numpy as np
import pytest
from gguf import GGML_QUANT_SIZES, GGMLQuantizationType as Q, quants

import quant_tensors
from conftest import FIXTURES, ROOT

TOOL = os.environ.get("EXAONE_QUANT_TOOL",
                      str(ROOT / "build" / "release" / "tests" / "exaone_quant_tool"))
BLOCK_TYPES = ["Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q8_0", "Q2_K", "Q3_K", "Q4_K", "Q5_K", "Q6_K",
               "IQ4_NL", "IQ4_XS"]
LEGACY = ["Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q8_0"]
SEARCHED = ["Q2_K", "Q3_K", "Q4_K", "Q5_K", "Q6_K", "IQ4_NL", "IQ4_XS"]
# Byte offsets of the fp16 scales in a block.
SCALES = {"Q4_0": [0], "Q4_1": [0, 2], "Q5_0": [0], "Q5_1": [0, 2], "Q8_0": [0],
          "Q2_K": [80, 82], "Q3_K": [108], "Q4_K": [0, 2], "Q5_K": [0, 2], "Q6_K": [208],
          "IQ4_NL": [0], "IQ4_XS": [0]}
LEGACY_TOLERANCE = 1.0001  # ours <= gguf's RMSE times this (float noise only)
LLAMA_TOLERANCE = 1.01  # ours <= llama-quantize's RMSE times this


@pytest.fixture(scope="module")
def tool():
    if not Path(TOOL).exists():
        pytest.skip(f"the quant tool is not built at {TOOL} (set EXAONE_QUANT_TOOL)")
    return TOOL


def run_tool(*args, env=None):
    r = subprocess.run([*map(str, args)], capture_output=True, text=True, timeout=600,
                       env={**os.environ, **(env or {})})
    assert r.returncode == 0, f"{' '.join(map(str, args))} failed:\n{r.stderr}"
    return r


def our_dequant(tool, tmp_path, qtype, raw):
    src, dst = tmp_path / "in.bin", tmp_path / "out.f32"
    np.ascontiguousarray(raw, dtype=np.uint8).tofile(src)
    run_tool(tool, "dequant", qtype, src, dst)
    return np.fromfile(dst, dtype="<f4")


def our_quant(tool, tmp_path, qtype, x, importance=None, env=None):
    src, dst = tmp_path / "in.f32", tmp_path / "out.bin"
    np.ascontiguousarray(x, dtype="<f4").tofile(src)
    extra = ["--row", x.shape[-1]]
    if importance is not None:
        np.ascontiguousarray(importance, dtype="<f4").tofile(tmp_path / "imp.f32")
        extra += ["--importance", tmp_path / "imp.f32"]
    run_tool(tool, "quant", qtype, src, dst, *extra, env=env)
    return np.fromfile(dst, dtype=np.uint8).reshape(x.shape[0], -1)


def gguf_dequant(qtype, raw):
    with np.errstate(invalid="ignore", over="ignore"):
        return quants.dequantize(np.ascontiguousarray(raw).reshape(1, -1), Q[qtype]).reshape(-1)


def finite_halves(rng, n):
    """fp16 bit patterns from every magnitude: zeros of both signs, subnormals, normals of every
    exponent, the smallest normal and the largest finite value."""
    kind = rng.integers(0, 8, n)
    exp = rng.integers(1, 31, n).astype(np.uint16)
    mant = rng.integers(0, 1024, n).astype(np.uint16)
    h = (exp << 10) | mant  # normal
    h = np.where(kind == 0, 0, h)
    h = np.where(kind == 1, rng.integers(1, 1024, n), h)  # subnormal
    h = np.where(kind == 2, np.where(rng.integers(0, 2, n) == 1, 0x7bff, 0x0400), h)
    h = np.where(kind == 3, (rng.integers(10, 20, n) << 10) | mant, h)  # everyday magnitudes
    sign = rng.integers(0, 2, n).astype(np.uint16) << 15
    return (h.astype(np.uint16) | sign).astype("<u2")


def blocks_for(qtype, rng, n_random=3000):
    """Random blocks with finite scales of every magnitude, then edge blocks: all zeros, and
    random / all-0xFF / all-0x00 quants under extreme scales (both zeros, the smallest
    subnormal, the largest subnormal, the smallest normal, 1, the largest finite)."""
    _, size = GGML_QUANT_SIZES[Q[qtype]]
    raw = rng.integers(0, 256, (n_random, size), dtype=np.uint8)
    for off in SCALES[qtype]:
        raw[:, off:off + 2] = finite_halves(rng, n_random).view(np.uint8).reshape(-1, 2)
    edge = [np.zeros(size, np.uint8)]
    for h in (0x0000, 0x8000, 0x0001, 0x8001, 0x03ff, 0x0400, 0x3c00, 0x7bff, 0xfbff):
        for fill in (None, 0xFF, 0x00):
            b = (rng.integers(0, 256, size, dtype=np.uint8) if fill is None
                 else np.full(size, fill, np.uint8))
            for off in SCALES[qtype]:
                b[off:off + 2] = np.array([h], "<u2").view(np.uint8)
            edge.append(b)
    return np.concatenate([raw, np.stack(edge)])


@pytest.mark.parametrize("qtype", BLOCK_TYPES)
def test_dequantize_matches_gguf_bit_for_bit(tool, tmp_path, qtype):
    rng = np.random.default_rng(sum(map(ord, qtype)))
    raw = blocks_for(qtype, rng)
    ref = gguf_dequant(qtype, raw)
    ours = our_dequant(tool, tmp_path, qtype, raw)
    assert ours.shape == ref.shape
    assert not np.isnan(ref).any()
    diff = np.flatnonzero(ours.view(np.uint32) != ref.view(np.uint32))
    assert diff.size == 0, (f"{diff.size} values differ, first at {diff[0]}: "
                            f"{ours[diff[0]]!r} vs {ref[diff[0]]!r}")
    # The edge blocks reach the extremes: negative zero, subnormal-scale products, 65504 * q.
    assert np.signbit(ours[ours == 0]).any() and not np.signbit(ours[ours == 0]).all()
    assert np.abs(ours).max() >= 65504


@pytest.mark.parametrize("qtype", BLOCK_TYPES)
def test_non_finite_scales_give_nan_where_gguf_does(tool, tmp_path, qtype):
    rng = np.random.default_rng(7 + sum(map(ord, qtype)))
    _, size = GGML_QUANT_SIZES[Q[qtype]]
    raw = rng.integers(0, 256, (400, size), dtype=np.uint8)
    specials = np.array([0x7c00, 0xfc00, 0x7e00, 0x7c01, 0xfe00], "<u2")
    for off in SCALES[qtype]:
        pick = rng.integers(0, 2, raw.shape[0]) == 1
        h = np.where(pick, specials[rng.integers(0, 5, raw.shape[0])],
                     finite_halves(rng, raw.shape[0])).astype("<u2")
        raw[:, off:off + 2] = h.view(np.uint8).reshape(-1, 2)
    ref = gguf_dequant(qtype, raw)
    ours = our_dequant(tool, tmp_path, qtype, raw)
    assert np.isnan(ref).any()
    np.testing.assert_array_equal(np.isnan(ours), np.isnan(ref))
    keep = ~np.isnan(ref)
    np.testing.assert_array_equal(ours.view(np.uint32)[keep], ref.view(np.uint32)[keep])


@pytest.mark.parametrize("qtype", ["F16", "BF16", "F32"])
def test_plain_types_match_gguf(tool, tmp_path, qtype):
    if qtype == "F32":
        raw = np.random.default_rng(3).integers(0, 256, 4 * 4096, dtype=np.uint8)
        ref = raw.view("<f4")
    else:  # every bit pattern, NaNs included (their payloads too)
        raw = np.arange(65536, dtype="<u2").view(np.uint8)
        ref = gguf_dequant(qtype, raw)
    ours = our_dequant(tool, tmp_path, qtype, raw)
    np.testing.assert_array_equal(ours.view(np.uint32), ref.view(np.uint32))


@pytest.fixture(scope="module")
def tensors():
    return quant_tensors.make_tensors()


@pytest.fixture(scope="module")
def stacked(tensors):
    """All test tensors as the rows of one matrix (one tool run per type)."""
    return np.concatenate([t for _, t in tensors.values()])


def per_tensor_rmse(x, y, tensors):
    out, r = {}, 0
    for name, (_, t) in tensors.items():
        out[name] = quant_tensors.rmse(x[r:r + t.shape[0]], y[r:r + t.shape[0]])
        r += t.shape[0]
    return out


def test_q8_0_quantizes_like_gguf(tool, tmp_path, stacked):
    ours = our_quant(tool, tmp_path, "Q8_0", stacked)
    np.testing.assert_array_equal(ours, quants.quantize(stacked, Q.Q8_0))


@pytest.mark.parametrize("qtype", ["BF16", "F16"])
def test_half_types_quantize_like_gguf(tool, tmp_path, qtype):
    rng = np.random.default_rng(11)
    bits = rng.integers(0, 2**32, 1 << 16, dtype=np.uint64).astype(np.uint32)
    bits[:16] = [0x7f800000, 0xff800000, 0x7fc00001, 0xffbfffff, 0x7f7fffff, 0x477ff000,
                 0x477fefff, 0x33000000, 0x33000001, 0x387fc000, 0x0, 0x80000000, 0x3f808000,
                 0x3f818000, 0x00000001, 0x7f800001]
    x = bits.view(np.float32).reshape(1, -1)
    with np.errstate(over="ignore", invalid="ignore"):
        ref = quants.quantize(x, Q[qtype]).view(np.uint16).reshape(-1)
    ours = our_quant(tool, tmp_path, qtype, x).view(np.uint16).reshape(-1)
    if qtype == "F16":  # NaN payloads are not part of the contract for fp16 narrowing
        nan = np.isnan(x.reshape(-1))
        assert np.all((ours[nan] & 0x7c00) == 0x7c00) and np.all((ours[nan] & 0x3ff) != 0)
        np.testing.assert_array_equal(ours[~nan], ref[~nan])
    else:
        np.testing.assert_array_equal(ours, ref)


@pytest.mark.parametrize("qtype", ["Q4_0", "Q4_1", "Q5_0", "Q5_1"])
def test_legacy_quantizers_no_worse_than_gguf(tool, tmp_path, tensors, stacked, qtype):
    ours = gguf_dequant(qtype, our_quant(tool, tmp_path, qtype, stacked)).reshape(stacked.shape)
    ref = quants.dequantize(quants.quantize(stacked, Q[qtype]), Q[qtype])
    ours_rmse = per_tensor_rmse(stacked, ours, tensors)
    ref_rmse = per_tensor_rmse(stacked, ref, tensors)
    report = {tensors[n][0]: round(ours_rmse[n] / ref_rmse[n], 4) for n in ours_rmse
              if ref_rmse[n] > 0}
    print(qtype, "RMSE ours / gguf:", report)
    for n in ours_rmse:
        assert ours_rmse[n] <= ref_rmse[n] * LEGACY_TOLERANCE, (qtype, tensors[n][0], report)


@pytest.fixture(scope="module")
def llama_fixture(tensors):
    fx = json.loads((FIXTURES / "quant" / "llama_quantize_rmse.json").read_text())
    for name, (label, t) in tensors.items():
        assert fx["tensors"][name]["sha256"] == quant_tensors.digest(t), (
            f"{label}: the test tensors no longer match the fixture's; rerun "
            "tools/make_quantizer_fixtures.py")
    return fx


@pytest.mark.parametrize("qtype", SEARCHED)
def test_searched_quantizers_no_worse_than_llama_quantize(tool, tmp_path, tensors, stacked,
                                                          llama_fixture, qtype):
    ours = gguf_dequant(qtype, our_quant(tool, tmp_path, qtype, stacked)).reshape(stacked.shape)
    ours_rmse = per_tensor_rmse(stacked, ours, tensors)
    ref = llama_fixture["rmse"][qtype]
    report = {tensors[n][0]: round(ours_rmse[n] / ref[n], 4) for n in ours_rmse}
    print(qtype, "RMSE ours / llama-quantize:", report)
    for n in ours_rmse:
        assert ours_rmse[n] <= ref[n] * LLAMA_TOLERANCE, (qtype, tensors[n][0], report)


@pytest.mark.parametrize("qtype", [t for t in BLOCK_TYPES if t != "Q8_0"])
def test_importance_lowers_weighted_error(tool, tmp_path, tensors, qtype):
    x = tensors["blk.1.ffn_up.weight"][1][:16]
    imp = np.exp(np.random.default_rng(5).uniform(-6, 6, x.shape[1])).astype(np.float32)

    def weighted(q):
        y = gguf_dequant(qtype, q).reshape(x.shape)
        return float((imp * (x.astype(np.float64) - y) ** 2).sum())

    with_imp = weighted(our_quant(tool, tmp_path, qtype, x, importance=imp))
    without = weighted(our_quant(tool, tmp_path, qtype, x))
    assert with_imp < 0.9 * without, (with_imp, without)


def test_non_finite_input_is_refused(tool, tmp_path):
    x = np.zeros((1, 256), np.float32)
    x[0, 100] = np.inf
    np.ascontiguousarray(x).tofile(tmp_path / "bad.f32")
    r = subprocess.run([tool, "quant", "Q4_K", tmp_path / "bad.f32", tmp_path / "out.bin"],
                       capture_output=True, text=True)
    assert r.returncode != 0 and "non-finite" in r.stderr
