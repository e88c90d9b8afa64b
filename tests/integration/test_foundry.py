"""`exaone foundry`: recipes validated with JSON paths in errors; a run's records, rejects (with
the reason and, for duplicates, the record kept) and statistics; output byte-identical when the
run is killed (SIGKILL) at random moments and resumed, when the input is split into more tasks
run as array elements (each task alone, then the global steps), and on a rerun."""
import hashlib
import json
import os
import random
import signal
import subprocess
import time
from pathlib import Path

import pytest

from conftest import exaone_bin

WORDS = ("the of and to in a is that for it as was with be by on not he this are or his from at "
         "which but have an they you were her she there been one all we their has would when "
         "will more no if out so said what up its about into than them can only other new some "
         "time could these two may then do first any my now such like our over man me even most "
         "made after also did many before must through back years where much your way well down "
         "should because each just those people how too little state good very make world still "
         "own see men work long get here between both life being under never day same another "
         "know while last might us great old year off come since against go came right used take "
         "three").split()


def make_inputs(folder, n_files=3, docs=120, seed=0):
    """Texts of 80-200 words; some exact copies, some copies with a few words changed, a few
    with PII, a bad JSON line and a non-object."""
    rng = random.Random(seed)
    base = []
    for _ in range(docs):
        words = [rng.choice(WORDS) for _ in range(rng.randint(80, 200))]
        sentences = []
        while words:
            k = rng.randint(8, 20)
            sentences.append(" ".join(words[:k]).capitalize() + ".")
            words = words[k:]
        base.append(" ".join(sentences))
    records = [{"text": t} for t in base]
    for i in range(min(20, docs)):
        records.append({"text": base[i]})  # exact copies
    for i in range(20, min(40, docs)):
        w = base[i].split(" ")
        for _ in range(2):
            w[rng.randrange(len(w))] = rng.choice(WORDS)
        records.append({"text": " ".join(w)})  # near copies
    other = " ".join(rng.choice(WORDS) for _ in range(100))
    records.append({"text": "Write to kim.minji@example.co.kr or call 010-1234-5678. " + other +
                    "."})
    rng.shuffle(records)
    folder.mkdir(parents=True, exist_ok=True)
    per = (len(records) + n_files - 1) // n_files
    for f in range(n_files):
        with open(folder / f"part{f}.jsonl", "w") as out:
            for r in records[f * per:(f + 1) * per]:
                out.write(json.dumps(r) + "\n")
            if f == 1:
                out.write("{not json\n[1, 2]\n")
    return records


def write_recipe(folder, stages=None, **output):
    recipe = {"name": "test", "inputs": ["in/*.jsonl"],
              "stages": stages or [
                  {"type": "normalize"}, {"type": "language", "keep": ["en"]},
                  {"type": "pii"}, {"type": "exact_dedup"},
                  {"type": "length", "min_chars": 20}, {"type": "minhash_dedup"},
                  {"type": "gopher", "min_words": 50}],
              "output": {"dir": "out", "shard_bytes": 20000, **output}}
    path = folder / "recipe.json"
    path.write_text(json.dumps(recipe, indent=1))
    return path


def foundry(*args, check=True, timeout=300):
    r = subprocess.run([exaone_bin(), "foundry", *map(str, args)], capture_output=True,
                       text=True, timeout=timeout)
    if check:
        assert r.returncode == 0, r.stderr
    return r


def digest(folder):
    """Hashes of every data and rejects file (decompressed), by name."""
    out = {}
    for sub in ["data", "rejects"]:
        for f in sorted((folder / "out" / sub).iterdir()):
            raw = subprocess.run(["zstd", "-dc", str(f)], capture_output=True, check=True).stdout
            out[f"{sub}/{f.name}"] = hashlib.sha256(raw).hexdigest()
    return out


def read_records(folder, sub):
    recs = []
    for f in sorted((folder / "out" / sub).iterdir()):
        raw = subprocess.run(["zstd", "-dc", str(f)], capture_output=True, check=True).stdout
        recs += [json.loads(line) for line in raw.decode().split("\n") if line]
    return recs


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    folder = tmp_path_factory.mktemp("ref")
    make_inputs(folder / "in")
    write_recipe(folder)
    foundry("run", folder / "recipe.json", "-j", "2")
    return folder


def test_run_keeps_drops_and_reports(reference):
    kept = read_records(reference, "data")
    rejects = read_records(reference, "rejects")
    stats = json.loads((reference / "out" / "stats.json").read_text())
    by = {s["stage"]: s for s in stats["stages"]}
    assert by["input"]["dropped"] == {"bad_json": 1, "not_an_object": 1}
    assert by["exact_dedup"]["dropped"] == {"exact_duplicate": 20}
    assert by["minhash_dedup"]["dropped"] == {"near_duplicate": 20}
    assert by["gopher"]["in"] == 121 and len(kept) == by["gopher"]["kept"]
    assert len(rejects) == 42 + sum(by["gopher"]["dropped"].values())
    # Every record's provenance: its source line and the stages it passed.
    ids = {r["id"] for r in kept}
    assert len(ids) == len(kept)
    for r in kept:
        p = r["provenance"]
        assert r["id"] == f"{p['source']}:{p['line']}"
        assert p["stages"] == ["normalize", "language", "pii", "exact_dedup", "length",
                               "minhash_dedup", "gopher"]
        assert len(p["recipe"]) == 32
    # PII replaced by EXAONE's tokens.
    pii = [r for r in kept if "pii" in r]
    assert len(pii) == 1 and pii[0]["pii"] == {"PI:EMAIL": 1, "PI:PHONE_NUM": 1}
    assert pii[0]["text"].startswith("Write to PI:EMAIL or call PI:PHONE_NUM.")
    # A duplicate names the record it duplicates, which was kept.
    for r in rejects:
        if r["rejected"]["reason"] in ("exact_duplicate", "near_duplicate"):
            assert r["rejected"]["details"]["duplicate_of"] in ids
    # The table is printed and written.
    assert "exact_duplicate 20" in (reference / "out" / "stats.txt").read_text()


def test_killed_runs_resume_to_the_same_bytes(tmp_path):
    """Killed with SIGKILL six times at random moments of its run, then resumed: the same bytes
    as an uninterrupted run."""
    for name in ["whole", "killed"]:
        make_inputs(tmp_path / name / "in", n_files=6, docs=5000, seed=5)
        write_recipe(tmp_path / name)
    start = time.time()
    foundry("run", tmp_path / "whole" / "recipe.json", "-j", "2")
    whole = time.time() - start
    recipe = tmp_path / "killed" / "recipe.json"
    rng = random.Random(7)
    kills = 0
    while kills < 6:
        p = subprocess.Popen([exaone_bin(), "foundry", "run", str(recipe), "-j", "2"],
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        time.sleep(rng.uniform(0.02, whole / 3))
        if p.poll() is not None:
            assert p.returncode == 0, p.stderr.read()
            break  # finished before the kill: start again from a clean output
        p.send_signal(signal.SIGKILL)
        p.wait()
        kills += 1
    foundry("run", recipe)
    foundry("run", recipe)  # a finished run stays finished
    assert digest(tmp_path / "killed") == digest(tmp_path / "whole")
    assert kills >= 3, f"only {kills} kills landed (the run took {whole:.2f} s)"


def test_array_elements_give_the_same_output(reference, tmp_path):
    """The same recipe as a job array would run it: each task of each phase on its own, then
    the phase's global step, with more tasks than files."""
    make_inputs(tmp_path / "in")
    recipe = write_recipe(tmp_path)
    status = json.loads(foundry("status", recipe, "--json").stdout)
    phases = len(status["phases"])
    for tasks in [3]:
        for p in range(phases):
            for t in reversed(range(tasks)):
                foundry("run", recipe, "--tasks", tasks, "--phase", p, "--task-index", t)
            if p + 1 < phases:
                r = foundry("run", recipe, "--tasks", tasks, "--phase", p + 1, "--task-index", 0,
                            check=False)
                assert r.returncode != 0 and "global step" in r.stderr
                foundry("run", recipe, "--tasks", tasks, "--phase", p, "--global")
    foundry("run", recipe, "--tasks", 3)
    assert digest(tmp_path) == digest(reference)
    # Another task count on the same output folder is refused.
    r = foundry("run", recipe, "--tasks", 2, check=False)
    assert r.returncode != 0 and "--restart" in r.stderr


@pytest.mark.parametrize("stages,path,words", [
    ([{"type": "nonsense"}], "$.stages[0].type", "unknown stage type"),
    ([{"type": "language", "keep": ["xx"]}], "$.stages[0].keep[0]", "'xx'"),
    ([{"type": "gopher", "min_word": 3}], "$.stages[0].min_word", "unknown setting"),
    ([{"type": "length", "min_chars": -1}], "$.stages[0].min_chars", "between"),
    ([{"type": "decontaminate"}], "$.stages[0].eval", "evaluation files"),
    ([{"type": "pii"}, {"type": "pii"}], "$.stages[1].name", "two stages"),
])
def test_recipe_errors_name_the_path(tmp_path, stages, path, words):
    make_inputs(tmp_path / "in", n_files=1, docs=3)
    recipe = write_recipe(tmp_path, stages)
    r = foundry("validate", recipe, check=False)
    assert r.returncode != 0
    assert path in r.stderr and words in r.stderr, r.stderr
    assert not (tmp_path / "out").exists()


def test_recipe_structure_errors(tmp_path):
    make_inputs(tmp_path / "in", n_files=1, docs=3)
    for recipe, words in [
            ("{", "not valid JSON"),
            ('{"stages": [], "output": {"dir": "o"}}', "$.inputs"),
            ('{"inputs": ["nothing/*.jsonl"], "stages": [], "output": {"dir": "o"}}',
             "nothing/*.jsonl"),
            ('{"inputs": ["in/*.jsonl"], "stages": [], "output": {"dir": "o",'
             ' "compression": "xz"}}', "$.output.compression"),
            ('{"inputs": ["in/*.jsonl"], "stages": {}, "output": {"dir": "o"}}', "$.stages")]:
        (tmp_path / "r.json").write_text(recipe)
        r = foundry("validate", tmp_path / "r.json", check=False)
        assert r.returncode != 0 and words in r.stderr, (recipe, r.stderr)


def test_decontamination_and_gz_inputs(tmp_path):
    records = make_inputs(tmp_path / "src", n_files=1, docs=40, seed=3)
    texts = [r["text"] for r in records]
    # Evaluation passages: 13+ words from two of the texts.
    evals = [" ".join(texts[4].split()[10:30]), " ".join(texts[9].split()[0:14])]
    (tmp_path / "eval.jsonl").write_text("".join(json.dumps({"question": e}) + "\n" for e in evals))
    (tmp_path / "in").mkdir()
    subprocess.run(f"gzip -c {tmp_path}/src/part0.jsonl > {tmp_path}/in/part0.jsonl.gz",
                   shell=True, check=True)
    recipe = {"inputs": ["in/*.jsonl.gz"],
              "stages": [{"type": "decontaminate", "eval": "eval.jsonl",
                          "eval_field": "question"}],
              "output": {"dir": "out", "compression": "none"}}
    (tmp_path / "r.json").write_text(json.dumps(recipe))
    foundry("run", tmp_path / "r.json")
    rejects = [json.loads(l) for f in sorted((tmp_path / "out" / "rejects").iterdir())
               for l in f.read_text().splitlines()]
    caught = {r["text"] for r in rejects if r["rejected"]["reason"] == "contaminated"}
    assert texts[4] in caught and texts[9] in caught
    expected = {t for t in texts if any(e in " ".join(t.split()) for e in evals)}
    assert caught == expected
