#!/usr/bin/env python3
"""Writes tests/fixtures/bad_requests.jsonl: malformed and hostile requests for `exaone serve`,
each with the status it must get. Every line is one case:

  name     what the case is
  status   the HTTP status the server must answer with (always with an OpenAI error object)
  raw      the whole request (bytes as latin-1 text), for cases a client library cannot send;
           pad_header N inserts a header of N bytes after its request line; or
  method, path, headers, body (text) / body_hex (bytes) / body_pad (N: "{", N spaces, "}"),
           sent with Content-Length
  slow     true: send the head one byte at a time, slower than the server's head deadline
  auth     "wrong" or "none": the case runs against a server that has an API key

The tests run the server with `-c 512 --max-body-bytes 65536 --head-timeout 2 --body-timeout 2`.
"""
import json
import sys
from pathlib import Path

OUT = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "bad_requests.jsonl"
USER = [{"role": "user", "content": "hi"}]
CHAT = "/v1/chat/completions"
COMP = "/v1/completions"


def chat(**fields):
    body = {"messages": USER}
    body.update(fields)
    return json.dumps(body)


cases = []


def case(name, status, body=None, path=CHAT, method="POST", headers=None, **extra):
    c = {"name": name, "status": status, "method": method, "path": path}
    if body is not None:
        c["body"] = body
    if headers is not None:
        c["headers"] = headers
    c.update(extra)
    cases.append(c)


def raw(name, status, data, **extra):
    cases.append({"name": name, "status": status, "raw": data.decode("latin-1"), **extra})


# JSON that is not a request.
case("not json", 400, "{not json")
case("empty body", 400, "")
case("json array", 400, "[1, 2]")
case("json string", 400, '"hi"')
case("json null", 400, "null")
case("trailing garbage", 400, chat() + " x")
case("NaN literal", 400, '{"messages": [{"role": "user", "content": "hi"}], "temperature": NaN}')
case("comment", 400, '{"messages": [] /* c */}')
case("truncated", 400, chat()[:-3])
case("single quotes", 400, "{'messages': []}")
case("number beyond double", 400, '{"messages": [{"role": "user", "content": "hi"}], "max_tokens": 5e5555}')
case("tool call arguments with a number beyond double", 400, json.dumps({"messages": USER + [
    {"role": "assistant", "content": None, "tool_calls": [
        {"id": "c1", "type": "function", "function": {"name": "f", "arguments": '{"a": 1e999}'}}]}]}))
case("deep nesting", 400, '{"messages": ' + "[" * 500 + "]" * 500 + "}")
cases.append({"name": "invalid utf-8 in a string", "status": 400, "method": "POST", "path": CHAT,
              "body_hex": (b'{"messages": [{"role": "user", "content": "\xff\xfe"}]}').hex()})
cases.append({"name": "overlong utf-8", "status": 400, "method": "POST", "path": CHAT,
              "body_hex": (b'{"messages": [{"role": "user", "content": "\xc0\xaf"}]}').hex()})
# Messages.
case("no messages", 400, "{}")
case("messages not an array", 400, '{"messages": "hi"}')
case("empty messages", 400, '{"messages": []}')
case("message not an object", 400, '{"messages": ["hi"]}')
case("unknown role", 400, '{"messages": [{"role": "wizard", "content": "hi"}]}')
case("missing role", 400, '{"messages": [{"content": "hi"}]}')
case("role not a string", 400, '{"messages": [{"role": 1, "content": "hi"}]}')
case("content a number", 400, '{"messages": [{"role": "user", "content": 5}]}')
case("content missing", 400, '{"messages": [{"role": "user"}]}')
case("image part", 400, json.dumps({"messages": [{"role": "user", "content": [
    {"type": "image_url", "image_url": {"url": "http://x/y.png"}}]}]}))
case("part without text", 400, json.dumps({"messages": [{"role": "user", "content": [
    {"type": "text"}]}]}))
case("unknown message field", 400, json.dumps({"messages": [{"role": "user", "content": "hi",
                                                            "mood": "happy"}]}))
case("tool call arguments not json", 400, json.dumps({"messages": USER + [
    {"role": "assistant", "content": None, "tool_calls": [
        {"id": "c1", "type": "function", "function": {"name": "f", "arguments": "{oops"}}]}]}))
case("tool_call_id a number", 400, json.dumps({"messages": USER + [
    {"role": "tool", "content": "x", "tool_call_id": 5}]}))
case("reasoning on a user message", 400, json.dumps({"messages": [
    {"role": "user", "content": "hi", "reasoning_content": "x"}]}))
# Numbers and types.
for field, value in [("max_tokens", -1), ("max_tokens", 0), ("max_tokens", 1e30),
                     ("max_tokens", "5"), ("max_tokens", 2.5), ("max_tokens", 10 ** 30),
                     ("max_completion_tokens", -5), ("temperature", -0.1), ("temperature", 2.1),
                     ("temperature", "hot"), ("top_p", 0), ("top_p", 1.5), ("top_k", -1),
                     ("min_p", 2), ("repetition_penalty", 0), ("n", 0), ("n", 1000),
                     ("seed", "1"), ("seed", 1.5), ("presence_penalty", 3),
                     ("frequency_penalty", -3), ("stream", "yes"), ("logprobs", "yes"),
                     ("top_logprobs", 3), ("user", 5), ("parallel_tool_calls", "x")]:
    case(f"{field} = {value!r}", 400, chat(**{field: value}))
case("stop with five strings", 400, chat(stop=["a", "b", "c", "d", "e"]))
case("stop a number", 400, chat(stop=5))
case("stop an empty string", 400, chat(stop=""))
case("logit_bias key not a number", 400, chat(logit_bias={"abc": 1}))
case("logit_bias id past the vocabulary", 400, chat(logit_bias={"99999999": 1}))
case("logit_bias value too large", 400, chat(logit_bias={"1": 1000}))
case("logit_bias an array", 400, chat(logit_bias=[1, 2]))
case("stream_options without stream", 400, chat(stream_options={"include_usage": True}))
case("stream_options unknown key", 400, chat(stream=True, stream_options={"x": True}))
case("tools not an array", 400, chat(tools={"type": "function"}))
case("tool without a name", 400, chat(tools=[{"type": "function", "function": {}}]))
case("tool of another type", 400, chat(tools=[{"type": "retrieval"}]))
case("tool parameters not an object", 400, chat(tools=[
    {"type": "function", "function": {"name": "f", "parameters": "x"}}]))
case("tool_choice unknown", 400, chat(tool_choice="sometimes"))
case("tool_choice required without tools", 400, chat(tool_choice="required"))
case("chat_template_kwargs not an object", 400, chat(chat_template_kwargs=[1]))
case("chat_template_kwargs sets messages", 400, chat(chat_template_kwargs={"messages": []}))
case("response_format not an object", 400, chat(response_format="json"))
case("unknown field", 400, chat(frobnicate=1))
# Structured output.
F = [{"type": "function", "function": {"name": "f", "parameters": {"type": "object"}}}]
case("response_format type unknown", 400, chat(response_format={"type": "yaml"}))
case("response_format json_schema without name", 400, chat(response_format={
    "type": "json_schema", "json_schema": {"schema": {"type": "object"}}}))
case("response_format json_schema name with spaces", 400, chat(response_format={
    "type": "json_schema", "json_schema": {"name": "a b", "schema": {}}}))
case("response_format json_schema schema a string", 400, chat(response_format={
    "type": "json_schema", "json_schema": {"name": "a", "schema": "{}"}}))
case("response_format json_schema unknown key", 400, chat(response_format={
    "type": "json_schema", "json_schema": {"name": "a", "shema": {}}}))
case("response_format schema unsupported keyword", 400, chat(response_format={
    "type": "json_schema", "json_schema": {"name": "a", "schema": {"if": {}}}}))
case("response_format schema bad $ref", 400, chat(response_format={
    "type": "json_schema", "json_schema": {"name": "a", "schema": {"$ref": "#/nowhere"}}}))
case("response_format schema remote $ref", 400, chat(response_format={
    "type": "json_schema", "json_schema": {"name": "a",
                                           "schema": {"$ref": "http://x/y.json"}}}))
case("response_format schema min over max", 400, chat(response_format={
    "type": "json_schema", "json_schema": {"name": "a", "schema": {
        "type": "integer", "minimum": 5, "maximum": 1}}}))
case("response_format schema nested 300 deep", 400, chat(response_format={
    "type": "json_schema", "json_schema": {"name": "a", "schema": json.loads(
        '{"items": ' * 300 + '{}' + '}' * 300)}}))
case("guided_regex unbalanced", 400, chat(guided_regex="(ab"))
case("guided_regex backreference", 400, chat(guided_regex="(a)\\1"))
case("guided_regex count too large", 400, chat(guided_regex="a{100000}"))
case("guided_regex not a string", 400, chat(guided_regex=5))
case("guided_choice empty", 400, chat(guided_choice=[]))
case("guided_choice empty string", 400, chat(guided_choice=["a", ""]))
case("guided_choice a string", 400, chat(guided_choice="a"))
case("guided_json not an object", 400, chat(guided_json="{}"))
case("two guided fields", 400, chat(guided_choice=["a"], guided_regex="a"))
case("guided field and response_format", 400, chat(guided_regex="a",
                                                    response_format={"type": "json_object"}))
case("tool_choice names no tool", 400, chat(tools=F, tool_choice={
    "type": "function", "function": {"name": "g"}}))
case("forced tool with response_format", 400, chat(tools=F, tool_choice="required",
                                                   response_format={"type": "json_object"}))
case("forced tool with a bad schema", 400, chat(tool_choice="required", tools=[
    {"type": "function", "function": {"name": "f", "parameters": {"not": {}}}}]))
case("completion guided_regex lookahead", 400, json.dumps(
    {"prompt": "x", "guided_regex": "a(?!b)"}), path=COMP)
case("model a number", 400, chat(model=5))
case("model that does not exist", 404, chat(model="gpt-4"))
case("prompt past the context", 400, json.dumps({"messages": [
    {"role": "user", "content": "1 " * 600}]}))
case("prompt and max_tokens past the context", 400, chat(max_tokens=512))
# Completions.
case("completion without prompt", 400, "{}", path=COMP)
case("completion prompt a number", 400, '{"prompt": 5}', path=COMP)
case("completion token id past the vocabulary", 400, '{"prompt": [99999999]}', path=COMP)
case("completion negative token id", 400, '{"prompt": [-1]}', path=COMP)
case("completion two prompts", 400, '{"prompt": ["a", "b"]}', path=COMP)
case("completion suffix", 400, '{"prompt": "a", "suffix": "b"}', path=COMP)
case("completion echo a string", 400, '{"prompt": "a", "echo": "yes"}', path=COMP)
case("completion best_of", 400, '{"prompt": "a", "best_of": 3}', path=COMP)
case("completion logprobs too many", 400, '{"prompt": "a", "logprobs": 9}', path=COMP)
case("completion chat field", 400, '{"prompt": "a", "messages": []}', path=COMP)
# HTTP.
case("text content type", 415, chat(), headers={"Content-Type": "text/plain"})
case("no content type", 415, chat(), headers={})
case("GET on a POST route", 405, None, method="GET")
case("DELETE on models", 405, None, path="/v1/models", method="DELETE")
case("unknown route", 404, None, path="/v1/engines", method="GET")
case("path traversal", 404, None, path="/../../etc/passwd", method="GET")
case("oversize body", 413, None, body_pad=70000)
raw("oversize head", 431, b"GET /health HTTP/1.1\r\n\r\n", pad_header=20000)
raw("too many header fields", 431,
    b"GET /health HTTP/1.1\r\n" + b"".join(b"H%d: v\r\n" % i for i in range(120)) + b"\r\n")
raw("malformed request line", 400, b"GARBAGE\r\n\r\n")
raw("absolute-form target", 400, b"GET http://evil/ HTTP/1.1\r\n\r\n")
raw("HTTP/2 request line", 505, b"GET /health HTTP/2.0\r\n\r\n")
raw("chunked request body", 411,
    b"POST /v1/chat/completions HTTP/1.1\r\nTransfer-Encoding: chunked\r\n"
    b"Content-Type: application/json\r\n\r\n2\r\n{}\r\n0\r\n\r\n")
raw("conflicting Content-Length", 400,
    b"POST /v1/chat/completions HTTP/1.1\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n{}")
raw("negative Content-Length", 400,
    b"POST /v1/chat/completions HTTP/1.1\r\nContent-Length: -2\r\n\r\n{}")
raw("header with a control character", 400, b"GET /health HTTP/1.1\r\nX: a\x01b\r\n\r\n")
raw("folded header", 400, b"GET /health HTTP/1.1\r\nX: a\r\n b\r\n\r\n")
raw("slow-loris head", 408, b"GET /health HTTP/1.1\r\nHost: x\r\n" + b"X: y\r\n" * 40, slow=True)
raw("body shorter than Content-Length", 408,
    b"POST /v1/chat/completions HTTP/1.1\r\nContent-Type: application/json\r\n"
    b"Content-Length: 100\r\n\r\n{}", slow=True)
# Keys (against a server started with --api-key).
case("missing API key", 401, chat(), auth="none")
case("wrong API key", 401, chat(), auth="wrong")
case("API key on the metrics route", 401, None, path="/metrics", method="GET", auth="wrong")

if __name__ == "__main__":
    with open(OUT, "w") as f:
        for c in cases:
            f.write(json.dumps(c, ensure_ascii=False) + "\n")
    print(f"{len(cases)} cases -> {OUT}", file=sys.stderr)
