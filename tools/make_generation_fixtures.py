#!/usr/bin/env python3
"""Greedy generation references: transformers' generate(do_sample=False) on each committed
fixture model, for at least 64 new tokens (the hybrid model's window is 8, so generation runs far
past it). Writes tests/fixtures/reference/<name>.generate.json: {"prompt": [...], "tokens": [...]}.

Usage: tools/make_generation_fixtures.py   (needs torch and transformers)
"""
import json
from pathlib import Path

import numpy as np
import torch
from transformers import AutoModelForCausalLM

FIX = Path(__file__).resolve().parents[1] / "tests" / "fixtures"
MODELS = ["exaone3_tiny", "exaone4_global_tied", "exaone4_hybrid", "exaone4_hybrid_bf16",
          "llama_tiny"]
NEW_TOKENS = 72


def main():
    for name in MODELS:
        model = AutoModelForCausalLM.from_pretrained(FIX / "models" / name, dtype=torch.float32,
                                                     attn_implementation="eager").eval()
        eos = model.generation_config.eos_token_id
        vocab = model.config.vocab_size
        # Pick a prompt whose greedy continuation does not hit EOS early, so the comparison
        # covers at least 64 tokens (EOS handling is checked separately by the test).
        for seed in range(100):
            prompt = [int(i) for i in np.random.default_rng(seed).integers(3, vocab, 8)]
            with torch.no_grad():
                out = model.generate(torch.tensor([prompt]), do_sample=False,
                                     max_new_tokens=NEW_TOKENS, pad_token_id=0)
            tokens = out[0, len(prompt):].tolist()
            if len(tokens) == NEW_TOKENS:
                break
        # And a prompt whose greedy continuation ends with EOS, to check that generation stops
        # exactly there.
        eos_case = None
        for seed in range(100, 2000):
            p = [int(i) for i in np.random.default_rng(seed).integers(3, vocab, 8)]
            with torch.no_grad():
                out = model.generate(torch.tensor([p]), do_sample=False,
                                     max_new_tokens=NEW_TOKENS, pad_token_id=0)
            t = out[0, len(p):].tolist()
            if len(t) < NEW_TOKENS and t[-1] == eos:
                eos_case = {"prompt": p, "tokens": t}
                break
        (FIX / "reference" / f"{name}.generate.json").write_text(
            json.dumps({"prompt": prompt, "tokens": tokens, "eos_token_id": eos,
                        "eos_case": eos_case}) + "\n")
        print(f"{name}: {len(tokens)} tokens, eos {eos}, "
              f"eos case: {eos_case and len(eos_case['tokens'])} tokens")


if __name__ == "__main__":
    main()
