"""`exaone tokenize`: the stable --json interface against HF reference ids, decoding, and one clear
error line for each kind of broken tokenizer file."""
import json
import shutil
import subprocess

import pytest

from conftest import FIXTURES, exaone_bin, run

TOK = FIXTURES / "tokenizer"


def corpus_head(n):
    out = []
    with open(TOK / "corpus.jsonl") as f:
        for _ in range(n):
            j = json.loads(f.readline())
            out.append(j["text"].encode() if "text" in j else bytes.fromhex(j["bytes_hex"]))
    return out


@pytest.mark.parametrize("name", ["gpt2_style", "llama3_style", "digits_style"])
def test_json_ids_equal_hf_reference_for_exact_stdin_bytes(name):
    samples = [json.loads(l)["ids"] for l in open(TOK / f"{name}.sample.jsonl")]
    texts = corpus_head(len(samples))
    for i in range(0, len(samples), 7):
        r = subprocess.run([exaone_bin(), "tokenize", TOK / name, "--json"], input=texts[i],
                           capture_output=True, timeout=60)
        assert r.returncode == 0, r.stderr
        assert json.loads(r.stdout) == {"ids": samples[i]}, texts[i]


def test_decode_round_trip_and_skip_special():
    model = TOK / "gpt2_style"
    ids = json.loads(run("tokenize", model, "x [|user|] 한국어 text", "--json",
                         "--no-add-special").stdout)["ids"]
    # Expected values printed by HF tokenizers 0.23.3 for the same tokenizer.json: every chunk
    # between added tokens gets the prefix space (add_prefix_space), "한국" is an added token.
    assert ids == [304, 221, 3004, 221, 3003, 274, 389, 703, 642]
    csv = ",".join(map(str, ids))
    assert run("tokenize", model, csv, "--decode").stdout == " x [|user|] 한국 어 text"
    out = json.loads(run("tokenize", model, csv, "--decode", "--skip-special", "--json").stdout)
    assert out == {"text": " x  한국 어 text"}


def test_table_output_lists_each_token():
    out = run("tokenize", TOK / "digits_style", "ab 12").stdout.splitlines()
    assert out[-1] == "tokens: %d, bytes: 5" % (len(out) - 1)


def broken_cases(tmp_path):
    base = json.loads((TOK / "digits_style" / "tokenizer.json").read_text())

    def tj(name, mutate):
        d = tmp_path / name
        d.mkdir()
        spec = json.loads(json.dumps(base))
        text = mutate(spec)
        (d / "tokenizer.json").write_text(text if isinstance(text, str) else json.dumps(spec))
        return d

    def vm(name, vocab, merges, config=None):
        d = tmp_path / name
        d.mkdir()
        (d / "vocab.json").write_text(vocab)
        (d / "merges.txt").write_text(merges)
        if config is not None:
            (d / "tokenizer_config.json").write_text(config)
        return d

    def set_(path, value):
        def m(spec):
            obj = spec
            for k in path[:-1]:
                obj = obj[k]
            obj[path[-1]] = value
        return m

    return [
        (tj("invalid_json", lambda s: '{"model": '), "invalid JSON"),
        (tj("merge_unknown", set_(["model", "merges"], [["a", "\u00ff\u00fe"]])),
         "is not in the vocabulary"),
        (tj("pre_unknown", set_(["pre_tokenizer"], {"type": "Metaspace"})),
         'pre-tokenizer "Metaspace" is not supported'),
        (tj("bad_regex", set_(["pre_tokenizer"], {"type": "Split", "pattern": {"Regex": "(["},
                                                  "behavior": "Isolated"})),
         "pre-tokenizer regex"),
        (tj("bad_behavior", set_(["pre_tokenizer"], {"type": "Split", "pattern": {"String": "x"},
                                                     "behavior": "Sideways"})),
         "unknown split behavior"),
        (tj("model_wordpiece", set_(["model", "type"], "WordPiece")), "only BPE models"),
        (tj("byte_fallback", set_(["model", "byte_fallback"], True)), "byte_fallback"),
        (tj("vocab_not_object", set_(["model", "vocab"], [1, 2])), "expected an object"),
        (tj("negative_id", set_(["model", "vocab"], {"a": -1})), "out of range"),
        (tj("added_no_content", set_(["added_tokens"], [{"id": 5, "special": True}])),
         'missing required key "content"'),
        (tj("merge_three_parts", set_(["model", "merges"], ["a b c"])), "is not two parts"),
        (tj("normalizer_unknown", set_(["normalizer"], {"type": "Lowercase"})),
         'normalizer "Lowercase" is not supported'),
        (vm("merges_one_part", '{"a": 0, "b": 1, "ab": 2}', "#version: 0.2\nab\n"),
         "merges.txt:2: a merge needs two parts"),
        (vm("vocab_not_json", '{"a": 0,', "#version: 0.2\n"), "invalid JSON"),
        (vm("config_bad_key", '{"a": 0}', "#version: 0.2\n",
            '{"added_tokens_decoder": {"x": {"content": "<s>"}}}'), "key is not a token id"),
        (vm("config_dup_key", '{"a": 0}', "#version: 0.2\n", '{"eos_token": "a", "eos_token": "b"}'),
         "duplicate key"),
    ]


def test_broken_tokenizer_files_give_one_clear_line(tmp_path):
    cases = broken_cases(tmp_path)
    empty = tmp_path / "empty"
    empty.mkdir()
    cases.append((empty, "no tokenizer.json, and no vocab.json + merges.txt"))
    gguf = tmp_path / "no_tokenizer.gguf"
    run("convert", FIXTURES / "models" / "exaone4_hybrid", gguf, "--type", "f32", "--quiet")
    cases.append((gguf, "tokenizer.ggml.model"))
    for model, expect in cases:
        r = subprocess.run([exaone_bin(), "tokenize", model, "hello"], capture_output=True,
                           text=True, timeout=60)
        assert r.returncode == 1, (model, r.returncode, r.stderr)
        lines = r.stderr.splitlines()
        assert len(lines) == 1 and lines[0].startswith("exaone tokenize: error:"), r.stderr
        assert expect in lines[0], (model, lines[0])
        assert "runtime error" not in r.stderr and "Sanitizer" not in r.stderr
