"""`exaone run` as a person uses it: an interactive session on a pseudo-terminal that switches
reasoning on and off, checking the prompts the model's own template renders and what is shown;
one-shot -p and stdin with --json."""
import json
import os
import pty
import re
import select
import subprocess
import time

import pytest

from chat_model import exaone4_template, make_chat_model
from conftest import exaone_bin, run

TEMPLATE = exaone4_template()
needs_template = pytest.mark.skipif(TEMPLATE is None, reason="EXAONE 4.0 template not in ../shared")


class Terminal:
    """The program on a pty: type lines, read what it shows until a marker appears."""

    def __init__(self, args):
        self.master, slave = pty.openpty()
        self.proc = subprocess.Popen(args, stdin=slave, stdout=slave, stderr=subprocess.PIPE,
                                     close_fds=True)
        os.close(slave)
        self.screen = b""

    def read_until(self, marker, timeout=60, start=0):
        """Reads until `marker` appears after offset `start`; returns the screen from there."""
        end = time.time() + timeout
        while marker not in self.screen[start:]:
            left = end - time.time()
            assert left > 0, f"timed out waiting for {marker!r}; screen:\n{self.screen!r}"
            ready, _, _ = select.select([self.master], [], [], left)
            if ready:
                try:
                    self.screen += os.read(self.master, 65536)
                except OSError:
                    break
        return self.screen[start:]

    def send(self, line, until=b"\n> "):
        """Types a line and returns what the program shows until `until` appears after it."""
        mark = len(self.screen)
        self.type(line)
        return self.read_until(until, start=mark)

    def type(self, line):
        os.write(self.master, line.encode() + b"\n")

    def close(self):
        self.proc.wait(timeout=60)
        err = self.proc.stderr.read().decode()
        os.close(self.master)
        return err


def prompts(stderr):
    return re.findall(r"--- prompt ---\n(.*?)\n--- end of prompt ---", stderr, re.S)


@needs_template
def test_interactive_chat_switches_reasoning(tmp_path):
    make_chat_model(tmp_path / "m", TEMPLATE)
    t = Terminal([exaone_bin(), "run", str(tmp_path / "m"), "-n", "12", "--seed", "3",
                  "--verbose-prompt", "--system", "Stay concise."])
    t.read_until(b"> ")
    assert b"(reasoning on)" in t.send("/think on")
    first_reply = t.send("Hello there")
    assert b"(reasoning off)" in t.send("/think off")
    second = t.send("And now?")
    assert b"/reset" in t.send("/help")
    assert b"(new conversation)" in t.send("/reset")
    t.send("Again")
    t.type("/exit")
    err = t.close()
    assert t.proc.returncode == 0, err
    p = prompts(err)
    assert len(p) == 3
    # Thinking on: the template leaves <think> open (SPEC §5.3) and the reply is dimmed.
    assert p[0] == ("[|system|]\nStay concise.[|endofturn|]\n[|user|]\nHello there[|endofturn|]\n"
                    "[|assistant|]\n<think>\n")
    assert b"\x1b[2m" in first_reply
    # Thinking off: the empty think block closes it and the reply is plain. The first turn is in
    # the history, but its reasoning (shown dimmed) is not: the template keeps only answers.
    assert p[1].startswith("[|system|]\nStay concise.[|endofturn|]\n[|user|]\nHello there"
                           "[|endofturn|]\n[|assistant|]\n")
    shown = first_reply.split(b"\x1b[2m", 1)[1].split(b"\x1b[0m", 1)[0].decode(errors="replace")
    shown = shown.replace("\r\n", "\n").strip()
    if len(shown) > 3:
        assert shown not in p[1]
    assert p[1].endswith("[|user|]\nAnd now?[|endofturn|]\n[|assistant|]\n<think>\n\n</think>\n\n")
    assert b"\x1b[2m" not in second
    # After /reset only the system prompt and the new turn remain.
    assert p[2] == ("[|system|]\nStay concise.[|endofturn|]\n[|user|]\nAgain[|endofturn|]\n"
                    "[|assistant|]\n<think>\n\n</think>\n\n")
    # Each turn ends with the speed line; the second turn reuses the cached shared prefix.
    assert err.count("first token:") == 3
    reused = [int(n) for n in re.findall(r"\((\d+) reused\)", err)]
    assert reused[0] == 0 and reused[1] > 0


@needs_template
def test_one_shot_json_and_stdin(tmp_path):
    make_chat_model(tmp_path / "m", TEMPLATE)
    r = run("run", tmp_path / "m", "-p", "Hi", "--json", "-n", "8", "--think", "--seed", "1")
    out = json.loads(r.stdout)
    assert out["prompt"].endswith("[|user|]\nHi[|endofturn|]\n[|assistant|]\n<think>\n")
    assert out["finish_reason"] in ("stop", "length")
    assert out["usage"]["completion_tokens"] <= 8
    # Thinking on and no </think> in 8 random tokens: everything is reasoning, nothing answer.
    if "</think>" not in out["reasoning_content"]:
        assert out["content"] == "" or "</think>" in r.stdout
    p = subprocess.run([exaone_bin(), "run", str(tmp_path / "m"), "--json", "-n", "4"],
                       input="from stdin\n", capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    assert json.loads(p.stdout)["prompt"].endswith(
        "[|user|]\nfrom stdin[|endofturn|]\n[|assistant|]\n<think>\n\n</think>\n\n")


def test_model_without_template_says_so(tmp_path):
    make_chat_model(tmp_path / "m", None)
    r = run("run", tmp_path / "m", "-p", "Hi", check=False)
    assert r.returncode == 1 and "no chat template" in r.stderr


def test_stop_string_split_over_tokens_is_never_printed(tmp_path):
    ids = make_chat_model(tmp_path / "m", None)
    model = tmp_path / "m"
    prompt = "5,17,99,300,1200"
    full = json.loads(run("run", model, "--raw-ids", prompt, "-n", "40", "--json",
                          "--ignore-eos").stdout)
    tokens, text = full["ids"], full["text"]
    # Byte offsets where each token's text ends, from the tokenizer itself.
    ends = []
    for k in range(1, len(tokens) + 1):
        ends.append(len(run("tokenize", model, ",".join(map(str, tokens[:k])),
                            "--decode").stdout.encode()))
    raw = text.encode()
    stop = None
    for k in range(len(ends) - 1):
        b = ends[k]
        if ends[k] - (ends[k - 1] if k else 0) < 2 or ends[k + 1] - b < 2:
            continue
        candidate = raw[b - 2:b + 2]
        try:
            candidate.decode()
        except UnicodeDecodeError:
            continue
        if raw.find(candidate) == b - 2:
            stop = candidate.decode()
            cut = b - 2
            break
    if stop is None:
        pytest.skip("no token boundary with two whole characters on each side")
    r = run("run", model, "--raw-ids", prompt, "-n", "40", "--ignore-eos", "--stop", stop)
    shown = r.stdout.rstrip("\n").encode()
    assert shown == raw[:cut]  # everything before the stop string, none of it
    out = json.loads(run("run", model, "--raw-ids", prompt, "-n", "40", "--ignore-eos",
                         "--stop", stop, "--json").stdout)
    assert out["finish_reason"] == "stop" and out["text"].encode() == raw[:cut]
