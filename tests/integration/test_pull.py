"""exaone pull against a local stand-in for the Hugging Face hub (hub_mimic.py, 127.0.0.1 only).

Checks the cache layout huggingface_hub uses (and, when it is installed, that huggingface_hub
finds our files), resuming after a dropped connection with a Range request, refusing corrupt
downloads, gated repositories and HF_TOKEN, offline mode, and that a second pull downloads nothing.
"""
import hashlib
import os
import pty
import select
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import exaone_bin
from hub_mimic import Hub, default_repos, environment, git_blob_id

TIMEOUT = 60
TOKEN = "hf_secret_token_123"


@pytest.fixture
def hub():
    h = Hub(default_repos())
    yield h
    h.close()


@pytest.fixture
def hf_home(tmp_path):
    return tmp_path / "hf_home"


def pull(hub, hf_home, *args, **env):
    return subprocess.run([exaone_bin(), "pull", *args], capture_output=True, text=True,
                          timeout=TIMEOUT, env=environment(hub, hf_home, **env))


def pull_ok(hub, hf_home, *args, **env):
    r = pull(hub, hf_home, *args, **env)
    assert r.returncode == 0, r.stderr
    return Path(r.stdout.strip()), r


def repo_dir(hf_home, repo_id):
    return hf_home / "hub" / ("models--" + repo_id.replace("/", "--"))


def cdn_gets(hub, repo_id, path):
    sha = hub.repos[repo_id].sha256(path)
    return [r for r in hub.requests(method="GET") if r["path"].endswith("/cdn/" + sha)]


def test_pull_by_quant(hub, hf_home):
    repo = hub.repos["test-org/tiny-gguf"]
    path, r = pull_ok(hub, hf_home, "test-org/tiny-gguf:Q4_K_M")
    assert path == repo_dir(hf_home, repo.repo_id) / "snapshots" / repo.commit / "tiny-Q4_K_M.gguf"
    assert path.read_bytes() == repo.files["tiny-Q4_K_M.gguf"]
    # Only the asked-for quantization travels; the projector and other quants stay remote.
    assert cdn_gets(hub, repo.repo_id, "tiny-Q4_K_M.gguf")
    for other in ("tiny-Q8_0.gguf", "tiny-IQ4_XS.gguf", "mmproj-tiny-Q8_0.gguf"):
        assert not cdn_gets(hub, repo.repo_id, other)
    # Not a terminal: one plain line per file, no carriage-return redraws.
    assert "downloading tiny-Q4_K_M.gguf" in r.stderr and "\r" not in r.stderr

    # The tag is case-insensitive.
    path8, _ = pull_ok(hub, hf_home, "test-org/tiny-gguf:q8_0")
    assert path8.name == "tiny-Q8_0.gguf"
    assert path8.read_bytes() == repo.files["tiny-Q8_0.gguf"]


def test_cache_layout(hub, hf_home):
    repo = hub.repos["test-org/tiny-gguf"]
    path, _ = pull_ok(hub, hf_home, "test-org/tiny-gguf:Q4_K_M")
    root = repo_dir(hf_home, repo.repo_id)
    assert (root / "refs" / "main").read_text() == repo.commit
    sha = repo.sha256("tiny-Q4_K_M.gguf")
    blob = root / "blobs" / sha
    assert blob.is_file() and not blob.is_symlink()
    assert hashlib.sha256(blob.read_bytes()).hexdigest() == sha
    assert path.is_symlink() and os.readlink(path) == f"../../blobs/{sha}"
    assert not list(root.rglob("*.incomplete"))
    # The lock file sits where huggingface_hub's filelock puts it.
    assert (hf_home / "hub" / ".locks" / root.name / f"{sha}.lock").exists()


def test_huggingface_hub_finds_our_files(hub, hf_home):
    hf = pytest.importorskip("huggingface_hub")
    repo = hub.repos["test-org/tiny-gguf"]
    path, _ = pull_ok(hub, hf_home, "test-org/tiny-gguf:Q4_K_M")
    cache = str(hf_home / "hub")
    found = hf.try_to_load_from_cache(repo.repo_id, "tiny-Q4_K_M.gguf", cache_dir=cache)
    assert found == str(path)
    info = hf.scan_cache_dir(cache)
    (cached_repo,) = [c for c in info.repos if c.repo_id == repo.repo_id]
    (rev,) = cached_repo.revisions
    assert rev.commit_hash == repo.commit and "main" in rev.refs
    assert {f.file_name for f in rev.files} == {"tiny-Q4_K_M.gguf"}
    assert not info.warnings

    # Files in folders (one more "../" in the link) and whole HF folders.
    split = hub.repos["test-org/split-gguf"]
    first, _ = pull_ok(hub, hf_home, "test-org/split-gguf:Q4_K_M")
    part = "Q4_K_M/big-Q4_K_M-00001-of-00002.gguf"
    assert hf.try_to_load_from_cache(split.repo_id, part, cache_dir=cache) == str(first)
    folder, _ = pull_ok(hub, hf_home, "test-org/tiny-hf")
    assert hf.snapshot_download("test-org/tiny-hf", cache_dir=cache,
                                local_files_only=True) == str(folder)
    assert not hf.scan_cache_dir(cache).warnings


def test_files_downloaded_by_huggingface_hub_are_reused(hub, hf_home):
    pytest.importorskip("huggingface_hub")
    code = ("import huggingface_hub as hf\n"
            "print(hf.hf_hub_download('test-org/tiny-gguf', 'tiny-Q4_K_M.gguf'))")
    env = environment(hub, hf_home, HF_HUB_DISABLE_TELEMETRY=1)
    r = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                       timeout=TIMEOUT)
    assert r.returncode == 0, r.stderr
    hub.clear_log()
    path, _ = pull_ok(hub, hf_home, "test-org/tiny-gguf:Q4_K_M")
    assert str(path) == r.stdout.strip().splitlines()[-1]
    assert [q["path"].split("?")[0] for q in hub.log] == \
        ["/api/models/test-org/tiny-gguf/revision/main"]


def test_split_gguf_downloads_every_part(hub, hf_home):
    repo = hub.repos["test-org/split-gguf"]
    path, _ = pull_ok(hub, hf_home, "test-org/split-gguf:Q4_K_M")
    snap = repo_dir(hf_home, repo.repo_id) / "snapshots" / repo.commit
    assert path == snap / "Q4_K_M" / "big-Q4_K_M-00001-of-00002.gguf"
    for part in ("Q4_K_M/big-Q4_K_M-00001-of-00002.gguf", "Q4_K_M/big-Q4_K_M-00002-of-00002.gguf"):
        link = snap / part
        # One folder deeper, one more "../" to reach blobs/.
        assert os.readlink(link) == f"../../../blobs/{repo.sha256(part)}"
        assert link.read_bytes() == repo.files[part]
    assert not cdn_gets(hub, repo.repo_id, "big-Q8_0.gguf")


def test_hf_folder_repo(hub, hf_home):
    repo = hub.repos["test-org/tiny-hf"]
    path, _ = pull_ok(hub, hf_home, "test-org/tiny-hf")
    root = repo_dir(hf_home, repo.repo_id)
    assert path == root / "snapshots" / repo.commit
    got = sorted(str(p.relative_to(path)) for p in path.rglob("*") if not p.is_dir())
    assert got == ["config.json", "generation_config.json", "model.safetensors",
                   "tokenizer.json", "tokenizer_config.json"]
    for name in got:
        assert (path / name).read_bytes() == repo.files[name]
    # Small files are named by their git blob id, LFS files by their sha256.
    assert os.readlink(path / "config.json") == \
        f"../../blobs/{git_blob_id(repo.files['config.json'])}"
    assert os.readlink(path / "model.safetensors") == \
        f"../../blobs/{repo.sha256('model.safetensors')}"


def test_gguf_only_repo_defaults_to_q4_k_m(hub, hf_home):
    path, r = pull_ok(hub, hf_home, "test-org/tiny-gguf")
    assert path.name == "tiny-Q4_K_M.gguf"
    assert "using Q4_K_M" in r.stderr and "Q8_0" in r.stderr


def test_head_request_when_listing_has_no_blob_ids(hub, hf_home):
    repo = hub.repos["test-org/headless-gguf"]
    path, _ = pull_ok(hub, hf_home, "test-org/headless-gguf:Q4_K_M")
    assert hub.requests(method="HEAD")
    sha = repo.sha256("h-Q4_K_M.gguf")
    assert os.readlink(path) == f"../../blobs/{sha}"
    assert path.read_bytes() == repo.files["h-Q4_K_M.gguf"]


def test_resume_after_dropped_connection(hub, hf_home):
    repo = hub.repos["test-org/tiny-gguf"]
    name = "tiny-Q8_0.gguf"
    hub.drop_after[name] = [100_000, 1]
    path, r = pull_ok(hub, hf_home, "test-org/tiny-gguf:Q8_0")
    gets = cdn_gets(hub, repo.repo_id, name)
    assert [g["range"] for g in gets] == [None, "bytes=100000-"], gets
    assert path.read_bytes() == repo.files[name]
    assert "retrying at" in r.stderr


def test_resume_from_earlier_partial_file(hub, hf_home):
    repo = hub.repos["test-org/tiny-gguf"]
    name = "tiny-Q8_0.gguf"
    blobs = repo_dir(hf_home, repo.repo_id) / "blobs"
    blobs.mkdir(parents=True)
    (blobs / f"{repo.sha256(name)}.incomplete").write_bytes(repo.files[name][:50_000])
    path, r = pull_ok(hub, hf_home, "test-org/tiny-gguf:Q8_0")
    assert [g["range"] for g in cdn_gets(hub, repo.repo_id, name)] == ["bytes=50000-"]
    assert path.read_bytes() == repo.files[name]
    assert "resuming tiny-Q8_0.gguf" in r.stderr


def test_corrupt_partial_file_is_fetched_again_from_scratch(hub, hf_home):
    repo = hub.repos["test-org/tiny-gguf"]
    name = "tiny-Q8_0.gguf"
    blobs = repo_dir(hf_home, repo.repo_id) / "blobs"
    blobs.mkdir(parents=True)
    (blobs / f"{repo.sha256(name)}.incomplete").write_bytes(b"\0" * 50_000)
    path, r = pull_ok(hub, hf_home, "test-org/tiny-gguf:Q8_0")
    assert [g["range"] for g in cdn_gets(hub, repo.repo_id, name)] == ["bytes=50000-", None]
    assert path.read_bytes() == repo.files[name]
    assert "sha256 mismatch" in r.stderr


def test_corrupt_download_is_an_error_and_leaves_nothing(hub, hf_home):
    repo = hub.repos["test-org/tiny-gguf"]
    name = "tiny-Q8_0.gguf"
    hub.corrupt.add(name)
    r = pull(hub, hf_home, "test-org/tiny-gguf:Q8_0")
    assert r.returncode != 0
    assert "sha256 mismatch" in r.stderr and r.stdout == ""
    assert len(r.stderr.strip().splitlines()[-1]) > 0
    sha = repo.sha256(name)
    root = repo_dir(hf_home, repo.repo_id)
    assert not (root / "blobs" / sha).exists()
    assert not (root / "blobs" / f"{sha}.incomplete").exists()
    assert not list(root.glob(f"snapshots/*/{name}"))
    assert not (root / "refs" / "main").exists()
    # Retried once from scratch, then gave up.
    assert [g["range"] for g in cdn_gets(hub, repo.repo_id, name)] == [None, None]


def test_gated_repo_needs_the_token(hub, hf_home):
    repo = hub.repos["test-org/gated-gguf"]
    r = pull(hub, hf_home, "test-org/gated-gguf:Q4_K_M")
    assert r.returncode != 0 and "HF_TOKEN" in r.stderr and "gated" in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1

    r = pull(hub, hf_home, "test-org/gated-gguf:Q4_K_M", HF_TOKEN="hf_wrong_token_456")
    assert r.returncode != 0 and "HF_TOKEN" in r.stderr
    assert "hf_wrong_token_456" not in r.stderr + r.stdout

    hub.clear_log()
    path, r = pull_ok(hub, hf_home, "test-org/gated-gguf:Q4_K_M", HF_TOKEN=TOKEN)
    assert path.read_bytes() == repo.files["gated-Q4_K_M.gguf"]
    assert TOKEN not in r.stderr + r.stdout
    hub_requests = hub.requests(server="hub")
    assert hub_requests and all(q["auth"] == f"Bearer {TOKEN}" for q in hub_requests)
    # The CDN is another origin: the token must not follow the redirect there.
    cdn_requests = hub.requests(server="cdn")
    assert cdn_requests and all(q["auth"] is None for q in cdn_requests)


def test_token_file_from_huggingface_cli_login(hub, hf_home):
    hf_home.mkdir(parents=True)
    (hf_home / "token").write_text(TOKEN + "\n")
    pull_ok(hub, hf_home, "test-org/gated-gguf:Q4_K_M")


def test_offline(hub, hf_home):
    r = pull(hub, hf_home, "test-org/tiny-gguf:Q4_K_M", HF_HUB_OFFLINE=1)
    assert r.returncode != 0
    assert "HF_HUB_OFFLINE" in r.stderr and "local" in r.stderr
    assert not hub.log

    online, _ = pull_ok(hub, hf_home, "test-org/tiny-gguf:Q4_K_M")
    hub.clear_log()
    offline, _ = pull_ok(hub, hf_home, "test-org/tiny-gguf:Q4_K_M", HF_HUB_OFFLINE=1)
    assert offline == online and not hub.log
    # A quantization that was never pulled is not in the cache.
    r = pull(hub, hf_home, "test-org/tiny-gguf:Q8_0", HF_HUB_OFFLINE=1)
    assert r.returncode != 0 and not hub.log


def test_unreachable_hub_falls_back_to_the_cache(hub, hf_home):
    online, _ = pull_ok(hub, hf_home, "test-org/tiny-hf")
    hub.close()
    path, r = pull_ok(hub, hf_home, "test-org/tiny-hf")
    assert path == online and "using the cached copy" in r.stderr


def test_second_pull_downloads_nothing(hub, hf_home):
    first, _ = pull_ok(hub, hf_home, "test-org/tiny-hf")
    hub.clear_log()
    second, r = pull_ok(hub, hf_home, "test-org/tiny-hf")
    assert second == first
    # Only the listing, to learn the current commit; no HEAD, no file.
    assert [q["path"].split("?")[0] for q in hub.log] == \
        ["/api/models/test-org/tiny-hf/revision/main"]
    assert "up to date" in r.stderr


def test_revision_by_commit_hash(hub, hf_home):
    repo = hub.repos["test-org/tiny-gguf"]
    path, _ = pull_ok(hub, hf_home, "test-org/tiny-gguf:Q4_K_M", "--revision", repo.commit)
    assert repo.commit in str(path)
    # A commit needs no ref; huggingface_hub writes none either.
    assert not (repo_dir(hf_home, repo.repo_id) / "refs").exists()


def test_unknown_quant_lists_the_available_ones(hub, hf_home):
    r = pull(hub, hf_home, "test-org/tiny-gguf:Q3_K_S")
    assert r.returncode != 0
    line = r.stderr.strip()
    assert "\n" not in line and "Q3_K_S" in line
    for q in ("IQ4_XS", "Q4_K_M", "Q8_0"):
        assert q in line
    assert "mmproj" not in line


def test_errors_are_one_clear_line(hub, hf_home):
    r = pull(hub, hf_home, "test-org/no-such-repo")
    assert r.returncode != 0 and "not found" in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1
    r = pull(hub, hf_home, "test-org/tiny-gguf", "--revision", "no-such-branch")
    assert r.returncode != 0 and "no-such-branch" in r.stderr
    hub.clear_log()
    r = pull(hub, hf_home, "not a repo")
    assert r.returncode == 2
    r = pull(hub, hf_home, "../escape/attempt:Q4_K_M")
    assert r.returncode != 0
    assert not hub.log


def test_quiet_and_terminal_progress(hub, hf_home):
    _, r = pull_ok(hub, hf_home, "test-org/tiny-gguf:Q4_K_M", "--quiet")
    assert r.stderr == ""

    # With stderr on a terminal the bar redraws in place and ends at 100%.
    master, slave = pty.openpty()
    proc = subprocess.Popen([exaone_bin(), "pull", "test-org/tiny-gguf:Q8_0"],
                            stdout=subprocess.PIPE, stderr=slave,
                            env=environment(hub, hf_home))
    os.close(slave)
    out = b""
    deadline = time.time() + TIMEOUT
    while time.time() < deadline:
        ready, _, _ = select.select([master], [], [], 0.5)
        if ready:
            try:
                chunk = os.read(master, 4096)
            except OSError:
                break
            if not chunk:
                break
            out += chunk
        elif proc.poll() is not None:
            break
    os.close(master)
    assert proc.wait(timeout=TIMEOUT) == 0
    text = out.decode(errors="replace")
    assert "\r" in text and "100%" in text and "tiny-Q8_0.gguf" in text


def test_all_traffic_is_loopback(hub, hf_home):
    assert hub.endpoint.startswith("http://127.0.0.1:")
    assert environment(hub, hf_home)["HF_ENDPOINT"] == hub.endpoint
