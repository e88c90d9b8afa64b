#!/usr/bin/env python3
"""Encode throughput, one thread: our tokenizer against Hugging Face `tokenizers`, same corpus,
same run. Usage:

  bench/tokenizer_bench.py [--shared ../shared] [--build build/release]

Needs `tokenizers` (bench/requirements.txt). Tokenizers measured: EXAONE 4.0 (from the shared
vocabulary, when present) and the trained fixtures. Prints a table and the ratio ours / HF.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ["RAYON_NUM_THREADS"] = "1"  # before importing tokenizers
os.environ["TOKENIZERS_PARALLELISM"] = "false"
from tokenizers import Tokenizer  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
FIX = ROOT / "tests" / "fixtures" / "tokenizer"


def hf_rate(tok, texts, rounds=3):
    nbytes = sum(len(t.encode()) for t in texts)
    best = 1e30
    for _ in range(rounds):
        t0 = time.perf_counter()
        for t in texts:
            tok.encode(t)
        best = min(best, time.perf_counter() - t0)
    return nbytes / best / 1e6


def ours_rate(build, model):
    out = subprocess.run([str(build / "bench" / "tokenizer_bench"), str(model),
                          str(FIX / "corpus.jsonl"), "4"], check=True, capture_output=True,
                         text=True).stdout
    return json.loads(out)["mb_per_s"]


def exaone_folder(shared, tmp):
    folder = Path(tmp) / "exaone4"
    folder.mkdir()
    tok = shared / "exaone" / "tokenizer"
    for f in ("vocab.json", "merges.txt"):
        (folder / f).write_bytes((tok / "exaone-3.5" / f).read_bytes())
    (folder / "tokenizer_config.json").write_bytes(
        (tok / "exaone-4.0-tokenizer_config.json").read_bytes())
    sys.path.insert(0, str(ROOT / "tools"))
    import make_tokenizer_fixtures as fixtures
    hf, _ = fixtures.exaone_tokenizer(shared / "exaone", "exaone-4.0-tokenizer_config.json",
                                      fixtures.BYTE_LEVEL)
    return folder, hf


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--shared", default=str(ROOT.parent / "shared"))
    ap.add_argument("--build", default=str(ROOT / "build" / "release"))
    args = ap.parse_args()
    texts = [json.loads(l)["text"] for l in open(FIX / "corpus.jsonl") if '"text"' in l]
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        cases = []
        if (Path(args.shared) / "exaone" / "tokenizer" / "exaone-3.5" / "vocab.json").exists():
            folder, hf = exaone_folder(Path(args.shared), tmp)
            cases.append(("EXAONE 4.0 (102,400)", folder, hf))
        for name in ("gpt2_style", "llama3_style", "digits_style"):
            cases.append((name, FIX / name, Tokenizer.from_file(str(FIX / name / "tokenizer.json"))))
        for label, model, hf in cases:
            theirs = hf_rate(hf, texts)
            ours = ours_rate(Path(args.build), model)
            rows.append((label, ours, theirs))
    import tokenizers
    print(f"encode throughput, 1 thread, {len(texts)} strings "
          f"({sum(len(t.encode()) for t in texts) / 1e6:.2f} MB); HF tokenizers {tokenizers.__version__}")
    print(f"| tokenizer | exaone.cpp MB/s | HF tokenizers MB/s | ratio |")
    print(f"|---|---|---|---|")
    for label, ours, theirs in rows:
        print(f"| {label} | {ours:.2f} | {theirs:.2f} | {ours / theirs:.1f}x |")


if __name__ == "__main__":
    main()
