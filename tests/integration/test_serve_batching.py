"""The serving engine's batching through the `openai` client: prompts that share a prefix (n
choices of one request, users with the same long system prompt arriving together) read it once
and take it over from one another's KV cache blocks, with the same output as when each runs
alone; and a long prompt is read in chunks between the tokens of sequences already generating,
which keep streaming meanwhile. The model has sliding-window layers, so blocks that left the
window have been given back when a prefix is taken over."""
import json
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from chat_model import make_chat_model
from serve_util import TEMPLATE, Server

openai = pytest.importorskip("openai", reason="the openai package is not installed")

PREFIX = [(7 * i) % 50 + 10 for i in range(300)]
PROMPTS = [PREFIX + [100 + u, 120 + u, 140 + u] for u in range(4)]


@pytest.fixture(scope="module")
def hybrid(tmp_path_factory):
    if TEMPLATE is None:
        pytest.skip("EXAONE 4.0 template not in ../shared")
    folder = tmp_path_factory.mktemp("m") / "hybrid"
    ids = make_chat_model(folder, TEMPLATE, layers=4, sliding_window=16)
    return folder, ids["[|endofturn|]"]


def no_special_tokens(folder):
    """logit_bias that keeps every added (special) token out, so a stream cannot stop early."""
    added = json.loads((folder / "tokenizer.json").read_text())["added_tokens"]
    return {str(t["id"]): -100 for t in added}


def client(server):
    return openai.OpenAI(base_url=server.url + "/v1", api_key="unused", max_retries=0,
                         timeout=120)


def ask(server, prompt, n=1, eos=None):
    r = client(server).completions.create(
        model="m", prompt=prompt, max_tokens=12, temperature=1.0, seed=7, n=n,
        logit_bias={str(eos): -100} if eos is not None else None)
    return [c.text for c in sorted(r.choices, key=lambda c: c.index)], r.usage


def metrics(server):
    status, _, text = server.request("GET", "/metrics")
    assert status == 200
    return {line.rsplit(" ", 1)[0]: float(line.rsplit(" ", 1)[1])
            for line in text.splitlines() if line and not line.startswith("#")}


def test_shared_prefixes_are_read_once_with_the_same_output(hybrid):
    folder, eos = hybrid
    # One sequence at a time: every prompt computed in full (or from the slot's own cache).
    solo = Server(folder, "-c", "512", "-t", "2", "--parallel", "1", "--model-id", "m")
    try:
        want = [ask(solo, p, eos=eos)[0] for p in PROMPTS]
        want_n = ask(solo, PROMPTS[0], n=3, eos=eos)[0]
    finally:
        assert solo.stop() == 0
    s = Server(folder, "-c", "512", "-t", "2", "--parallel", "4", "--model-id", "m")
    try:
        # n choices of one request on empty caches: the first reads the prompt while the other
        # two wait (they are queued together), then both take over its first 302 tokens (the
        # last prompt token is always run).
        assert ask(s, PROMPTS[0], n=3, eos=eos)[0] == want_n
        m = metrics(s)
        assert m["exaone_prefix_shared_tokens_total"] >= 2 * 302, m
        with ThreadPoolExecutor(4) as ex:
            got = list(ex.map(lambda p: ask(s, p, eos=eos), PROMPTS))
        assert [g[0] for g in got] == want
        # Each finds at least the 300-token prefix in a cache: a running sequence's or an idle
        # slot's (the first prompt all 302 of its tokens, from the n-choice request).
        cached = [g[1].prompt_tokens_details.cached_tokens for g in got]
        assert all(c >= 300 for c in cached), cached
        assert metrics(s)["exaone_prefix_reused_tokens_total"] - \
            m["exaone_prefix_reused_tokens_total"] >= 1200
        # Every block is back once nothing runs but the idle slots' caches (at most 4 x 512
        # positions of 4 layers in 64-position blocks).
        assert metrics(s)["exaone_kv_cache_blocks"] <= 4 * 4 * 8
    finally:
        assert s.stop() == 0


def test_long_prompt_is_read_between_the_tokens_of_others(hybrid):
    folder, _ = hybrid
    bias = no_special_tokens(folder)
    s = Server(folder, "-c", "2048", "-t", "2", "--parallel", "2", "--prefill-chunk", "4",
               "--model-id", "m")
    try:
        c = client(s)
        times = []
        started = threading.Event()

        def generate():
            stream = c.completions.create(model="m", prompt=[11, 12, 13], max_tokens=1500,
                                          temperature=1.0, seed=3, stream=True, logit_bias=bias)
            # Every chunk is one token (its text may be empty while a character is incomplete).
            for chunk in stream:
                if chunk.choices:
                    times.append(time.monotonic())
                    started.set()

        t = threading.Thread(target=generate)
        t.start()
        assert started.wait(60)
        # 1200 prompt tokens at 4 a step: about 300 steps, each also a token of the stream.
        submitted = time.monotonic()
        long = c.completions.create(model="m", prompt=[(3 * i) % 60 + 10 for i in range(1200)],
                                    max_tokens=1, temperature=0, stream=True)
        first = None
        for chunk in long:
            if first is None:
                first = time.monotonic()
        t.join()
        assert times[-1] > first, "the stream ended before the long prompt was read"
        # Every forward pass held the stream's token and at most 4 prompt tokens: the prompt was
        # read in chunks between the stream's tokens, never in one long pass.
        m = metrics(s)
        assert m['exaone_batch_tokens_bucket{le="8"}'] == m["exaone_batch_tokens_count"], m
        assert m["exaone_batch_tokens_sum"] >= 1200
        # And the stream kept coming meanwhile (client-side timing; a loaded machine delays
        # some, so the bar is low: read in one pass, none or one would arrive).
        during = sum(1 for x in times if submitted < x < first)
        assert during >= 10, f"only {during} tokens streamed while the long prompt was read"
    finally:
        assert s.stop() == 0
