"""Every broken model file in tests/bad_files is rejected cleanly, for the reason it was built for.

tests/bad_files is written by tools/make_bad_files.py; MANIFEST.json maps each entry (a .gguf file
or a Hugging Face folder) to a substring its error message must contain. For each entry,
`exaone inspect` must exit with 1 or 2 (never a signal or an abort), print exactly one line on
stderr, "exaone inspect: error: ..." naming the problem, and no tensor table on stdout. Run it
against the ASan/UBSan build too (EXAONE_BIN=build/asan/cli/exaone): a sanitizer report fails.
"""
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BAD = ROOT / "tests" / "bad_files"
MANIFEST = json.loads((BAD / "MANIFEST.json").read_text())
SANITIZER_MARKS = ("runtime error", "AddressSanitizer", "LeakSanitizer",
                   "UndefinedBehaviorSanitizer")


def exaone_bin():
    return os.environ.get("EXAONE_BIN", str(ROOT / "build" / "release" / "cli" / "exaone"))


def inspect(path):
    return subprocess.run([exaone_bin(), "inspect", str(path)], capture_output=True, timeout=60,
                          cwd=ROOT)


def test_manifest_covers_the_corpus():
    entries = {p.name for p in BAD.iterdir() if p.name != "MANIFEST.json"}
    assert entries == set(MANIFEST), (
        f"not in the manifest: {sorted(entries - set(MANIFEST))}; "
        f"in the manifest but missing: {sorted(set(MANIFEST) - entries)}")
    assert len(MANIFEST) >= 24
    assert all(isinstance(v, str) and v for v in MANIFEST.values())


@pytest.mark.parametrize("name", sorted(MANIFEST))
def test_rejected_cleanly(name):
    r = inspect(BAD / name)
    stderr = r.stderr.decode("utf-8", "replace")
    stdout = r.stdout.decode("utf-8", "replace")
    for mark in SANITIZER_MARKS:
        assert mark not in stderr, f"sanitizer report:\n{stderr}"
    assert r.returncode in (1, 2), f"exit code {r.returncode} (a crash?)\nstderr:\n{stderr}"
    lines = stderr.splitlines()
    assert len(lines) == 1 and lines[0].strip(), f"expected one line on stderr, got:\n{stderr}"
    assert lines[0].startswith("exaone inspect: error:"), lines[0]
    assert MANIFEST[name] in lines[0], f"expected {MANIFEST[name]!r} in: {lines[0]}"
    assert "tensors (" not in stdout and "architecture:" not in stdout, stdout


def test_valid_bases_load(tmp_path):
    """The unbroken models every case starts from load: each case fails only for what it breaks."""
    pytest.importorskip("numpy")
    subprocess.run([sys.executable, str(ROOT / "tools" / "make_bad_files.py"), "--valid",
                    str(tmp_path)], check=True, timeout=120)
    for name in ("valid.gguf", "valid_hf", "valid_sharded"):
        r = inspect(tmp_path / name)
        stderr = r.stderr.decode("utf-8", "replace")
        assert r.returncode == 0, f"{name}: exit code {r.returncode}\n{stderr}"
        assert "tensors (13)" in r.stdout.decode(), name
        for mark in SANITIZER_MARKS:
            assert mark not in stderr, f"{name}: sanitizer report:\n{stderr}"
