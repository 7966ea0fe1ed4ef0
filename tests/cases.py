"""The shapes and dtypes the tests share (fixtures are in conftest.py)."""

import numpy as np

# (N, D, M, K): single sample, single input, single hidden unit, more classes than hidden
# units, two classes, non-square, the seed size of docs/math.md §5, and N that is not a
# multiple of any block size. Every K is at least 2: with a single class softmax gives Y = 1
# and all four gradients are exactly 0, which test_agreement.py checks on its own. The narrow
# rungs compile a kernel per width D, M, K (seconds each), so the shapes share five widths,
# three of them fastbp.warmup.GENERATED_WIDTHS (compiled before the suite); the single input
# and the two classes share 1-4-2 (D, M and K all different, so a swapped index shows), and
# the other test files take their narrow shapes from these widths too.
SHAPES = [
    (1, 2, 3, 3),
    (5, 1, 4, 2),
    (6, 2, 1, 3),
    (6, 4, 2, 3),
    (9, 1, 4, 2),
    (13, 4, 8, 3),
    (300, 4, 2, 3),
    (517, 1, 4, 2),
    (1500, 2, 3, 3),
]
DTYPES = {"float64": np.float64, "float32": np.float32}
