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

from chat_model import ADDED
from conftest import FIXTURES, exaone_bin, write_safetensors


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
    folder.mkdir(parents=True, exist_ok=True)
    tok = json.loads((FIXTURES / "tokenizer" / "digits_style" / "tokenizer.json").read_text())
    next_id = max(tok["model"]["vocab"].values()) + 1
    for a in tok["added_tokens"]:
        next_id = max(next_id, a["id"] + 1)
    ids = {}
    for content, special in ADDED + [(s, False) for s in script if s not in dict(ADDED)]:
        ids[content] = next_id
        tok["added_tokens"].append({"id": next_id, "content": content, "single_word": False,
                                    "lstrip": False, "rstrip": False, "normalized": False,
                                    "special": special})
        next_id += 1
    vocab = next_id
    (folder / "tokenizer.json").write_text(json.dumps(tok))
    (folder / "tokenizer_config.json").write_text(json.dumps(
        {"eos_token": "[|endofturn|]", "pad_token": "<pad>", "bos_token": None,
         "chat_template": template}))
    hidden, layers, heads, kv = 32, 1, 4, 2
    hd, ffn = hidden // heads, hidden * 2
    assert len(script) + 1 < hidden
    (folder / "config.json").write_text(json.dumps({
        "architectures": ["Exaone4ForCausalLM"], "model_type": "exaone4", "vocab_size": vocab,
        "hidden_size": hidden, "num_hidden_layers": layers, "num_attention_heads": heads,
        "num_key_value_heads": kv, "head_dim": hd, "intermediate_size": ffn,
        "max_position_embeddings": 4096, "rms_norm_eps": 1e-5, "rope_theta": 10000.0,
        "sliding_window": None, "tie_word_embeddings": False,
        "eos_token_id": ids["[|endofturn|]"], "bos_token_id": 1, "pad_token_id": 0}))
    embed = np.zeros((vocab, hidden), np.float32)
    embed[:, 0] = 1.0
    out = np.zeros((vocab, hidden), np.float32)
    chain = [ids[s] for s in script] + [ids["[|endofturn|]"]]
    out[chain[0], 0] = 4.0
    for i, t in enumerate(chain[:-1]):
        embed[t] = 0.0
        embed[t, i + 1] = 1.0
        out[chain[i + 1], i + 1] = 4.0
    arrays = {"model.embed_tokens.weight": ("F32", [vocab, hidden], embed.tobytes()),
              "lm_head.weight": ("F32", [vocab, hidden], out.tobytes()),
              "model.norm.weight": ("F32", [hidden], np.ones(hidden, np.float32).tobytes())}
    for i in range(layers):
        p = f"model.layers.{i}."
        for name, shape in {"self_attn.q_proj.weight": [heads * hd, hidden],
                            "self_attn.k_proj.weight": [kv * hd, hidden],
                            "self_attn.v_proj.weight": [kv * hd, hidden],
                            "self_attn.o_proj.weight": [hidden, heads * hd],
                            "mlp.gate_proj.weight": [ffn, hidden],
                            "mlp.up_proj.weight": [ffn, hidden],
                            "mlp.down_proj.weight": [hidden, ffn]}.items():
            arrays[p + name] = ("F32", shape, np.zeros(shape, np.float32).tobytes())
        for name, n in {"self_attn.q_norm.weight": hd, "self_attn.k_norm.weight": hd,
                        "post_attention_layernorm.weight": hidden,
                        "post_feedforward_layernorm.weight": hidden}.items():
            arrays[p + name] = ("F32", [n], np.ones(n, np.float32).tobytes())
    write_safetensors(folder / "model.safetensors", arrays)
    return ids
