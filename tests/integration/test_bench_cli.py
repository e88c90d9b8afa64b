"""`exaone bench --json`: runs on a fixture model and prints rows with llama-bench's field names."""
import json

from conftest import FIXTURES, run


def test_bench_json_rows_have_llama_bench_fields():
    r = run("bench", FIXTURES / "models" / "exaone4_hybrid", "-p", "32", "-n", "8", "-r", "2",
            "-t", "1,2", "--json")
    rows = json.loads(r.stdout)
    assert len(rows) == 4  # (pp32, tg8) x (1, 2 threads)
    for row in rows:
        for key in ("n_prompt", "n_gen", "n_threads", "avg_ts", "stddev_ts", "model_size",
                    "model_type", "avg_ns", "samples_ts"):
            assert key in row, key
        assert row["avg_ts"] > 0 and len(row["samples_ts"]) == 2
        assert (row["n_prompt"], row["n_gen"]) in ((32, 0), (0, 8))
        assert row["model_type"].startswith("exaone4")
    assert {r["n_threads"] for r in rows} == {1, 2}


def test_bench_table_and_depth():
    r = run("bench", FIXTURES / "models" / "llama_tiny", "-p", "16", "-n", "4", "-d", "8", "-r", "1")
    lines = r.stdout.splitlines()
    assert lines[0].startswith("| model |") and len(lines) == 4
    assert "pp16 @ d8" in lines[2] and "tg4 @ d8" in lines[3]


def test_bench_rejects_tests_past_the_context():
    r = run("bench", FIXTURES / "models" / "llama_tiny", "-p", "100000", check=False)
    assert r.returncode == 2 and "more than the model's context" in r.stderr
