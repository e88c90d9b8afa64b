"""Helpers for the server tests: a running `exaone serve` on a free loopback port, and tiny
scripted chat models whose greedy output is known in advance.

A scripted model has EXAONE 4.0's shape with every attention and MLP weight zero, so the last
hidden state is the RMS-normalised embedding of the last token, and the next token is a function
of the current one alone. Every ordinary token embeds as e0 and leads to the script's first token;
script token i embeds as e(i+1) and leads to token i+1; the last leads to [|endofturn|]. Script
tokens are added tokens, so a whole JSON tool call can be one step."""
import json
import os
import re
import signal
import subprocess
import time
import urllib.request

import numpy as np
import pytest

from chat_model import exaone4_template, make_chat_model, write_chat_tokenizer, write_exaone4_config
from conftest import exaone4_shapes, exaone_bin, write_safetensors


class Server:
    def __init__(self, model, *flags, env=None):
        self.proc = subprocess.Popen([exaone_bin(), "serve", str(model), "--port", "0", *flags],
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                     env=None if env is None else {**os.environ, **env})
        self.log = []
        line = self._readline(60)
        m = re.search(r"listening on http://([^ ]+):(\d+)", line)
        assert m, f"no listening line: {line!r}\n{self.stderr_rest()}"
        self.host, self.port = m.group(1), int(m.group(2))
        self.url = f"http://127.0.0.1:{self.port}"
        self._readline_until("ready", 120)

    def _readline(self, timeout):
        end = time.time() + timeout
        while time.time() < end:
            line = self.proc.stderr.readline()
            if line:
                self.log.append(line)
                return line
            if self.proc.poll() is not None:
                break
        raise AssertionError("server exited or timed out:\n" + "".join(self.log))

    def _readline_until(self, word, timeout):
        end = time.time() + timeout
        while word not in self._readline(max(1, end - time.time())):
            pass

    def stderr_rest(self):
        try:
            return self.proc.stderr.read()
        except ValueError:
            return ""

    def request(self, method, path, body=None, headers=None, raw=None):
        """(status, headers, parsed JSON or text) of one request."""
        data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
        h = {"Content-Type": "application/json"} if data is not None else {}
        h.update(headers or {})
        req = urllib.request.Request(self.url + path, data=data, method=method, headers=h)
        try:
            with urllib.request.urlopen(req, timeout=120) as r:
                status, hdrs, text = r.status, dict(r.headers), r.read().decode()
        except urllib.error.HTTPError as e:
            status, hdrs, text = e.code, dict(e.headers), e.read().decode()
        try:
            return status, hdrs, json.loads(text)
        except json.JSONDecodeError:
            return status, hdrs, text

    def stop(self, sig=signal.SIGTERM, timeout=60):
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        rc = self.proc.wait(timeout=timeout)
        self.log.append(self.stderr_rest())
        return rc


def make_scripted_model(folder, template, script):
    """An EXAONE 4.0 HF folder whose greedy continuation of any prompt is `script` (a list of
    strings, each made one added token unless it already is one), then [|endofturn|]."""
    hidden, layers = 32, 1
    assert len(script) + 1 < hidden
    ids, vocab = write_chat_tokenizer(folder, template, extra=script)
    heads, kv, hd, ffn = write_exaone4_config(folder, vocab, ids["[|endofturn|]"], hidden, layers,
                                              tied=False)
    embed = np.zeros((vocab, hidden), np.float32)
    embed[:, 0] = 1.0
    out = np.zeros((vocab, hidden), np.float32)
    chain = [ids[s] for s in script] + [ids["[|endofturn|]"]]
    out[chain[0], 0] = 4.0
    for i, t in enumerate(chain[:-1]):
        embed[t] = 0.0
        embed[t, i + 1] = 1.0
        out[chain[i + 1], i + 1] = 4.0
    # Every layer matrix zero and every norm weight one; then the scripted embedding and output.
    arrays = {name: ("F32", shape, (np.ones if len(shape) == 1 else np.zeros)(
                  shape, np.float32).tobytes())
              for name, shape in exaone4_shapes(vocab, hidden, layers, heads, kv, hd, ffn).items()}
    arrays["model.embed_tokens.weight"] = ("F32", [vocab, hidden], embed.tobytes())
    arrays["lm_head.weight"] = ("F32", [vocab, hidden], out.tobytes())
    write_safetensors(folder / "model.safetensors", arrays)
    return ids


TEMPLATE = exaone4_template()


def chat_folder(folder, script=None):
    """A tiny chat model in `folder`: random weights, or scripted to answer `script`. Skips the
    test when ../shared lacks EXAONE 4.0's chat template."""
    if TEMPLATE is None:
        pytest.skip("EXAONE 4.0 template not in ../shared")
    if script is None:
        make_chat_model(folder, TEMPLATE)
    else:
        make_scripted_model(folder, TEMPLATE, script)
    return folder
