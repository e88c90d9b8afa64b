"""Structured output through `exaone serve` and the official `openai` client: response_format
json_schema / json_object, the guided_json / guided_regex / guided_choice extensions and forced
tool calls (tool_choice "required" or a named function), streaming and not. A chat model with
random weights samples at temperature 1 with several seeds, and every answer must parse and
validate (jsonschema); scripted models show that reasoning comes first when thinking is on, and
that a forced call replaces what the model would rather write. Bad schemas are 400s that name
the keyword."""
import json
import os
import re

import pytest

from serve_util import Server, chat_folder

openai = pytest.importorskip("openai", reason="the openai package is not installed")
jsonschema = pytest.importorskip("jsonschema", reason="the jsonschema package is not installed")

PERSON = {"type": "object",
          "properties": {"name": {"type": "string", "maxLength": 10},
                         "age": {"type": "integer", "minimum": 0, "maximum": 150},
                         "email": {"type": "string", "format": "email"},
                         "langs": {"type": "array", "items": {"enum": ["ko", "en", "ja"]},
                                   "maxItems": 3}},
          "required": ["name", "age"], "additionalProperties": False}
TOOLS = [
    {"type": "function", "function": {
        "name": "get_weather", "description": "Current weather of a city.",
        "parameters": {"type": "object",
                       "properties": {"city": {"type": "string", "maxLength": 12},
                                      "unit": {"enum": ["celsius", "fahrenheit"]}},
                       "required": ["city", "unit"], "additionalProperties": False}}},
    {"type": "function", "function": {
        "name": "add", "parameters": {
            "type": "object", "properties": {"a": {"type": "integer", "minimum": -99,
                                                   "maximum": 99},
                                             "b": {"type": "integer", "minimum": -99,
                                                   "maximum": 99}},
            "required": ["a", "b"], "additionalProperties": False}}},
]
PARAMS = {t["function"]["name"]: t["function"]["parameters"] for t in TOOLS}
USER = [{"role": "user", "content": "Tell me about someone."}]
# Seeds per check; fewer under the sanitizers (same code, slower; they look for memory errors).
SEEDS = 1 if os.environ.get("EXAONE_SANITIZED") == "1" else 3


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    folder = chat_folder(tmp_path_factory.mktemp("m") / "chat")
    s = Server(folder, "--model-id", "m", "-c", "4096", "-t", "2", "--parallel", "4")
    yield s
    assert s.stop() == 0, "".join(s.log)


def client(server):
    return openai.OpenAI(base_url=server.url + "/v1", api_key="unused", max_retries=0,
                         timeout=300)


def chat(server, stream, **kwargs):
    """(content, reasoning, tool calls as (name, arguments), finish_reason) of one choice."""
    c = client(server)
    args = {"model": "m", "messages": USER, "temperature": 1, "max_tokens": 1500, **kwargs}
    if not stream:
        r = c.chat.completions.create(**args)
        m = r.choices[0].message
        calls = [(t.function.name, t.function.arguments) for t in m.tool_calls or []]
        return m.content, getattr(m, "reasoning_content", None), calls, r.choices[0].finish_reason
    content, reasoning, calls, finish = "", "", {}, None
    for ch in c.chat.completions.create(**args, stream=True):
        if not ch.choices:
            continue
        d = ch.choices[0].delta
        content += d.content or ""
        reasoning += getattr(d, "reasoning_content", None) or ""
        for t in d.tool_calls or []:
            name, arguments = calls.get(t.index, ("", ""))
            calls[t.index] = (name + (t.function.name or ""),
                              arguments + (t.function.arguments or ""))
        finish = ch.choices[0].finish_reason or finish
    return content or None, reasoning or None, [calls[i] for i in sorted(calls)], finish


@pytest.mark.parametrize("stream", [False, True])
def test_response_format_json_schema(server, stream):
    for seed in range(SEEDS):
        content, _, calls, finish = chat(server, stream, seed=seed, response_format={
            "type": "json_schema",
            "json_schema": {"name": "person", "schema": PERSON, "strict": True}})
        assert finish == "stop" and not calls, content
        jsonschema.validate(json.loads(content), PERSON,
                            format_checker=jsonschema.FormatChecker())


@pytest.mark.parametrize("stream", [False, True])
def test_response_format_json_object(server, stream):
    for seed in range(min(2, SEEDS)):
        content, _, _, finish = chat(server, stream, seed=seed,
                                     response_format={"type": "json_object"})
        if finish == "length":  # an unbounded object may run to max_tokens; then try again
            continue
        assert finish == "stop"
        assert isinstance(json.loads(content), dict), content


def test_guided_extensions(server):
    for seed in range(min(2, SEEDS)):
        content, _, _, finish = chat(server, False, seed=seed, extra_body={
            "guided_choice": ["positive", "negative", "neutral ☺"]})
        assert finish == "stop" and content in ["positive", "negative", "neutral ☺"]
        pattern = r"[A-Z]{3}-\d{4}( \(urgent\))?"
        content, _, _, finish = chat(server, True, seed=seed,
                                     extra_body={"guided_regex": pattern})
        assert finish == "stop" and re.fullmatch(pattern, content), content
        content, _, _, finish = chat(server, False, seed=seed,
                                     extra_body={"guided_json": PARAMS["add"]})
        assert finish == "stop"
        jsonschema.validate(json.loads(content), PARAMS["add"])
    # The completions endpoint takes them too.
    r = client(server).completions.create(model="m", prompt="Mood:", max_tokens=20, seed=1,
                                          extra_body={"guided_choice": ["up", "down"]})
    assert r.choices[0].text in ["up", "down"] and r.choices[0].finish_reason == "stop"


@pytest.mark.parametrize("stream", [False, True])
def test_forced_tool_calls(server, stream):
    for seed in range(SEEDS):
        content, _, calls, finish = chat(server, stream, seed=seed, tools=TOOLS,
                                         tool_choice="required", parallel_tool_calls=False)
        assert finish == "tool_calls" and content is None and len(calls) == 1, (content, calls)
        name, arguments = calls[0]
        jsonschema.validate(json.loads(arguments), PARAMS[name])
        # A named function: always that one.
        content, _, calls, finish = chat(
            server, stream, seed=seed, tools=TOOLS,
            tool_choice={"type": "function", "function": {"name": "add"}})
        assert finish == "tool_calls" and content is None and calls, (content, calls)
        for name, arguments in calls:
            assert name == "add"
            jsonschema.validate(json.loads(arguments), PARAMS["add"])


@pytest.mark.parametrize("stream", [False, True])
def test_reasoning_comes_first(tmp_path, stream):
    """Thinking on: the scripted model reasons, closes </think>, then calls a tool that does
    not exist; the constraint keeps the reasoning and replaces the call with a valid one."""
    script = ["Let me check.", "</think>", "\n\n", "<tool_call>",
              '{"name": "nope", "arguments": {}}', "</tool_call>"]
    s = Server(chat_folder(tmp_path / "m", script), "--model-id", "m", "-c", "2048", "-t", "1")
    try:
        on = {"chat_template_kwargs": {"enable_thinking": True}}
        content, reasoning, calls, finish = chat(s, stream, temperature=0, tools=TOOLS,
                                                 tool_choice={"type": "function",
                                                              "function": {"name": "add"}},
                                                 parallel_tool_calls=False, extra_body=on,
                                                 max_tokens=400)
        assert reasoning == "Let me check."
        assert finish == "tool_calls" and content is None and len(calls) == 1, (content, calls)
        assert calls[0][0] == "add"
        jsonschema.validate(json.loads(calls[0][1]), PARAMS["add"])
        # Without a forced choice the same model calls its tool that does not exist.
        content, reasoning, calls, finish = chat(s, stream, temperature=0, tools=TOOLS,
                                                 extra_body=on, max_tokens=50)
        assert reasoning == "Let me check." and calls == [("nope", "{}")]
    finally:
        assert s.stop() == 0


def test_structured_errors(server):
    c = client(server)
    cases = [
        (dict(response_format={"type": "json_schema", "json_schema": {
            "name": "x", "schema": {"type": "object", "patternProperties": {}}}}),
         "response_format", "patternProperties"),
        (dict(response_format={"type": "json_schema", "json_schema": {"schema": PERSON}}),
         "response_format", "name"),
        (dict(response_format={"type": "yaml"}), "response_format", "type"),
        (dict(extra_body={"guided_regex": "(a"}), "guided_regex", ""),
        (dict(extra_body={"guided_regex": "a(?=b)"}), "guided_regex", "lookaround"),
        (dict(extra_body={"guided_choice": []}), "guided_choice", ""),
        (dict(extra_body={"guided_choice": ["a"], "guided_regex": "a"}), "guided_json", ""),
        (dict(tools=TOOLS, tool_choice={"type": "function", "function": {"name": "nope"}}),
         "tool_choice", "nope"),
        (dict(tools=[{"type": "function", "function": {
            "name": "f", "parameters": {"type": "object", "propertyNames": {}}}}],
              tool_choice="required"), "tools", "propertyNames"),
        (dict(tools=TOOLS, tool_choice="required", response_format={"type": "json_object"}),
         "tool_choice", ""),
    ]
    for kwargs, param, word in cases:
        with pytest.raises(openai.BadRequestError) as e:
            c.chat.completions.create(model="m", messages=USER, max_tokens=5, **kwargs)
        assert e.value.body["param"] == param, (kwargs, e.value.body)
        assert word in e.value.body["message"], (kwargs, e.value.body)
    assert server.request("GET", "/health")[0] == 200


def test_every_sequence_of_a_batch_keeps_its_own_constraint(server):
    """Eight requests at once on four slots, each with another constraint (or none): every
    answer has its own request's shape."""
    from concurrent.futures import ThreadPoolExecutor
    pattern = r"\d{3}-[a-z]{2,5}"
    kinds = [
        ("schema", dict(response_format={"type": "json_schema", "json_schema": {
            "name": "person", "schema": PERSON}})),
        ("add", dict(extra_body={"guided_json": PARAMS["add"]})),
        ("choice", dict(extra_body={"guided_choice": ["alpha", "beta", "gamma"]})),
        ("regex", dict(extra_body={"guided_regex": pattern})),
        ("tool", dict(tools=TOOLS, tool_choice="required", parallel_tool_calls=False)),
        ("free", dict(max_tokens=20)),
    ]
    jobs = [(kind, seed, kwargs) for seed in range(2) for kind, kwargs in kinds][:8] + \
        [(kind, 7, kwargs) for kind, kwargs in kinds[4:]]

    def one(job):
        kind, seed, kwargs = job
        return kind, chat(server, seed % 2 == 1, seed=seed, **kwargs)

    with ThreadPoolExecutor(len(jobs)) as pool:
        results = list(pool.map(one, jobs))
    for kind, (content, _, calls, finish) in results:
        if kind == "schema":
            assert finish == "stop"
            jsonschema.validate(json.loads(content), PERSON)
        elif kind == "add":
            assert finish == "stop"
            jsonschema.validate(json.loads(content), PARAMS["add"])
        elif kind == "choice":
            assert content in ["alpha", "beta", "gamma"]
        elif kind == "regex":
            assert re.fullmatch(pattern, content), content
        elif kind == "tool":
            assert finish == "tool_calls" and len(calls) == 1
            jsonschema.validate(json.loads(calls[0][1]), PARAMS[calls[0][0]])
        else:
            assert finish in ("stop", "length") and not calls
