#!/usr/bin/env python3
"""Reference cases for the sampler, computed with transformers' own logits processors (torch):
RepetitionPenaltyLogitsProcessor, TemperatureLogitsWarper, TopKLogitsWarper, TopPLogitsWarper,
MinPLogitsWarper, applied in generate()'s order; OpenAI's presence / frequency penalties in
closed form (logit -= presence * (count > 0) + frequency * count over the output tokens).

Usage: tools/make_sampler_fixtures.py  (writes tests/fixtures/sampler/cases.json)
"""
import json
from pathlib import Path

import numpy as np
import torch
from transformers.generation.logits_process import (MinPLogitsWarper,
                                                    RepetitionPenaltyLogitsProcessor,
                                                    TemperatureLogitsWarper, TopKLogitsWarper,
                                                    TopPLogitsWarper)

OUT = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "sampler" / "cases.json"


def main():
    rng = np.random.default_rng(7)
    cases = []
    settings = [
        dict(temperature=1.0), dict(temperature=0.6, top_p=0.95), dict(temperature=0.7, top_k=5),
        dict(temperature=1.3, top_k=1), dict(temperature=1.0, top_p=0.5),
        dict(temperature=1.0, min_p=0.1), dict(temperature=0.8, top_k=10, top_p=0.9, min_p=0.05),
        dict(temperature=0.5, top_p=0.3), dict(temperature=2.0, min_p=0.3),
        dict(temperature=1.0, top_k=3, top_p=0.99), dict(temperature=1.0, top_k=64),
    ]
    for i in range(60):
        vocab = int(rng.choice([8, 32, 64]))
        logits = (rng.standard_normal(vocab) * rng.choice([0.5, 2.0, 5.0])).astype(np.float32)
        if i % 7 == 0:  # ties
            logits[: vocab // 4] = logits[0]
        p = dict(settings[i % len(settings)])
        context = [int(x) for x in rng.integers(0, vocab, 12)]
        output = context[-5:]
        if i % 3 == 0:
            p["repetition_penalty"] = float(rng.choice([1.1, 1.5, 0.9]))
        if i % 4 == 1:
            p["presence_penalty"] = float(rng.choice([0.5, 1.5]))
            p["frequency_penalty"] = float(rng.choice([0.0, 0.3]))
        if i % 5 == 2:
            p["logit_bias"] = {str(int(rng.integers(0, vocab))): float(rng.choice([-5.0, 3.0]))}

        scores = torch.tensor(logits)[None, :].clone()
        if p.get("repetition_penalty", 1.0) != 1.0:
            scores = RepetitionPenaltyLogitsProcessor(p["repetition_penalty"])(
                torch.tensor([context]), scores)
        pen = scores[0].numpy().astype(np.float64)
        counts = np.bincount(output, minlength=vocab)
        pen = pen - p.get("presence_penalty", 0.0) * (counts > 0) - p.get(
            "frequency_penalty", 0.0) * counts
        for k, b in p.get("logit_bias", {}).items():
            pen[int(k)] += b
        penalized = pen.astype(np.float32)

        scores = torch.tensor(penalized)[None, :].double()
        scores = TemperatureLogitsWarper(p["temperature"])(None, scores)
        if p.get("top_k"):
            scores = TopKLogitsWarper(p["top_k"])(None, scores)
        if p.get("top_p", 1.0) < 1.0:
            scores = TopPLogitsWarper(p["top_p"])(None, scores)
        if p.get("min_p"):
            scores = MinPLogitsWarper(p["min_p"])(None, scores)
        probs = torch.softmax(scores, dim=-1)[0].numpy()
        kept = [int(j) for j in np.nonzero(np.isfinite(scores[0].numpy()))[0]]
        cases.append({"logits": logits.tolist(), "params": p, "context": context,
                      "output": output, "penalized": penalized.tolist(), "kept": kept,
                      "probs": [float(probs[j]) for j in kept]})
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(cases))
    print(f"{len(cases)} cases -> {OUT}")


if __name__ == "__main__":
    main()
