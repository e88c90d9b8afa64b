"""`exaone serve` through the official `openai` Python client on loopback: chat and completions,
streaming and not, usage, stop strings, seed reproducibility, reasoning split with thinking on
and off, tool calls and their round trip, errors as OpenAI error objects, API keys, the
loopback-only default and shutdown on SIGTERM."""
import json
import socket
import subprocess

import pytest

from conftest import exaone_bin
from serve_util import Server, chat_folder

openai = pytest.importorskip("openai", reason="the openai package is not installed")


REASONING = ["Let me think.", "</think>", "The answer is 42."]
CALL = '{"name": "get_weather", "arguments": {"city": "Seoul", "unit": "celsius"}}'
TOOLS = [{"type": "function", "function": {
    "name": "get_weather", "description": "Current weather of a city.",
    "parameters": {"type": "object", "properties": {"city": {"type": "string"},
                                                    "unit": {"type": "string"}},
                   "required": ["city"]}}}]


@pytest.fixture(scope="module")
def chat_server(tmp_path_factory):
    folder = chat_folder(tmp_path_factory.mktemp("m") / "chat")
    s = Server(folder, "--model-id", "exaone-test", "-c", "512", "-t", "2",
               "--max-body-bytes", "65536")
    yield s
    assert s.stop() == 0, "".join(s.log)


@pytest.fixture(scope="module")
def reasoner(tmp_path_factory):
    folder = chat_folder(tmp_path_factory.mktemp("m") / "reasoner", REASONING)
    s = Server(folder, "--model-id", "reasoner", "-c", "512", "-t", "1")
    yield s
    assert s.stop() == 0


@pytest.fixture(scope="module")
def tool_model(tmp_path_factory):
    folder = chat_folder(tmp_path_factory.mktemp("m") / "tools", ["<tool_call>", CALL, "</tool_call>"])
    s = Server(folder, "--model-id", "tools", "-c", "1024", "-t", "1")
    yield s
    assert s.stop() == 0


def client(server, key="unused"):
    return openai.OpenAI(base_url=server.url + "/v1", api_key=key, max_retries=0, timeout=120)


USER = [{"role": "user", "content": "Count: 1 2 3"}]


def test_health_and_models(chat_server):
    status, _, body = chat_server.request("GET", "/health")
    assert status == 200 and body == {"status": "ok"}
    models = client(chat_server).models.list()
    assert [m.id for m in models.data] == ["exaone-test"]
    assert client(chat_server).models.retrieve("exaone-test").id == "exaone-test"


def test_chat_usage_and_length(chat_server):
    c = client(chat_server)
    r = c.chat.completions.create(model="exaone-test", messages=USER, max_tokens=6,
                                  temperature=0, logit_bias={})
    choice = r.choices[0]
    assert r.object == "chat.completion" and r.id.startswith("chatcmpl-")
    assert choice.message.role == "assistant" and isinstance(choice.message.content, str)
    assert r.usage.prompt_tokens > 5
    assert r.usage.total_tokens == r.usage.prompt_tokens + r.usage.completion_tokens
    if choice.finish_reason == "length":
        assert r.usage.completion_tokens == 6
    else:
        assert choice.finish_reason == "stop" and r.usage.completion_tokens <= 6


def test_stream_equals_non_stream(chat_server):
    c = client(chat_server)
    args = dict(model="exaone-test", messages=USER, max_tokens=12, temperature=0.8, seed=7)
    whole = c.chat.completions.create(**args)
    pieces, finish, usage = [], None, None
    for chunk in c.chat.completions.create(**args, stream=True,
                                           stream_options={"include_usage": True}):
        if chunk.usage is not None:
            usage = chunk.usage
            assert chunk.choices == []
            continue
        delta = chunk.choices[0].delta
        pieces.append(delta.content or "")
        finish = chunk.choices[0].finish_reason or finish
    assert "".join(pieces) == whole.choices[0].message.content
    assert finish == whole.choices[0].finish_reason
    assert usage is not None and usage.completion_tokens == whole.usage.completion_tokens
    assert usage.prompt_tokens == whole.usage.prompt_tokens


def test_seed_reproducibility(chat_server):
    c = client(chat_server)
    args = dict(model="exaone-test", messages=USER, max_tokens=16, temperature=1.0)
    a = c.chat.completions.create(**args, seed=123).choices[0].message.content
    b = c.chat.completions.create(**args, seed=123).choices[0].message.content
    assert a == b
    others = {c.chat.completions.create(**args, seed=s).choices[0].message.content
              for s in range(1, 6)}
    assert len(others) > 1, "five seeds gave the same text"


def test_n_choices(chat_server):
    r = client(chat_server).chat.completions.create(model="exaone-test", messages=USER,
                                                    max_tokens=8, temperature=1.0, seed=5, n=3)
    assert [ch.index for ch in r.choices] == [0, 1, 2]
    for ch in r.choices:
        assert isinstance(ch.message.content, str)
    assert 3 <= r.usage.completion_tokens <= 24


def test_stop_string(chat_server):
    c = client(chat_server)
    args = dict(model="exaone-test", messages=USER, max_tokens=24, temperature=0)
    text = c.chat.completions.create(**args).choices[0].message.content
    if len(text) < 6:
        pytest.skip(f"the random model answered too briefly to cut: {text!r}")
    stop = text[3:6]
    r = c.chat.completions.create(**args, stop=[stop])
    cut = r.choices[0].message.content
    assert cut == text[:text.index(stop)]
    assert r.choices[0].finish_reason == "stop"
    streamed = "".join(ch.choices[0].delta.content or "" for ch in
                       c.chat.completions.create(**args, stop=stop, stream=True) if ch.choices)
    assert streamed == cut


def test_completions(chat_server):
    c = client(chat_server)
    r = c.completions.create(model="exaone-test", prompt="1 2 3", max_tokens=8, temperature=0)
    assert r.object == "text_completion" and isinstance(r.choices[0].text, str)
    echoed = c.completions.create(model="exaone-test", prompt="1 2 3", max_tokens=8,
                                  temperature=0, echo=True)
    assert echoed.choices[0].text == "1 2 3" + r.choices[0].text
    streamed = "".join(ch.choices[0].text for ch in c.completions.create(
        model="exaone-test", prompt="1 2 3", max_tokens=8, temperature=0, stream=True))
    assert streamed == r.choices[0].text


@pytest.mark.parametrize("stream", [False, True])
def test_reasoning_split(reasoner, stream):
    c = client(reasoner)

    def ask(**kwargs):
        args = dict(model="reasoner", messages=[{"role": "user", "content": "What is 6 x 7?"}],
                    temperature=0, max_tokens=10, **kwargs)
        if not stream:
            m = c.chat.completions.create(**args).choices[0].message
            return getattr(m, "reasoning_content", None), m.content
        reasoning, content = [], []
        for ch in c.chat.completions.create(**args, stream=True):
            d = ch.choices[0].delta
            reasoning.append(getattr(d, "reasoning_content", None) or "")
            content.append(d.content or "")
        return "".join(reasoning) or None, "".join(content)

    # Thinking on: the template opened <think>, so everything before </think> is reasoning.
    assert ask(extra_body={"chat_template_kwargs": {"enable_thinking": True}}) == (
        "Let me think.", "The answer is 42.")
    # Thinking off or absent: nothing is reasoning, whatever the text holds.
    for extra in [{}, {"extra_body": {"chat_template_kwargs": {"enable_thinking": False}}}]:
        assert ask(**extra) == (None, "Let me think.</think>The answer is 42.")


@pytest.mark.parametrize("stream", [False, True])
def test_tool_calls_round_trip(tool_model, stream):
    c = client(tool_model)
    messages = [{"role": "user", "content": "Weather in Seoul?"}]
    args = dict(model="tools", messages=messages, tools=TOOLS, temperature=0, max_tokens=10)
    if stream:
        calls, finish, content = [], None, ""
        for ch in c.chat.completions.create(**args, stream=True):
            d = ch.choices[0].delta
            content += d.content or ""
            for tc in d.tool_calls or []:
                calls.append((tc.index, tc.id, tc.function.name, tc.function.arguments))
            finish = ch.choices[0].finish_reason or finish
        assert content == ""
        assert len(calls) == 1
        index, call_id, name, arguments = calls[0]
        assert index == 0
    else:
        r = c.chat.completions.create(**args)
        msg, finish = r.choices[0].message, r.choices[0].finish_reason
        assert msg.content is None
        assert len(msg.tool_calls) == 1
        tc = msg.tool_calls[0]
        call_id, name, arguments = tc.id, tc.function.name, tc.function.arguments
        assert tc.type == "function"
    assert finish == "tool_calls"
    assert name == "get_weather"
    assert json.loads(arguments) == {"city": "Seoul", "unit": "celsius"}
    assert call_id.startswith("call_")
    # The call and its result go back into the template.
    messages += [{"role": "assistant", "content": None, "tool_calls": [
                     {"id": call_id, "type": "function",
                      "function": {"name": name, "arguments": arguments}}]},
                 {"role": "tool", "tool_call_id": call_id, "content": '{"temp": 3}'}]
    again = c.chat.completions.create(model="tools", messages=messages, tools=TOOLS,
                                      temperature=0, max_tokens=10)
    assert again.usage.prompt_tokens > 0
    # Without tools the same output is plain content.
    plain = c.chat.completions.create(model="tools", messages=messages[:1], temperature=0,
                                      max_tokens=10)
    assert plain.choices[0].message.content == "<tool_call>" + CALL + "</tool_call>"
    assert plain.choices[0].finish_reason == "stop"


def test_errors_are_openai_error_objects(chat_server):
    c = client(chat_server)
    with pytest.raises(openai.BadRequestError) as e:
        c.chat.completions.create(model="exaone-test", messages=[{"role": "wizard",
                                                                  "content": "hi"}])
    assert "wizard" in e.value.body["message"]
    with pytest.raises(openai.NotFoundError):
        c.chat.completions.create(model="other-model", messages=USER)
    with pytest.raises(openai.BadRequestError) as e:
        c.chat.completions.create(model="exaone-test", messages=USER, max_tokens=-1)
    assert e.value.body["param"] == "max_tokens"
    with pytest.raises(openai.BadRequestError) as e:
        c.chat.completions.create(model="exaone-test", messages=USER,
                                  extra_body={"frobnicate": 1})
    assert "frobnicate" in e.value.body["message"]
    with pytest.raises(openai.BadRequestError) as e:
        c.chat.completions.create(model="exaone-test",
                                  messages=[{"role": "user", "content": "1 " * 600}])
    assert e.value.body["code"] == "context_length_exceeded"
    for status, _, body in [
            chat_server.request("POST", "/v1/chat/completions", raw=b"{not json"),
            chat_server.request("POST", "/v1/chat/completions", raw=b"[1, 2]"),
            chat_server.request("POST", "/v1/chat/completions", body={"messages": "hi"}),
            chat_server.request("POST", "/v1/chat/completions",
                                body={"messages": USER, "temperature": "hot"})]:
        assert status == 400 and set(body["error"]) == {"message", "type", "param", "code"}
    status, _, body = chat_server.request("GET", "/v1/nothing")
    assert status == 404 and body["error"]["type"] == "invalid_request_error"
    status, headers, body = chat_server.request("GET", "/v1/chat/completions")
    assert status == 405
    status, _, body = chat_server.request("POST", "/v1/chat/completions", raw=b"{}",
                                          headers={"Content-Type": "text/plain"})
    assert status == 415
    status, _, body = chat_server.request("POST", "/v1/chat/completions",
                                          raw=b"{" + b" " * 100000 + b"}")
    assert status == 413
    # Nothing leaks the model's path.
    assert str(chat_server.proc.args[2]) not in json.dumps(body)
    # Still serving.
    assert chat_server.request("GET", "/health")[0] == 200


def test_api_keys(tmp_path):
    folder = chat_folder(tmp_path / "m")
    keyfile = tmp_path / "keys"
    keyfile.write_text("# team keys\nsecond-key-5678\n")
    s = Server(folder, "--api-key", "first-key-1234", "--api-key-file", keyfile, "-c", "256")
    try:
        assert s.request("GET", "/health")[0] == 200
        for key in ["first-key-1234", "second-key-5678"]:
            assert client(s, key).models.list().data[0].id == "m"
        with pytest.raises(openai.AuthenticationError):
            client(s, "wrong-key-0000").models.list()
        status, headers, body = s.request("GET", "/v1/models")
        assert status == 401 and body["error"]["code"] == "invalid_api_key"
        assert s.request("GET", "/metrics")[0] == 401
        status, _, text = s.request("GET", "/metrics",
                                    headers={"Authorization": "Bearer first-key-1234"})
        assert status == 200 and "exaone_requests_total" in text
    finally:
        assert s.stop() == 0


def test_refuses_public_address_without_keys(tmp_path):
    r = subprocess.run([exaone_bin(), "serve", str(tmp_path / "none"), "--host", "0.0.0.0"],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 2 and "without API keys" in r.stderr


def test_shutdown_on_sigterm_while_streaming(tmp_path):
    folder = chat_folder(tmp_path / "m")
    s = Server(folder, "-c", "256")
    stream = client(s).chat.completions.create(model="m", messages=USER, max_tokens=200,
                                               temperature=1.0, seed=1, stream=True)
    first = next(iter(stream))
    assert first.choices[0].delta.role == "assistant"
    assert s.stop() == 0
    # The port is free again.
    with socket.socket() as sock:
        assert sock.connect_ex(("127.0.0.1", s.port)) != 0


def test_logprobs_match_the_logits(chat_server, tmp_path):
    """The first generated token's logprob equals log-softmax of `exaone logits` for the same
    ids; top_logprobs are the most likely tokens in order; stream and non-stream agree."""
    import numpy as np

    from conftest import run
    c = client(chat_server)
    ids = [5, 6, 7, 8, 9]
    r = c.completions.create(model="exaone-test", prompt=ids, max_tokens=4, temperature=0,
                             logprobs=3)
    lp = r.choices[0].logprobs
    assert len(lp.tokens) == len(lp.token_logprobs) == len(lp.top_logprobs) == \
        r.usage.completion_tokens
    folder = chat_server.proc.args[2]
    out = tmp_path / "logits.bin"
    run("logits", folder, "--ids", ",".join(map(str, ids)), "--out", out)
    logits = np.fromfile(out, dtype=np.float32).reshape(len(ids), -1)[-1].astype(np.float64)
    logsoft = logits - (logits.max() + np.log(np.exp(logits - logits.max()).sum()))
    best = int(np.argmax(logits))
    assert abs(lp.token_logprobs[0] - logsoft[best]) < 1e-4
    top = sorted(lp.top_logprobs[0].values(), reverse=True)
    assert np.allclose(top, np.sort(logsoft)[::-1][:3], atol=1e-4)
    # Chat: entries with bytes, most likely alternatives first; greedy picks the first.
    args = dict(model="exaone-test", messages=USER, max_tokens=5, temperature=0,
                logprobs=True, top_logprobs=4)
    whole = c.chat.completions.create(**args).choices[0].logprobs.content
    assert 1 <= len(whole) <= 5
    for entry in whole:
        assert entry.logprob <= 0 and len(entry.top_logprobs) == 4
        values = [t.logprob for t in entry.top_logprobs]
        assert values == sorted(values, reverse=True)
        assert abs(entry.logprob - values[0]) < 1e-6
        assert bytes(entry.bytes).decode("utf-8", "replace") == entry.token
    streamed = []
    for ch in c.chat.completions.create(**args, stream=True):
        if ch.choices and ch.choices[0].logprobs is not None:
            streamed += ch.choices[0].logprobs.content
    assert [(e.token, round(e.logprob, 5)) for e in streamed] == \
        [(e.token, round(e.logprob, 5)) for e in whole]


def test_metrics(chat_server):
    c = client(chat_server)
    c.chat.completions.create(model="exaone-test", messages=USER, max_tokens=4, temperature=0)
    list(c.chat.completions.create(model="exaone-test", messages=USER, max_tokens=4,
                                   temperature=0, stream=True))
    status, headers, text = chat_server.request("GET", "/metrics")
    assert status == 200 and headers["Content-Type"].startswith("text/plain")
    values = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            name, value = line.rsplit(" ", 1)
            values[name] = float(value)
    assert values['exaone_requests_total{status="200"}'] >= 2
    assert values["exaone_prompt_tokens_total"] > 0
    assert values["exaone_generation_tokens_total"] >= 2
    assert values["exaone_time_to_first_token_seconds_count"] >= 2
    assert values['exaone_time_to_first_token_seconds_bucket{le="+Inf"}'] == \
        values["exaone_time_to_first_token_seconds_count"]
    assert values["exaone_queue_length"] == 0 and values["exaone_running_sequences"] == 0
    assert 0 <= values["exaone_kv_cache_usage_ratio"] <= 1
    for name in ["exaone_inter_token_latency_seconds_sum", "exaone_requests_total"]:
        assert any(k.startswith(name) for k in values), name
