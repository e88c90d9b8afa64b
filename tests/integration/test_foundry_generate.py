"""Generation recipes of `exaone foundry` end to end on a chat model with random weights (EXAONE's
real vocabulary): self-instruct tasks from seed tasks, several answers per task, LLM-as-judge
verdicts constrained to a JSON Schema (validated here with the jsonschema package), a verifier
and rejection sampling; once with the model in-process and once against `exaone serve` over
loopback. A rerun answers from the request cache (no model needed) with the same bytes, and
generated records carry the model, sampling settings and seeds."""
import hashlib
import json
import subprocess

import pytest

from conftest import exaone_bin
from serve_util import Server, chat_folder

jsonschema = pytest.importorskip("jsonschema", reason="the jsonschema package is not installed")

VERDICT = {"type": "object",
           "properties": {"score": {"type": "integer", "minimum": 1, "maximum": 10},
                          "reason": {"type": "string", "maxLength": 60}},
           "required": ["score", "reason"], "additionalProperties": False}
SEEDS = ["Translate 'good morning' into Korean.", "Give three uses of a paperclip.",
         "Explain what a prime number is.", "Write a haiku about the sea.",
         "Name the capital of France.", "Summarize the water cycle in one sentence."]


def recipe(folder, model):
    stages = [
        {"type": "self_instruct", "model": model, "field": "instruction", "examples": 2,
         "new_tasks": 2, "max_task_chars": 40, "sampling": {"max_tokens": 200, "seed": 3}},
        {"type": "generate", "name": "answer", "model": model, "prompt": "{instruction}",
         "samples": 2, "output_field": "output",
         "sampling": {"temperature": 1.0, "max_tokens": 24, "seed": 5}},
        {"type": "judge", "model": model, "task_field": "instruction", "answer_field": "output",
         "verdict_schema": VERDICT, "sampling": {"max_tokens": 120, "seed": 7}},
        {"type": "verify", "kind": "regex", "field": "output", "pattern": "[\\s\\S]*",
         "output_field": "verified"},
        {"type": "select_best", "field": "output", "verified_field": "verified",
         "judgement_field": "judgement", "output_field": "best"},
    ]
    (folder / "seeds.jsonl").write_text(
        "".join(json.dumps({"instruction": s}) + "\n" for s in SEEDS))
    r = {"name": "gen", "inputs": ["seeds.jsonl"], "stages": stages,
         "output": {"dir": "out", "compression": "none"}}
    path = folder / "recipe.json"
    path.write_text(json.dumps(r, indent=1))
    return path


def run(path):
    r = subprocess.run([exaone_bin(), "foundry", "run", str(path), "-j", "1"],
                       capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr
    return r


def records(folder, sub="data"):
    return [json.loads(l) for f in sorted((folder / "out" / sub).iterdir())
            for l in f.read_text().split("\n") if l]


def check(folder):
    out = records(folder)
    stats = {s["stage"]: s for s in json.loads((folder / "out" / "stats.json").read_text())[
        "stages"]}
    assert stats["self_instruct"]["in"] == len(SEEDS)
    assert stats["self_instruct"]["kept"] >= len(SEEDS), stats  # 1-2 new tasks per seed
    assert out, stats
    for r in out:
        assert isinstance(r["instruction"], str) and 1 <= len(r["instruction"]) <= 40
        assert r["seed_task"] in SEEDS
        assert len(r["output"]) == 2 and len(r["judgement"]) == 2
        for v in r["judgement"]:
            jsonschema.validate(v, VERDICT)
        scores = [v["score"] for v in r["judgement"]]
        assert r["best"] == r["output"][r["selected_sample"]]
        assert scores[r["selected_sample"]] == max(scores)
        gen = r["provenance"]["generation"]
        assert set(gen) == {"self_instruct", "answer", "judge"}
        assert gen["answer"]["sampling"]["temperature"] == 1.0 and len(gen["answer"]["seeds"]) == 2
        assert r["provenance"]["stages"] == ["self_instruct", "answer", "judge", "verify",
                                             "select_best"]
    return out


def digest(folder):
    return {f.name: hashlib.sha256(f.read_bytes()).hexdigest()
            for sub in ["data", "rejects"] for f in sorted((folder / "out" / sub).iterdir())}


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory):
    return chat_folder(tmp_path_factory.mktemp("m") / "chat")


def test_in_process_generation_and_cached_rerun(model_dir, tmp_path):
    path = recipe(tmp_path, {"path": str(model_dir), "concurrency": 4, "threads": 2})
    run(path)
    check(tmp_path)
    first = digest(tmp_path)
    # A rerun from scratch answers every request from the cache: same bytes, and the model is
    # not needed (its folder is gone).
    hidden = model_dir.parent / "hidden"
    model_dir.rename(hidden)
    try:
        subprocess.run([exaone_bin(), "foundry", "run", str(path), "--restart"], check=True,
                       capture_output=True, timeout=600)
    finally:
        hidden.rename(model_dir)
    assert digest(tmp_path) == first


def test_against_the_server_over_loopback(model_dir, tmp_path):
    s = Server(model_dir, "--model-id", "exaone-test", "-c", "2048", "-t", "2", "--parallel", "4",
               "--api-key", "secret-key-123")
    try:
        import os
        os.environ["FOUNDRY_TEST_KEY"] = "secret-key-123"
        path = recipe(tmp_path, {"endpoint": s.url + "/v1", "model": "exaone-test",
                                 "api_key_env": "FOUNDRY_TEST_KEY", "concurrency": 4})
        run(path)
        out = check(tmp_path)
        assert out[0]["provenance"]["generation"]["answer"]["model_id"] == "exaone-test"
    finally:
        assert s.stop() == 0


def test_generation_errors_are_rejects_not_crashes(tmp_path):
    """An endpoint that is not there: every record is a reject with the error, after retries."""
    path = recipe(tmp_path, {"endpoint": "http://127.0.0.1:9/v1", "retries": 0})
    run(path)
    rejects = records(tmp_path, "rejects")
    assert len(rejects) == len(SEEDS)
    assert all(r["rejected"]["reason"] == "generation_error" for r in rejects)
