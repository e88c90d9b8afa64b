"""A stand-in for the Hugging Face hub on 127.0.0.1, for testing `exaone pull` without a network.

It answers the endpoints huggingface_hub uses, the way the hub answers them:
  GET  /api/models/{repo}/revision/{rev}?blobs=true   commit + siblings (size, blobId, lfs.sha256)
  HEAD/GET /{repo}/resolve/{rev}/{path}               small files: 200 with ETag = git blob id;
                                                      LFS files: 302 to the CDN with X-Linked-Etag
                                                      (sha256) and X-Linked-Size, like the hub
  GET  /cdn/{sha256}                                  the content, with Range support
The CDN is a second server (another port, so another origin, as the hub's CDN is another host)
that records whether an Authorization header reached it; a repository can instead link to
/cdn/ on the hub server itself. Gated repositories answer 401/403 with X-Error-Code: GatedRepo
unless the bearer token matches. Faults are injected per file: drop the connection
after N bytes, or serve corrupted bytes. Every request is logged for the tests to inspect.
"""
import hashlib
import json
import os
import socket
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def git_blob_id(data):
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


class Repo:
    def __init__(self, repo_id, files, lfs_suffixes=(".gguf", ".safetensors"), token=None,
                 listing_has_blob_ids=True, cdn_same_origin=False):
        self.repo_id = repo_id
        self.files = dict(files)
        self.lfs = {p for p in files if p.endswith(tuple(lfs_suffixes))}
        self.token = token  # gated: this bearer token is required
        self.listing_has_blob_ids = listing_has_blob_ids
        self.cdn_same_origin = cdn_same_origin  # CDN links to /cdn/ on the hub server itself
        self.commit = hashlib.sha1(repo_id.encode() + b"@main").hexdigest()

    def sha256(self, path):
        return hashlib.sha256(self.files[path]).hexdigest()

    def listing(self, with_blobs):
        siblings = []
        for path, data in sorted(self.files.items()):
            s = {"rfilename": path}
            if with_blobs and self.listing_has_blob_ids:
                s["size"] = len(data)
                s["blobId"] = git_blob_id(data)
                if path in self.lfs:
                    s["lfs"] = {"sha256": self.sha256(path), "size": len(data),
                                "pointerSize": 134}
            siblings.append(s)
        return {"id": self.repo_id, "sha": self.commit, "private": False,
                "gated": "manual" if self.token else False, "siblings": siblings}


class Hub:
    def __init__(self, repos):
        self.repos = {r.repo_id: r for r in repos}
        self.log = []
        self.lock = threading.Lock()
        self.drop_after = {}  # path -> [bytes, times]: close the socket mid-body
        self.corrupt = set()  # paths whose content is served with one byte flipped
        self.hub = self._serve("hub")
        self.cdn = self._serve("cdn")
        self.endpoint = f"http://127.0.0.1:{self.hub.server_address[1]}"
        self.cdn_origin = f"http://127.0.0.1:{self.cdn.server_address[1]}"

    def _serve(self, role):
        hub = self

        class Handler(MimicHandler):
            pass

        Handler.hub, Handler.role = hub, role
        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        server.daemon_threads = True
        threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                         daemon=True).start()
        return server

    def close(self):
        for s in (self.hub, self.cdn):
            s.shutdown()
            s.server_close()

    def requests(self, **match):
        with self.lock:
            return [r for r in self.log if all(r.get(k) == v for k, v in match.items())]

    def clear_log(self):
        with self.lock:
            self.log.clear()

    def blob_by_sha256(self, sha):
        for repo in self.repos.values():
            for path in repo.lfs:
                if repo.sha256(path) == sha:
                    return repo, path
        return None, None


class MimicHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    hub = None
    role = None

    def log_message(self, *args):
        pass

    def _record(self):
        entry = {"server": self.role, "method": self.command, "path": self.path,
                 "range": self.headers.get("Range"),
                 "auth": self.headers.get("Authorization")}
        with self.hub.lock:
            self.hub.log.append(entry)

    def _reply(self, status, body=b"", headers=None, send_body=True):
        self.send_response(status)
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if send_body and body:
            self.wfile.write(body)

    def _error(self, status, code, head=False):
        self._reply(status, json.dumps({"error": code}).encode(),
                    {"X-Error-Code": code, "Content-Type": "application/json"}, not head)

    def _authorized(self, repo):
        return repo.token is None or self.headers.get("Authorization") == f"Bearer {repo.token}"

    def _find_repo(self, parts, head):
        repo = self.hub.repos.get("/".join(parts[:2]))
        if repo is None:
            self._error(404, "RepoNotFound", head)
            return None
        if not self._authorized(repo):
            self._error(403 if self.headers.get("Authorization") else 401, "GatedRepo", head)
            return None
        return repo

    def do_GET(self):
        self._handle(head=False)

    def do_HEAD(self):
        self._handle(head=True)

    def _handle(self, head):
        self._record()
        url = urllib.parse.urlsplit(self.path)
        parts = [urllib.parse.unquote(p) for p in url.path.split("/")[1:]]
        if self.role == "cdn" or parts[0] == "cdn":
            return self._cdn(parts, head)
        if parts[:2] == ["api", "models"] and len(parts) == 6 and parts[4] == "revision":
            repo = self._find_repo(parts[2:4], head)
            if repo is None:
                return
            if parts[5] not in ("main", repo.commit):
                return self._error(404, "RevisionNotFound", head)
            with_blobs = "blobs=true" in url.query
            body = json.dumps(repo.listing(with_blobs)).encode()
            return self._reply(200, body, {"Content-Type": "application/json"}, not head)
        if len(parts) >= 5 and parts[2] == "resolve":
            repo = self._find_repo(parts[:2], head)
            if repo is None:
                return
            if parts[3] not in ("main", repo.commit):
                return self._error(404, "RevisionNotFound", head)
            path = "/".join(parts[4:])
            if path not in repo.files:
                return self._error(404, "EntryNotFound", head)
            data = repo.files[path]
            meta = {"X-Repo-Commit": repo.commit}
            if path in repo.lfs:
                sha = repo.sha256(path)
                # Absolute, as the hub's CDN links are, to another host (here: port) by default.
                origin = self.hub.endpoint if repo.cdn_same_origin else self.hub.cdn_origin
                meta.update({"X-Linked-Etag": f'"{sha}"', "X-Linked-Size": str(len(data)),
                             "ETag": '"redirect-etag"', "Location": f"{origin}/cdn/{sha}"})
                return self._reply(302, b"", meta, not head)
            meta["ETag"] = f'"{git_blob_id(data)}"'
            return self._send_content(path, data, meta, head)
        self._error(404, "NotFound", head)

    def _cdn(self, parts, head):
        repo, path = self.hub.blob_by_sha256(parts[-1])
        if repo is None:
            return self._reply(404, b"no such object", send_body=not head)
        return self._send_content(path, repo.files[path], {"ETag": '"cdn-etag"'}, head)

    def _send_content(self, path, data, meta, head):
        if path in self.hub.corrupt:
            data = bytes([data[0] ^ 0xFF]) + data[1:]
        start = 0
        rng = self.headers.get("Range")
        if rng:
            start = int(rng.split("=")[1].split("-")[0])
            if start >= len(data):
                return self._reply(416, b"", {"Content-Range": f"bytes */{len(data)}"})
        status = 206 if rng else 200
        headers = dict(meta, **{"Accept-Ranges": "bytes"})
        if rng:
            headers["Content-Range"] = f"bytes {start}-{len(data) - 1}/{len(data)}"
        body = data[start:]
        drop = self.hub.drop_after.get(path)
        if drop and drop[1] > 0 and not head:
            drop[1] -= 1
            self.send_response(status)
            for k, v in headers.items():
                self.send_header(k, v)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body[:drop[0]])
            self.wfile.flush()
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)
            return
        self._reply(status, body, headers, not head)


def random_bytes(n, seed):
    """Deterministic pseudo-random bytes: different per seed, cheap to make."""
    out = bytearray()
    block = hashlib.sha256(seed.encode()).digest()
    while len(out) < n:
        block = hashlib.sha256(block).digest()
        out += block
    return bytes(out[:n])


def default_repos():
    gguf = {
        "tiny-Q4_K_M.gguf": b"GGUF" + random_bytes(300_000, "q4"),
        "tiny-Q8_0.gguf": b"GGUF" + random_bytes(420_000, "q8"),
        "tiny-IQ4_XS.gguf": b"GGUF" + random_bytes(1_000, "iq4"),
        "mmproj-tiny-Q8_0.gguf": b"GGUF" + random_bytes(1_000, "mmproj"),
        "README.md": b"# tiny gguf\n",
    }
    split = {
        "Q4_K_M/big-Q4_K_M-00001-of-00002.gguf": b"GGUF" + random_bytes(150_000, "s1"),
        "Q4_K_M/big-Q4_K_M-00002-of-00002.gguf": random_bytes(120_000, "s2"),
        "big-Q8_0.gguf": b"GGUF" + random_bytes(2_000, "s8"),
    }
    hf = {
        "config.json": json.dumps({"architectures": ["Exaone4ForCausalLM"]}).encode(),
        "generation_config.json": b'{"do_sample": false}',
        "model.safetensors": random_bytes(200_000, "st"),
        "tokenizer.json": b'{"model": {"type": "BPE"}}',
        "tokenizer_config.json": b'{"bos_token": "[BOS]"}',
        "README.md": b"# tiny hf\n",
        "onnx/model.onnx": random_bytes(5_000, "onnx"),
        "original/consolidated.safetensors": random_bytes(5_000, "orig"),
    }
    return [
        Repo("test-org/tiny-gguf", gguf),
        Repo("test-org/split-gguf", split),
        Repo("test-org/tiny-hf", hf, cdn_same_origin=True),
        Repo("test-org/gated-gguf", {"gated-Q4_K_M.gguf": random_bytes(50_000, "g")},
             token="hf_secret_token_123"),
        Repo("test-org/headless-gguf", {"h-Q4_K_M.gguf": random_bytes(30_000, "h"),
                                        "notes.txt": b"notes\n"},
             listing_has_blob_ids=False),
    ]


def environment(hub, hf_home, **extra):
    """A child environment that can only reach the mimic: no proxies, no token, a private cache."""
    env = {k: v for k, v in os.environ.items()
           if not k.upper().startswith(("HF_", "HUGGING", "TRANSFORMERS_"))
           and k.lower() not in ("http_proxy", "https_proxy", "all_proxy", "no_proxy")}
    env.update({"HF_ENDPOINT": hub.endpoint, "HF_HOME": str(hf_home),
                "NO_PROXY": "127.0.0.1,localhost", "HF_HUB_DOWNLOAD_TIMEOUT": "5"})
    env.update({k: str(v) for k, v in extra.items()})
    return env
