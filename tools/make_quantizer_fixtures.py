#!/usr/bin/env python3
"""Records llama-quantize's error on the quantizer test tensors.

Writes the seeded tensors of tests/integration/quant_tensors.py as float32 weights into a GGUF
file, runs llama-quantize (no importance matrix, --pure so that every tensor gets the requested
type) once per type, reads the results back with the gguf package and stores the RMSE of every
tensor and type in tests/fixtures/quant/llama_quantize_rmse.json. The quantizer test checks that
our quantizers are no worse on the same tensors.

    python tools/make_quantizer_fixtures.py --llama-quantize /path/to/llama-quantize \\
        [--llama-commit SHA] [--llama-source /path/to/llama.cpp]

The fixture names the llama.cpp commit (given, or as the binary reports it) and, with
--llama-source, the ggml version and a digest of ggml/src/ggml-quants.c (the quantizers), which
identify the code even for a build without git information.
"""
import argparse
import hashlib
import json
import re
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import gguf
from gguf import quants

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "integration"))
import quant_tensors  # noqa: E402

OUT = ROOT / "tests" / "fixtures" / "quant" / "llama_quantize_rmse.json"
# GGML type -> llama-quantize file type whose default tensor type it is.
TYPES = {"Q2_K": "Q2_K", "Q3_K": "Q3_K_M", "Q4_K": "Q4_K_M", "Q5_K": "Q5_K_M", "Q6_K": "Q6_K",
         "IQ4_NL": "IQ4_NL", "IQ4_XS": "IQ4_XS"}


def write_input(path, tensors):
    w = gguf.GGUFWriter(str(path), "llama")
    rows, cols = quant_tensors.ROWS, quant_tensors.COLS
    # Just enough llama hyper-parameters for llama-quantize to load the file; the tensors are
    # blk.N.ffn_up.weight of shape [n_ff = ROWS, n_embd = COLS].
    w.add_block_count(len(tensors))
    w.add_context_length(256)
    w.add_embedding_length(cols)
    w.add_feed_forward_length(rows)
    w.add_head_count(16)
    w.add_head_count_kv(16)
    w.add_layer_norm_rms_eps(1e-5)
    w.add_file_type(gguf.LlamaFileType.ALL_F32)
    for name, (_, t) in tensors.items():
        w.add_tensor(name, t)
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--llama-quantize", required=True, help="path to the llama-quantize binary")
    ap.add_argument("--llama-commit", help="llama.cpp commit the binary was built from (default: "
                    "the build that llama-quantize reports)")
    ap.add_argument("--llama-source", type=Path, help="the llama.cpp source tree it was built from")
    args = ap.parse_args()

    tensors = quant_tensors.make_tensors()
    result = {"tool": "llama-quantize --pure (no importance matrix)",
              "tensors": {n: {"label": label, "sha256": quant_tensors.digest(t)}
                          for n, (label, t) in tensors.items()},
              "rmse": {}}
    build = None
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "f32.gguf"
        write_input(src, tensors)
        for qtype, ftype in TYPES.items():
            dst = Path(tmp) / f"{qtype}.gguf"
            r = subprocess.run([args.llama_quantize, "--pure", str(src), str(dst), ftype, "1"],
                               capture_output=True, text=True)
            if r.returncode != 0:
                sys.exit(f"llama-quantize {ftype} failed:\n{r.stdout}\n{r.stderr}")
            m = re.search(r"build = (\S+ \([^)]*\))", r.stdout + r.stderr)
            build = build or (m.group(1) if m else "unknown")
            reader = gguf.GGUFReader(str(dst))
            rmse = {}
            for t in reader.tensors:
                if t.tensor_type != gguf.GGMLQuantizationType[qtype]:
                    sys.exit(f"{t.name} came out as {t.tensor_type.name}, not {qtype}")
                x = tensors[t.name][1]
                y = quants.dequantize(np.asarray(t.data), t.tensor_type).reshape(x.shape)
                rmse[t.name] = quant_tensors.rmse(x, y)
            result["rmse"][qtype] = rmse
            print(qtype, " ".join(f"{tensors[n][0]}={v:.4g}" for n, v in rmse.items()))
    result["llama_cpp"] = {"commit": args.llama_commit or build}
    if args.llama_source:
        cm = (args.llama_source / "ggml" / "CMakeLists.txt").read_text()
        ver = ".".join(re.search(rf"set\(GGML_VERSION_{p} (\d+)\)", cm).group(1)
                       for p in ("MAJOR", "MINOR", "PATCH"))
        quants_c = (args.llama_source / "ggml" / "src" / "ggml-quants.c").read_bytes()
        result["llama_cpp"].update({"ggml_version": ver,
                                    "ggml_quants_c_sha256": hashlib.sha256(quants_c).hexdigest()})
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(result, indent=1) + "\n")
    print("wrote", OUT)


if __name__ == "__main__":
    main()
