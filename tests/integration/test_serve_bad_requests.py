"""Every case of tests/fixtures/bad_requests.jsonl (written by tools/make_bad_requests.py) sent to
a running `exaone serve` over a raw socket: each gets its documented status with an OpenAI error
object, and the server keeps serving (a normal request works after all of them)."""
import json
import socket
import time

import pytest

from conftest import ROOT
from serve_util import Server, chat_folder

CASES = [json.loads(line) for line in
         (ROOT / "tests" / "fixtures" / "bad_requests.jsonl").read_text().splitlines()]
KEY = "test-key-123456"


@pytest.fixture(scope="module")
def servers(tmp_path_factory):
    folder = chat_folder(tmp_path_factory.mktemp("m") / "chat")
    flags = ["-c", "512", "--max-body-bytes", "65536", "--head-timeout", "2", "--body-timeout",
             "2", "--quiet"]
    open_server = Server(folder, *flags)
    keyed = Server(folder, *flags, "--api-key", KEY)
    yield open_server, keyed
    assert open_server.stop() == 0
    assert keyed.stop() == 0


def request_bytes(case, key=None):
    if "raw" in case:
        data = case["raw"].encode("latin-1")
        if case.get("pad_header"):
            line_end = data.index(b"\r\n") + 2
            data = data[:line_end] + b"X-Pad: " + b"a" * case["pad_header"] + b"\r\n" + \
                data[line_end:]
        return data
    if "body_hex" in case:
        body = bytes.fromhex(case["body_hex"])
    elif "body_pad" in case:
        body = b"{" + b" " * case["body_pad"] + b"}"
    else:
        body = case.get("body", "").encode() if "body" in case else None
    headers = case.get("headers", {"Content-Type": "application/json"})
    lines = [f"{case['method']} {case['path']} HTTP/1.1", "Host: 127.0.0.1"]
    lines += [f"{k}: {v}" for k, v in headers.items()]
    if key:
        lines.append(f"Authorization: Bearer {key}")
    if body is not None:
        lines.append(f"Content-Length: {len(body)}")
    lines.append("Connection: close")
    return "\r\n".join(lines).encode() + b"\r\n\r\n" + (body or b"")


def exchange(port, data, slow=False):
    """Sends `data` (slowly: one byte per 50 ms until the server answers) and reads the whole
    answer; returns (status, body bytes)."""
    with socket.create_connection(("127.0.0.1", port), timeout=30) as s:
        if slow:
            s.settimeout(0.05)
            for i in range(len(data)):
                try:
                    s.sendall(data[i:i + 1])
                except OSError:
                    break
                try:
                    first = s.recv(65536)
                    if first:
                        data = b""
                        reply = first
                        break
                except socket.timeout:
                    pass
            else:
                reply = b""
            s.settimeout(30)
        else:
            try:
                s.sendall(data)
            except OSError:
                pass
            reply = b""
        while True:
            try:
                chunk = s.recv(65536)
            except (ConnectionResetError, socket.timeout):
                break
            if not chunk:
                break
            reply += chunk
    head, _, body = reply.partition(b"\r\n\r\n")
    status = int(head.split(b" ")[1]) if head.startswith(b"HTTP/1.1 ") else None
    return status, body, head


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_bad_request(servers, case):
    open_server, keyed = servers
    if "auth" in case:
        server = keyed
        key = {"none": None, "wrong": "wrong-key-000000"}[case["auth"]]
    else:
        server, key = open_server, None
    start = time.time()
    status, body, head = exchange(server.port, request_bytes(case, key), case.get("slow", False))
    assert status == case["status"], f"{case['name']}: got {status}: {head!r} {body[:300]!r}"
    error = json.loads(body)["error"]
    assert set(error) == {"message", "type", "param", "code"}, error
    assert error["message"]
    assert str(server.proc.args[2]) not in body.decode("utf-8", "replace")
    if case.get("slow"):
        assert time.time() - start < 20
    # Still serving.
    assert server.request("GET", "/health")[0] == 200


def test_corpus_size():
    assert len(CASES) >= 60
    assert len({c["name"] for c in CASES}) == len(CASES)
