"""bench/serve_load.py, shortened (32 clients for 15 s): no failed, lost or mixed-up stream
(each equals the same request run alone), resident memory back near its baseline, exit 0 on
SIGTERM. The full run (64 clients, 2 minutes) is in docs/serve.md."""
import os
import subprocess
import sys

import pytest

from conftest import ROOT, exaone_bin
from serve_util import chat_folder

@pytest.mark.skipif(os.environ.get("EXAONE_SANITIZED") == "1",
                    reason="ASan's shadow memory and quarantine inflate resident memory")
def test_short_load_run(tmp_path):
    chat_folder(tmp_path / "m")
    r = subprocess.run([sys.executable, str(ROOT / "bench" / "serve_load.py"), "--exaone",
                        exaone_bin(), "--model", str(tmp_path / "m"), "--clients", "32",
                        "--seconds", "15", "--parallel", "8", "--max-tokens", "16"],
                       capture_output=True, text=True, timeout=600)
    print(r.stdout, r.stderr)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "serve_load: PASS" in r.stdout
