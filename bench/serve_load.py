#!/usr/bin/env python3
"""Load test for `exaone serve` on loopback: many concurrent streaming clients for a bounded time,
checking that no request fails with a 5xx, that no stream is lost or mixed up with another (each
stream's text must equal the same request run alone, with the same seed, before the load), and
that the server's resident memory returns to its baseline afterwards.

  bench/serve_load.py --exaone build/release/cli/exaone --model MODEL [--clients 64]
                      [--seconds 120] [--max-requests 200000] [--parallel 16] [--max-tokens 32]

The server is started by the script on 127.0.0.1 with a free port (and stopped at the end with
SIGTERM, which must exit 0). Prompts are --prompts distinct chat messages, each with --seeds
seeds, sampled at temperature 1. Prints one summary line; exits 1 when a check fails. Standard
library only."""
import argparse
import http.client
import json
import random
import re
import signal
import subprocess
import sys
import threading
import time

from sse import read_events


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def stream_chat(port, body, timeout=300):
    """(status, text, finish_reason) of one streaming chat request."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("POST", "/v1/chat/completions", json.dumps(body),
                     {"Content-Type": "application/json"})
        r = conn.getresponse()
        if r.status != 200:
            r.read()
            return r.status, None, None
        objects, done = read_events(r)
        if not done:
            return -1, None, None  # the stream ended without [DONE]: lost
        text, finish = [], None
        for obj in objects:
            if "error" in obj:
                return 500, None, None
            choice = obj["choices"][0]
            text.append(choice["delta"].get("content") or "")
            finish = choice.get("finish_reason") or finish
        return 200, "".join(text), finish
    finally:
        conn.close()


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--exaone", required=True)
    ap.add_argument("--model", required=True)
    ap.add_argument("--clients", type=int, default=64)
    ap.add_argument("--seconds", type=float, default=120)
    ap.add_argument("--max-requests", type=int, default=200000)
    ap.add_argument("--parallel", type=int, default=16)
    ap.add_argument("--max-tokens", type=int, default=32)
    ap.add_argument("--prompts", type=int, default=8)
    ap.add_argument("--seeds", type=int, default=4)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--ctx", type=int, default=512)
    args = ap.parse_args()
    if args.clients > 256 or args.seconds > 3600:
        ap.error("bounded: at most 256 clients and 3600 s")

    server = subprocess.Popen(
        [args.exaone, "serve", args.model, "--host", "127.0.0.1", "--port", "0", "--quiet",
         "--parallel", str(args.parallel), "--max-queue", str(4 * args.clients),
         "--max-connections", str(2 * args.clients + 16), "-t", str(args.threads),
         "-c", str(args.ctx)],
        stderr=subprocess.PIPE, text=True)
    port = None
    while True:
        line = server.stderr.readline()
        if not line:
            sys.exit("the server exited:\n" + server.stderr.read())
        m = re.search(r"listening on http://[^ ]+:(\d+)", line)
        port = int(m.group(1)) if m else port
        if "ready" in line:
            break
    threading.Thread(target=server.stderr.read, daemon=True).start()

    prompts = [f"Item {i}: " + " ".join(str((i * 7 + j) % 10) for j in range(5 + i))
               for i in range(args.prompts)]
    cases = [(p, s) for p in prompts for s in range(1, args.seeds + 1)]

    def body(case):
        prompt, seed = case
        return {"messages": [{"role": "user", "content": prompt}], "stream": True,
                "temperature": 1.0, "seed": seed, "max_tokens": args.max_tokens}

    # Each case alone, one at a time.
    expected = {}
    for case in cases:
        status, text, _ = stream_chat(port, body(case))
        if status != 200:
            sys.exit(f"reference request failed with {status}")
        expected[case] = text
    time.sleep(1)
    baseline = rss_kib(server.pid)

    stats = {"requests": 0, "ok": 0, "5xx": 0, "4xx": 0, "lost": 0, "mismatch": 0, "tokens": 0}
    lock = threading.Lock()
    end = time.time() + args.seconds

    def client(index):
        rng = random.Random(index)
        while time.time() < end:
            with lock:
                if stats["requests"] >= args.max_requests:
                    return
                stats["requests"] += 1
            case = rng.choice(cases)
            try:
                status, text, _ = stream_chat(port, body(case))
            except (OSError, http.client.HTTPException):
                status, text = -1, None
            with lock:
                if status == 200:
                    stats["ok"] += 1
                    if text != expected[case]:
                        stats["mismatch"] += 1
                elif status >= 500:
                    stats["5xx"] += 1
                elif status >= 400:
                    stats["4xx"] += 1
                else:
                    stats["lost"] += 1

    start = time.time()
    threads = [threading.Thread(target=client, args=(i,)) for i in range(args.clients)]
    for t in threads:
        t.start()
    peak = baseline
    while any(t.is_alive() for t in threads):
        peak = max(peak, rss_kib(server.pid))
        time.sleep(0.5)
    elapsed = time.time() - start
    time.sleep(2)
    after = rss_kib(server.pid)
    server.send_signal(signal.SIGTERM)
    rc = server.wait(timeout=120)

    memory_ok = after <= baseline * 1.10 + 16 * 1024
    ok = (stats["5xx"] == 0 and stats["lost"] == 0 and stats["mismatch"] == 0 and
          stats["4xx"] == 0 and memory_ok and rc == 0 and stats["ok"] > 0)
    print(f"serve_load: {'PASS' if ok else 'FAIL'}: {args.clients} clients, {elapsed:.0f} s, "
          f"{stats['requests']} requests ({stats['ok']} ok, {stats['5xx']} 5xx, "
          f"{stats['4xx']} 4xx, {stats['lost']} lost, {stats['mismatch']} differing from the "
          f"request run alone), {stats['ok'] / elapsed:.1f} requests/s; resident memory "
          f"{baseline / 1024:.0f} MiB before, {peak / 1024:.0f} MiB peak, {after / 1024:.0f} MiB "
          f"after; exit code {rc}")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
