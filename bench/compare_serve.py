#!/usr/bin/env python3
"""Aggregate generation speed of `exaone serve` at 1, 4 and 16 concurrent streams, beside
llama.cpp's llama-server (`-np 16`, given by path; never built or shipped by the project) on the
same GGUF file in the same run.

  bench/compare_serve.py --exaone build/release/cli/exaone [--llama-server PATH] MODEL.gguf
                         [--streams 1,4,16] [--tokens 64] [-t 2] [--rounds 2]

Each round starts N clients at once; each streams a /v1/completions request of --tokens tokens
(the same token-id prompt, temperature 1, its own seed; llama-server with ignore_eos so both
generate the full length); the figure is the generated tokens of all clients over the round's
wall time, best of --rounds. Servers run one at a time on loopback. Prints a markdown table
with the ratios against llama-server and against our single stream. Standard library only."""
import argparse
import http.client
import json
import socket
import subprocess
import sys
import threading
import time

from sse import read_events


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_ready(port, proc, timeout=600):
    end = time.time() + timeout
    while time.time() < end:
        if proc.poll() is not None:
            sys.exit(f"server exited with {proc.returncode}")
        try:
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            c.request("GET", "/health")
            if c.getresponse().status == 200:
                return
        except OSError:
            pass
        time.sleep(0.5)
    sys.exit("server did not become ready")


def stream(port, body):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=1200)
    c.request("POST", "/v1/completions", json.dumps(body), {"Content-Type": "application/json"})
    r = c.getresponse()
    if r.status != 200:
        raise RuntimeError(f"status {r.status}: {r.read()[:200]!r}")
    objects, _ = read_events(r)
    tokens = 0
    for obj in objects:
        if obj.get("usage"):
            tokens = obj["usage"]["completion_tokens"]
    return tokens


def measure(port, streams, n_tokens, rounds, extra):
    best = 0.0
    for rnd in range(rounds):
        counts = [0] * streams
        errors = []

        def client(i):
            body = {"prompt": [1, 2, 3, 4, 5, 6, 7, 8], "max_tokens": n_tokens,
                    "temperature": 1.0, "seed": 1000 * rnd + i, "stream": True,
                    "stream_options": {"include_usage": True}, **extra}
            try:
                counts[i] = stream(port, body)
            except Exception as e:  # noqa: BLE001 - reported below
                errors.append(str(e))

        threads = [threading.Thread(target=client, args=(i,)) for i in range(streams)]
        start = time.time()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        elapsed = time.time() - start
        if errors:
            sys.exit("requests failed: " + errors[0])
        best = max(best, sum(counts) / elapsed)
    return best


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("model")
    ap.add_argument("--exaone", required=True)
    ap.add_argument("--llama-server")
    ap.add_argument("--streams", default="1,4,16")
    ap.add_argument("--tokens", type=int, default=64)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("-t", "--threads", type=int, default=2)
    ap.add_argument("--ctx", type=int, default=1024)
    args = ap.parse_args()
    levels = [int(x) for x in args.streams.split(",")]
    most = max(levels)

    results = {}
    servers = [("exaone", [args.exaone, "serve", args.model, "--quiet", "--parallel", str(most),
                           "-c", str(args.ctx), "-t", str(args.threads)], "--port", {})]
    if args.llama_server:
        servers.append(("llama-server", [args.llama_server, "-m", args.model, "-np", str(most),
                                         "-c", str(args.ctx * most), "-t", str(args.threads),
                                         "--host", "127.0.0.1"], "--port",
                        {"ignore_eos": True}))
    for name, cmd, port_flag, extra in servers:
        port = free_port()
        proc = subprocess.Popen(cmd + [port_flag, str(port)], stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
        try:
            wait_ready(port, proc)
            measure(port, 1, 8, 1, extra)  # warm-up
            for n in levels:
                results[(name, n)] = measure(port, n, args.tokens, args.rounds, extra)
                print(f"{name}: {n} streams: {results[(name, n)]:.1f} tokens/s", file=sys.stderr)
        finally:
            proc.terminate()
            proc.wait(timeout=120)

    print(f"model {args.model}, {args.threads} threads, {args.tokens} tokens per stream, best of "
          f"{args.rounds} rounds\n")
    print("| streams | exaone tokens/s | x exaone 1 stream | llama-server tokens/s | ratio |")
    print("|---:|---:|---:|---:|---:|")
    for n in levels:
        ours = results[("exaone", n)]
        theirs = results.get(("llama-server", n))
        print(f"| {n} | {ours:.1f} | {ours / results[('exaone', levels[0])]:.2f} | "
              + (f"{theirs:.1f} | {ours / theirs:.2f} |" if theirs else "- | - |"))


if __name__ == "__main__":
    main()
