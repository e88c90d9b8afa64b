#!/usr/bin/env python3
"""Builds the tokenizer conformance fixtures with Hugging Face `tokenizers` (the reference).

Usage: tools/make_tokenizer_fixtures.py [SHARED_DIR]   (default: ../shared next to the repo)

Writes tests/fixtures/tokenizer/:
  corpus.jsonl            one test string a line: {"text": ...} or {"bytes_hex": ...} for input
                          that is not valid UTF-8 (encoded by HF as bytes.decode("utf-8", "replace"))
  <name>.ids.bin          per string: u32 id count, u64 FNV-1a of the ids (as little-endian i32)
  <name>.sample.jsonl     the full ids of the first 300 strings, for readable failures
  <name>/tokenizer.json   (+ vocab.json, merges.txt, tokenizer_config.json) for the tokenizers we
                          train here; for the EXAONE ones only <name>.skeleton.json, the HF
                          serialization with the vocabulary, merges and added tokens left out
                          (they are EXAONE's files in ../shared, not copied into the repository;
                          the tests fill them in from there)
"""
import json
import os
import random
import struct
import sys
from pathlib import Path

from tokenizers import (AddedToken, Regex, Tokenizer, decoders, models, normalizers,
                        pre_tokenizers, processors, trainers)

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "tests" / "fixtures" / "tokenizer"
LLAMA3 = (r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}|"
          r" ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+")

KO = ("안녕하세요 감사합니다 오늘 날씨가 좋네요 인공지능 모델 엑사원 한국어 처리 서울 부산 대학교 "
      "학생 선생님 컴퓨터 프로그램 데이터 학습 추론 질문 대답 문장 토큰 사람 시간 우리 나라 "
      "가나다라마바사 읽었습니다 했어요 갔다 먹었다 예쁘다 ㄱㄴㄷ ㅏㅑㅓ ㅋㅋㅋ ㅎㅎ 똠양꿍 뷁").split()
EN = ("the quick brown fox jumps over lazy dog language model tokenizer inference server "
      "don't it's we're they've I'm you'll he'd can't EXAONE LG research Hello World "
      "internationalization antidisestablishmentarianism").split()
ES = ("el niño comió piñata mañana corazón canción acción está también árbol pingüino "
      "¿Qué tal? ¡Olé! señor añejo").split()
ZH = "我们 喜欢 人工智能 语言 模型 北京 上海 你好 世界 计算机 数据 学习 中文 处理".split()
JA = "こんにちは 世界 日本語 ひらがな カタカナ 東京 ありがとう ございます 機械学習 トークン".split()
EMOJI = ["😀", "👍🏽", "👨‍👩‍👧‍👦", "🏳️‍🌈", "🇰🇷", "❤️", "🧑🏿‍💻", "👩🏻‍❤️‍💋‍👨🏼", "🙂", "✨", "🤖"]
COMBINING = ["e\u0301", "a\u0308", "n\u0303", "\u1100\u1161\u11a8", "o\u0302\u0323", "A\u030a",
             "\u0915\u094d\u0937", "Z\u0351\u0352\u0357"]
CODE = ["def f(x):\n    return x * 2\n", "for (int i = 0; i < n; ++i) {\n\tsum += a[i];\n}",
        "if x == 1:\n        print('hi')", "<div class=\"a\">&nbsp;</div>", "SELECT * FROM t;",
        "const x = {a: [1, 2, 3]};", "#include <stdio.h>", "λx.x → y", "a&&b||!c", "x+=1;y-=2"]
SPECIALISH = ["<think>", "</think>", "<tool_call>", "[|user|]", "[|assistant|]", "[|system|]",
              "[|endofturn|]", "<|endoftext|>", "<thin", "think>", "[|user", "|]", "[BOS]",
              "PI:EMAIL", "<|python|>", "[unused3]", "[extra_id_5]", "<s>", "</s>", "<|x|>"]
SPACES = [" ", "  ", "   ", "    ", "     ", "\t", "\t\t", "\t\t\t", "\n", "\n\n", "\r\n", " \n ",
          "\u3000", "\u00a0", "\u2003", "\u200b", "\u0085", "\u2028", "\u180e", "\ufeff"]
NUMS = ["0", "7", "42", "2024", "3.14159", "1,000,000", "-17", "1e-9", "٣٤", "²", "½", "Ⅻ",
        "0x1F", "12:30", "010-1234-5678", "１２３"]


def random_string(rng):
    kind = rng.random()
    parts = []
    n = rng.randint(1, 12)
    pools = [KO, EN, ES, ZH, JA, EMOJI, COMBINING, CODE, SPECIALISH, SPACES, NUMS]
    weights = [6, 6, 3, 2, 2, 1, 1, 2, 2, 3, 2]
    if kind < 0.15:  # one language
        pool = rng.choice([KO, EN, ES, ZH, JA])
        return rng.choice(["", " "]).join(rng.choice(pool) for _ in range(n))
    for _ in range(n):
        pool = rng.choices(pools, weights)[0]
        parts.append(rng.choice(pool))
        parts.append(rng.choice(["", " ", " ", "", "\n", "  ", ",", ".", "!"]))
    return "".join(parts)


def corpus():
    rng = random.Random(20260829)
    items = []
    # Structured cases first.
    for pool in (KO, EN, ES, ZH, JA, EMOJI, COMBINING, CODE, SPECIALISH, SPACES, NUMS):
        for s in pool:
            items.append(s)
            items.append(" " + s)
            items.append(s + " ")
            items.append(s * 3)
    for n in range(1, 70):
        items.append(" " * n)
        items.append("\t" * (n % 12 + 1))
        items.append("a" + " " * n + "b")
        items.append("x\n" + " " * n + "y")
    for n in (1, 2, 3, 5, 8, 13, 30, 100):
        items.append("9" * n)
        items.append("한" * n)
    items.append("a" * 3000)
    items.append("가나다" * 700)
    items.append("supercalifragilistic" * 80)
    items.append("".join(chr(c) for c in range(0x20, 0x7f)))
    items.append("".join(chr(c) for c in range(0xac00, 0xac00 + 400)))
    items.append("")
    while len(items) < 20500:
        items.append(random_string(rng))
    # Text that is not valid UTF-8 (as raw bytes).
    bad = [b"\xff", b"abc\x80def", b"\xc3", b"\xe2\x82", b"\xed\xa0\x80", b"\xf0\x9f\x98",
           b"ok\xc0\xafok", b"\xf4\x90\x80\x80", "한".encode()[:2] + b" x", b"\xfe\xfe\xff"]
    for _ in range(190):
        b = bytearray(random_string(rng).encode())
        if b:
            for _ in range(rng.randint(1, 3)):
                b[rng.randrange(len(b))] = rng.randrange(0x80, 0x100)
        bad.append(bytes(b))
    return items, bad


def save_ids(name, tok, texts):
    with open(OUT / f"{name}.ids.bin", "wb") as f, open(OUT / f"{name}.sample.jsonl", "w") as s:
        for i, t in enumerate(texts):
            ids = tok.encode(t).ids
            h = 0xcbf29ce484222325
            for b in struct.pack(f"<{len(ids)}i", *ids):
                h = ((h ^ b) * 0x100000001b3) & 0xffffffffffffffff
            f.write(struct.pack("<IQ", len(ids), h))
            if i < 300:
                s.write(json.dumps({"ids": ids}) + "\n")


def exaone_tokenizer(shared, config_name, pre):
    vocab = json.loads((shared / "tokenizer/exaone-3.5/vocab.json").read_text())
    merges = [tuple(l.split(" ")) for l in
              (shared / "tokenizer/exaone-3.5/merges.txt").read_text().splitlines()[1:] if l]
    cfg = json.loads((shared / "tokenizer" / config_name).read_text())
    added = [{"id": int(i), "content": d["content"], "single_word": d["single_word"],
              "lstrip": d["lstrip"], "rstrip": d["rstrip"], "normalized": d["normalized"],
              "special": d["special"]}
             for i, d in sorted(cfg["added_tokens_decoder"].items(), key=lambda kv: int(kv[0]))]
    skeleton = {"version": "1.0", "truncation": None, "padding": None, "added_tokens": added,
                "normalizer": None, "pre_tokenizer": pre,
                "post_processor": {"type": "ByteLevel", "add_prefix_space": False,
                                   "trim_offsets": False, "use_regex": False},
                "decoder": {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": True,
                            "use_regex": True},
                "model": {"type": "BPE", "dropout": None, "unk_token": None,
                          "continuing_subword_prefix": None, "end_of_word_suffix": None,
                          "fuse_unk": False, "byte_fallback": False, "ignore_merges": False,
                          "vocab": {}, "merges": []}}
    # EXAONE 4.0 reuses ids 351-360 of the 3.5 vocabulary for <think>, <tool_call> and the role
    # tokens; its own vocab.json carries them under those ids, so apply the added tokens over it.
    by_id = {i: t for t, i in vocab.items()}
    for a in added:
        old = by_id.get(a["id"])
        if old is not None and old != a["content"]:
            del vocab[old]
            vocab[a["content"]] = a["id"]
    full = json.loads(json.dumps(skeleton))
    skeleton["added_tokens"] = []  # EXAONE's own: the tests read them from ../shared
    full["model"]["vocab"] = vocab
    full["model"]["merges"] = [list(m) for m in merges]
    return Tokenizer.from_str(json.dumps(full)), skeleton


BYTE_LEVEL = {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True,
              "use_regex": True}


def trained(texts, name, vocab_size, setup):
    tok = Tokenizer(models.BPE(ignore_merges=(name == "llama3_style")))
    special = setup(tok)
    trainer = trainers.BpeTrainer(vocab_size=vocab_size, special_tokens=special,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
                                  show_progress=False)
    tok.train_from_iterator(texts[:6000], trainer)
    return tok


def main():
    shared = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT.parent / "shared"
    shared = shared / "exaone"
    OUT.mkdir(parents=True, exist_ok=True)
    items, bad = corpus()
    with open(OUT / "corpus.jsonl", "w") as f:
        for t in items:
            f.write(json.dumps({"text": t}, ensure_ascii=False) + "\n")
        for b in bad:
            f.write(json.dumps({"bytes_hex": b.hex()}) + "\n")
    texts = items + [b.decode("utf-8", "replace") for b in bad]
    print(f"corpus: {len(texts)} strings, {sum(len(t.encode()) for t in texts)} bytes")

    if (shared / "tokenizer/exaone-3.5/vocab.json").exists():
        for name, cfg, pre in [
                ("exaone4", "exaone-4.0-tokenizer_config.json", BYTE_LEVEL),
                ("exaone35", "exaone-3.5/tokenizer_config.json",
                 {"type": "Sequence", "pretokenizers": [
                     {"type": "Split", "pattern": {"Regex": r"\p{N}"}, "behavior": "Isolated",
                      "invert": False}, BYTE_LEVEL]})]:
            tok, skeleton = exaone_tokenizer(shared, cfg, pre)
            (OUT / f"{name}.skeleton.json").write_text(json.dumps(skeleton, indent=1) + "\n")
            save_ids(name, tok, texts)
            print(f"{name}: reference ids written")
    else:
        print("shared EXAONE tokenizer not found: EXAONE fixtures not regenerated")

    # Tokenizers trained here, each exercising other settings.
    def gpt2_style(tok):  # ByteLevel with add_prefix_space, added tokens with every flag
        tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=True)
        tok.decoder = decoders.ByteLevel()
        return ["<|endoftext|>"]

    def llama3_style(tok):  # NFC, llama3 regex split, ByteLevel without regex, BOS template
        tok.normalizer = normalizers.NFC()
        tok.pre_tokenizer = pre_tokenizers.Sequence([
            pre_tokenizers.Split(Regex(LLAMA3), behavior="isolated"),
            pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False)])
        tok.decoder = decoders.ByteLevel()
        return ["<|begin_of_text|>", "<|end_of_text|>"]

    def digits_style(tok):  # Digits (runs), a string Split merged with the next piece
        tok.pre_tokenizer = pre_tokenizers.Sequence([
            pre_tokenizers.Digits(individual_digits=False),
            pre_tokenizers.Split("\n", behavior="merged_with_next"),
            pre_tokenizers.ByteLevel(add_prefix_space=False)])
        tok.decoder = decoders.ByteLevel()
        return ["<pad>"]

    for name, setup, size in [("gpt2_style", gpt2_style, 3000), ("llama3_style", llama3_style, 3000),
                              ("digits_style", digits_style, 2000)]:
        tok = trained(items, name, size, setup)
        if name == "gpt2_style":
            tok.add_tokens([AddedToken("<tool>", lstrip=True, rstrip=True),
                            AddedToken("foo", single_word=True), AddedToken("    "),
                            AddedToken("한국", normalized=False)])
            tok.add_special_tokens([AddedToken("[|user|]")])
        if name == "llama3_style":
            bos = tok.token_to_id("<|begin_of_text|>")
            tok.post_processor = processors.Sequence([
                processors.ByteLevel(trim_offsets=False),
                processors.TemplateProcessing(single="<|begin_of_text|> $A",
                                              special_tokens=[("<|begin_of_text|>", bos)])])
        folder = OUT / name
        folder.mkdir(exist_ok=True)
        tok.save(str(folder / "tokenizer.json"))
        if name == "gpt2_style":  # also as vocab.json + merges.txt + tokenizer_config.json
            tok.model.save(str(folder))
            spec = json.loads(tok.to_str())
            decoder = {str(a["id"]): {k: a[k] for k in ("content", "lstrip", "rstrip",
                                                          "single_word", "normalized", "special")}
                       for a in spec["added_tokens"]}
            (folder / "tokenizer_config.json").write_text(json.dumps(
                {"add_prefix_space": True, "added_tokens_decoder": decoder,
                 "eos_token": "<|endoftext|>", "tokenizer_class": "GPT2Tokenizer"}, indent=1))
        save_ids(name, tok, texts)
        print(f"{name}: trained ({tok.get_vocab_size()} tokens), reference ids written")


if __name__ == "__main__":
    main()
