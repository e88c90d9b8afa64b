"""Seeded float32 tensors for the quantizer quality checks.

Shared by tests/integration/test_quant_formats.py and tools/make_quantizer_fixtures.py (which
records llama-quantize's error on the same tensors), so both see the same values; the fixture
stores a digest of each tensor to catch any drift.
"""
import hashlib

import numpy as np

ROWS, COLS = 64, 2048


def make_tensors():
    """name -> float32 array [ROWS, COLS]; the names are GGUF weight names so that llama-quantize
    treats every tensor as an ordinary weight matrix."""
    rng = np.random.default_rng(20240607)
    shape = (ROWS, COLS)
    gauss = rng.standard_normal(shape) * 0.02
    student = rng.standard_t(3, shape) * 0.01  # heavy tails: a few values far out
    outlier = rng.standard_normal(shape) * 0.02
    cols = rng.choice(COLS, 24, replace=False)
    outlier[:, cols] *= 40.0  # a few input channels much larger than the rest
    small = rng.standard_normal(shape) * 2e-4  # sub-block scales near fp16's subnormal range
    const = np.repeat(rng.uniform(-0.05, 0.05, (ROWS, 1)), COLS, axis=1)
    const[::4] = 0.0  # all-zero rows
    # A few constant runs inside otherwise random rows (constant sub-blocks and super-blocks).
    mixed = rng.standard_normal(shape) * 0.02
    mixed[:, 256:512] = 0.03
    mixed[:, 1024:1056] = -0.01
    tensors = {"gaussian": gauss, "student_t": student, "outlier_columns": outlier,
               "small": small, "constant_rows": const, "constant_runs": mixed}
    return {f"blk.{i}.ffn_up.weight": (label, t.astype(np.float32))
            for i, (label, t) in enumerate(tensors.items())}


def digest(a):
    return hashlib.sha256(np.ascontiguousarray(a, dtype="<f4").tobytes()).hexdigest()


def rmse(a, b):
    d = a.astype(np.float64) - b.astype(np.float64)
    return float(np.sqrt(np.mean(d * d)))
