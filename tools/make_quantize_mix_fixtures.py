#!/usr/bin/env python3
"""Records what llama-quantize does with each target, for tests/integration/test_quantize.py.

For every model (the tiny fixture models, and wider synthetic ones whose rows are multiples of
256 so the K-quant mix rules show) the model is converted to a GGUF F32 file with
`exaone convert --type f32`, then llama-quantize writes every target; the `gguf` package reads
the result back. Recorded per run: each tensor's type, general.file_type and, for models whose
data the test can rebuild, the relative RMS error of llama-quantize's values against the F32
input.

    python tools/make_quantize_mix_fixtures.py --llama-quantize PATH/llama-quantize \
        [--exaone build/release/cli/exaone] [--out tests/fixtures/quant/mixes.json]

Needs numpy and gguf (tools/requirements-reference.txt), and a llama.cpp build.
"""
import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

import gguf
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "integration"))
from quantize_models import SYNTHETIC, hf_shapes, write_synthetic  # noqa: E402

FIXTURE_MODELS = ["exaone3_tiny", "exaone4_global_tied", "exaone4_hybrid", "llama_tiny"]
# Models whose data the test rebuilds (committed fixture files, or quantize_models' generator).
DATA_MODELS = {"exaone3_tiny", "llama_tiny", "llama_wide2", "exaone3_wide2"}

BASE_TYPES = ["F32", "F16", "BF16", "Q8_0", "Q4_0", "Q4_1", "Q5_0", "Q5_1", "IQ4_NL", "IQ4_XS",
              "Q2_K", "Q3_K_S", "Q3_K_M", "Q3_K_L", "Q4_K_S", "Q4_K_M", "Q5_K_S", "Q5_K_M",
              "Q6_K"]
# Variants with llama-quantize's flags (exaone quantize takes the same names).
EXTRA_RUNS = {
    "Q4_K_M+pure": ["--pure", "Q4_K_M"],
    "Q2_K+pure": ["--pure", "Q2_K"],
    "Q4_K_M+output_q8_0": ["--output-tensor-type", "q8_0", "Q4_K_M"],
    "Q5_K_M+token_embd_q8_0": ["--token-embedding-type", "q8_0", "Q5_K_M"],
    "Q6_K+pure+output_f16": ["--pure", "--output-tensor-type", "f16", "Q6_K"],
}


def rel_rms(a, b):
    a = a.astype(np.float64).ravel()
    b = b.astype(np.float64).ravel()
    return float(np.sqrt(np.mean((a - b) ** 2)) / max(np.sqrt(np.mean(b ** 2)), 1e-30))


def read_tensors(path):
    r = gguf.GGUFReader(path)
    return {t.name: t for t in r.tensors}


def record_run(lq, src_gguf, src_tensors, args, with_data, work, result):
    out = work / "out.gguf"
    if out.exists():
        out.unlink()
    p = subprocess.run([lq, *args[:-1], str(src_gguf), str(out), args[-1], "2"],
                       capture_output=True, text=True)
    for line in p.stderr.splitlines():
        if line.startswith("version:"):
            result["llama_quantize"] = line.split(":", 1)[1].strip()
    if p.returncode != 0 or not out.exists():
        why = [l.split("failed to quantize:", 1)[1] for l in p.stderr.splitlines()
               if "failed to quantize:" in l]
        return {"error": why[-1].strip() if why else f"exit status {p.returncode}"}
    reader = gguf.GGUFReader(out)
    tensors = {t.name: t for t in reader.tensors}
    names = sorted(src_tensors)
    assert sorted(tensors) == names
    run = {"types": " ".join(tensors[n].tensor_type.name for n in names),
           "file_type": int(reader.get_field("general.file_type").contents())}
    if with_data:
        run["rel_rms"] = []
        for n in names:
            t = tensors[n]
            if t.tensor_type == src_tensors[n].tensor_type:
                run["rel_rms"].append(None)
                continue
            src = np.asarray(src_tensors[n].data, dtype=np.float32)
            deq = gguf.quants.dequantize(np.asarray(t.data), t.tensor_type).reshape(src.shape)
            run["rel_rms"].append(float(f"{rel_rms(deq, src):.4g}"))
    return run


def dump(result):
    """JSON with one line per model run, so a regenerated file diffs by run."""
    c = lambda v: json.dumps(v, sort_keys=True, separators=(",", ":"))
    out = ["{"]
    for key in ("generator", "llama_quantize", "runs"):
        out.append(f" {json.dumps(key)}: {c(result[key])},")
    out.append(' "synthetic": {')
    items = list(result["synthetic"].items())
    for i, (name, syn) in enumerate(items):
        out.append(f"  {json.dumps(name)}: {c(syn)}{',' if i + 1 < len(items) else ''}")
    out.append(" },")
    out.append(' "models": {')
    models = list(result["models"].items())
    for i, (name, m) in enumerate(models):
        out.append(f"  {json.dumps(name)}: {{")
        out.append(f"   \"tensors\": {c(m['tensors'])},")
        out.append("   \"runs\": {")
        runs = list(m["runs"].items())
        for j, (run, r) in enumerate(runs):
            out.append(f"    {json.dumps(run)}: {c(r)}{',' if j + 1 < len(runs) else ''}")
        out.append("   }")
        out.append(f"  }}{',' if i + 1 < len(models) else ''}")
    out.append(" }")
    out.append("}")
    text = "\n".join(out) + "\n"
    assert json.loads(text) == result
    return text


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--llama-quantize", required=True)
    ap.add_argument("--exaone", default=str(ROOT / "build" / "release" / "cli" / "exaone"))
    ap.add_argument("--out", default=str(ROOT / "tests" / "fixtures" / "quant" / "mixes.json"))
    a = ap.parse_args()

    result = {"generator": "tools/make_quantize_mix_fixtures.py", "llama_quantize": "unknown",
              "runs": {name: EXTRA_RUNS[name] for name in EXTRA_RUNS},
              "synthetic": {}, "models": {}}
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        folders = {m: ROOT / "tests" / "fixtures" / "models" / m for m in FIXTURE_MODELS}
        for name, cfg in SYNTHETIC.items():
            digest = write_synthetic(work / name, cfg)
            folders[name] = work / name
            result["synthetic"][name] = {"config": cfg, "tensors": hf_shapes(cfg),
                                         "safetensors_sha256": digest}
        for model, folder in folders.items():
            src = work / f"{model}.f32.gguf"
            subprocess.run([a.exaone, "convert", str(folder), str(src), "--type", "f32",
                            "--quiet"], check=True, capture_output=True)
            src_tensors = read_tensors(src)
            runs = {}
            for t in BASE_TYPES:
                runs[t] = record_run(a.llama_quantize, src, src_tensors, [t],
                                     model in DATA_MODELS, work, result)
            for name, args in EXTRA_RUNS.items():
                runs[name] = record_run(a.llama_quantize, src, src_tensors, args, False, work,
                                        result)
            result["models"][model] = {"tensors": sorted(src_tensors), "runs": runs}
            print(model, "done", file=sys.stderr)
    Path(a.out).parent.mkdir(parents=True, exist_ok=True)
    Path(a.out).write_text(dump(result))
    print(f"wrote {a.out} ({Path(a.out).stat().st_size} bytes)", file=sys.stderr)


if __name__ == "__main__":
    main()
