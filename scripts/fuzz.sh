#!/usr/bin/env bash
# Builds the libFuzzer targets (preset "fuzz") and runs each for SECONDS (default 60), seeded from
# tests/bad_files and, when the release binary exists, a valid GGUF converted from a fixture; the
# tokenizer target from corpus strings.
# Exits non-zero if any target reports a finding (crash, sanitizer report, leak, timeout, OOM);
# the reproducer is left in build/fuzz/findings/<target>/.
#
# usage: scripts/fuzz.sh [SECONDS]
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-60}"
if ! [[ "$seconds" =~ ^[0-9]+$ ]] || [ "$seconds" -lt 1 ]; then
  echo "usage: scripts/fuzz.sh [SECONDS]" >&2
  exit 2
fi

scripts/build.sh fuzz

out=build/fuzz
corpus="$out/corpus"
targets=(gguf safetensors tokenizer template request constrain foundry)
for t in "${targets[@]}"; do
  rm -rf "${corpus:?}/$t"
  mkdir -p "$corpus/$t"
done

# Seeds: the broken files (each one a path into a different check), plus a valid GGUF.
seed() {  # seed DIR FILE: copy under a name derived from the path, so no two seeds collide
  local name="${2#tests/}"
  cp "$2" "$1/${name//\//_}"
}
while IFS= read -r -d '' f; do seed "$corpus/gguf" "$f"; done \
  < <(find tests/bad_files -name '*.gguf' -type f -print0)
while IFS= read -r -d '' f; do seed "$corpus/safetensors" "$f"; done \
  < <(find tests/bad_files -name '*.safetensors' -type f -print0)
if [ -x build/release/cli/exaone ]; then
  if build/release/cli/exaone convert tests/fixtures/models/exaone4_hybrid "$out/valid.gguf" \
    --type f16 >/dev/null 2>&1; then
    cp "$out/valid.gguf" "$corpus/gguf/valid_exaone4_hybrid.gguf"
  else
    echo "fuzz: note: could not convert a valid GGUF seed with build/release/cli/exaone" >&2
  fi
fi

# Tokenizer seeds: a few hundred corpus strings (first byte selects the tokenizer and flags).
head -n 400 tests/fixtures/tokenizer/corpus.jsonl | awk -v dir="$corpus/tokenizer" \
  '{ f = sprintf("%s/line%04d", dir, NR); printf "%c%s", 48 + NR % 8, $0 > f; close(f) }'

# Template seeds: our ChatML template, EXAONE's templates when ../shared has them, and the
# engine fixture's templates, one file each.
cp tests/fixtures/templates/chatml.jinja "$corpus/template/chatml.jinja"
for f in ../shared/exaone/templates/*.jinja; do
  [ -f "$f" ] && cp "$f" "$corpus/template/$(basename "$f")"
done
python3 - "$corpus/template" <<'PY'
import json, sys
with open("tests/fixtures/templates/engine.jsonl") as f:
    for i, line in enumerate(f):
        with open(f"{sys.argv[1]}/engine{i:04d}.jinja", "w") as out:
            out.write(json.loads(line)["source"])
PY

# Request seeds: HTTP heads (mode byte 0), chat and completion bodies (1, 2), model output (3),
# and the bad-request corpus of the server tests.
printf '\x00POST /v1/chat/completions HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\n\r\n{}' \
  >"$corpus/request/head"
printf '\x01{"model": "m", "messages": [{"role": "user", "content": "hi"}], "max_tokens": 5, "stop": ["x"], "logit_bias": {"5": 1}, "tools": [{"type": "function", "function": {"name": "f", "parameters": {}}}], "chat_template_kwargs": {"enable_thinking": true}}' \
  >"$corpus/request/chat"
printf '\x02{"prompt": [1, 2, 3], "echo": true, "stream": true, "stream_options": {"include_usage": true}}' \
  >"$corpus/request/completion"
printf '\x03\x01abc</think>de<tool_call>{"name": "f", "arguments": {"a": 1}}</tool_call>\n<tool_call>{bad' \
  >"$corpus/request/output"
python3 - "$corpus/request" <<'PY'
import json, sys
with open("tests/fixtures/bad_requests.jsonl") as f:
    for i, line in enumerate(f):
        case = json.loads(line)
        if "raw" in case:
            data = b"\x00" + case["raw"].encode("latin-1")
        elif "body_hex" in case:
            data = b"\x01" + bytes.fromhex(case["body_hex"])
        elif "body" in case:
            data = (b"\x02" if case["path"] == "/v1/completions" else b"\x01") + case["body"].encode()
        else:
            continue
        with open(f"{sys.argv[1]}/bad{i:03d}", "wb") as out:
            out.write(data)
PY

# Constraint seeds: regular expressions (mode byte 0) and JSON schemas (1).
for re in 'a|bc' '(ab)*c?' '^[A-Z]{2}-\d{3}$' '[^\]a-c]+\u00e9{1,3}' '(?:x|y){2,}\.' ; do
  printf '\x00%s' "$re" >"$corpus/constrain/re_$(printf '%s' "$re" | md5sum | cut -c1-8)"
done
printf '\x01{"type": "object", "properties": {"a": {"type": "integer", "minimum": -5, "maximum": 99}, "b": {"type": "string", "maxLength": 3, "pattern": "x"}}, "required": ["a"], "additionalProperties": {"type": "null"}}' \
  >"$corpus/constrain/schema_object"
printf '\x01{"$defs": {"n": {"anyOf": [{"type": "null"}, {"type": "array", "items": {"$ref": "#/$defs/n"}, "maxItems": 2}]}}, "$ref": "#/$defs/n"}' \
  >"$corpus/constrain/schema_ref"
printf '\x01{"oneOf": [{"type": "string", "format": "date-time"}, {"type": "number", "minimum": 0, "maximum": 1}], "allOf": [{}]}' \
  >"$corpus/constrain/schema_combinators"

# Foundry seeds: a recipe (mode 0), texts (1-3), a schema and a value (4), JSONL (5).
printf '\x00{"inputs": ["*.jsonl"], "stages": [{"type": "normalize"}, {"type": "language", "keep": ["ko"]}, {"type": "gopher", "min_words": 5}, {"type": "c4"}, {"type": "fineweb"}, {"type": "pii"}, {"type": "exact_dedup"}, {"type": "minhash_dedup", "bands": 4, "rows": 2}, {"type": "verify", "kind": "regex", "pattern": "a+"}, {"type": "select_best", "verified_field": "v"}, {"type": "explode", "field": "xs"}], "output": {"dir": "o"}}' \
  >"$corpus/foundry/recipe"
printf '\x01Hello  world.\r\n\xea\xb0\x80 \xed\x9e\xa3\x00\xe2\x80\xa8e\xcc\x81 \xe4\xb8\xad\xe6\x96\x87\n\n\n\xe3\x81\x82...' \
  >"$corpus/foundry/text"
printf '\x02mail kim@example.co.kr, 010-1234-5678, +82 2-123-4567, 900101-1234567, 4111 1111 1111 1111, 10.0.0.1, ::1, https://u:p@h.com/x, 123-45-67891' \
  >"$corpus/foundry/pii"
printf '\x03The quick brown fox jumps over the lazy dog. \xea\xb0\x80\xeb\x82\x98 \xeb\x8b\xa4!' \
  >"$corpus/foundry/minhash"
printf '\x04{"type": "object", "properties": {"a": {"type": "integer", "maximum": 3}, "b": {"pattern": "^x+$"}}, "required": ["a"], "additionalProperties": false}\x00{"a": 2, "b": "xx"}' \
  >"$corpus/foundry/schema"
printf '\x05{"text": "a"}\r\n\n{"text": "b"}' >"$corpus/foundry/jsonl"

status=0
summary=()
for target in "${targets[@]}"; do
  bin="$out/fuzz/${target}_fuzz"
  findings="$out/findings/$target"
  log="$out/${target}_fuzz.log"
  rm -rf "$findings"
  mkdir -p "$findings"
  seeds=$(find "$corpus/$target" -type f | wc -l)
  echo "fuzz: running $target for ${seconds}s from $seeds seeds (log: $log)"
  rc=0
  # -fork would survive the first finding, but one finding is enough to fail; keep it simple.
  "$bin" "$corpus/$target" -max_total_time="$seconds" -rss_limit_mb=2048 -max_len=65536 \
    -timeout=25 -print_final_stats=1 -artifact_prefix="$findings/" >"$log" 2>&1 || rc=$?
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 | cut -d' ' -f2 || true)
  artifacts=$(find "$findings" -type f | wc -l)
  if [ "$rc" -ne 0 ] || [ "$artifacts" -ne 0 ]; then
    status=1
    what=$(grep -m1 -E 'ERROR: |runtime error|deadly signal|Test unit written' "$log" || true)
    summary+=("$target: FAILED (exit $rc, ${execs:-?} execs, $artifacts artifact(s) in $findings): $what")
  else
    summary+=("$target: ok, ${execs:-?} execs in ${seconds}s, coverage ${cov:-?}, no findings")
  fi
done

for line in "${summary[@]}"; do echo "fuzz: $line"; done
exit "$status"
