#!/usr/bin/env python3
"""Side-by-side speed against llama.cpp's llama-bench: same GGUF files, same thread count, same
run, the two engines interleaved test by test. Usage:

  bench/compare_llama.py --exaone EXAONE --llama-bench LLAMA_BENCH [options] FILE.gguf...
  bench/compare_llama.py --exaone EXAONE --llama-bench LLAMA_BENCH --make-models DIR

For each file it runs `exaone bench FILE -p 512 -n 128` and `llama-bench -m FILE -p 512 -n 128`,
then tg128 at context depth 4096 (`-p 0 -n 128 -d 4096` on both), each with -r repetitions and -t
threads, recording each process's peak resident memory (getrusage of the child). Memory read
bandwidth is measured with exaone_bandwidth (bench/bandwidth.cpp) with the same threads before
and after each group of tests (the two engines' pp/tg runs of one file, or their depth runs); each
generation test is also reported as a percentage of its ceiling, bandwidth / bytes read per
generated token, where the bandwidth is the better of the two measurements around its group (a
shared host's bandwidth changes from minute to minute: a figure from a quiet moment does not
describe a busy one). The table also gives the ceiling from the best figure of the whole run:

  every weight tensor of the file (with tied embeddings the embedding matrix is the output layer;
  an untied file's token_embd only has one row read) plus the KV cache read by attention: 2 (K and
  V) x layers x kv_heads x head_dim x element size x the positions attended, on average
  depth + n/2 over a tgN test (sliding-window layers at most their window). Element size: 4 bytes
  (f32) or 2 (f16) for exaone, as `exaone inspect` reports, and llama-bench's type_k/type_v
  (f16 by default) for llama.cpp.

--make-models DIR builds EXAONE-4.0-1.2B-shaped models with random weights (std 0.02, norms 1):
a Hugging Face folder with the 1.2B config and BF16 safetensors, converted with `exaone convert
--type bf16` and quantized with `exaone quantize` to Q8_0, Q4_K_M and Q4_0 (or with
--llama-quantize, if given). The folder needs a tokenizer for llama.cpp to load the GGUF: EXAONE's
(vocab.json and merges.txt of EXAONE 3.5 with the 4.0 tokenizer_config.json) from --tokenizer, or
else a byte-level stand-in with the same vocabulary size. Needs numpy.

The markdown table goes to stdout and, with --out, to a file (with the machine, the llama.cpp
commit and the raw numbers as JSON beside it, FILE.json).
"""
import argparse
import datetime
import json
import os
import platform
import re
import struct
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# EXAONE 4.0 1.2B (Hugging Face config.json).
EXAONE4_1_2B = {
    "architectures": ["Exaone4ForCausalLM"], "model_type": "exaone4", "bos_token_id": 1,
    "eos_token_id": 361, "pad_token_id": 0, "head_dim": 64, "hidden_act": "silu",
    "hidden_size": 2048, "initializer_range": 0.02, "intermediate_size": 4096,
    "layer_types": ["full_attention"] * 30, "max_position_embeddings": 65536,
    "num_attention_heads": 32, "num_hidden_layers": 30, "num_key_value_heads": 8,
    "rms_norm_eps": 1e-05,
    "rope_scaling": {"factor": 16.0, "high_freq_factor": 4.0, "low_freq_factor": 1.0,
                     "original_max_position_embeddings": 8192, "rope_type": "llama3"},
    "rope_theta": 1000000.0, "sliding_window": None, "sliding_window_pattern": None,
    "tie_word_embeddings": True, "torch_dtype": "bfloat16", "use_cache": True,
    "vocab_size": 102400,
}
QUANT_TYPES = ["Q8_0", "Q4_K_M", "Q4_0"]


# ---------------------------------------------------------------------------------------------
# GGUF metadata and tensor sizes (stdlib only)

def read_gguf(path):
    """({key: value}, {tensor name: bytes}) of a GGUF file; array values are lists."""
    with open(path, "rb") as f:
        if f.read(4) != b"GGUF":
            raise ValueError(f"{path}: not a GGUF file")
        version, n_tensors, n_kv = struct.unpack("<IQQ", f.read(20))
        scalar = {0: "<B", 1: "<b", 2: "<H", 3: "<h", 4: "<I", 5: "<i", 6: "<f", 7: "<?",
                  10: "<Q", 11: "<q", 12: "<d"}

        def string():
            (n,) = struct.unpack("<Q", f.read(8))
            return f.read(n).decode("utf-8", "replace")

        def value(t):
            if t == 8:
                return string()
            if t == 9:
                et, n = struct.unpack("<IQ", f.read(12))
                if et in scalar and et != 8:
                    fmt = scalar[et]
                    size = struct.calcsize(fmt)
                    if n > 4096:  # long arrays (vocabularies) are skipped, not decoded
                        f.seek(size * n, 1)
                        return None
                    return [struct.unpack(fmt, f.read(size))[0] for _ in range(n)]
                return [value(et) for _ in range(n)]
            fmt = scalar[t]
            return struct.unpack(fmt, f.read(struct.calcsize(fmt)))[0]

        meta = {}
        for _ in range(n_kv):
            key = string()
            (t,) = struct.unpack("<I", f.read(4))
            meta[key] = value(t)
        infos = []
        for _ in range(n_tensors):
            name = string()
            (nd,) = struct.unpack("<I", f.read(4))
            f.read(8 * nd)
            _, offset = struct.unpack("<IQ", f.read(12))
            infos.append((offset, name))
        align = meta.get("general.alignment", 32)
        data_start = -(-f.tell() // align) * align
    end = os.path.getsize(path) - data_start
    infos.sort()
    sizes = {}
    for i, (offset, name) in enumerate(infos):
        nxt = infos[i + 1][0] if i + 1 < len(infos) else end
        sizes[name] = nxt - offset  # includes at most alignment - 1 bytes of padding
    return meta, sizes


def bytes_per_token(meta, sizes, positions, kv_elem_bytes):
    """Bytes read to generate one token with `positions` positions attended."""
    weights = sum(sizes.values())
    if "output.weight" in sizes:
        weights -= sizes.get("token_embd.weight", 0)
    arch = meta["general.architecture"]
    layers = meta[f"{arch}.block_count"]
    heads = meta[f"{arch}.attention.head_count"]
    kv_heads = meta.get(f"{arch}.attention.head_count_kv", heads)
    if isinstance(kv_heads, list):
        kv_heads = max(kv_heads)
    head_dim = meta.get(f"{arch}.attention.key_length",
                        meta[f"{arch}.embedding_length"] // heads)
    window = meta.get(f"{arch}.attention.sliding_window") or 0
    pattern = meta.get(f"{arch}.attention.sliding_window_pattern")
    kv = 0
    for layer in range(layers):
        sliding = bool(window) and isinstance(pattern, list) and bool(pattern[layer])
        kv += 2 * kv_heads * head_dim * kv_elem_bytes * (min(positions, window) if sliding
                                                         else positions)
    return weights, kv


ELEM_BYTES = {"f32": 4, "f16": 2, "bf16": 2, "q8_0": 34 / 32, "q4_0": 18 / 32}


# ---------------------------------------------------------------------------------------------
# Running the engines

def run_measured(cmd):
    """(stdout, peak RSS in MiB) of one child process."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        p = subprocess.Popen(cmd, stdout=out, stderr=err, stdin=subprocess.DEVNULL)
        _, status, usage = os.wait4(p.pid, 0)
        p.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read().decode(), err.read().decode()
    if p.returncode != 0:
        sys.exit(f"{' '.join(map(str, cmd))} failed ({p.returncode}):\n{stderr[-2000:]}")
    return stdout, usage.ru_maxrss / 1024.0


def json_rows(stdout):
    start = stdout.index("[")
    return json.loads(stdout[start:])


def test_name(row):
    n_p, n_g, d = row["n_prompt"], row["n_gen"], row.get("n_depth", 0)
    name = f"pp{n_p}" if n_p else f"tg{n_g}"
    return name + (f" @ d{d}" if d else "")


def bandwidth(exe, threads):
    out = subprocess.run([str(exe), "-t", str(threads), "--json"], check=True,
                         capture_output=True, text=True).stdout
    return json.loads(out)[0]["best_gbps"]


def exaone_kv_elem(exaone, model):
    out = subprocess.run([str(exaone), "inspect", str(model), "--no-tensors", "--no-metadata"],
                         check=True, capture_output=True, text=True).stdout
    m = re.search(r"KV cache \((\w+)\)", out)
    return ELEM_BYTES.get(m.group(1).lower(), 4) if m else 4


def cpu_name():
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


# ---------------------------------------------------------------------------------------------
# Random-weight EXAONE 4.0 1.2B

def exaone4_tensors(cfg):
    h, hd, ffn = cfg["hidden_size"], cfg["head_dim"], cfg["intermediate_size"]
    q, kv = cfg["num_attention_heads"] * hd, cfg["num_key_value_heads"] * hd
    out = [("model.embed_tokens.weight", [cfg["vocab_size"], h]), ("model.norm.weight", [h])]
    for i in range(cfg["num_hidden_layers"]):
        p = f"model.layers.{i}."
        out += [(p + "self_attn.q_proj.weight", [q, h]), (p + "self_attn.k_proj.weight", [kv, h]),
                (p + "self_attn.v_proj.weight", [kv, h]), (p + "self_attn.o_proj.weight", [h, q]),
                (p + "self_attn.q_norm.weight", [hd]), (p + "self_attn.k_norm.weight", [hd]),
                (p + "post_attention_layernorm.weight", [h]),
                (p + "post_feedforward_layernorm.weight", [h]),
                (p + "mlp.gate_proj.weight", [ffn, h]), (p + "mlp.up_proj.weight", [ffn, h]),
                (p + "mlp.down_proj.weight", [h, ffn])]
    return out


def write_random_bf16(path, tensors, seed=0):
    """BF16 safetensors, written tensor by tensor: matrices N(0, 0.02), vectors 1."""
    import numpy as np
    header, offset = {}, 0
    for name, shape in tensors:
        n = 2 * int(np.prod(shape))
        header[name] = {"dtype": "BF16", "shape": shape, "data_offsets": [offset, offset + n]}
        offset += n
    h = json.dumps(header).encode()
    h += b" " * (-len(h) % 8)
    rng = np.random.default_rng(seed)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h)
        for name, shape in tensors:
            n = int(np.prod(shape))
            if len(shape) == 1:
                f.write(np.full(n, 0x3F80, dtype="<u2").tobytes())
                continue
            for start in range(0, n, 1 << 24):
                x = rng.standard_normal(min(1 << 24, n - start), dtype=np.float32) * 0.02
                f.write((x.view(np.uint32) >> 16).astype("<u2").tobytes())


def byte_level_tokenizer(folder, vocab_size):
    """A GPT-2 style byte-level vocabulary of `vocab_size` tokens with no merges."""
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(0xA1, 0xAD)) + list(range(0xAE, 0x100))
    cs, n = bs[:], 0
    for b in range(256):
        if b not in bs:
            cs.append(256 + n)
            n += 1
    tokens = ["[PAD]", "[BOS]", "[|endofturn|]", "[UNK]"] + [chr(c) for c in cs]
    tokens += [f"<unused_{i}>" for i in range(vocab_size - len(tokens))]
    (folder / "vocab.json").write_text(json.dumps({t: i for i, t in enumerate(tokens)}))
    (folder / "merges.txt").write_text("#version: 0.2\n")
    (folder / "tokenizer_config.json").write_text(json.dumps({
        "bos_token": "[BOS]", "eos_token": "[|endofturn|]", "pad_token": "[PAD]",
        "unk_token": "[UNK]", "model_max_length": 65536,
        "added_tokens_decoder": {str(i): {"content": t, "special": True, "lstrip": False,
                                          "rstrip": False, "normalized": False,
                                          "single_word": False}
                                 for i, t in enumerate(tokens[:4])}}))


def make_models(args):
    out = Path(args.make_models)
    out.mkdir(parents=True, exist_ok=True)
    hf = out / "exaone4-1.2b-random"
    if not (hf / "model.safetensors").exists():
        hf.mkdir(exist_ok=True)
        (hf / "config.json").write_text(json.dumps(EXAONE4_1_2B, indent=2))
        tok = Path(args.tokenizer) if args.tokenizer else None
        if tok and (tok / "exaone-3.5" / "vocab.json").exists():
            for f in ("vocab.json", "merges.txt"):
                (hf / f).write_bytes((tok / "exaone-3.5" / f).read_bytes())
            (hf / "tokenizer_config.json").write_bytes(
                (tok / "exaone-4.0-tokenizer_config.json").read_bytes())
        else:
            byte_level_tokenizer(hf, EXAONE4_1_2B["vocab_size"])
        print(f"writing {hf} (random BF16 weights)", file=sys.stderr)
        write_random_bf16(hf / "model.safetensors.partial", exaone4_tensors(EXAONE4_1_2B))
        os.replace(hf / "model.safetensors.partial", hf / "model.safetensors")
    bf16 = out / "exaone4-1.2b-random-BF16.gguf"
    if not bf16.exists():
        subprocess.run([str(args.exaone), "convert", str(hf), str(bf16), "--type", "bf16",
                        "--quiet"], check=True)
    files = [bf16]
    for t in QUANT_TYPES:
        q = out / f"exaone4-1.2b-random-{t}.gguf"
        if not q.exists():
            if args.llama_quantize:
                cmd = [str(args.llama_quantize), str(bf16), str(q), t]
            else:
                cmd = [str(args.exaone), "quantize", str(bf16), str(q), "--type", t, "--quiet"]
            subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
        files.append(q)
    return files


# ---------------------------------------------------------------------------------------------

def main():
    ap = argparse.ArgumentParser(description="exaone bench vs llama-bench, side by side",
                                 formatter_class=argparse.RawDescriptionHelpFormatter,
                                 epilog=__doc__)
    ap.add_argument("files", nargs="*", type=Path)
    ap.add_argument("--exaone", required=True, type=Path, help="the exaone CLI")
    ap.add_argument("--llama-bench", required=True, type=Path, help="llama.cpp's llama-bench")
    ap.add_argument("--bandwidth", type=Path, default=None,
                    help="exaone_bandwidth (default: bench/exaone_bandwidth of the exaone build)")
    ap.add_argument("-t", "--threads", type=int, default=os.cpu_count())
    ap.add_argument("-r", "--repetitions", type=int, default=3)
    ap.add_argument("-p", "--n-prompt", type=int, default=512)
    ap.add_argument("-n", "--n-gen", type=int, default=128)
    ap.add_argument("--depth-repetitions", type=int, default=0,
                    help="repetitions of the depth test (default: -r); each one first "
                         "processes the whole context")
    ap.add_argument("-d", "--depth", type=int, default=4096,
                    help="context depth of the second generation test (0: none)")
    ap.add_argument("--make-models", metavar="DIR", default=None)
    ap.add_argument("--tokenizer", default=str(ROOT.parent / "shared" / "exaone" / "tokenizer"),
                    help="EXAONE tokenizer files for --make-models (exaone-3.5/vocab.json, "
                         "merges.txt, exaone-4.0-tokenizer_config.json)")
    ap.add_argument("--llama-quantize", type=Path, default=None,
                    help="quantize --make-models files with llama-quantize instead")
    ap.add_argument("--llama-commit", default=None,
                    help="llama.cpp commit to print when its build does not know its own")
    ap.add_argument("--out", type=Path, default=None, help="also write the table here")
    args = ap.parse_args()

    files = list(args.files)
    if args.make_models:
        files += make_models(args)
    if not files:
        ap.error("no GGUF files (give some, or --make-models DIR)")
    bw_exe = args.bandwidth or args.exaone.resolve().parents[1] / "bench" / "exaone_bandwidth"
    t = str(args.threads)
    r = str(args.repetitions)

    bw = []
    if not bw_exe.exists():
        print(f"note: {bw_exe} not found; no bandwidth ceiling", file=sys.stderr)

    def measure_bw():
        if not bw_exe.exists():
            return None
        bw.append(bandwidth(bw_exe, args.threads))
        return bw[-1]

    rows, llama_build = [], {}
    for f in files:
        meta, sizes = read_gguf(f)
        ex_kv = exaone_kv_elem(args.exaone, f)
        groups = [(["-p", str(args.n_prompt), "-n", str(args.n_gen)], 0, r)]
        if args.depth:
            groups.append((["-p", "0", "-n", str(args.n_gen), "-d", str(args.depth)], args.depth,
                           str(args.depth_repetitions or args.repetitions)))
        for flags, depth, reps in groups:
            print(f"{f.name}: {' '.join(flags)}", file=sys.stderr)
            bw_before = measure_bw()
            ex_out, ex_rss = run_measured([str(args.exaone), "bench", str(f), *flags, "-r", reps,
                                           "-t", t, "--json"])
            ll_out, ll_rss = run_measured([str(args.llama_bench), "-m", str(f), *flags, "-r",
                                           reps, "-t", t, "-o", "json"])
            bw_after = measure_bw()
            group_bw = max(bw_before, bw_after) if bw_before else None
            ex_rows = {test_name(x): x for x in json_rows(ex_out)}
            ll_rows = {test_name(x): x for x in json_rows(ll_out)}
            for name, ex in ex_rows.items():
                ll = ll_rows.get(name)
                if ll is None:
                    print(f"warning: llama-bench did not run {name}", file=sys.stderr)
                    continue
                llama_build = {"commit": ll.get("build_commit"), "number": ll.get("build_number"),
                               "cpu": ll.get("cpu_info")}
                row = {"model": f.name, "type": ex.get("model_type", ""), "test": name,
                       "exaone_ts": ex["avg_ts"], "exaone_sd": ex["stddev_ts"],
                       "llama_ts": ll["avg_ts"], "llama_sd": ll["stddev_ts"],
                       "exaone_rss_mib": ex_rss, "llama_rss_mib": ll_rss,
                       "model_size": ll.get("model_size")}
                if ex["n_gen"] and not ex["n_prompt"]:
                    positions = depth + ex["n_gen"] / 2
                    w, kv_ex = bytes_per_token(meta, sizes, positions, ex_kv)
                    ll_kv_elem = ELEM_BYTES.get(str(ll.get("type_k", "f16")).lower(), 2)
                    _, kv_ll = bytes_per_token(meta, sizes, positions, ll_kv_elem)
                    row.update({"weight_bytes": w, "exaone_kv_bytes": kv_ex,
                                "llama_kv_bytes": kv_ll, "group_bandwidth_gbps": group_bw})
                rows.append(row)

    best_bw = max(bw) if bw else None
    if args.llama_commit and llama_build.get("commit") in (None, "unknown"):
        llama_build["commit"] = args.llama_commit
    for row in rows:
        if best_bw and "weight_bytes" in row:
            for engine in ("exaone", "llama"):
                per_token = row["weight_bytes"] + row[f"{engine}_kv_bytes"]
                row[f"{engine}_ceiling_ts"] = row["group_bandwidth_gbps"] * 1e9 / per_token
                row[f"{engine}_run_ceiling_ts"] = best_bw * 1e9 / per_token

    def pct(ts, ceiling):
        return f"{100 * ts / ceiling:.0f}%" if ceiling else "-"

    lines = [
        f"CPU: {cpu_name()} ({os.cpu_count()} logical cores), {args.threads} threads, "
        f"{args.repetitions} repetitions"
        + (f" ({args.depth_repetitions} at depth {args.depth})"
           if args.depth and args.depth_repetitions else "")
        + f"; llama.cpp build {llama_build.get('number')} "
        f"(commit {llama_build.get('commit')}); read bandwidth "
        + (f"{min(bw):.1f}-{best_bw:.1f} GB/s ({', '.join(f'{b:.1f}' for b in bw)})" if bw
           else "not measured"),
        "",
        "| model | test | exaone t/s | llama.cpp t/s | ratio | GB/s beside | "
        "exaone % of ceiling | llama.cpp % of ceiling | exaone % of run-best ceiling | "
        "exaone peak RSS MiB | llama.cpp peak RSS MiB |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for row in rows:
        lines.append(
            f"| {row['model']} | {row['test']} | "
            f"{row['exaone_ts']:.2f} ± {row['exaone_sd']:.2f} | "
            f"{row['llama_ts']:.2f} ± {row['llama_sd']:.2f} | "
            f"{row['exaone_ts'] / row['llama_ts']:.2f} | "
            + (f"{row['group_bandwidth_gbps']:.1f} | " if row.get("group_bandwidth_gbps")
               else "- | ")
            + f"{pct(row['exaone_ts'], row.get('exaone_ceiling_ts'))} | "
            f"{pct(row['llama_ts'], row.get('llama_ceiling_ts'))} | "
            f"{pct(row['exaone_ts'], row.get('exaone_run_ceiling_ts'))} | "
            f"{row['exaone_rss_mib']:.0f} | {row['llama_rss_mib']:.0f} |")
    table = "\n".join(lines) + "\n"
    print(table)
    if args.out:
        args.out.write_text(table)
        Path(str(args.out) + ".json").write_text(json.dumps({
            "date": datetime.datetime.now().isoformat(timespec="seconds"), "cpu": cpu_name(),
            "threads": args.threads, "repetitions": args.repetitions, "bandwidth_gbps": bw,
            "llama_cpp": llama_build, "rows": rows}, indent=1) + "\n")


if __name__ == "__main__":
    main()
