"""`exaone run --raw-ids`: greedy generation equals transformers' generate(do_sample=False) token
for token (72 new tokens; the hybrid model's window is 8), from the HF folder and from the
converted GGUF; generation stops exactly at EOS; seeded sampling reproduces."""
import json

import pytest

from conftest import FIXTURES, MODELS, run


def reference(name):
    return json.loads((FIXTURES / "reference" / f"{name}.generate.json").read_text())


def generate(model, prompt, *extra):
    r = run("run", model, "--raw-ids", ",".join(map(str, prompt)), "--json", *extra)
    return json.loads(r.stdout)


@pytest.mark.parametrize("name", MODELS)
def test_greedy_equals_transformers_generate(name, tmp_path):
    ref = reference(name)
    assert len(ref["tokens"]) >= 64
    out = generate(FIXTURES / "models" / name, ref["prompt"], "-n", len(ref["tokens"]))
    assert out["ids"] == ref["tokens"]
    assert out["finish_reason"] == "length"
    assert out["usage"] == {"prompt_tokens": len(ref["prompt"]),
                            "completion_tokens": len(ref["tokens"])}
    gguf = tmp_path / "m.gguf"
    run("convert", FIXTURES / "models" / name, gguf, "--type", "f32", "--quiet")
    assert generate(gguf, ref["prompt"], "-n", len(ref["tokens"]))["ids"] == ref["tokens"]


@pytest.mark.parametrize("name", MODELS)
def test_generation_stops_at_eos(name):
    ref = reference(name)
    case = ref["eos_case"]
    if case is None:
        pytest.skip("no greedy continuation of this model ends in EOS within 72 tokens")
    out = generate(FIXTURES / "models" / name, case["prompt"], "-n", 72)
    assert out["ids"] == case["tokens"] and out["ids"][-1] == ref["eos_token_id"]
    assert out["finish_reason"] == "stop"
    ignored = generate(FIXTURES / "models" / name, case["prompt"], "-n", 72, "--ignore-eos")
    assert len(ignored["ids"]) == 72 and ignored["finish_reason"] == "length"


def test_seeded_sampling_reproduces():
    model = FIXTURES / "models" / "exaone4_hybrid"
    args = ("-n", 40, "--temp", "1.0", "--top-p", "0.9", "--ignore-eos")
    a = generate(model, [5, 6, 7], *args, "--seed", 11)["ids"]
    b = generate(model, [5, 6, 7], *args, "--seed", 11)["ids"]
    c = generate(model, [5, 6, 7], *args, "--seed", 12)["ids"]
    assert a == b and a != c


@pytest.mark.parametrize("bad,expect", [
    (["--temp", "-1"], "--temp must be a number"),
    (["--top-p", "1.5"], "--top-p must be a number"),
    (["-n", "-3"], "-n must be an integer"),
    (["-c", "4"], "does not fit the context"),
    (["--cache-type", "q8_0"], "--cache-type: expected f32 or f16"),
    (["--mmap", "--no-mmap"], "--mmap and --no-mmap cannot be given together"),
])
def test_bad_flags_are_clear_errors(bad, expect):
    r = run("run", FIXTURES / "models" / "llama_tiny", "--raw-ids", "1,2,3,4,5", *bad, check=False)
    assert r.returncode in (1, 2) and expect in r.stderr, r.stderr
    assert len(r.stderr.splitlines()) == 1


def test_cache_type_and_residency_flags():
    # An F32 model caches in f32 by default: asking for it changes nothing. An f16 cache is
    # accepted. Holding the weights mapped or in memory never changes what is computed.
    ref = reference("llama_tiny")
    model = FIXTURES / "models" / "llama_tiny"
    base = generate(model, ref["prompt"], "-n", 16)["ids"]
    assert base == ref["tokens"][:16]
    for extra in (["--cache-type", "f32"], ["--mmap"], ["--no-mmap"]):
        assert generate(model, ref["prompt"], "-n", 16, *extra)["ids"] == base, extra
    assert len(generate(model, ref["prompt"], "-n", 16, "--cache-type", "f16")["ids"]) == 16


def test_without_model_uses_the_default_and_says_how_offline(tmp_path):
    import os
    import subprocess
    from conftest import exaone_bin
    env = dict(os.environ, HF_HUB_OFFLINE="1", HF_HOME=str(tmp_path / "hf"))
    r = subprocess.run([exaone_bin(), "run", "-p", "hi"], capture_output=True, text=True,
                       env=env, timeout=60)
    assert r.returncode == 1
    assert "LGAI-EXAONE/EXAONE-4.0-1.2B-GGUF:Q4_K_M" in r.stderr
    assert "pass a local .gguf file or model folder" in r.stderr
