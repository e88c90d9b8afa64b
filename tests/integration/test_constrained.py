"""Constrained decoding through `exaone run --json-schema`: a tiny chat model with random weights
(EXAONE's real 102,400-token vocabulary) samples at temperature 1 with several seeds, and every
output must parse and validate against its schema with the `jsonschema` package. Unsupported
keywords are refused with their name and path."""
import json
import subprocess

import pytest

from conftest import exaone_bin
from serve_util import chat_folder

jsonschema = pytest.importorskip("jsonschema", reason="the jsonschema package is not installed")

SCHEMAS = [
    {"type": "object",
     "properties": {"name": {"type": "string", "maxLength": 12},
                    "age": {"type": "integer", "minimum": 0, "maximum": 120},
                    "tags": {"type": "array", "items": {"enum": ["a", "b"]}, "maxItems": 3}},
     "required": ["name", "age"], "additionalProperties": False},
    {"type": "array", "items": {"type": "number", "minimum": -1, "maximum": 1},
     "minItems": 2, "maxItems": 4},
    {"anyOf": [{"type": "null"}, {"type": "boolean"},
               {"type": "string", "minLength": 3, "maxLength": 5}]},
    {"$defs": {"node": {"type": "object",
                        "properties": {"v": {"type": "integer", "exclusiveMinimum": -3,
                                             "maximum": 3},
                                       "kids": {"type": "array", "maxItems": 2,
                                                "items": {"$ref": "#/$defs/node"}}},
                        "required": ["v"], "additionalProperties": False}},
     "$ref": "#/$defs/node"},
    {"type": "object", "properties": {"kind": {"const": "point"},
                                      "xy": {"type": "array",
                                             "prefixItems": [{"type": "integer"},
                                                             {"type": "integer"}],
                                             "items": False, "minItems": 2}},
     "required": ["kind", "xy"], "additionalProperties": False},
    {"type": "object",
     "properties": {"when": {"type": "string", "format": "date-time"},
                    "id": {"type": "string", "format": "uuid"},
                    "code": {"type": "string", "pattern": "^[A-Z]{2}-\\d{3}$"},
                    "mail": {"type": "string", "format": "email"},
                    "day": {"type": "string", "format": "date"}},
     "required": ["when", "id", "code", "mail", "day"], "additionalProperties": False},
]


def test_regex_outputs_match(model):
    import re
    pattern = r"(yes|no|maybe): [0-9]{1,3}(\.[0-9]{2})? [가-힣]{2,4}"
    for seed in range(4):
        r = subprocess.run([exaone_bin(), "run", str(model), "--raw-ids", "5,6,7", "--regex",
                            pattern, "-n", "200", "--temp", "1", "--seed", str(seed), "--json", "-t", "1"],
                           capture_output=True, text=True, timeout=120)
        assert r.returncode == 0, r.stderr
        out = json.loads(r.stdout.strip().split("\n")[-1])
        assert out["finish_reason"] == "stop"
        assert re.fullmatch(pattern, out["text"]), out["text"]


@pytest.fixture(scope="module")
def model(tmp_path_factory):
    return chat_folder(tmp_path_factory.mktemp("m") / "chat")


def generate(model, schema_file, seed, n=1000):
    r = subprocess.run([exaone_bin(), "run", str(model), "--raw-ids", "5,6,7", "--json-schema",
                        str(schema_file), "-n", str(n), "--temp", "1", "--seed", str(seed),
                        "--json", "-t", "1"], capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    # split("\n"), not splitlines(): the JSON line may hold U+2028, which splitlines breaks at.
    return json.loads(r.stdout.strip().split("\n")[-1])


@pytest.mark.parametrize("index", range(len(SCHEMAS)))
def test_outputs_validate(model, tmp_path, index):
    schema = SCHEMAS[index]
    f = tmp_path / "schema.json"
    f.write_text(json.dumps(schema))
    for seed in range(4):
        r = generate(model, f, seed)
        assert r["finish_reason"] == "stop", f"seed {seed} ran out of tokens: {r['text']!r}"
        value = json.loads(r["text"])
        jsonschema.validate(value, schema, format_checker=jsonschema.FormatChecker())


def test_unsupported_keyword_is_named(model, tmp_path):
    f = tmp_path / "schema.json"
    f.write_text(json.dumps({"type": "object",
                             "properties": {"a": {"type": "string", "minItems": 1,
                                                  "patternProperties": {}}}}))
    r = subprocess.run([exaone_bin(), "run", str(model), "--raw-ids", "5", "--json-schema",
                        str(f), "-n", "5"], capture_output=True, text=True, timeout=120)
    assert r.returncode != 0
    assert "'patternProperties'" in r.stderr and "$.properties.a" in r.stderr, r.stderr


def test_choice_outputs_are_one_of_the_strings(model):
    choices = ["yes", "no", "not sure", "모르겠어요"]
    for seed in range(4):
        args = [exaone_bin(), "run", str(model), "--raw-ids", "5,6,7", "-n", "50", "--temp", "1",
                "--seed", str(seed), "--json", "-t", "1"]
        for c in choices:
            args += ["--choice", c]
        r = subprocess.run(args, capture_output=True, text=True, timeout=120)
        assert r.returncode == 0, r.stderr
        out = json.loads(r.stdout.strip().split("\n")[-1])
        assert out["finish_reason"] == "stop" and out["text"] in choices, out


def test_reasoning_comes_before_the_constrained_answer(tmp_path):
    """With --think, a scripted model reasons, closes </think> and then writes "nope"; the
    reasoning stays as written and the answer becomes one of the choices."""
    folder = chat_folder(tmp_path / "scripted", ["Hmm.", "</think>", "\n\n", "nope"])
    base = [exaone_bin(), "run", str(folder), "-p", "Q?", "--json", "--temp", "0", "-n", "50"]
    r = subprocess.run(base + ["--think", "--choice", "yes", "--choice", "no way"],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout.strip().split("\n")[-1])
    assert out["reasoning_content"] == "Hmm." and out["content"] in ["yes", "no way"], out
    # Unconstrained, the same model answers "nope".
    r = subprocess.run(base + ["--think"], capture_output=True, text=True, timeout=120)
    assert json.loads(r.stdout.strip().split("\n")[-1])["content"] == "nope"
    # Two kinds of constraint at once are refused.
    r = subprocess.run(base + ["--choice", "a", "--regex", "a"], capture_output=True, text=True,
                       timeout=120)
    assert r.returncode != 0 and "one of --json-schema, --regex and --choice" in r.stderr
